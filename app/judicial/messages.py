"""The judicial domain's messages (碳汇+司法), zh first, en beside: errors and page texts."""

from app.core.i18n import register_messages

register_messages(
    {
        # errors
        "judicial.not_court": {
            "zh": "只有法院的工作人员可以管理生态修复案件",
            "en": "Only a court's staff can manage restoration cases",
        },
        "judicial.which_court": {
            "zh": "您属于多个法院：请用 organisation 指明是哪一个",
            "en": "You belong to several courts: name one in organisation",
        },
        "judicial.case_not_found": {
            "zh": "找不到该案件编码：请核对链接或编码",
            "en": "No restoration case has this code: check the link or the code",
        },
        "judicial.case_exists": {
            "zh": "本院已登记过案号 {number} 的案件",
            "en": "This court has already registered case number {number}",
        },
        "judicial.bad_case_number": {
            "zh": "案号须为 1 到 64 个字符",
            "en": "The case number (案号) must be 1 to 64 characters",
        },
        "judicial.bad_court_name": {
            "zh": "法院名称须为 1 到 128 个字",
            "en": "The court name must be 1 to 128 characters",
        },
        "judicial.bad_cause": {"zh": "案由须为 1 到 200 个字", "en": "The cause must be 1 to 200 characters"},
        "judicial.bad_defendant": {
            "zh": "被告人姓名须为 1 到 64 个字",
            "en": "The defendant's name must be 1 to 64 characters",
        },
        "judicial.bad_kg": {
            "zh": "应购碳汇量须为 0 到 {most} 之间的整数千克",
            "en": "The kg of sink to buy must be a whole number from 0 to {most}",
        },
        "judicial.bad_trees": {
            "zh": "应补植株数须为 0 到 {most} 之间的整数",
            "en": "The trees to plant must be a whole number from 0 to {most}",
        },
        "judicial.bad_tend_years": {
            "zh": "管护年限须为 0 到 50 之间的整数年",
            "en": "The years of tending must be a whole number from 0 to 50",
        },
        "judicial.owes_nothing": {
            "zh": "修复方式至少要有购买碳汇（千克）或补植复绿（株）之一",
            "en": "A restoration order needs kg of sink to buy or trees to plant, or both",
        },
        "judicial.bad_deadline": {
            "zh": "履行期限须为今天或以后的日期（YYYY-MM-DD）",
            "en": "The deadline must be a date from today on (YYYY-MM-DD)",
        },
        "judicial.unknown_campaign": {
            "zh": "找不到该植树活动：请填写活动的标识（slug）",
            "en": "No planting campaign has this slug",
        },
        "judicial.unknown_site": {"zh": "该植树活动没有这个地块", "en": "The campaign has no such site"},
        "judicial.trees_need_site": {
            "zh": "补植复绿须指定植树活动（及地块），被告人在那里签到植树",
            "en": "Trees to plant need a planting campaign (and site) where the defendant checks in",
        },
        "judicial.bad_payment_kg": {
            "zh": "本次购买的碳汇量须为 1 到 {most} 之间的整数千克",
            "en": "The kg to pay for must be a whole number from 1 to {most}",
        },
        "judicial.overpay": {
            "zh": "本次 {kg} 千克超过尚需购买的 {left} 千克（应购 {owed} 千克，已履行 {paid} 千克，待支付订单 {pending} 千克）：不能多付",
            "en": "{kg} kg is more than the {left} kg still owed (owed {owed} kg, retired {paid} kg, in unpaid orders {pending} kg): you cannot pay more than owed",
        },
        "judicial.no_kg_owed": {
            "zh": "本案的修复方式不含购买碳汇",
            "en": "This case's restoration order includes no sink to buy",
        },
        "judicial.case_fulfilled": {
            "zh": "案件 {number} 已履行完毕，无需再付",
            "en": "Case {number} is already fulfilled: nothing more to pay",
        },
        "judicial.case_closed": {
            "zh": "案件 {number} 已结案",
            "en": "Case {number} is closed",
        },
        "judicial.not_the_defendant": {
            "zh": "本案已由另一个账号履行：请用被告人本人的账号登录",
            "en": "Another account is fulfilling this case: sign in with the defendant's own account",
        },
        "judicial.nothing_on_sale": {
            "zh": "暂时没有可以整数单位出售 {kg} 千克的碳汇：请换一个数量或稍后再试",
            "en": "No listing can sell {kg} kg in whole units right now: try another amount or later",
        },
        "judicial.nothing_in_county": {
            "zh": "{county}暂时没有可出售 {kg} 千克的碳汇，而本院要求使用损害发生地的碳汇：请稍后再试",
            "en": "No sink from {county}, where the damage was done, can sell {kg} kg right now, and this court requires it: please try later",
        },
        "judicial.not_fulfilled.both": {
            "zh": "案件 {number} 尚未履行完毕（还差 {kg_left} 千克碳汇、{trees_left} 株树），暂无履行凭证",
            "en": "Case {number} is not fulfilled yet ({kg_left} kg of sink and {trees_left} trees still to go): there is no voucher yet",
        },
        "judicial.not_fulfilled.kg": {
            "zh": "案件 {number} 尚未履行完毕（还差 {kg_left} 千克碳汇），暂无履行凭证",
            "en": "Case {number} is not fulfilled yet ({kg_left} kg of sink still to go): there is no voucher yet",
        },
        "judicial.not_fulfilled.trees": {
            "zh": "案件 {number} 尚未履行完毕（还差 {trees_left} 株树），暂无履行凭证",
            "en": "Case {number} is not fulfilled yet ({trees_left} trees still to go): there is no voucher yet",
        },
        "judicial.close_not_fulfilled": {
            "zh": "案件 {number} 尚未履行完毕，不能结案",
            "en": "Case {number} is not fulfilled yet and cannot be closed",
        },
        # statuses
        "judicial.status.open": {"zh": "履行中", "en": "Being fulfilled"},
        "judicial.status.fulfilled": {"zh": "已履行，待法院确认", "en": "Fulfilled, awaiting the court"},
        "judicial.status.closed": {"zh": "已结案", "en": "Closed by the court"},
        # pages
        "judicial.page.title": {"zh": "碳汇+司法", "en": "Carbon sinks + justice"},
        "judicial.page.case": {"zh": "生态修复案件", "en": "Ecological restoration case"},
        "judicial.page.case_number": {"zh": "案号", "en": "Case number"},
        "judicial.page.court": {"zh": "法院", "en": "Court"},
        "judicial.page.cause": {"zh": "案由", "en": "Cause"},
        "judicial.page.county": {"zh": "损害发生地", "en": "Where the damage was done"},
        "judicial.page.defendant": {"zh": "被告人", "en": "Defendant"},
        "judicial.page.deadline": {"zh": "履行期限", "en": "Deadline"},
        "judicial.page.status": {"zh": "状态", "en": "Status"},
        "judicial.page.kg": {"zh": "购买碳汇", "en": "Sink to buy"},
        "judicial.page.kg_progress": {"zh": "{paid} / {owed} 千克", "en": "{paid} / {owed} kg"},
        "judicial.page.trees": {"zh": "补植复绿", "en": "Trees to plant"},
        "judicial.page.trees_progress": {"zh": "{counted} / {owed} 株", "en": "{counted} / {owed} trees"},
        "judicial.page.site": {"zh": "补植地点", "en": "Planting site"},
        "judicial.page.tend": {"zh": "管护年限", "en": "Tending"},
        "judicial.page.tend_years": {"zh": "{n} 年", "en": "{n} years"},
        "judicial.page.separated": {
            "zh": "损益分离：部分碳汇来自损害发生地以外的区县",
            "en": "Offset elsewhere (损益分离): some sink comes from outside the county where the damage was done",
        },
        "judicial.page.same_county": {
            "zh": "全部碳汇来自损害发生地",
            "en": "All sink comes from the county where the damage was done",
        },
        "judicial.page.voucher_link": {"zh": "查看生态修复履行凭证", "en": "See the fulfilment voucher"},
        "judicial.page.no_voucher": {
            "zh": "履行完毕后，这里会出现生态修复履行凭证",
            "en": "Once fulfilled, the fulfilment voucher appears here",
        },
        "judicial.page.privacy": {
            "zh": "公开页面仅显示依法可公开的信息，被告人姓名已遮挡",
            "en": "This public page shows only what may be public; the defendant's name is masked",
        },
        "judicial.page.certificates": {"zh": "碳汇注销证书", "en": "Retirement certificates"},
        "judicial.page.certificate_case": {"zh": "司法生态修复", "en": "Court-ordered restoration"},
        "judicial.voucher.title": {"zh": "生态修复履行凭证", "en": "Ecological restoration fulfilment voucher"},
        "judicial.voucher.intro": {
            "zh": "被告人已按判决履行下列生态修复义务。以下碳汇序列号已为本案注销，不可再转让、出售或重复使用。",
            "en": "The defendant has fulfilled the restoration below. These serials were retired for this case and can never be transferred, resold or used again.",
        },
        "judicial.voucher.serials": {"zh": "注销序列号", "en": "Retired serials"},
        "judicial.voucher.parcels": {"zh": "碳汇来源地块", "en": "Parcels behind the sink"},
        "judicial.voucher.project": {"zh": "项目", "en": "Project"},
        "judicial.voucher.planted": {"zh": "补植记录", "en": "Planting"},
        "judicial.voucher.planted_line": {"zh": "{day} 植树 {trees} 株", "en": "{day}: {trees} trees"},
        "judicial.voucher.fulfilled_at": {"zh": "履行完毕", "en": "Fulfilled"},
        "judicial.voucher.closed_at": {"zh": "法院确认结案", "en": "Closed by the court"},
        "judicial.voucher.awaiting": {"zh": "待法院确认结案", "en": "Awaiting the court's confirmation"},
        "judicial.voucher.scan": {"zh": "扫码核验本凭证", "en": "Scan to verify this voucher"},
        "judicial.voucher.json": {"zh": "机器可读版本（JSON）", "en": "Machine-readable (JSON)"},
        "judicial.voucher.tend_note": {
            "zh": "补植树木须管护 {n} 年（至 {until}）",
            "en": "The planted trees must be tended for {n} years (until {until})",
        },
        "judicial.pay.title": {"zh": "履行生态修复", "en": "Fulfil the restoration order"},
        "judicial.pay.intro": {
            "zh": "请在履行期限前购买判决所定的林草碳汇。可以分多次支付，累计至应购数量为止。",
            "en": "Buy the forest sink the judgment orders before the deadline. You may pay in parts until the whole amount is paid.",
        },
        "judicial.pay.left": {"zh": "尚需购买", "en": "Still to buy"},
        "judicial.pay.pending": {"zh": "待支付订单中", "en": "In unpaid orders"},
        "judicial.pay.kg": {"zh": "本次购买（千克）", "en": "kg to pay for now"},
        "judicial.pay.submit": {"zh": "下单并去支付", "en": "Order and pay"},
        "judicial.pay.sign_in": {"zh": "登录后支付", "en": "Sign in to pay"},
        "judicial.pay.plant": {
            "zh": "补植复绿：请在植树活动中预约、签到并提交植树记录，审核通过后计入本案",
            "en": "Planting: book, check in and log your trees in the planting campaign; approved logs count for this case",
        },
        "judicial.pay.plant_link": {"zh": "前往植树活动", "en": "Go to the planting campaign"},
        "judicial.pay.done": {"zh": "购买部分已履行完毕", "en": "The sink part is fully paid"},
        "judicial.court.title": {"zh": "法院 · 生态修复案件", "en": "Court · restoration cases"},
        "judicial.court.pay_link": {"zh": "被告人缴纳链接", "en": "Defendant's payment link"},
        "judicial.court.close": {"zh": "确认结案", "en": "Confirm closure"},
        "judicial.court.closed": {"zh": "已确认结案：{number}", "en": "Closed: {number}"},
        "judicial.court.created": {"zh": "已登记案件：{number}", "en": "Case registered: {number}"},
        "judicial.court.new": {"zh": "登记生态修复案件", "en": "Register a restoration case"},
        "judicial.court.create": {"zh": "登记", "en": "Register"},
        "judicial.court.county_hint": {"zh": "区县代码（GB/T 2260，6 位）", "en": "County code (GB/T 2260, 6 digits)"},
        "judicial.court.campaign_hint": {
            "zh": "植树活动标识（补植时必填）",
            "en": "Planting campaign slug (needed for trees)",
        },
        "judicial.court.site_hint": {"zh": "地块标识（可不填）", "en": "Site key (optional)"},
        "judicial.court.none": {"zh": "还没有案件", "en": "No cases yet"},
        "judicial.court.public_page": {"zh": "公开页面", "en": "Public page"},
        # tending (管护) and the court's export
        "judicial.tending_not_found": {
            "zh": "该案件没有这一年的管护检查",
            "en": "The case has no tending check for this year",
        },
        "judicial.tending_not_open": {
            "zh": "第 {year} 年的管护报告自 {opens_on} 起才能提交",
            "en": "The tending report for year {year} is taken from {opens_on}",
        },
        "judicial.tending_reported": {
            "zh": "第 {year} 年的管护报告已提交过",
            "en": "The tending report for year {year} has already been sent",
        },
        "judicial.tending_note_too_long": {
            "zh": "管护说明最多 {most} 个字",
            "en": "The tending note may be at most {most} characters",
        },
        "judicial.not_reviewer": {
            "zh": "只有立案法院或植树活动的组织方可以审核管护报告",
            "en": "Only the case's court or the organiser of its planting campaign can review tending reports",
        },
        "judicial.tending_bad_decision": {
            "zh": "审核结论须为 accept（通过）或 reject（退回）",
            "en": "The decision must be accept or reject",
        },
        "judicial.tending_reason_required": {
            "zh": "退回管护报告须写明理由",
            "en": "A rejected tending report needs a reason",
        },
        "judicial.tending_reason_too_long": {
            "zh": "退回理由最多 {most} 个字",
            "en": "The reason may be at most {most} characters",
        },
        "judicial.tending_accepted": {
            "zh": "第 {year} 年的管护报告已审核通过，不能再更改",
            "en": "The tending report for year {year} has been accepted and is final",
        },
        "judicial.tending_nothing_to_review": {
            "zh": "第 {year} 年还没有待审核的管护报告",
            "en": "There is no tending report for year {year} to review",
        },
        "judicial.tending_reviewed": {
            "zh": "第 {year} 年的这份管护报告已被审核",
            "en": "This tending report for year {year} has already been reviewed",
        },
        "judicial.tending.submitted": {"zh": "已提交，待审核", "en": "Sent, awaiting review"},
        "judicial.tending.rejected": {
            "zh": "上次报告被退回：{reason}",
            "en": "The last report was sent back: {reason}",
        },
        "judicial.tending.accept": {"zh": "通过", "en": "Accept"},
        "judicial.tending.reject": {"zh": "退回", "en": "Send back"},
        "judicial.tending.reason": {"zh": "退回理由", "en": "Reason for sending back"},
        "judicial.tending.accepted_done": {
            "zh": "已通过第 {year} 年管护报告",
            "en": "Year {year}'s tending report accepted",
        },
        "judicial.tending.rejected_done": {
            "zh": "已退回第 {year} 年管护报告",
            "en": "Year {year}'s tending report sent back",
        },
        "judicial.tending.report_title": {"zh": "管护报告", "en": "Tending report"},
        "judicial.tending.report_intro": {
            "zh": "每个管护年度请上传一张树木近照（JPEG、PNG 或 WebP），可附简短说明。法院审核通过后该年度完成。",
            "en": "For each tending year send a recent photo of the trees (JPEG, PNG or WebP) and a short note. "
            "The year is done once the court accepts it.",
        },
        "judicial.tending.photo": {"zh": "树木照片", "en": "Photo of the trees"},
        "judicial.tending.note": {"zh": "说明（选填，最多 300 字）", "en": "Note (optional, up to 300 characters)"},
        "judicial.tending.send": {"zh": "提交第 {year} 年管护报告", "en": "Send the report for year {year}"},
        "judicial.tending.sent": {
            "zh": "已收到第 {year} 年管护报告，等待法院审核",
            "en": "Year {year}'s tending report is in; the court will review it",
        },
        "judicial.tending.opens": {"zh": "{opens_on} 起可提交", "en": "Open from {opens_on}"},
        "judicial.tending_photo_required": {
            "zh": "管护报告须附一张树木照片",
            "en": "A tending report needs a photo of the trees",
        },
        "judicial.tending.title": {"zh": "管护", "en": "Tending"},
        "judicial.tending.period": {"zh": "管护期 {start} 至 {end}", "en": "Tending {start} to {end}"},
        "judicial.tending.not_started": {
            "zh": "补植完成后开始 {years} 年管护",
            "en": "{years} years of tending start when the trees are planted",
        },
        "judicial.tending.photo_link": {"zh": "照片 {n}", "en": "photo {n}"},
        "judicial.tending.year": {"zh": "第 {year} 年（{due_on} 前）", "en": "Year {year} (by {due_on})"},
        "judicial.tending.done": {"zh": "已通过", "en": "Accepted"},
        "judicial.tending.done_late": {"zh": "已通过（逾期提交）", "en": "Accepted (sent late)"},
        "judicial.tending.overdue": {"zh": "逾期未交", "en": "Overdue"},
        "judicial.tending.due": {"zh": "待提交", "en": "Due"},
        "judicial.tending.upcoming": {"zh": "未到期", "en": "Not yet due"},
        "judicial.court.export": {"zh": "导出 CSV", "en": "Export CSV"},
        "judicial.csv.case_number": {"zh": "案号", "en": "case_number"},
        "judicial.csv.code": {"zh": "案件编码", "en": "case_code"},
        "judicial.csv.court": {"zh": "法院", "en": "court"},
        "judicial.csv.cause": {"zh": "案由", "en": "cause"},
        "judicial.csv.defendant": {"zh": "被告（脱敏）", "en": "defendant_masked"},
        "judicial.csv.county": {"zh": "损害地区县代码", "en": "damage_county_code"},
        "judicial.csv.kg_owed": {"zh": "应购碳汇(kg)", "en": "kg_owed"},
        "judicial.csv.kg_paid": {"zh": "已支付并注销(kg)", "en": "kg_paid_retired"},
        "judicial.csv.kg_pending": {"zh": "待支付(kg)", "en": "kg_pending"},
        "judicial.csv.same_county": {"zh": "全部来自损害地", "en": "same_county"},
        "judicial.csv.trees_owed": {"zh": "应补植(株)", "en": "trees_owed"},
        "judicial.csv.trees_planted": {"zh": "已补植(株)", "en": "trees_planted"},
        "judicial.csv.tend_years": {"zh": "管护年限", "en": "tend_years"},
        "judicial.csv.tending_from": {"zh": "管护起始", "en": "tending_from"},
        "judicial.csv.tending_until": {"zh": "管护截止", "en": "tending_until"},
        "judicial.csv.tending_done": {"zh": "管护已通过(年)", "en": "tending_accepted"},
        "judicial.csv.tending_submitted": {"zh": "管护待审核(年)", "en": "tending_submitted"},
        "judicial.csv.tending_overdue": {"zh": "管护逾期(年)", "en": "tending_overdue"},
        "judicial.csv.tending_due": {"zh": "管护待交(年)", "en": "tending_due"},
        "judicial.csv.deadline": {"zh": "履行期限", "en": "deadline"},
        "judicial.csv.deadline_passed": {"zh": "已过期限未履行", "en": "deadline_passed"},
        "judicial.csv.status": {"zh": "状态", "en": "status"},
        "judicial.csv.yes": {"zh": "是", "en": "yes"},
        "judicial.csv.no": {"zh": "否", "en": "no"},
    }
)
