"""User-facing text of the public audit page (zh first, en)."""

from app.core.i18n import register_messages

register_messages(
    {
        "audit.title": {"zh": "公开审计日志", "en": "Public audit log"},
        "audit.lead": {
            "zh": "平台上每一次重要变更（订单、地块、签发、植树记录、案件、活动、角色）都写入审计日志，并按提交顺序封存进哈希链：每条记录包含上一条的哈希，任何一条被改动，之后的整条链都会对不上。",
            "en": "Every change that matters (orders, parcels, issuances, planting logs, cases, campaigns, roles) is written to the audit log and sealed into a hash chain in commit order: each record carries the previous record's hash, so changing any record breaks the chain after it.",
        },
        "audit.root_hash": {"zh": "当前根哈希", "en": "Current root hash"},
        "audit.count": {"zh": "已封存记录", "en": "Sealed records"},
        "audit.last_seq": {"zh": "最新序号", "en": "Latest sequence number"},
        "audit.sealed_at": {"zh": "封存时间", "en": "Sealed at"},
        "audit.unsealed": {"zh": "等待封存", "en": "Waiting to be sealed"},
        "audit.empty": {"zh": "还没有已封存的记录。", "en": "No sealed records yet."},
        "audit.latest": {"zh": "最近封存的记录", "en": "Latest sealed records"},
        "audit.seq": {"zh": "序号", "en": "Seq"},
        "audit.actor": {"zh": "操作者", "en": "Actor"},
        "audit.action": {"zh": "操作", "en": "Action"},
        "audit.entity": {"zh": "对象", "en": "Record"},
        "audit.occurred_at": {"zh": "发生时间", "en": "Occurred at"},
        "audit.hash": {"zh": "哈希", "en": "Hash"},
        "audit.how_title": {"zh": "如何自行核验", "en": "How to check it yourself"},
        "audit.how_1": {
            "zh": "记下上面的根哈希和最新序号；以后再查看时，链只能在其后追加，不能改写。",
            "en": "Note the root hash and latest sequence number above: later the chain can only grow after them, never be rewritten.",
        },
        "audit.how_2": {
            "zh": "从 /api/v1/audit/events?after_seq=0 逐页下载全部记录：每条记录的 hash 等于其 canonical 文本（UTF-8）的 SHA-256，prev_hash 等于上一条的 hash，第 1 条的 prev_hash 为 64 个 0。",
            "en": "Download every record page by page from /api/v1/audit/events?after_seq=0: each record's hash is the SHA-256 of its canonical text (UTF-8), its prev_hash is the previous record's hash, and record 1's prev_hash is 64 zeros.",
        },
        "audit.how_3": {
            "zh": "操作者显示为匿名编号，不含手机号、姓名等个人信息。",
            "en": "Actors are shown as pseudonymous ids, never a phone number or a name.",
        },
    }
)
