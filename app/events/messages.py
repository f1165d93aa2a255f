"""The events domain's messages (大型活动碳中和), zh first, en beside: errors and page texts."""

from app.core.i18n import register_messages

register_messages(
    {
        # errors
        "events.not_organiser": {
            "zh": "只有活动主办方的工作人员可以登记和管理活动",
            "en": "Only an event organiser's staff can register and manage events",
        },
        "events.which_organiser": {
            "zh": "您属于多个活动主办方：请用 organisation 指明是哪一个",
            "en": "You belong to several event organisers: name one in organisation",
        },
        "events.not_your_event": {
            "zh": "活动 {event} 不属于您所在的主办方",
            "en": "The event {event} is not run by your organisation",
        },
        "events.event_not_found": {
            "zh": "找不到活动编码 {code}：请核对二维码或链接",
            "en": "No event has the code {code}: check the QR code or link",
        },
        "events.estimate_locked": {
            "zh": "活动 {event} 已有订单或计入的证书，碳排放估算不能再改；名称、场地、日期和启用状态仍可修改",
            "en": "The event {event} already has orders or counted certificates, so its estimate can no longer "
            "change; names, venue, date and whether it is active still can",
        },
        "events.inactive": {
            "zh": "活动「{event}」已停用，不再接受新的碳汇抵消",
            "en": "The event “{event}” is inactive and takes no new offsets",
        },
        "events.bad_name": {
            "zh": "活动中文名称须为 1 到 64 个字，英文名称不超过 128 个字符",
            "en": "The Chinese name must be 1 to 64 characters and the English name at most 128",
        },
        "events.bad_venue": {
            "zh": "活动地点须为 1 到 100 个字",
            "en": "The venue must be 1 to 100 characters",
        },
        "events.bad_date": {
            "zh": "活动开始日期须在 2000 年到 2100 年之间",
            "en": "The start date must be between 2000 and 2100",
        },
        "events.bad_kg": {
            "zh": "购买量须为 1 到 {left} 之间的整数千克（尚需抵消 {left} 千克）",
            "en": "The amount must be whole kg from 1 to {left} ({left} kg are still to offset)",
        },
        "events.nothing_left": {
            "zh": "该活动已无需再购买：已注销与待支付的碳汇已覆盖估算排放",
            "en": "Nothing is left to buy: retired and unpaid orders already cover the estimate",
        },
        "events.nothing_on_sale": {
            "zh": "暂时没有足够的碳汇可以抵消 {kg} 千克：请稍后再试",
            "en": "Not enough credits are on sale to offset {kg} kg right now: please try later",
        },
        "events.certificate_not_found": {
            "zh": "找不到您购买的这张证书：请核对证书编号（只能计入自己购买的证书）",
            "en": "No certificate of yours has this code: check it (only certificates you bought can be counted)",
        },
        "events.certificate_wrong_purpose": {
            "zh": "只有为出行或活动购买的证书可以计入活动",
            "en": "Only a certificate bought for a trip or an event can count toward an event",
        },
        "events.already_counted": {
            "zh": "这张证书已计入活动「{event}」，不会重复计算",
            "en": "This certificate already counts toward “{event}”: it is never counted twice",
        },
        "events.counted_elsewhere": {
            "zh": "这张证书已计入另一活动「{event}」（{code}），不能再计入本活动",
            "en": "This certificate already counts toward another event, “{event}” ({code}), and cannot count here",
        },
        # pages
        "events.page.title": {"zh": "大型活动碳中和", "en": "Event carbon neutrality"},
        "events.page.organiser": {"zh": "主办方", "en": "Organiser"},
        "events.page.venue": {"zh": "地点", "en": "Venue"},
        "events.page.starts_on": {"zh": "开始日期", "en": "Starts on"},
        "events.page.code": {"zh": "活动编码", "en": "Event code"},
        "events.page.estimate": {"zh": "估算排放", "en": "Estimated footprint"},
        "events.page.retired": {"zh": "已注销碳汇", "en": "Credits retired"},
        "events.page.by_organiser": {"zh": "主办方购买", "en": "Bought by the organiser"},
        "events.page.by_attendees": {"zh": "参会者抵消", "en": "Offset by attendees"},
        "events.page.neutral": {"zh": "已实现碳中和", "en": "Carbon neutral"},
        "events.page.not_neutral": {
            "zh": "尚未碳中和：还差 {kg}",
            "en": "Not yet neutral: {kg} to go",
        },
        "events.page.rule": {
            "zh": "只有已注销的碳汇计入；每个序列号只计一次，且只计入一个活动。注销量不少于估算排放（向上取整）时才显示“已实现碳中和”。",
            "en": "Only retired credits count; each serial counts once and for one event only. "
            "“Carbon neutral” shows only when the retired kg reach the estimate (rounded up).",
        },
        "events.page.breakdown": {"zh": "估算明细", "en": "How the estimate was made"},
        "events.page.factor_set": {
            "zh": "排放因子：碳足迹计算器因子集 {version}（SHA-256 {sha}）",
            "en": "Factors: footprint calculator factor set {version} (SHA-256 {sha})",
        },
        "events.page.left_out": {
            "zh": "餐饮和物料未计入：因子集中没有这两项有来源的排放因子。",
            "en": "Meals and materials are not included: the factor set has no sourced factor for them.",
        },
        "events.page.certificates": {"zh": "计入的证书", "en": "Certificates counted"},
        "events.page.none_yet": {"zh": "还没有证书计入", "en": "No certificates counted yet"},
        "events.page.attend": {"zh": "参会者：抵消我的出行", "en": "Attendees: offset my travel"},
        "events.page.poster": {"zh": "参会者二维码海报（PNG）", "en": "Attendee QR poster (PNG)"},
        "events.page.export_csv": {
            "zh": "导出全部活动（CSV，Excel 可直接打开）",
            "en": "Export all events (CSV, opens in Excel)",
        },
        "events.page.buy_remainder": {"zh": "主办方购买剩余 {kg}", "en": "Buy the remaining {kg} as the organiser"},
        "events.page.attendee_title": {"zh": "抵消您参加活动的出行", "en": "Offset your travel to the event"},
        "events.page.attendee_intro": {
            "zh": "填写您来参加「{event}」的出行方式和距离，算出碳足迹后购买林草碳汇抵消；注销后自动计入活动的碳中和。",
            "en": "Tell us how you travel to “{event}” and how far; offset the footprint with forest carbon sinks, "
            "and the retirement counts toward the event's neutrality.",
        },
        "events.page.mode": {"zh": "出行方式", "en": "How you travel"},
        "events.page.distance": {"zh": "单程距离（千米）", "en": "One-way distance (km)"},
        "events.page.people": {"zh": "人数", "en": "People"},
        "events.page.return_trip": {"zh": "往返", "en": "Return trip"},
        "events.page.calculate": {"zh": "计算出行碳足迹", "en": "Work out the footprint"},
        "events.page.have_certificate": {
            "zh": "已经为这次出行买过碳汇？计入本活动",
            "en": "Already offset this trip? Count it toward the event",
        },
        "events.page.certificate_code": {"zh": "证书编号", "en": "Certificate code"},
        "events.page.count_it": {"zh": "计入本活动", "en": "Count it"},
        "events.page.counted": {
            "zh": "已计入：证书 {code}，{kg}",
            "en": "Counted: certificate {code}, {kg}",
        },
        "events.page.sign_in": {"zh": "登录后计入", "en": "Sign in to count it"},
        "events.page.trip_for_event": {
            "zh": "参加活动 {code} 的出行：计算后可购买碳汇，并计入活动的碳中和",
            "en": "Travel to the event {code}: after the calculation, buy the offset and it counts toward the event",
        },
        "events.page.offset_title": {"zh": "抵消参会出行", "en": "Offset your travel"},
        "events.page.travel": {"zh": "出行", "en": "Travel"},
        "events.page.footprint": {"zh": "碳足迹", "en": "Footprint"},
        "events.page.to_buy": {"zh": "需购买", "en": "To buy"},
        "events.page.price": {"zh": "价格", "en": "Price"},
        "events.page.beneficiary": {"zh": "证书上的名字", "en": "Name on the certificate"},
        "events.page.shown": {"zh": "证书上如何显示名字", "en": "How the name shows on the certificate"},
        "events.page.order": {"zh": "下单并去支付", "en": "Order and pay"},
        "events.page.sign_in_order": {"zh": "登录后下单", "en": "Sign in to order"},
        "events.page.recalculate": {"zh": "修改出行", "en": "Change the travel"},
        "events.page.travel_line": {
            "zh": "{mode} {km} 千米，{people} 人{back}",
            "en": "{mode} {km} km, {people} people{back}",
        },
        "events.page.return": {"zh": "，往返", "en": ", return"},
        "events.page.certificate_event": {"zh": "活动", "en": "Event"},
        "events.page.certificate_counted": {"zh": "计入", "en": "Counted as"},
        "events.page.certificate_travel": {"zh": "出行", "en": "Travel"},
        "events.source.attendee": {"zh": "参会者出行抵消", "en": "an attendee's travel offset"},
        "events.source.organiser": {"zh": "主办方购买", "en": "the organiser's purchase"},
        "events.page.my_events": {"zh": "我的活动", "en": "My events"},
        "events.page.no_events": {"zh": "还没有活动", "en": "No events yet"},
        "events.page.register": {"zh": "登记活动与估算排放", "en": "Register an event and its estimate"},
        "events.page.register_button": {"zh": "登记并计算估算排放", "en": "Register and estimate"},
        "events.field.name_zh": {"zh": "活动名称", "en": "Name (Chinese)"},
        "events.field.name_en": {"zh": "英文名称（可选）", "en": "Name in English (optional)"},
        "events.field.venue_zh": {"zh": "地点", "en": "Venue"},
        "events.field.county_code": {
            "zh": "所在区县代码（GB/T 2260，6 位）",
            "en": "County code (GB/T 2260, 6 digits)",
        },
        "events.field.starts_on": {"zh": "开始日期", "en": "Start date"},
        "events.field.active": {
            "zh": "接受新的抵消（参会者和主办方）",
            "en": "Takes new offsets (attendees and organiser)",
        },
        "events.page.edit": {"zh": "修改", "en": "Edit"},
        "events.page.edit_title": {"zh": "修改活动 {code}", "en": "Edit the event {code}"},
        "events.page.edit_button": {"zh": "保存修改", "en": "Save changes"},
        "events.page.edit_cancel": {"zh": "取消，登记新活动", "en": "Cancel, register a new event"},
        "events.page.saved": {"zh": "活动 {code} 已保存", "en": "The event {code} is saved"},
        "events.page.inactive": {"zh": "已停止接受抵消", "en": "takes no new offsets"},
        "events.page.estimate_editable": {
            "zh": "还没有订单或计入的证书，碳排放估算可以修改；保存后按当前因子集重新计算。",
            "en": "No orders or counted certificates yet, so the estimate may change; it is recomputed with the "
            "current factor set when saved.",
        },
        "events.page.estimate_locked_why": {
            "zh": "碳排放估算已固定（{kg}）：活动已有订单或计入的证书，参会者和主办方都是按它购买的，碳中和也按它衡量。"
            "名称、地点、区县、日期和是否接受抵消仍可修改。",
            "en": "The estimate is fixed ({kg}): the event already has orders or counted certificates, attendees and "
            "the organiser bought against it and neutrality is measured by it. Names, venue, county, date and whether "
            "it takes offsets may still change.",
        },
        "events.page.estimate_too_many_groups": {
            "zh": "这个估算的出行分组多于表单能显示的 {n} 组，请通过 API 修改估算。",
            "en": "This estimate has more travel groups than the form's {n}; change the estimate through the API.",
        },
        "events.poster.brand": {"zh": "微碳汇 · 大型活动碳中和", "en": "MicroSink · event carbon neutrality"},
        "events.poster.headline": {"zh": "扫码抵消您的参会出行", "en": "Scan to offset your travel here"},
        "events.poster.line": {
            "zh": "注销的碳汇计入本活动碳中和，每个序列号只计一次",
            "en": "Retired credits count toward this event, each serial once",
        },
        "events.poster.scan": {"zh": "微信扫一扫", "en": "Scan with WeChat"},
    }
)
