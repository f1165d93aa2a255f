"""The market domain's messages, zh first, en beside: errors and page texts."""

from app.core.i18n import register_messages

register_messages(
    {
        # errors
        "market.issuance_not_found": {"zh": "找不到该签发批次", "en": "No such issuance"},
        "market.not_your_issuance": {
            "zh": "只能挂牌出售您本人或您所在集体名下的碳汇",
            "en": "You can only list credits you or your collective own",
        },
        "market.not_your_listing": {"zh": "这不是您的挂牌", "en": "This is not your listing"},
        "market.bad_price": {
            "zh": "价格（price_fen）须为 1 到 {high} 之间的整数（分）",
            "en": "price_fen must be a whole number of fen from 1 to {high}",
        },
        "market.bad_price_unit": {
            "zh": "计价单位（price_unit_kg）须为 1 到 {high} 之间的整数千克",
            "en": "price_unit_kg must be a whole number of kg from 1 to {high}",
        },
        "market.bad_seller_shown": {
            "zh": "卖方展示方式无效，可选：{known}",
            "en": "Invalid way to show the seller; choose from: {known}",
        },
        "market.listing_exists": {
            "zh": "这一签发批次已有在售挂牌，请先下架再重新挂牌",
            "en": "This issuance already has an active listing: withdraw it first",
        },
        "market.listing_not_found": {"zh": "找不到该挂牌", "en": "No such listing"},
        "market.listing_withdrawn": {
            "zh": "该挂牌已下架，不能再下单；请返回选择其他碳汇",
            "en": "This listing has been withdrawn and takes no more orders: please choose another",
        },
        "market.bad_kg": {
            "zh": "购买数量（kg）须为 1 到 {high} 之间的整数千克",
            "en": "kg must be a whole number from 1 to {high}",
        },
        "market.order_too_large": {
            "zh": "订单总额不能超过 {maximum_yuan} 元（{maximum_fen} 分）：请减少购买数量",
            "en": "An order may total at most ¥{maximum_yuan} ({maximum_fen} fen): please buy fewer kg",
        },
        "market.kg_not_whole_units": {
            "zh": "该挂牌按每 {unit} 千克计价：购买数量须为 {unit} 千克的整数倍",
            "en": "This listing is priced per {unit} kg: order a whole multiple of {unit} kg",
        },
        "market.not_enough": {
            "zh": "可售数量不足：您要 {asked} 千克，目前只剩 {available} 千克",
            "en": "Not enough left: you asked for {asked} kg, only {available} kg are available",
        },
        "market.not_enough_points": {
            "zh": "可用积分不足 {points} 分",
            "en": "You have fewer than {points} points available",
        },
        "market.bad_purpose": {"zh": "用途无效，可选：{known}", "en": "Invalid purpose; choose from: {known}"},
        "market.bad_beneficiary": {
            "zh": "请填写受益人名称（1–64 个字符）",
            "en": "Enter the beneficiary's name (1–64 characters)",
        },
        "market.bad_beneficiary_shown": {
            "zh": "受益人展示方式无效，可选：{known}",
            "en": "Invalid way to show the beneficiary; choose from: {known}",
        },
        "market.bad_purpose_note": {
            "zh": "用途说明最多 100 个字符",
            "en": "The purpose note is at most 100 characters",
        },
        "market.gift_needs_recipient": {
            "zh": "赠送需要填写受赠人名称（1–64 个字符）",
            "en": "A gift needs the recipient's name (1–64 characters)",
        },
        "market.bad_points": {"zh": "积分须为不小于 0 的整数", "en": "points must be a whole number, 0 or more"},
        "market.nothing_fits": {
            "zh": "在售挂牌的计价单位凑不出 {kg} 千克：请换个数量或选择具体挂牌",
            "en": "The listings on sale cannot make up {kg} kg in their units: order another amount or pick a listing",
        },
        "market.not_enough_on_sale": {
            "zh": "所有挂牌合计仅剩 {available} 千克可售，不足 {asked} 千克：请减少数量，本次未预留任何碳汇",
            "en": "Only {available} kg are on sale across all listings, less than {asked} kg: order less; nothing was reserved",
        },
        "market.busy": {
            "zh": "下单人数较多，碳汇刚被他人预留：请稍后重试",
            "en": "Many buyers are ordering and the credits were just reserved by others: please try again",
        },
        "market.offer_changed": {
            "zh": "报价已变化（在售挂牌或价格刚有变动）：请查看新的报价后再确认，本次未预留任何碳汇",
            "en": "The offer changed (listings or prices just moved): check the new offer and confirm again; nothing was reserved",
        },
        "market.order_not_found": {"zh": "找不到该订单", "en": "No such order"},
        "market.order_expired": {
            "zh": "该订单已过期：未付款的订单到期后会释放碳汇，请重新下单",
            "en": "This order has expired: unpaid orders release their credits when they expire; please order again",
        },
        "market.order_fulfilled": {
            "zh": "该订单已支付完成，碳汇已注销，无需再付款",
            "en": "This order is already paid and its credits retired: nothing more to pay",
        },
        "market.order_cancelled": {
            "zh": "该订单已取消，请重新下单",
            "en": "This order was cancelled: please order again",
        },
        # pages
        "market.home_text": {
            "zh": "向林农购买真实碳汇，抵消出行、活动或一年的排放",
            "en": "Buy real sinks from smallholders to offset a trip, an event or your year",
        },
        "market.page.title": {"zh": "购买碳汇", "en": "Buy sink credits"},
        "market.page.lead": {
            "zh": "向林农和村集体购买经核证的林草碳汇，为出行、活动或日常生活抵消碳排放。每一千克都对应真实地块和方法学版本。",
            "en": "Buy verified forest and grassland sinks from smallholders and collectives to offset a trip, an event or your year. Every kg traces to real parcels and a methodology version.",
        },
        "market.page.empty": {"zh": "暂时没有在售的碳汇。", "en": "Nothing on sale right now."},
        "market.page.price": {"zh": "{price} / {unit} 千克", "en": "{price} per {unit} kg"},
        "market.page.split": {
            "zh": "分 {count} 个挂牌购买（每千克价低者优先），各部分价格已锁定",
            "en": "From {count} listings (cheapest per kg first), each part at its locked price",
        },
        "market.page.part_shares": {
            "zh": "平台服务费 {fee} · 卖方所得 {net}",
            "en": "platform fee {fee} · seller gets {net}",
        },
        "market.page.remaining": {"zh": "剩余 {kg}", "en": "{kg} left"},
        "market.page.seller": {"zh": "卖方", "en": "Seller"},
        "market.page.seller_short": {"zh": "（卖方：{seller}）", "en": "(seller: {seller})"},
        "market.page.county": {"zh": "所在地", "en": "County"},
        "market.page.project": {"zh": "项目", "en": "Project"},
        "market.page.vintage": {"zh": "年份", "en": "Vintage"},
        "market.page.methodology": {"zh": "方法学", "en": "Methodology"},
        "market.page.issuance": {"zh": "签发与序列号", "en": "Issuance and serials"},
        "market.page.basis.ex_ante": {"zh": "事前估算（ex-ante）", "en": "Ex-ante (estimated)"},
        "market.page.basis.ex_post": {"zh": "事后核证（ex-post）", "en": "Ex-post (measured)"},
        "market.page.withdrawn": {"zh": "该挂牌已下架", "en": "This listing has been withdrawn"},
        "market.page.order": {"zh": "下单", "en": "Order"},
        "market.page.sign_in_to_order": {"zh": "登录后下单", "en": "Sign in to order"},
        "market.page.kg": {"zh": "购买数量（千克，{unit} 的整数倍）", "en": "Quantity (kg, a multiple of {unit})"},
        "market.page.purpose": {"zh": "用途", "en": "Purpose"},
        "market.page.purpose.personal": {"zh": "个人碳中和", "en": "Personal offset"},
        "market.page.purpose.trip": {"zh": "出行", "en": "Trip"},
        "market.page.purpose.event": {"zh": "活动", "en": "Event"},
        "market.page.purpose.gift": {"zh": "赠送", "en": "Gift"},
        "market.page.purpose.organisation": {"zh": "单位", "en": "Organisation"},
        "market.page.purpose_note": {
            "zh": "用途说明（可选，如：成都—九寨沟自驾）",
            "en": "Purpose note (optional, e.g. Chengdu–Jiuzhaigou drive)",
        },
        "market.page.gift_recipient": {"zh": "受赠人（赠送时必填）", "en": "Recipient (for a gift)"},
        "market.page.beneficiary": {"zh": "受益人（证书上的名称）", "en": "Beneficiary (the name on the certificate)"},
        "market.page.shown": {"zh": "证书上如何显示受益人", "en": "How the certificate shows the beneficiary"},
        "market.page.shown.masked": {"zh": "部分隐藏（张*）", "en": "Masked (Z*)"},
        "market.page.shown.full": {"zh": "全名", "en": "In full"},
        "market.page.shown.hidden": {"zh": "不显示", "en": "Hidden"},
        "market.page.points": {
            "zh": "使用积分抵扣（可选，{rate} 积分抵 1 分钱，可用 {available} 积分）",
            "en": "Points toward the price (optional; {rate} points = 1 fen; {available} available)",
        },
        "market.page.reserve_note": {
            "zh": "下单后碳汇为您保留 {minutes} 分钟，请在此时间内完成支付。",
            "en": "Your credits are held for {minutes} minutes after you order: pay within that time.",
        },
        "market.page.order_title": {"zh": "订单 {id}", "en": "Order {id}"},
        "market.page.status": {"zh": "状态", "en": "Status"},
        "market.page.status.pending": {"zh": "待支付", "en": "Awaiting payment"},
        "market.page.status.fulfilled": {"zh": "已完成，碳汇已注销", "en": "Done: credits retired"},
        "market.page.status.expired": {"zh": "已过期，碳汇已释放", "en": "Expired: credits released"},
        "market.page.status.cancelled": {"zh": "已取消", "en": "Cancelled"},
        "market.page.pay_by": {"zh": "请于 {at} 前支付", "en": "Pay by {at}"},
        "market.page.pay": {"zh": "去支付 {amount}", "en": "Pay {amount}"},
        "market.page.cancel": {"zh": "取消订单", "en": "Cancel the order"},
        "market.page.quantity": {"zh": "数量", "en": "Quantity"},
        "market.page.total": {"zh": "总价", "en": "Total"},
        "market.page.points_used": {"zh": "积分抵扣", "en": "Paid with points"},
        "market.page.points_value": {"zh": "{points} 积分（{amount}）", "en": "{points} points ({amount})"},
        "market.page.cash": {"zh": "需支付", "en": "To pay"},
        "market.page.paid": {"zh": "已支付", "en": "Paid"},
        "market.page.fee": {"zh": "平台服务费", "en": "Platform fee"},
        "market.page.net": {"zh": "卖方所得", "en": "To the seller"},
        "market.page.certificate": {"zh": "证书编号", "en": "Certificate code"},
        "market.page.certificate_link": {"zh": "查看并分享碳汇证书", "en": "View and share the certificate"},
        "market.page.refunds": {
            "zh": "有 {count} 笔迟到或重复的付款已原路退回。",
            "en": "{count} late or duplicate payment(s) refunded to where they came from.",
        },
        "market.page.split_offer": {
            "zh": "分 {count} 个挂牌购买（每千克价低者优先），下单时锁定价格",
            "en": "From {count} listings (cheapest per kg first), prices locked when you order",
        },
        "market.page.single": {
            "zh": "来自 1 个挂牌（每千克价最低）",
            "en": "From 1 listing (the cheapest per kg)",
        },
        "market.page.best.title": {"zh": "最优组合购买", "en": "Best available"},
        "market.page.best.lead": {
            "zh": "只需输入要抵消的千克数：按每千克价格从低到高，为您组合一个或多个挂牌。",
            "en": "Just enter the kg to offset: we combine one or more listings, cheapest per kg first.",
        },
        "market.page.best.kg": {"zh": "购买数量（千克）", "en": "Quantity (kg)"},
        "market.page.best.see": {"zh": "查看最优报价", "en": "See the best offer"},
        "market.page.best.asked": {"zh": "您输入的数量", "en": "You asked for"},
        "market.page.best.rounded": {
            "zh": "已按挂牌的计价单位向上取整为 {kg}。",
            "en": "Rounded up to {kg}, a whole number of the listings' units.",
        },
        "market.page.best.note": {
            "zh": "确认时按当时在售的挂牌重新组合并锁定价格；若总价有变，会请您再次确认。",
            "en": "On confirming, the listings then on sale are combined and their prices locked; if the total changed you are asked again.",
        },
        "market.page.best.confirm": {"zh": "确认下单 {amount}", "en": "Confirm the order: {amount}"},
        "market.page.best.sign_in": {"zh": "登录后按此报价下单", "en": "Sign in to order at this offer"},
        "market.page.my_orders": {"zh": "我的订单", "en": "My orders"},
        "market.page.back": {"zh": "返回碳汇列表", "en": "Back to the catalogue"},
    }
)
