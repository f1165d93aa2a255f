"""Texts of the live progress, the organiser dashboard and its exports, Chinese first."""

from app.core.i18n import register_messages

register_messages(
    {
        "campaigns.live.updated": {"zh": "进度实时更新中", "en": "Progress updates live"},
        "campaigns.page.kepu": {
            "zh": "科普：森林、竹林、草原和湿地如何固碳",
            "en": "Learn: how forests, bamboo, grassland and wetland take up carbon",
        },
        "campaigns.page.dashboard": {"zh": "组织者看板", "en": "Organiser dashboard"},
        "campaigns.dashboard.not_organiser": {
            "zh": "只有 {organisation} 的组织者可以查看该活动的看板和导出",
            "en": "Only organisers of {organisation} may see this campaign's dashboard and exports",
        },
        "campaigns.dashboard.title": {"zh": "组织者看板", "en": "Organiser dashboard"},
        "campaigns.dashboard.counters": {"zh": "总数", "en": "Counters"},
        "campaigns.dashboard.bookings": {"zh": "当前预约", "en": "Bookings held"},
        "campaigns.dashboard.checkins": {"zh": "已签到", "en": "Check-ins"},
        "campaigns.dashboard.pending_reviews": {"zh": "待审核植树记录", "en": "Planting logs awaiting review"},
        "campaigns.dashboard.review_link": {"zh": "去审核", "en": "Review"},
        "campaigns.dashboard.funds_raised": {"zh": "已筹款", "en": "Funds raised"},
        "campaigns.dashboard.trees_approved": {"zh": "审核通过的植树", "en": "Trees approved"},
        "campaigns.dashboard.goals": {"zh": "目标", "en": "Goals"},
        "campaigns.dashboard.slots": {"zh": "各时段预约", "en": "Bookings per slot"},
        "campaigns.dashboard.sites": {"zh": "各地点签到", "en": "Check-ins per site"},
        "campaigns.dashboard.exports": {"zh": "导出（CSV，UTF-8）", "en": "Exports (CSV, UTF-8)"},
        "campaigns.dashboard.export.bookings": {"zh": "各时段预约", "en": "Bookings per slot"},
        "campaigns.dashboard.export.checkins": {"zh": "签到记录（个人信息已脱敏）", "en": "Check-ins (people masked)"},
        "campaigns.dashboard.export.logs": {
            "zh": "植树记录与审核结果（个人信息已脱敏）",
            "en": "Planting logs and reviews (people masked)",
        },
        "campaigns.dashboard.export_note": {
            "zh": "每次导出都会记入审计日志（谁、何时、导出了什么）。",
            "en": "Every export is recorded in the audit log (who, when, what).",
        },
        "campaigns.dashboard.export_unknown": {
            "zh": "没有名为 {what} 的导出，可选：{options}",
            "en": "There is no export called {what}; choose one of: {options}",
        },
        "campaigns.dashboard.csv.site": {"zh": "地点", "en": "site"},
        "campaigns.dashboard.csv.site_name": {"zh": "地点名称", "en": "site name"},
        "campaigns.dashboard.csv.slot": {"zh": "时段编号", "en": "slot"},
        "campaigns.dashboard.csv.starts": {"zh": "开始（北京时间）", "en": "starts (Beijing time)"},
        "campaigns.dashboard.csv.ends": {"zh": "结束（北京时间）", "en": "ends (Beijing time)"},
        "campaigns.dashboard.csv.capacity": {"zh": "名额", "en": "capacity"},
        "campaigns.dashboard.csv.booked": {"zh": "已预约", "en": "booked"},
        "campaigns.dashboard.csv.left": {"zh": "剩余", "en": "left"},
        "campaigns.dashboard.csv.booking": {"zh": "预约编号", "en": "booking"},
        "campaigns.dashboard.csv.slot_starts": {"zh": "时段开始（北京时间）", "en": "slot starts (Beijing time)"},
        "campaigns.dashboard.csv.checked_in_at": {"zh": "签到时间（北京时间）", "en": "checked in at (Beijing time)"},
        "campaigns.dashboard.csv.offline": {"zh": "离线签到", "en": "offline"},
        "campaigns.dashboard.csv.distance_m": {"zh": "距离（米）", "en": "distance (m)"},
        "campaigns.dashboard.csv.person": {"zh": "参与者（脱敏）", "en": "person (masked)"},
        "campaigns.dashboard.csv.log": {"zh": "记录编号", "en": "log"},
        "campaigns.dashboard.csv.planted_on": {"zh": "植树日期", "en": "planted on"},
        "campaigns.dashboard.csv.species": {"zh": "树种", "en": "species"},
        "campaigns.dashboard.csv.trees": {"zh": "株数", "en": "trees"},
        "campaigns.dashboard.csv.status": {"zh": "状态", "en": "status"},
        "campaigns.dashboard.csv.photos": {"zh": "照片数", "en": "photos"},
        "campaigns.dashboard.csv.flagged": {"zh": "需核实的照片", "en": "flagged photos"},
        "campaigns.dashboard.csv.reviewed_at": {"zh": "审核时间（北京时间）", "en": "reviewed at (Beijing time)"},
        "campaigns.dashboard.csv.points": {"zh": "获得积分", "en": "points"},
    }
)
