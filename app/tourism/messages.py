"""The tourism domain's messages (碳汇+旅游), zh first, en beside: errors and page texts."""

from app.core.i18n import register_messages

register_messages(
    {
        # errors
        "tourism.not_operator": {
            "zh": "只有景区运营方的工作人员可以管理景区",
            "en": "Only a scenic operator's staff can manage scenic spots",
        },
        "tourism.which_operator": {
            "zh": "您属于多个景区运营方：请用 organisation 指明是哪一个",
            "en": "You belong to several scenic operators: name one in organisation",
        },
        "tourism.not_your_spot": {
            "zh": "景区 {spot} 不属于您所在的运营方",
            "en": "The scenic spot {spot} is not run by your operator",
        },
        "tourism.spot_not_found": {"zh": "找不到该景区编码", "en": "No scenic spot has this code"},
        "tourism.spot_inactive": {
            "zh": "景区 {spot} 已停用，暂不接受新的碳汇抵消和权益核销",
            "en": "The scenic spot {spot} is inactive: it takes no new offsets and grants no benefits",
        },
        "tourism.bad_name": {
            "zh": "景区中文名称须为 1 到 64 个字，英文名称不超过 128 个字符",
            "en": "The Chinese name must be 1 to 64 characters and the English name at most 128",
        },
        "tourism.bad_location": {
            "zh": "位置须为有效的纬度（-90 到 90）和经度（-180 到 180）",
            "en": "The location must be a latitude from -90 to 90 and a longitude from -180 to 180",
        },
        "tourism.bad_benefit": {
            "zh": "权益说明须为 1 到 100 个字（如：门票优惠 10 元），英文不超过 200 个字符",
            "en": "The benefit must be 1 to 100 characters (e.g. 门票优惠 10 元), the English text at most 200",
        },
        "tourism.no_origins": {
            "zh": "请至少填写 1 个、至多 {most} 个出发地",
            "en": "Give at least 1 and at most {most} origins",
        },
        "tourism.origin.name": {
            "zh": "第 {n} 个出发地：名称须为 1 到 32 个字（英文名不超过 64 个字符）",
            "en": "Origin {n}: its name must be 1 to 32 characters (English name at most 64)",
        },
        "tourism.origin.duplicate": {
            "zh": "第 {n} 个出发地与前面的出发地重名",
            "en": "Origin {n} has the same name as an earlier one",
        },
        "tourism.origin.distance": {
            "zh": "第 {n} 个出发地：公路、铁路、航空距离须为 1 到 {most} 之间的整数千米，且至少填写一种",
            "en": "Origin {n}: road, rail and air distances must be whole km from 1 to {most}, and at least one given",
        },
        "tourism.unknown_origin": {
            "zh": "该景区没有这个出发地：请从景区页面重新选择",
            "en": "This spot has no such origin: choose again from the spot's page",
        },
        "tourism.nothing_on_sale": {
            "zh": "暂时没有足够的碳汇可以抵消 {kg} 千克：请稍后再试",
            "en": "Not enough credits are on sale to offset {kg} kg right now: please try later",
        },
        "tourism.certificate_not_found": {
            "zh": "找不到这个证书编号：请核对后重新输入",
            "en": "No certificate has this code: check it and try again",
        },
        "tourism.certificate_not_for_spot": {
            "zh": "这张证书不是为到访景区购买的，不能核销景区权益",
            "en": "This certificate was not bought for a scenic-spot trip, so it earns no spot benefit",
        },
        "tourism.certificate_other_spot": {
            "zh": "这张证书属于景区「{spot}」（{code}），不能在本景区核销",
            "en": "This certificate is for the spot “{spot}” ({code}) and cannot be redeemed here",
        },
        "tourism.certificate_other_operator": {
            "zh": "这张证书属于其他运营方的景区「{spot}」（{code}），您无权核销",
            "en": "This certificate is for “{spot}” ({code}), run by another operator: you cannot redeem it",
        },
        "tourism.already_redeemed": {
            "zh": "这张证书已于 {at} 在「{place}」核销过权益，不能重复核销",
            "en": "This certificate's benefit was already granted at {place} on {at}: it cannot be granted twice",
        },
        # pages
        "tourism.page.title": {"zh": "碳汇+旅游", "en": "Carbon sinks + travel"},
        "tourism.page.intro": {
            "zh": "算一算您这次来 {spot} 的出行碳足迹，购买林草碳汇抵消它，凭证书可享受：{benefit}",
            "en": "Work out the footprint of your trip to {spot}, offset it with forest carbon sinks, and your certificate earns: {benefit}",
        },
        "tourism.page.benefit": {"zh": "到访权益", "en": "Visitor benefit"},
        "tourism.page.county": {"zh": "所在区县", "en": "County"},
        "tourism.page.code": {"zh": "景区编码", "en": "Spot code"},
        "tourism.page.from": {"zh": "从哪里出发？", "en": "Where are you coming from?"},
        "tourism.page.other": {
            "zh": "其他出发地或方式：自己填写距离",
            "en": "Somewhere else, or another way: type the distance",
        },
        "tourism.page.inactive": {"zh": "该景区已停用", "en": "This spot is inactive"},
        "tourism.way.car_petrol": {"zh": "自驾 {km} 千米", "en": "Drive {km} km"},
        "tourism.way.coach": {"zh": "大巴 {km} 千米", "en": "Coach {km} km"},
        "tourism.way.rail": {"zh": "火车/高铁 {km} 千米", "en": "Train {km} km"},
        "tourism.way.air": {"zh": "飞机 {km} 千米", "en": "Fly {km} km"},
        "tourism.page.trip_for_spot": {
            "zh": "前往景区 {code} 的出行：距离已按景区提供的出发地预填，可修改后计算",
            "en": "A trip to the scenic spot {code}: the distance is pre-filled from its origins; change it if you like",
        },
        "tourism.page.offset_title": {"zh": "抵消这次出行", "en": "Offset this trip"},
        "tourism.page.trip": {"zh": "行程", "en": "Trip"},
        "tourism.page.footprint": {"zh": "出行碳足迹", "en": "Trip footprint"},
        "tourism.page.to_buy": {"zh": "需购买碳汇", "en": "Credits to buy"},
        "tourism.page.price": {"zh": "价格", "en": "Price"},
        "tourism.page.beneficiary": {"zh": "证书上的名字", "en": "Name on the certificate"},
        "tourism.page.shown": {"zh": "证书上如何显示名字", "en": "How the name shows on the certificate"},
        "tourism.page.order": {"zh": "下单并去支付", "en": "Order and pay"},
        "tourism.page.sign_in": {"zh": "登录后下单", "en": "Sign in to order"},
        "tourism.page.recalculate": {"zh": "修改行程", "en": "Change the trip"},
        "tourism.page.trip_line": {
            "zh": "{origin} → {spot}，{way}，{people} 人{back}{nights}",
            "en": "{origin} → {spot}, {way}, {people} people{back}{nights}",
        },
        "tourism.page.return": {"zh": "，往返", "en": ", return"},
        "tourism.page.nights": {"zh": "，住宿 {n} 晚", "en": ", {n} nights"},
        "tourism.page.certificate_spot": {"zh": "到访景区", "en": "Scenic spot"},
        "tourism.page.certificate_trip": {"zh": "行程", "en": "Trip"},
        "tourism.page.certificate_benefit": {"zh": "景区权益", "en": "Spot benefit"},
        "tourism.page.redeemed_at": {"zh": "已于 {at} 核销", "en": "granted on {at}"},
        "tourism.page.not_redeemed": {"zh": "未核销", "en": "not yet granted"},
        "tourism.page.dashboard": {"zh": "景区运营看板", "en": "Scenic operator dashboard"},
        "tourism.page.visitors": {"zh": "到访证书", "en": "Visitors"},
        "tourism.page.kg": {"zh": "抵消（千克）", "en": "Offset (kg)"},
        "tourism.page.benefits": {"zh": "已核销权益", "en": "Benefits granted"},
        "tourism.page.day": {"zh": "日期", "en": "Day"},
        "tourism.page.spot": {"zh": "景区", "en": "Spot"},
        "tourism.page.total": {"zh": "合计", "en": "Total"},
        "tourism.page.csv": {"zh": "导出 CSV", "en": "Export CSV"},
        "tourism.page.poster": {"zh": "二维码海报（PNG）", "en": "QR poster (PNG)"},
        "tourism.page.poster_pdf": {"zh": "打印版（PDF）", "en": "Printable (PDF)"},
        "tourism.page.redeem": {"zh": "核销权益", "en": "Grant a benefit"},
        "tourism.page.certificate_code": {"zh": "游客证书编号", "en": "Visitor's certificate code"},
        "tourism.page.redeemed": {
            "zh": "已核销：{benefit}（证书 {code}，{kg} 千克）",
            "en": "Granted: {benefit} (certificate {code}, {kg} kg)",
        },
        "tourism.page.no_spots": {"zh": "还没有景区", "en": "No spots yet"},
        "tourism.poster.brand": {"zh": "微碳汇 · 碳汇+旅游", "en": "MicroSink · carbon sinks + travel"},
        "tourism.poster.headline": {"zh": "扫码抵消您的出行碳足迹", "en": "Scan to offset your trip"},
        "tourism.poster.benefit": {"zh": "凭碳汇证书享：{benefit}", "en": "Your certificate earns: {benefit}"},
        "tourism.poster.scan": {"zh": "微信扫一扫", "en": "Scan with WeChat"},
    }
)
