"""The payments domain's messages, zh first, en beside."""

from app.core.i18n import register_messages

register_messages(
    {
        "payments.expired": {
            "zh": "支付时间已过，请重新下单",
            "en": "The time to pay has passed: please order again",
        },
        "payments.unavailable": {
            "zh": "支付服务暂时无法连接，请稍后再试",
            "en": "The payment service cannot be reached right now: please try again shortly",
        },
        "payments.refused": {
            "zh": "支付服务拒绝了这次操作（{code}）",
            "en": "The payment service refused this ({code})",
        },
        "payments.refund_after_retirement": {
            "zh": "这笔付款已用于注销碳汇，不能退款：已注销的碳汇不会被撤销",
            "en": "This payment paid for credits that are retired: retired credits are never un-retired, so it cannot be refunded",
        },
        "payments.not_refundable": {
            "zh": "这笔付款当前状态为 {status}，不能退款",
            "en": "This payment is {status} and cannot be refunded",
        },
        "payments.open_in_mini_program": {
            "zh": "微信支付只能在“微碳汇”微信小程序里完成：请在微信小程序中打开这个订单并支付",
            "en": "WeChat Pay works only inside the MicroSink WeChat mini-program: open it in the WeChat mini-program to pay this order",
        },
        "payments.not_found": {"zh": "找不到这笔支付", "en": "No such payment"},
        "payments.not_refund_failed": {
            "zh": "这笔付款当前状态为 {status}：只有渠道退款失败（refund_failed）的付款才需要线下退回",
            "en": "This payment is {status}: only a payment whose refund the provider refused (refund_failed) is paid back by hand",
        },
        "payments.bad_by_hand_way": {
            "zh": "退回方式须为以下之一：{known}",
            "en": "The way it was paid back must be one of: {known}",
        },
        "payments.bad_by_hand_reference": {
            "zh": "请填写退回凭据编号（如银行转账流水号），1 到 64 个字符",
            "en": "Give the reference of the payment back (e.g. the bank transfer number), 1 to 64 characters",
        },
        "payments.bad_by_hand_note": {"zh": "备注最多 500 个字符", "en": "The note may hold at most 500 characters"},
        "payments.unknown_provider": {"zh": "未知的支付渠道 {provider}", "en": "Unknown payment provider {provider}"},
        "payments.sandbox.title": {"zh": "模拟支付（沙箱）", "en": "Sandbox payment"},
        "payments.sandbox.banner": {
            "zh": "这是开发用的模拟支付页面，不会真的扣款。",
            "en": "A development sandbox: no real money moves.",
        },
        "payments.sandbox.amount": {"zh": "应付金额", "en": "Amount"},
        "payments.sandbox.item": {"zh": "商品", "en": "Item"},
        "payments.sandbox.pay": {"zh": "支付", "en": "Pay"},
        "payments.sandbox.cancel": {"zh": "取消", "en": "Cancel"},
        "payments.sandbox.done": {"zh": "已支付", "en": "Paid"},
        "payments.sandbox.closed": {"zh": "这笔支付已关闭或已过期", "en": "This payment is closed or expired"},
        "payments.sandbox.back": {"zh": "返回订单", "en": "Back to the order"},
        "payments.sandbox.bad_link": {"zh": "支付链接无效", "en": "This payment link is not valid"},
    }
)
