"""The teams' user-facing texts, Chinese first."""

from app.core.i18n import register_messages

register_messages(
    {
        "teams.not_found": {"zh": "没有找到这个团队", "en": "No such team"},
        "teams.code_malformed": {
            "zh": "加入码格式不对：应为 8 位字母或数字（如 7K3M-Q9XD）",
            "en": "That is not a join code: 8 letters or digits, e.g. 7K3M-Q9XD",
        },
        "teams.code_unknown": {
            "zh": "加入码无效或已更换，请向团队创建者索取最新的加入码",
            "en": "This join code is wrong or has been replaced; ask the team's owner for the current one",
        },
        "teams.full": {
            "zh": "团队已满（最多 {cap} 人）",
            "en": "The team is full ({cap} members at most)",
        },
        "teams.lane_taken": {
            "zh": "你已在{lane}团队“{other}”中，请先退出再加入新团队",
            "en": "You are already in the {lane} team “{other}”; leave it before joining another",
        },
        "teams.lane.work": {"zh": "单位", "en": "company"},
        "teams.lane.study": {"zh": "学校/班级", "en": "school or class"},
        "teams.lane.other": {"zh": "其他", "en": "other"},
        "teams.not_owner": {"zh": "只有团队创建者可以这样做", "en": "Only the team's owner can do this"},
        "teams.not_member": {"zh": "此人不是团队成员", "en": "That person is not a member of the team"},
        "teams.too_many_codes": {
            "zh": "尝试加入码的次数过多，请 {retry_after} 秒后再试",
            "en": "Too many join codes tried; try again in {retry_after} s",
        },
        "teams.name_blank": {"zh": "团队名称不能为空", "en": "A team needs a name"},
        "teams.parent_kind": {
            "zh": "只有班级可以归属学校，且上级团队必须是学校",
            "en": "Only a class can belong to a team, and that team must be a school",
        },
        "teams.parent_not_yours": {
            "zh": "只有学校的创建者或成员可以在其下建立班级",
            "en": "Only the school's owner or members can add a class to it",
        },
        "teams.parent_campaign": {
            "zh": "班级须与所属学校属于同一活动（或都不属于活动）",
            "en": "A class belongs to the same campaign as its school (or both to none)",
        },
        "teams.organisation_not_yours": {
            "zh": "只有在该组织中有角色的人可以为其建立团队",
            "en": "Only people holding a role in that organisation can create a team for it",
        },
        "teams.organisation_not_found": {"zh": "没有找到这个组织", "en": "No such organisation"},
        # kinds
        "teams.kind.company": {"zh": "单位", "en": "Company"},
        "teams.kind.school": {"zh": "学校", "en": "School"},
        "teams.kind.class": {"zh": "班级", "en": "Class"},
        "teams.kind.other": {"zh": "其他", "en": "Other"},
        # the team page
        "teams.page.members": {"zh": "成员 {n} 人", "en": "{n} members"},
        "teams.page.points": {"zh": "{year} 年积分", "en": "Points in {year}"},
        "teams.page.rank": {"zh": "团队排名第 {rank} 名", "en": "Ranked #{rank} among teams"},
        "teams.page.unranked": {"zh": "今年尚未上榜", "en": "Not on this year's board yet"},
        "teams.page.top": {"zh": "成员积分榜", "en": "Members by points"},
        "teams.page.no_points": {"zh": "成员今年还没有积分", "en": "No member has points this year yet"},
        "teams.page.classes": {"zh": "班级", "en": "Classes"},
        "teams.page.school": {"zh": "所属学校", "en": "School"},
        "teams.page.campaign": {"zh": "所属活动", "en": "Campaign"},
        "teams.page.join": {"zh": "加入团队", "en": "Join the team"},
        "teams.page.code": {"zh": "加入码", "en": "Join code"},
        "teams.page.join_hint": {
            "zh": "输入团队创建者提供的 8 位加入码，或扫描团队二维码。",
            "en": "Enter the 8-character code from the team's owner, or scan the team's QR code.",
        },
        "teams.page.sign_in": {"zh": "登录后即可加入团队", "en": "Sign in to join the team"},
        "teams.page.you_are_member": {"zh": "你是本团队成员", "en": "You are a member of this team"},
        "teams.page.leave": {"zh": "退出团队", "en": "Leave the team"},
        "teams.page.owner": {"zh": "团队管理（仅创建者可见）", "en": "Manage (only you, the owner, see this)"},
        "teams.page.rotate": {"zh": "更换加入码（旧码立即失效）", "en": "New join code (the old one stops working)"},
        "teams.page.qr_alt": {"zh": "扫码加入团队", "en": "Scan to join the team"},
        "teams.page.joined_notice": {"zh": "已加入团队", "en": "You joined the team"},
        "teams.page.left_notice": {"zh": "已退出团队", "en": "You left the team"},
        "teams.page.rotated_notice": {"zh": "加入码已更换", "en": "The join code was replaced"},
        "teams.page.rule": {
            "zh": "团队积分 = 现有成员今年获得积分之和（学校含其班级成员）；每人可同时加入一个单位团队、一个学校或班级团队和一个其他团队。",
            "en": "A team's points are this year's earned points of its current members (a school's include its "
            "classes'); everyone may be in one company team, one school or class team and one other team.",
        },
        # campaign page section
        "teams.campaign.teams": {"zh": "团队排行", "en": "Teams"},
        "teams.campaign.people": {"zh": "个人签到榜", "en": "People by check-ins"},
        "teams.campaign.checkins": {"zh": "{n} 次签到", "en": "{n} check-ins"},
        "teams.campaign.none": {"zh": "还没有团队成员签到", "en": "No team member has checked in yet"},
        "teams.campaign.none_people": {"zh": "还没有人签到", "en": "Nobody has checked in yet"},
    }
)
