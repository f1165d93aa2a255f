"""The credits domain's messages, zh first, en beside: errors and page texts."""

from app.core.i18n import register_messages

register_messages(
    {
        "credits.nothing_to_issue": {
            "zh": "按地块估算，{days} 天的监测期合计不足 1 千克，无可签发",
            "en": "From the parcels' estimates the {days}-day period comes to less than 1 kg: nothing to issue",
        },
        "credits.mixed_releases": {
            "zh": "所覆盖地块的估算来自不同的方法学版本或参数文件，请分开提交",
            "en": "The covered parcels' estimates come from different methodology releases or parameter files: report them separately",
        },
        "credits.bad_kg": {
            "zh": "{field} 应为 {low} 到 {high} 之间的整数千克",
            "en": "{field} must be a whole number of kg from {low} to {high}",
        },
        "credits.period_reversed": {
            "zh": "监测期结束日 {end} 早于开始日 {start}",
            "en": "The monitoring period ends ({end}) before it starts ({start})",
        },
        "credits.period_not_over": {
            "zh": "监测期须已结束：结束日 {end} 应早于今天",
            "en": "The monitoring period must be over: its end {end} must be before today",
        },
        "credits.period_too_long": {
            "zh": "监测期最长 {days} 天",
            "en": "A monitoring period is at most {days} days",
        },
        "credits.period_overlaps": {
            "zh": "监测期与已批准签发的监测期 {start} 至 {end}（报告 {report}）重叠，同一时段不能签发两次",
            "en": "The period overlaps the approved period {start} to {end} (report {report}): no period is issued twice",
        },
        "credits.project_not_found": {"zh": "找不到该项目", "en": "No such project"},
        "credits.no_approved_parcels": {
            "zh": "项目还没有审核通过的地块",
            "en": "The project has no approved parcel yet",
        },
        "credits.parcel_not_in_project": {
            "zh": "地块 {parcel} 不是本项目已审核通过的地块",
            "en": "Parcel {parcel} is not an approved parcel of this project",
        },
        "credits.not_your_project": {
            "zh": "只有项目所有者可以提交监测报告",
            "en": "Only the project's owner can submit a monitoring report",
        },
        "credits.project_not_approved": {
            "zh": "项目尚未审核通过（当前状态 {status}），不能提交监测报告",
            "en": "The project is not approved (it is {status}): no monitoring report yet",
        },
        "credits.report_not_found": {"zh": "找不到该监测报告", "en": "No such monitoring report"},
        "credits.own_project": {
            "zh": "核证人员不能审核自己的项目",
            "en": "A verifier cannot review their own project",
        },
        "credits.report_wrong_status": {
            "zh": "监测报告当前状态为 {status}，此操作要求状态为 {expected}",
            "en": "The report is {status}; this needs it to be {expected}",
        },
        "credits.bad_return_reasons": {
            "zh": "请给出退回理由，可选：{known}",
            "en": "Give the reasons for the return, from: {known}",
        },
        "credits.already_issued": {
            "zh": "该监测期已经签发过，不能重复签发",
            "en": "This monitoring period has already been issued",
        },
        "credits.bad_reference": {
            "zh": "预留编号应为 1–64 个字母、数字或 : _ . -",
            "en": "The reference must be 1–64 letters, digits or : _ . -",
        },
        "credits.until_in_the_past": {"zh": "预留截止时间须在将来", "en": "A reservation must end in the future"},
        "credits.issuance_not_found": {"zh": "找不到该签发批次", "en": "No such issuance"},
        "credits.insufficient": {
            "zh": "可售余量不足：需要 {requested} 千克，只有 {available} 千克",
            "en": "Not enough units: {requested} kg asked, {available} kg free",
        },
        "credits.reference_reused": {
            "zh": "该预留编号已用于另一项请求",
            "en": "This reference was already used for another request",
        },
        "credits.reservation_not_found": {"zh": "找不到该预留", "en": "No such reservation"},
        "credits.reservation_retired": {
            "zh": "该预留已注销（完成抵消），不能再释放",
            "en": "This reservation was retired and cannot be released",
        },
        "credits.reservation_not_held": {
            "zh": "该预留已{status}，不能注销",
            "en": "This reservation is {status} and cannot be retired",
        },
        "credits.bad_beneficiary": {
            "zh": "请填写受益方（最多 128 个字符）",
            "en": "Give a beneficiary (at most 128 characters)",
        },
        "credits.bad_purpose": {"zh": "用途应为：{known}", "en": "purpose must be one of: {known}"},
        "credits.bad_shown": {"zh": "受益方显示方式应为：{known}", "en": "beneficiary_shown must be one of: {known}"},
        "credits.bad_retirement": {
            "zh": "用途说明最多 128 个字符，持有人编号最多 64 个字符",
            "en": "purpose_reference is at most 128 characters and holder at most 64",
        },
        "credits.loss_parcel_unknown": {
            "zh": "地块 {parcel} 不在本项目的任何签发中",
            "en": "Parcel {parcel} is behind none of this project's issuances",
        },
        "credits.bad_cause": {"zh": "损失原因应为：{known}", "en": "cause must be one of: {known}"},
        "credits.loss_nothing_issued": {
            "zh": "该项目（或地块）还没有签发，无需冲销",
            "en": "Nothing was issued on this project or parcel: nothing to reverse",
        },
        "credits.loss_too_large": {
            "zh": "损失 {loss} 千克超过这些签发仍可冲销的 {maximum} 千克",
            "en": "A loss of {loss} kg is more than the {maximum} kg these issuances can still reverse",
        },
        "credits.buffer_short": {
            "zh": "缓冲池不足：需注销 {needed} 千克，缓冲池只有 {available} 千克，差 {short} 千克；未做任何更改",
            "en": "The buffer pool cannot cover it: {needed} kg needed, {available} kg in the pool, {short} kg short; nothing was changed",
        },
        "credits.serial_not_found": {
            "zh": "找不到该序列号。请输入证书上的完整序列号，或“签发编号:序号”",
            "en": "No such serial. Enter the full serial from a certificate, or issuance id:number",
        },
        # pages
        "credits.page.lookup_title": {"zh": "序列号查询", "en": "Serial lookup"},
        "credits.page.lookup_hint": {
            "zh": "输入证书上的序列号（如 AFF-510112-000001-2025-…），或“签发编号:序号”。无需登录。",
            "en": "Enter a serial from a certificate (e.g. AFF-510112-000001-2025-…) or issuance id:number. No sign-in needed.",
        },
        "credits.page.lookup_button": {"zh": "查询", "en": "Look up"},
        "credits.page.serial": {"zh": "序列号", "en": "Serial"},
        "credits.page.quantity": {"zh": "数量", "en": "Quantity"},
        "credits.page.status": {"zh": "状态", "en": "Status"},
        "credits.page.status.tradable": {"zh": "可交易", "en": "Tradable"},
        "credits.page.status.reserved": {"zh": "已预留", "en": "Reserved"},
        "credits.page.status.retired": {"zh": "已注销（已用于抵消）", "en": "Retired (used to offset)"},
        "credits.page.status.cancelled": {"zh": "已作废", "en": "Cancelled"},
        "credits.page.status.superseded": {"zh": "已拆分", "en": "Split (superseded)"},
        "credits.page.buffer_pool": {"zh": "缓冲池（不出售）", "en": "Buffer pool (never sold)"},
        "credits.page.holder": {"zh": "持有方", "en": "Holder"},
        "credits.page.holder_owner": {"zh": "项目所有者", "en": "Project owner"},
        "credits.page.holder_other": {"zh": "买方", "en": "Buyer"},
        "credits.page.issuance": {"zh": "签发批次", "en": "Issuance"},
        "credits.page.vintage": {"zh": "年份", "en": "Vintage"},
        "credits.page.period": {"zh": "监测期", "en": "Monitoring period"},
        "credits.page.project": {"zh": "项目", "en": "Project"},
        "credits.page.county": {"zh": "县（区）代码", "en": "County code"},
        "credits.page.parcels": {"zh": "地块", "en": "Parcels"},
        "credits.page.methodology": {"zh": "方法学", "en": "Methodology"},
        "credits.page.parameters": {"zh": "参数文件 SHA-256", "en": "Parameter file SHA-256"},
        "credits.page.origin": {"zh": "签发量来源", "en": "Where the kg come from"},
        "credits.page.origin_rule": {
            "zh": "各地块年估算量之和 × 监测期年数 {fraction}（实际天数/当年天数），整体向下取整：业主 {kg}，缓冲池 {buffer}",
            "en": "Sum of the parcels' kg/yr × the period's years {fraction} (actual/actual), floored once: owner {kg}, buffer pool {buffer}",
        },
        "credits.page.year": {"zh": "年", "en": "yr"},
        "credits.page.retirement": {"zh": "注销信息", "en": "Retirement"},
        "credits.page.beneficiary": {"zh": "受益方", "en": "Beneficiary"},
        "credits.page.beneficiary_hidden": {"zh": "（受益方选择不公开）", "en": "(not shown, as chosen)"},
        "credits.page.purpose": {"zh": "用途", "en": "Purpose"},
        "credits.page.purpose.trip": {"zh": "出行抵消", "en": "Trip offset"},
        "credits.page.purpose.event": {"zh": "活动碳中和", "en": "Event neutrality"},
        "credits.page.purpose.court_case": {"zh": "碳汇+司法", "en": "Court-ordered restoration"},
        "credits.page.purpose.planting": {"zh": "义务植树", "en": "Voluntary tree planting"},
        "credits.page.purpose.offset": {"zh": "自愿抵消", "en": "Voluntary offset"},
        "credits.page.purpose.other": {"zh": "其他", "en": "Other"},
        "credits.page.certificate": {"zh": "证书编号", "en": "Certificate code"},
        "credits.page.retired_at": {"zh": "注销时间", "en": "Retired at"},
        "credits.page.reversal": {
            "zh": "注意：该地块于 {date} 发生损失（{cause}），已由缓冲池注销等量碳汇补足。",
            "en": "Note: the land behind it suffered a loss on {date} ({cause}); the buffer pool cancelled as much to make it good.",
        },
        "credits.page.cause.fire": {"zh": "火灾", "en": "fire"},
        "credits.page.cause.pests": {"zh": "病虫害", "en": "pests"},
        "credits.page.cause.land_conversion": {"zh": "土地用途改变", "en": "land conversion"},
        "credits.page.cause.felling": {"zh": "采伐", "en": "felling"},
        "credits.page.cause.other": {"zh": "其他", "en": "other"},
        "credits.page.children": {"zh": "拆分后的序列号段", "en": "Split into"},
        "credits.page.blocks": {"zh": "序列号段", "en": "Serial blocks"},
        "credits.page.supply": {"zh": "数量构成", "en": "Supply"},
        "credits.page.issued": {"zh": "签发总量", "en": "Issued"},
        "credits.page.buffer": {"zh": "其中缓冲池", "en": "of which buffer pool"},
        "credits.page.more_blocks": {"zh": "仅显示前 500 段", "en": "Showing the first 500 blocks"},
        "credits.page.kg": {"zh": "千克 CO₂e", "en": "kg CO₂e"},
        "credits.page.single_unit": {"zh": "您查询的是第 {n} 号（1 千克）", "en": "You asked for unit {n} (1 kg)"},
    }
)
