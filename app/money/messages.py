"""User-facing text of payouts, organisations' orders and invoice requests (zh first, en beside)."""

from app.core.i18n import register_messages

register_messages(
    {
        "money.not_your_income": {
            "zh": "只能查看或提取您本人或您所在集体的碳汇收入",
            "en": "You can only see or withdraw your own income or your collective's",
        },
        "money.bad_payee_kind": {"zh": "收款方式须为：{known}", "en": "Payee kind must be one of: {known}"},
        "money.bad_bank_account": {"zh": "银行卡号须为 12–19 位数字", "en": "A bank card number is 12–19 digits"},
        "money.bad_wechat_account": {
            "zh": "微信 openid 格式不正确",
            "en": "That is not a WeChat openid",
        },
        "money.bad_payee_name": {
            "zh": "请填写收款人姓名（最多 64 字）",
            "en": "Enter the payee's name (up to 64 characters)",
        },
        "money.bad_amount": {
            "zh": "提现金额须为整数（分），且不少于 {minimum} 分",
            "en": "The amount is a whole number of fen, at least {minimum}",
        },
        "money.below_minimum": {
            "zh": "每次提现不少于 {minimum} 分",
            "en": "A payout is at least {minimum} fen",
        },
        "money.no_payee": {"zh": "请先填写收款账户", "en": "Set up where you are paid first"},
        "money.payout_too_much": {
            "zh": "可提现余额不足：申请 {amount} 分，可提 {available} 分",
            "en": "Not enough to pay out: asked {amount} fen, {available} fen available",
        },
        "money.payout_not_found": {"zh": "找不到这笔提现", "en": "No such payout"},
        "money.unknown_provider": {"zh": "未知的付款渠道 {provider}", "en": "Unknown payout provider {provider}"},
        "money.organisation_not_found": {"zh": "找不到这个组织", "en": "No such organisation"},
        "money.not_your_organisation": {
            "zh": "只有该组织的组织者可以为其下单或申请发票",
            "en": "Only the organisation's organisers may order or ask for invoices for it",
        },
        "money.bad_invoice_title": {
            "zh": "请填写发票抬头（最多 100 字）",
            "en": "Enter the invoice title (up to 100 characters)",
        },
        "money.bad_tax_id": {
            "zh": "税号须为 18 位统一社会信用代码，且校验码正确",
            "en": "The tax id must be an 18-character unified social credit code with a valid check character",
        },
        "money.bad_email": {"zh": "请填写接收电子发票的邮箱", "en": "Enter the email the e-invoice goes to"},
        "money.bad_invoice_orders": {
            "zh": "请选择 1 到 {maximum} 笔订单",
            "en": "Choose 1 to {maximum} orders",
        },
        "money.order_not_found": {"zh": "找不到本组织的订单 {order}", "en": "No order {order} of this organisation"},
        "money.order_not_paid": {
            "zh": "订单 {order} 尚未完成支付（{status}），不能开票",
            "en": "Order {order} is not paid ({status}) and cannot be invoiced",
        },
        "money.order_invoiced": {
            "zh": "所选订单中有已申请过发票的订单，每笔订单只能开票一次",
            "en": "One of these orders is already invoiced; each order is invoiced once",
        },
        # the seller's page
        "money.page.title": {"zh": "我的碳汇收入", "en": "My carbon income"},
        "money.page.holder_self": {"zh": "本人", "en": "Myself"},
        "money.page.holder_org": {"zh": "集体：{name}", "en": "Collective: {name}"},
        "money.page.payable": {"zh": "可提现", "en": "Available"},
        "money.page.in_flight": {"zh": "提现中", "en": "Being paid"},
        "money.page.paid_out": {"zh": "已到账", "en": "Paid out"},
        "money.page.payee": {"zh": "收款账户", "en": "Paid to"},
        "money.page.no_payee": {"zh": "尚未填写", "en": "Not set up yet"},
        "money.page.amount": {"zh": "提现金额（元，至少 {minimum}）", "en": "Amount in yuan (at least {minimum})"},
        "money.page.request": {"zh": "申请提现", "en": "Withdraw"},
        "money.page.set_payee": {"zh": "填写或更换收款账户", "en": "Set up or change where you are paid"},
        "money.page.kind": {"zh": "收款方式", "en": "Paid by"},
        "money.page.kind.bank": {"zh": "银行卡", "en": "Bank card"},
        "money.page.kind.wechat": {"zh": "微信零钱（openid）", "en": "WeChat balance (openid)"},
        "money.page.account": {"zh": "卡号 / openid", "en": "Card number / openid"},
        "money.page.name": {"zh": "收款人姓名", "en": "Account holder's name"},
        "money.page.save_payee": {"zh": "保存", "en": "Save"},
        "money.page.payee_saved": {"zh": "已保存收款账户：{payee}", "en": "Saved: {payee}"},
        "money.page.requested": {"zh": "已申请提现：{status}", "en": "Payout requested: {status}"},
        "money.page.history": {"zh": "提现记录", "en": "Payouts"},
        "money.page.no_payouts": {"zh": "还没有提现记录。", "en": "No payouts yet."},
        "money.page.status.requested": {"zh": "已申请", "en": "requested"},
        "money.page.status.processing": {"zh": "处理中", "en": "processing"},
        "money.page.status.paid": {"zh": "已到账", "en": "paid"},
        "money.page.status.failed": {"zh": "失败，已退回余额", "en": "failed, returned to your balance"},
    }
)
