"""User-facing text of the public pages and the base layout (zh first, en)."""

from app.core.i18n import register_messages

register_messages(
    {
        "site.name": {"zh": "微碳汇", "en": "MicroSink"},
        "site.footer": {
            "zh": "微碳汇 · 林草碳普惠公共平台。每一千克碳汇都可追溯到地块、方法学版本与参数来源。",
            "en": "MicroSink · a public platform for forestry and grassland carbon inclusion. Every kg traces to a parcel, a methodology version and its parameter sources.",
        },
        "nav.me": {"zh": "我的", "en": "Me"},
        "nav.sign_in": {"zh": "登录", "en": "Sign in"},
        "nav.switch_language": {"zh": "English", "en": "中文"},
        "nav.audit": {"zh": "公开审计日志", "en": "Public audit log"},
        "home.title": {"zh": "微碳汇：林草碳普惠", "en": "MicroSink: forestry and grassland carbon inclusion"},
        "home.lead": {
            "zh": "参加义务植树、购买林农和牧民的小额碳汇抵消您的碳足迹，积分记入个人碳账户；每一笔都公开可查、绝不重复计算。",
            "en": "Plant trees, offset your footprint with small sink credits from named smallholders, and keep points in a personal carbon account; every entry is public and never counted twice.",
        },
        "public.being_built": {
            "zh": "这一部分正在建设中，上线后将在此公布。您现在可以登录账号，或查看公开审计日志。",
            "en": "This part is still being built and will appear here when it is ready. You can sign in or read the public audit log now.",
        },
        "home.campaigns": {"zh": "植树活动", "en": "Planting campaigns"},
        "home.campaigns_text": {
            "zh": "报名义务植树、认种认养，获得尽责证书。",
            "en": "Join tree planting or sponsor trees and receive a certificate.",
        },
        "home.registry": {"zh": "碳汇登记簿", "en": "Sink registry"},
        "home.calculator": {"zh": "碳汇计算器", "en": "Sink calculator"},
        "home.calculator_text": {
            "zh": "按方法学估算一块林地、竹林、草地或湿地每年的碳汇量，每个参数都注明来源。",
            "en": "Estimate a plot's yearly removal by the methodology, with the source of every parameter.",
        },
        "home.serials": {"zh": "查询序列号", "en": "Look up a serial"},
        "home.serials_text": {
            "zh": "输入任一碳汇序列号，查看它来自哪块地、哪版方法学，以及是否已注销。",
            "en": "Enter any credit serial to see its parcel, methodology version and whether it was retired.",
        },
        "home.registry_text": {
            "zh": "查看林农、牧民登记的微碳汇地块与签发记录。",
            "en": "See the micro-sink parcels smallholders registered and what was issued.",
        },
        "home.verify": {"zh": "验证证书", "en": "Verify a certificate"},
        "home.verify_text": {
            "zh": "输入证书编号或扫码，核对碳汇序列号与地块。",
            "en": "Enter a certificate code or scan its QR to check serials and parcels.",
        },
        "home.who": {"zh": "谁在使用微碳汇", "en": "Who uses MicroSink"},
        "home.who_citizen": {
            "zh": "公众：手机登录，记录植树，购买碳汇抵消出行和生活的排放。",
            "en": "Citizens sign in by phone, log planting and offset trips and daily life.",
        },
        "home.who_smallholder": {
            "zh": "林农、牧民与村集体：登记竹林、林地、草地，出售经核证的碳汇。",
            "en": "Smallholders and collectives list bamboo groves, forests and grassland and sell verified credits.",
        },
        "home.who_organiser": {
            "zh": "基金会与组织者：发起植树活动，审核植树记录。",
            "en": "Foundations run planting campaigns and review planting logs.",
        },
        "home.who_public": {
            "zh": "社会公众：无需登录即可核验任何证书、序列号与审计日志。",
            "en": "Anyone can verify any certificate, serial or the audit log without signing in.",
        },
    }
)
