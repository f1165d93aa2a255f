"""The donations domain's messages, zh first, en beside."""

from app.core.i18n import register_messages

register_messages(
    {
        "donations.not_accepted": {
            "zh": "这个活动不接受捐资认种",
            "en": "This campaign does not take donations per tree",
        },
        "donations.campaign_closed": {
            "zh": "活动不在进行中（{starts} 至 {ends}），现在不能捐赠",
            "en": "The campaign is not running (it runs {starts} to {ends}): donations are closed",
        },
        "donations.bad_trees": {
            "zh": "捐赠棵数须为 1 到 {maximum} 之间的整数",
            "en": "Trees must be a whole number from 1 to {maximum}",
        },
        "donations.too_large": {"zh": "捐赠金额过大", "en": "This donation is too large"},
        "donations.not_found": {"zh": "找不到这笔捐赠", "en": "No such donation"},
        "donations.donation_paid": {"zh": "这笔捐赠已支付", "en": "This donation is already paid"},
        "donations.donation_expired": {
            "zh": "这笔捐赠已过支付时间，请重新捐赠",
            "en": "The time to pay this donation has passed: please donate again",
        },
        "donations.receipt_needs_payment": {
            "zh": "捐赠支付成功后才能申请捐赠票据",
            "en": "A donation receipt can be requested once the donation is paid",
        },
        "donations.receipt_exported": {
            "zh": "捐赠票据申请已交给基金会开具，不能再修改；如需更正请联系活动组织方",
            "en": "The receipt request has gone to the foundation to be issued and can no longer change: contact the organiser to correct it",
        },
        "donations.bad_receipt_kind": {
            "zh": "票据类型须为个人或单位（{known}）",
            "en": "The receipt is for a person or an organisation ({known})",
        },
        "donations.bad_receipt_title": {
            "zh": "请填写姓名或单位名称（不超过 100 个字）",
            "en": "Give a name or an organisation title (at most 100 characters)",
        },
        "donations.bad_tax_id": {
            "zh": "税号应为 18 位统一社会信用代码（校验位不符）",
            "en": "The tax id must be an 18-character unified social credit code (its check character does not match)",
        },
        "donations.bad_email": {"zh": "请填写有效的电子邮箱", "en": "Give a valid email address"},
        "donations.key_needed": {
            "zh": "积分捐赠须带 Idempotency-Key 请求头（每次新的捐赠用一个新值，重试时用同一个值）",
            "en": "A points donation needs an Idempotency-Key header (a new value per donation, the same one to retry)",
        },
        "donations.key_reused": {
            "zh": "这个 Idempotency-Key 已用于另一笔内容不同的积分捐赠；新的捐赠请用新值",
            "en": "This Idempotency-Key was used for a different points donation: use a new key for a new donation",
        },
        "donations.bad_points": {
            "zh": "每次捐赠积分须为 {minimum} 到 {maximum} 之间的整数",
            "en": "Points per donation: a whole number from {minimum} to {maximum}",
        },
        "donations.not_enough_points": {
            "zh": "可用积分不足 {points} 分",
            "en": "You have fewer than {points} points available",
        },
        # pages
        "donations.page.donate_title": {"zh": "捐资认种（捐资尽责）", "en": "Donate trees (in lieu of planting)"},
        "donations.page.donate_intro": {
            "zh": "每棵 {price}，款项进入基金会的本活动专项基金；每捐 1 棵计 1 棵义务植树尽责。",
            "en": "{price} per tree, paid into the foundation's fund for this campaign; each tree counts as one tree of your planting duty.",
        },
        "donations.page.trees": {"zh": "捐赠棵数", "en": "Trees"},
        "donations.page.donate": {"zh": "去支付", "en": "Donate and pay"},
        "donations.page.sign_in_to_donate": {"zh": "登录后捐赠", "en": "Sign in to donate"},
        "donations.page.closed": {
            "zh": "活动不在进行中，暂不接受捐赠。",
            "en": "The campaign is not running: donations are closed.",
        },
        "donations.page.totals": {
            "zh": "已有 {n} 笔捐资，共认种 {trees} 棵",
            "en": "{n} donations so far, {trees} trees",
        },
        "donations.page.points_total": {"zh": "积分捐赠", "en": "Points donated"},
        "donations.page.points_line": {
            "zh": "{points} 分（{n} 笔）",
            "en": "{points} points ({n} donations)",
        },
        "donations.page.points_title": {"zh": "捐积分给活动", "en": "Give points to the campaign"},
        "donations.page.points_intro": {
            "zh": "从你的碳账户转入本活动的积分预算（每次 {minimum}–{maximum} 分，可用 {available} 分）。",
            "en": "From your carbon account into this campaign's points budget ({minimum}–{maximum} per donation; {available} available).",
        },
        "donations.page.points": {"zh": "积分", "en": "Points"},
        "donations.page.give_points": {"zh": "捐出积分", "en": "Give points"},
        "donations.page.points_done": {"zh": "已捐出 {points} 积分，谢谢！", "en": "{points} points given. Thank you!"},
        "donations.page.result_title": {"zh": "捐赠", "en": "Donation"},
        "donations.page.status.pending": {"zh": "待支付", "en": "Awaiting payment"},
        "donations.page.status.paid": {"zh": "已支付，谢谢你的捐赠！", "en": "Paid. Thank you for your donation!"},
        "donations.page.status.expired": {"zh": "已过支付时间", "en": "Expired unpaid"},
        "donations.page.campaign": {"zh": "活动", "en": "Campaign"},
        "donations.page.amount": {"zh": "金额", "en": "Amount"},
        "donations.page.paid_at": {"zh": "支付时间", "en": "Paid at"},
        "donations.page.pay_by": {"zh": "请在 {at} 前完成支付", "en": "Pay by {at}"},
        "donations.page.pay": {"zh": "支付 {amount}", "en": "Pay {amount}"},
        "donations.page.duty": {
            "zh": "本次捐赠计入 {year} 年义务植树尽责 {trees} 棵。",
            "en": "This donation counts as {trees} trees of your {year} planting duty.",
        },
        "donations.page.receipt_title": {"zh": "申请捐赠票据", "en": "Ask for a donation receipt"},
        "donations.page.receipt_intro": {
            "zh": "基金会据此开具公益事业捐赠票据，发送到你的邮箱。基金会导出前可以修改。",
            "en": "The foundation issues a donation receipt from this and emails it. You can change it until the foundation exports it.",
        },
        "donations.page.receipt_kind": {"zh": "票据抬头类型", "en": "Receipt for"},
        "donations.page.kind.personal": {"zh": "个人", "en": "A person"},
        "donations.page.kind.organisation": {"zh": "单位", "en": "An organisation"},
        "donations.page.receipt_name": {"zh": "姓名或单位名称", "en": "Name or organisation title"},
        "donations.page.tax_id": {
            "zh": "税号（统一社会信用代码，选填）",
            "en": "Tax id (unified social credit code, optional)",
        },
        "donations.page.email": {"zh": "接收邮箱", "en": "Email"},
        "donations.page.receipt_submit": {"zh": "提交申请", "en": "Send the request"},
        "donations.page.receipt_saved": {"zh": "已收到你的票据申请。", "en": "Your receipt request is recorded."},
        "donations.page.receipt_status.requested": {
            "zh": "已申请，待基金会开具",
            "en": "Requested, awaiting the foundation",
        },
        "donations.page.receipt_status.exported": {"zh": "基金会已受理开具", "en": "Taken by the foundation to issue"},
        "donations.page.receipt_none": {"zh": "未申请", "en": "Not requested"},
        "donations.page.back": {"zh": "返回活动", "en": "Back to the campaign"},
        "donations.page.org_title": {"zh": "捐赠记录", "en": "Donations"},
        "donations.page.org_totals": {
            "zh": "已支付 {n} 笔，{trees} 棵，共 {amount}；积分捐赠 {points} 分",
            "en": "{n} paid, {trees} trees, {amount} in all; {points} points donated",
        },
        "donations.page.export": {"zh": "导出票据申请（CSV）", "en": "Export receipt requests (CSV)"},
        "donations.page.export_note": {
            "zh": "导出后，新的申请标记为已导出，捐赠人不能再修改。",
            "en": "Exporting marks new requests exported: donors can no longer change them.",
        },
        "donations.page.none": {"zh": "还没有已支付的捐赠。", "en": "No paid donations yet."},
        "donations.page.receipt": {"zh": "票据", "en": "Receipt"},
        "donations.page.organiser_link": {"zh": "捐赠记录（组织方）", "en": "Donations (organisers)"},
    }
)
