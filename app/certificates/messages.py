"""The certificates domain's messages, zh first, en beside: errors, page and poster texts."""

from app.core.i18n import register_messages

register_messages(
    {
        "certificates.not_found": {
            "zh": "找不到该证书。请核对证书上的 16 位编号（字母不分大小写，不含 0、O、1、I）",
            "en": "No such certificate. Check the 16-character code on it (any case; it never contains 0, O, 1 or I)",
        },
        "certificates.font_missing": {
            "zh": "海报暂时无法生成：服务器缺少中文字体（Noto Sans CJK），管理员请运行 make deps 安装",
            "en": "The poster cannot be made now: the server lacks the Chinese font (Noto Sans CJK); an administrator should run make deps",
        },
        # pages
        "certificates.page.title": {"zh": "碳汇注销证书", "en": "Carbon sink retirement certificate"},
        "certificates.page.verified": {
            "zh": "这是微碳汇登记簿中的真实记录：以下碳汇已注销，不能再出售或再次注销。",
            "en": "This is a genuine MicroSink registry record: the units below are retired and can never be sold or retired again.",
        },
        "certificates.page.lookup_title": {"zh": "验证碳汇证书", "en": "Verify a certificate"},
        "certificates.page.lookup_hint": {
            "zh": "输入证书上的 16 位编号，或扫描证书上的二维码。无需登录。",
            "en": "Type the 16-character code printed on the certificate, or scan its QR code. No sign-in needed.",
        },
        "certificates.page.code": {"zh": "证书编号", "en": "Certificate code"},
        "certificates.page.verify_button": {"zh": "验证", "en": "Verify"},
        "certificates.page.beneficiary": {"zh": "受益方", "en": "Beneficiary"},
        "certificates.page.beneficiary_hidden": {"zh": "（受益方选择不公开）", "en": "(not shown, as chosen)"},
        "certificates.page.quantity": {"zh": "注销数量", "en": "Retired"},
        "certificates.page.purpose": {"zh": "用途", "en": "Purpose"},
        "certificates.page.retired_on": {"zh": "注销日期", "en": "Retired on"},
        "certificates.page.serials": {"zh": "序列号段", "en": "Serial ranges"},
        "certificates.page.origin": {"zh": "来自哪里", "en": "Where it comes from"},
        "certificates.page.issuance": {"zh": "签发批次", "en": "Issuance"},
        "certificates.page.vintage": {"zh": "年份", "en": "Vintage"},
        "certificates.page.period": {"zh": "监测期", "en": "Monitoring period"},
        "certificates.page.project": {"zh": "项目", "en": "Project"},
        "certificates.page.place": {"zh": "地点", "en": "Place"},
        "certificates.page.parcels": {"zh": "地块", "en": "Parcels"},
        "certificates.page.methodology": {"zh": "方法学", "en": "Methodology"},
        "certificates.page.parameters": {"zh": "参数文件 SHA-256", "en": "Parameter file SHA-256"},
        "certificates.page.basis": {"zh": "核算依据", "en": "Basis"},
        "certificates.page.basis.ex_ante": {
            "zh": "事前估算（按模型预计的吸收量）",
            "en": "Ex-ante (modelled removals)",
        },
        "certificates.page.basis.ex_post": {
            "zh": "事后核证（按实测并经核证的吸收量）",
            "en": "Ex-post (measured and verified removals)",
        },
        "certificates.page.basis.mixed": {"zh": "部分事前估算、部分事后核证", "en": "Partly ex-ante, partly ex-post"},
        "certificates.page.basis.unknown": {"zh": "未记录", "en": "Not recorded"},
        "certificates.page.reversal_title": {"zh": "损失与补足", "en": "Loss and make-good"},
        "certificates.page.reversal": {
            "zh": "该证书对应的土地于 {date} 发生损失（{cause}，事件 {event}），平台缓冲池已注销等量碳汇补足，本证书的抵消仍然有效。",
            "en": "The land behind this certificate suffered a loss on {date} ({cause}, event {event}); the platform's buffer pool cancelled as many units to make it good, so this offset still stands.",
        },
        "certificates.page.share": {"zh": "分享与下载", "en": "Share and download"},
        "certificates.page.scan": {"zh": "扫码验证本证书", "en": "Scan to verify this certificate"},
        "certificates.page.poster": {"zh": "分享海报（PNG）", "en": "Share poster (PNG)"},
        "certificates.page.pdf": {"zh": "打印版（PDF）", "en": "Printable (PDF)"},
        "certificates.page.json": {"zh": "机器可读（JSON）", "en": "Machine-readable (JSON)"},
        "certificates.page.how_title": {"zh": "如何自行核验", "en": "How to check it yourself"},
        "certificates.page.how": {
            "zh": "点开每个序列号段，查看它在登记簿中的状态（应为“已注销”）；点开地块和项目，查看土地与估算；"
            "方法学版本与参数文件 SHA-256 可与公开的方法学参数核对；所有变更记录在公开审计日志中。",
            "en": "Open each serial range to see its registry status (it should say retired); open the parcels and the project "
            "to see the land and its estimates; compare the methodology version and parameter-file SHA-256 with the "
            "published parameters; every change is in the public audit log.",
        },
        # the poster (drawn with Noto Sans CJK SC)
        "certificates.poster.brand": {"zh": "微碳汇 · 林草碳普惠", "en": "MicroSink · forest & grassland sinks"},
        "certificates.poster.title": {"zh": "碳汇注销证书", "en": "Retirement certificate"},
        "certificates.poster.for": {"zh": "受益方", "en": "For"},
        "certificates.poster.hidden": {"zh": "未公开", "en": "Not shown"},
        "certificates.poster.retired": {"zh": "已注销碳汇", "en": "Carbon sink retired"},
        "certificates.poster.kg": {"zh": "千克 CO₂e", "en": "kg CO₂e"},
        "certificates.poster.from": {"zh": "来自", "en": "From"},
        "certificates.poster.date": {"zh": "注销日期", "en": "Retired on"},
        "certificates.poster.code": {"zh": "证书编号", "en": "Certificate code"},
        "certificates.poster.scan": {"zh": "扫码验证", "en": "Scan to verify"},
        "certificates.poster.reversal": {
            "zh": "土地曾发生损失，已由缓冲池补足",
            "en": "The land suffered a loss, made good by the buffer pool",
        },
    }
)
