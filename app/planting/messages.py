"""The planting domain's user-facing texts, Chinese first."""

from app.core.i18n import register_messages

register_messages(
    {
        # logs
        "planting.booking_not_checked_in": {
            "zh": "预约状态为「{status_zh}」：签到之后才能填写植树记录",
            "en": "The booking is {status_en}: a planting log can be written only after checking in",
        },
        "planting.log_exists": {
            "zh": "这个预约已经有植树记录（{log}），每个预约只能填写一次",
            "en": "This booking already has a planting log ({log}); one log per booking",
        },
        "planting.species_unknown": {
            "zh": "树种 {species} 不在本活动的树种中；可选：{options}",
            "en": "The species {species} is not one of this campaign's; choose one of: {options}",
        },
        "planting.count_range": {
            "zh": "株数须为 1 到 {maximum} 之间的整数（现为 {value}）",
            "en": "The number of trees must be a whole number from 1 to {maximum} (it is {value})",
        },
        "planting.note_too_long": {
            "zh": "备注最多 {maximum} 个字（现为 {length} 个）",
            "en": "The note may be at most {maximum} characters (it has {length})",
        },
        "planting.log_not_found": {"zh": "没有这条植树记录", "en": "No such planting log"},
        "planting.not_editable": {
            "zh": "植树记录已「{status_zh}」，不能再添加照片",
            "en": "The planting log is {status_en}; photos can no longer be added",
        },
        "planting.photo_cap": {
            "zh": "每条植树记录最多 {limit} 张照片",
            "en": "A planting log holds at most {limit} photos",
        },
        # edits and resubmissions
        "planting.approved_final": {
            "zh": "已审核通过的记录不能修改",
            "en": "An approved planting log is final and cannot be changed",
        },
        "planting.edit_rejected": {
            "zh": "这条植树记录已被驳回：请修改后重新提交（还可重新提交 {left} 次）",
            "en": "This planting log was rejected: correct it and resubmit it ({left} resubmissions left)",
        },
        "planting.resubmit_pending": {
            "zh": "这条植树记录正在等待审核，可直接修改，无需重新提交",
            "en": "This planting log is waiting for review: edit it directly, there is nothing to resubmit",
        },
        "planting.resubmission_cap": {
            "zh": "每条植树记录最多重新提交 {limit} 次，这条记录已不能再提交",
            "en": "A planting log can be resubmitted at most {limit} times; this one cannot be resubmitted again",
        },
        "planting.revision_changed": {
            "zh": "这条植树记录已有更新（第 {revision} 版，您修改的是第 {seen} 版），请刷新后再修改",
            "en": "This planting log has changed (now revision {revision}, you edited revision {seen}); reload it first",
        },
        "planting.revision_changed_review": {
            "zh": "植树人在您查看之后修改了这条记录（现为第 {revision} 版），请重新查看后再审核",
            "en": "The planter changed this log after you viewed it (now revision {revision}); look again before deciding",
        },
        # review
        "planting.not_organiser": {
            "zh": "只有 {organisation} 的组织者可以审核该活动的植树记录",
            "en": "Only organisers of {organisation} may review this campaign's planting logs",
        },
        "planting.already_decided": {
            "zh": "这条植树记录已「{status_zh}」，不能再次审核",
            "en": "This planting log is already {status_en}; it cannot be decided again",
        },
        "planting.reason_required": {
            "zh": "驳回时须填写原因（中文，1–300 字）",
            "en": "A rejection needs a reason (Chinese, 1–300 characters)",
        },
        "planting.reason_too_long": {
            "zh": "驳回原因最多 300 字",
            "en": "A rejection reason may be at most 300 characters",
        },
        "planting.batch_empty": {
            "zh": "请至少选择一条植树记录",
            "en": "Choose at least one planting log",
        },
        "planting.batch_too_many": {
            "zh": "一次最多批量通过 {maximum} 条记录",
            "en": "At most {maximum} logs can be approved at once",
        },
        "planting.status.submitted": {"zh": "待审核", "en": "pending review"},
        "planting.status.approved": {"zh": "已通过", "en": "approved"},
        "planting.status.rejected": {"zh": "已驳回", "en": "rejected"},
        "planting.outcome.approved": {"zh": "已通过", "en": "approved"},
        "planting.outcome.rejected": {"zh": "已驳回", "en": "rejected"},
        "planting.outcome.already_approved": {"zh": "此前已通过，未重复处理", "en": "already approved; not redone"},
        "planting.outcome.already_rejected": {"zh": "此前已驳回，未处理", "en": "already rejected; not approved"},
        "planting.outcome.changed": {
            "zh": "植树人已修改，请重新查看后再审核",
            "en": "changed by the planter; look again before deciding",
        },
        "planting.outcome.not_found": {"zh": "没有这条记录", "en": "no such log"},
        "planting.outcome.forbidden": {"zh": "不是您组织的活动", "en": "not your organisation's campaign"},
        # profile and certificates
        "planting.bad_birth_date": {
            "zh": "出生日期须为 1900-01-01 至今天之间的真实日期",
            "en": "The birth date must be a real date between 1900-01-01 and today",
        },
        "planting.bad_sex": {"zh": "性别须为 m（男）或 f（女），或留空", "en": "Sex must be m, f, or empty"},
        "planting.certificate_not_found": {"zh": "没有这张证书", "en": "No such certificate"},
        "planting.kind.duty": {"zh": "义务植树尽责证书", "en": "Tree-planting duty certificate (尽责证书)"},
        "planting.kind.honour": {"zh": "义务植树荣誉证书", "en": "Tree-planting honour certificate (荣誉证书)"},
        # pages
        "planting.page.log_title": {"zh": "填写植树记录", "en": "Log your planting"},
        "planting.page.log_intro": {
            "zh": "签到后，记录您种下的树种和株数，可附现场照片。组织者审核通过后计入活动进度和您的义务植树尽责。",
            "en": "After checking in, record the species and how many you planted, with photos if you like. Once an "
            "organiser approves it, it counts toward the campaign and your yearly planting duty.",
        },
        "planting.page.species": {"zh": "树种", "en": "Species"},
        "planting.page.count": {"zh": "株数", "en": "Trees planted"},
        "planting.page.count_hint": {"zh": "1–{maximum} 株", "en": "1–{maximum}"},
        "planting.page.note": {"zh": "备注（选填）", "en": "Note (optional)"},
        "planting.page.photo": {"zh": "现场照片（选填，JPEG/PNG/WebP）", "en": "Photo (optional, JPEG/PNG/WebP)"},
        "planting.page.submit": {"zh": "提交植树记录", "en": "Submit the log"},
        "planting.page.submitted_notice": {
            "zh": "已提交，等待组织者审核。",
            "en": "Submitted; waiting for the organiser's review.",
        },
        "planting.page.edit_title": {"zh": "修改记录（审核前可修改）", "en": "Edit the log (until it is reviewed)"},
        "planting.page.save_edit": {"zh": "保存修改", "en": "Save changes"},
        "planting.page.edited": {"zh": "已保存修改，等待组织者审核。", "en": "Changes saved; waiting for review."},
        "planting.page.resubmit_title": {"zh": "修改并重新提交", "en": "Correct and resubmit"},
        "planting.page.resubmit_left": {
            "zh": "按驳回原因修改后可重新提交，还可重新提交 {left} 次。",
            "en": "Correct it as the reason says and resubmit it; {left} resubmissions left.",
        },
        "planting.page.resubmit": {"zh": "重新提交", "en": "Resubmit"},
        "planting.page.resubmitted": {
            "zh": "已重新提交，等待组织者审核。",
            "en": "Resubmitted; waiting for the organiser's review.",
        },
        "planting.page.final_approved": {
            "zh": "已审核通过的记录不能修改。",
            "en": "An approved log is final and cannot be changed.",
        },
        "planting.page.final_rejected": {
            "zh": "已达到重新提交次数上限（{limit} 次），这条记录不能再提交。",
            "en": "The resubmission limit ({limit}) has been reached; this log cannot be resubmitted again.",
        },
        "planting.page.earlier_reasons": {"zh": "此前的驳回原因", "en": "Earlier rejection reasons"},
        "planting.page.resubmission_badge": {
            "zh": "第 {n} 次重新提交",
            "en": "resubmission {n}",
        },
        "planting.page.revision_badge": {"zh": "已修改（第 {revision} 版）", "en": "edited (revision {revision})"},
        "planting.page.add_photo": {"zh": "添加照片", "en": "Add a photo"},
        "planting.page.photo_added": {"zh": "照片已添加。", "en": "Photo added."},
        "planting.page.photo_removed": {"zh": "照片已删除。", "en": "Photo removed."},
        "planting.page.remove_photo": {"zh": "删除", "en": "Remove"},
        "planting.page.remove_photo_label": {"zh": "删除第 {n} 张照片", "en": "Remove photo {n}"},
        "planting.page.photo_alt": {"zh": "植树现场照片 {n}", "en": "Planting photo {n}"},
        "planting.page.write_log": {"zh": "填写植树记录", "en": "Log planting"},
        "planting.page.log_status": {"zh": "植树记录：{status}", "en": "Planting log: {status}"},
        "planting.page.log_label": {"zh": "植树记录", "en": "Planting log"},
        "planting.page.reason": {"zh": "驳回原因", "en": "Reason"},
        "planting.page.recent": {"zh": "最近通过审核的植树", "en": "Recently approved planting"},
        "planting.page.recent_line": {
            "zh": "{name} 种下 {count} 株{species}",
            "en": "{name} planted {count} {species}",
        },
        "planting.page.review_title": {"zh": "植树记录审核", "en": "Planting log review"},
        "planting.page.review_none": {"zh": "没有待审核的记录。", "en": "Nothing waiting for review."},
        "planting.page.approve": {"zh": "通过", "en": "Approve"},
        "planting.page.reject": {"zh": "驳回", "en": "Reject"},
        "planting.page.reason_zh": {"zh": "驳回原因（中文，必填）", "en": "Reason in Chinese (required)"},
        "planting.page.reason_en": {"zh": "驳回原因（英文，选填）", "en": "Reason in English (optional)"},
        "planting.page.batch_approve": {"zh": "批量通过所选记录", "en": "Approve the selected logs"},
        "planting.page.select": {"zh": "选择", "en": "Select"},
        "planting.page.planted_on": {"zh": "植树日期", "en": "Planted on"},
        "planting.page.planter": {"zh": "植树人", "en": "Planter"},
        "planting.page.no_photos": {"zh": "无照片", "en": "No photos"},
        "planting.page.results": {"zh": "处理结果", "en": "Results"},
        "planting.page.cert_title": {"zh": "义务植树证书", "en": "Tree-planting certificate"},
        "planting.page.cert_verified": {
            "zh": "此证书由微碳汇签发，信息真实有效。",
            "en": "Issued by MicroSink; the details below are genuine.",
        },
        "planting.page.cert_holder": {"zh": "持有人", "en": "Holder"},
        "planting.page.cert_year": {"zh": "年度", "en": "Year"},
        "planting.page.cert_trees": {"zh": "植树株数", "en": "Trees"},
        "planting.page.cert_campaigns": {"zh": "参加活动", "en": "Campaigns"},
        "planting.page.cert_kind": {"zh": "证书类别", "en": "Kind"},
        "planting.page.cert_code": {"zh": "证书编号", "en": "Certificate code"},
        "planting.page.cert_duty_label": {"zh": "年度义务", "en": "Yearly duty"},
        "planting.page.cert_duty": {
            "zh": "{trees} / {duty} 株 · {state}",
            "en": "{trees} / {duty} trees · {state}",
        },
        "planting.page.done": {"zh": "完成", "en": "done"},
        "planting.page.not_done": {"zh": "未完成", "en": "not done"},
        "planting.page.cert_scan": {"zh": "扫码核验此证书", "en": "Scan to verify this certificate"},
        "planting.page.cert_poster": {"zh": "保存证书海报", "en": "Save the certificate poster"},
        "planting.page.cert_pdf": {"zh": "下载证书 PDF（可打印）", "en": "Download the certificate as PDF (to print)"},
        "planting.poster.brand": {"zh": "微碳汇 · 全民义务植树", "en": "MicroSink · national tree-planting duty"},
        "planting.poster.year": {"zh": "{year} 年度", "en": "Year {year}"},
        "planting.poster.trees": {
            "zh": "植树 {trees} 株（年度义务 {duty} 株）· {state}",
            "en": "{trees} trees planted (yearly duty {duty}) · {state}",
        },
        "planting.page.cert_json": {"zh": "证书数据（JSON）", "en": "Certificate data (JSON)"},
        "planting.page.cert_rule": {
            "zh": "依照全民义务植树的规定，适龄公民（男 11–60 周岁、女 11–55 周岁）每年植树 3–5 株，完成者获尽责证书；"
            "其他参与者获荣誉证书。",
            "en": "Under the national voluntary tree-planting rules, citizens of duty age (men 11–60, women 11–55) plant "
            "3–5 trees a year and receive a duty certificate (尽责证书); everyone else who plants receives an honour "
            "certificate (荣誉证书).",
        },
        "planting.page.me_title": {"zh": "我的义务植树", "en": "My tree planting"},
        "planting.page.year_tally": {
            "zh": "{year} 年：已植树 {trees} 株，义务 {duty} 株 · {state}",
            "en": "{year}: {trees} trees planted of the {duty}-tree duty · {state}",
        },
        "planting.page.in_lieu": {"zh": "其中捐资代植 {trees} 株", "en": "of which {trees} by donation in lieu"},
        "planting.page.my_certificate": {"zh": "查看 {year} 年证书", "en": "See the {year} certificate"},
        "planting.page.my_logs": {"zh": "我的植树记录", "en": "My planting logs"},
        "planting.page.no_logs": {"zh": "还没有植树记录。", "en": "No planting logs yet."},
        "planting.page.profile_title": {"zh": "出生日期与性别（选填）", "en": "Birth date and sex (optional)"},
        "planting.page.profile_explain": {
            "zh": "仅用于判断您是否属于义务植树适龄公民（决定获得尽责证书还是荣誉证书），加密保存，不公开，注销账号时删除。"
            "已实名认证的，以身份证号码为准。",
            "en": "Used only to decide whether you are of tree-planting duty age (a duty or an honour certificate); "
            "stored encrypted, never shown, deleted with your account. A verified ID number takes precedence.",
        },
        "planting.page.birth_date": {"zh": "出生日期", "en": "Birth date"},
        "planting.page.sex": {"zh": "性别", "en": "Sex"},
        "planting.page.sex.none": {"zh": "不填写", "en": "Not given"},
        "planting.page.sex.m": {"zh": "男", "en": "Male"},
        "planting.page.sex.f": {"zh": "女", "en": "Female"},
        "planting.page.save": {"zh": "保存", "en": "Save"},
        "planting.page.saved": {"zh": "已保存。", "en": "Saved."},
        "planting.page.from_id": {
            "zh": "已按实名身份证号码确定出生日期与性别。",
            "en": "Birth date and sex come from your verified ID number.",
        },
        "planting.page.anonymous": {"zh": "匿名", "en": "Anonymous"},
    }
)
