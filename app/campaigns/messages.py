"""The campaigns' user-facing texts, Chinese first."""

from app.core.i18n import register_messages

register_messages(
    {
        # campaign files and the organiser API
        "campaigns.invalid": {
            "zh": "活动数据有误（{count} 处）：{first}",
            "en": "The campaign has {count} problem(s): {first}",
        },
        "campaigns.file.unreadable": {"zh": "TOML 格式错误：{reason}", "en": "Not valid TOML: {reason}"},
        "campaigns.file.shape": {"zh": "字段格式不对：{reason}", "en": "Wrong shape: {reason}"},
        "campaigns.file.slug_mismatch": {
            "zh": "文件名须为 {slug}.toml（与 slug 相同）",
            "en": "The file must be named {slug}.toml (after its slug)",
        },
        "campaigns.slug_path_mismatch": {
            "zh": "地址中的活动 {path} 与数据中的 slug {slug} 不一致",
            "en": "The campaign {path} in the address differs from the slug {slug} in the body",
        },
        "campaigns.slug_duplicate": {
            "zh": "slug {slug} 已在 {other} 中使用",
            "en": "The slug {slug} is already used by {other}",
        },
        "campaigns.slug_reserved": {
            "zh": "slug {slug} 为系统保留，请换一个",
            "en": "The slug {slug} is reserved; choose another",
        },
        "campaigns.demo_marking": {
            "zh": "演示活动的 slug 须以 demo- 开头、中文标题须含【演示】；非演示活动两者都不能有",
            "en": "A demo campaign's slug starts with demo- and its Chinese title carries 【演示】; "
            "a real campaign has neither",
        },
        "campaigns.dates_order": {
            "zh": "结束日期 {ends} 早于开始日期 {starts}",
            "en": "The end date {ends} is before the start date {starts}",
        },
        "campaigns.goal_positive": {"zh": "目标须大于 0（现为 {value}）", "en": "A goal must be > 0 (it is {value})"},
        "campaigns.goal_missing": {
            "zh": "至少需要一个目标（trees、kg 或 fen）",
            "en": "Give at least one goal (trees, kg or fen)",
        },
        "campaigns.modes_empty": {
            "zh": "至少需要一种参与方式（plant、donate、tend、volunteer）",
            "en": "Give at least one participation mode (plant, donate, tend, volunteer)",
        },
        "campaigns.mode_duplicate": {"zh": "参与方式 {mode} 重复", "en": "The mode {mode} is listed twice"},
        "campaigns.donation_price": {
            "zh": "参与方式含 donate 时须填写每棵树的价格 donation_fen_per_tree（单位：分，大于 0），否则不能填写",
            "en": "donation_fen_per_tree (fen, > 0) is required with the donate mode and only then",
        },
        "campaigns.species_unknown": {
            "zh": "不认识的树种 {species}；可选：{options}",
            "en": "Unknown species {species}; choose one of: {options}",
        },
        "campaigns.species_missing": {
            "zh": "参与方式含 plant 时至少需要一个树种",
            "en": "The plant mode needs at least one species",
        },
        "campaigns.species_duplicate": {"zh": "树种 {species} 重复", "en": "The species {species} is listed twice"},
        "campaigns.sites_missing": {
            "zh": "参与方式含 plant、tend 或 volunteer 时至少需要一个地点",
            "en": "The plant, tend and volunteer modes need at least one site",
        },
        "campaigns.site_duplicate": {"zh": "地点 {key} 重复", "en": "The site {key} is listed twice"},
        "campaigns.site_position": {
            "zh": "坐标 ({lon}, {lat}) 不在中国范围内（经度 73–136，纬度 3–54）",
            "en": "Position ({lon}, {lat}) is not in China (longitude 73–136, latitude 3–54)",
        },
        "campaigns.site_radius": {
            "zh": "签到半径须在 1–5000 米之间（现为 {value}）",
            "en": "The check-in radius must be 1–5000 m (it is {value})",
        },
        "campaigns.slot_capacity": {
            "zh": "名额须大于 0 且不超过 100000（现为 {value}）",
            "en": "Capacity must be > 0 and at most 100000 (it is {value})",
        },
        "campaigns.slot_times": {
            "zh": "时段结束 {ends} 不晚于开始 {starts}",
            "en": "The slot ends ({ends}) no later than it starts ({starts})",
        },
        "campaigns.slot_outside_dates": {
            "zh": "时段 {starts} 不在活动日期 {first}–{last} 内（北京时间）",
            "en": "The slot at {starts} lies outside the campaign dates {first}–{last} (Beijing time)",
        },
        "campaigns.slot_overlap": {
            "zh": "时段与同一地点的另一时段（{other}）重叠",
            "en": "The slot overlaps another slot of the same site ({other})",
        },
        "campaigns.organiser_unknown": {
            "zh": "没有编号为 {organiser} 的组织",
            "en": "There is no organisation {organiser}",
        },
        "campaigns.slot_capacity_below_booked": {
            "zh": "{site} 在 {starts} 的时段已有 {booked} 人预约，名额不能减到 {capacity}",
            "en": "The slot of {site} at {starts} has {booked} bookings; its capacity cannot drop to {capacity}",
        },
        "campaigns.slot_has_bookings": {
            "zh": "{site} 在 {starts} 的时段已有预约记录，不能删除",
            "en": "The slot of {site} at {starts} has bookings and cannot be removed",
        },
        "campaigns.site_has_bookings": {
            "zh": "地点 {site} 已有预约记录，不能删除",
            "en": "The site {site} has bookings and cannot be removed",
        },
        "campaigns.not_organiser": {
            "zh": "只有 {organisation} 的组织者可以编辑该活动",
            "en": "Only organisers of {organisation} may edit this campaign",
        },
        "campaigns.not_found": {"zh": "没有这个活动", "en": "No such campaign"},
        "campaigns.site_not_found": {"zh": "没有这个地点", "en": "No such site"},
        # booking
        "campaigns.slot_not_found": {"zh": "没有这个时段", "en": "No such slot"},
        "campaigns.slot_full": {
            "zh": "该时段 {capacity} 个名额已约满",
            "en": "All {capacity} places of this slot are taken",
        },
        "campaigns.slot_over": {"zh": "该时段已结束，不能再预约", "en": "This slot is over; it cannot be booked"},
        "campaigns.already_booked": {
            "zh": "您已预约了这个时段",
            "en": "You have already booked this slot",
        },
        "campaigns.booking_not_found": {"zh": "没有这个预约", "en": "No such booking"},
        "campaigns.booking_not_cancellable": {
            "zh": "预约状态为「{status}」，不能取消",
            "en": "The booking is {status}; it cannot be cancelled",
        },
        "campaigns.status.booked": {"zh": "已预约", "en": "booked"},
        "campaigns.status.cancelled": {"zh": "已取消", "en": "cancelled"},
        "campaigns.status.checked_in": {"zh": "已签到", "en": "checked in"},
        # check-in
        "campaigns.checkin.token_malformed": {
            "zh": "这不是签到二维码，请扫描签到点出示的二维码",
            "en": "This is not a check-in code; scan the QR shown at the site",
        },
        "campaigns.checkin.token_forged": {
            "zh": "签到二维码无效（签名不符）",
            "en": "The check-in code is not genuine (its signature does not match)",
        },
        "campaigns.checkin.token_other_site": {
            "zh": "这是另一个签到点的二维码；您预约的是 {site}",
            "en": "This code belongs to another site; your booking is at {site}",
        },
        "campaigns.checkin.token_expired": {
            "zh": "二维码已过期：它在 {valid_until}（北京时间）前有效，签到时间为 {at}；二维码每 {step} 秒更新，请扫描最新的",
            "en": "The code has expired: it was valid until {valid_until} (Beijing time), the check-in is at {at}; "
            "it changes every {step} s, scan the current one",
        },
        "campaigns.checkin.token_not_yet": {
            "zh": "扫码时间 {at} 早于该二维码的生成时间 {valid_from}（北京时间），记录的时间不可信",
            "en": "The scan time {at} is before the code existed ({valid_from}, Beijing time); the recorded time "
            "cannot be right",
        },
        "campaigns.checkin.outside_window": {
            "zh": "签到时间 {at} 不在签到时段 {opens}–{closes}（北京时间）内",
            "en": "Check-in at {at} is outside the check-in window {opens}–{closes} (Beijing time)",
        },
        "campaigns.checkin.too_far": {
            "zh": "距离签到点 {distance_zh}，超出 {radius_zh}范围",
            "en": "{distance_en} from the check-in point, beyond the {radius_en} allowed",
        },
        "campaigns.checkin.already": {
            "zh": "这个预约已于 {at}（北京时间）签到，不能重复签到",
            "en": "This booking was already checked in at {at} (Beijing time); it cannot check in twice",
        },
        "campaigns.checkin.not_booked": {
            "zh": "预约状态为「{status}」，不能签到",
            "en": "The booking is {status}; it cannot check in",
        },
        "campaigns.checkin.offline_too_late": {
            "zh": "离线签到须在扫码后 {hours} 小时内提交；扫码于 {at}（北京时间），已超时",
            "en": "An offline check-in must be submitted within {hours} h of the scan; it was scanned at {at} "
            "(Beijing time), too long ago",
        },
        "campaigns.checkin.captured_in_future": {
            "zh": "扫码时间 {at}（北京时间）晚于当前时间，请检查手机时间",
            "en": "The scan time {at} (Beijing time) is in the future; check the phone's clock",
        },
        "campaigns.checkin.daily_cap": {
            "zh": "每人每天（北京时间）最多签到 {cap} 次，{day} 的次数已用完，请明天再来",
            "en": "One person may check in at most {cap} times a day (Beijing time); {day}'s check-ins are used up, "
            "come back tomorrow",
        },
        # pages
        "campaigns.page.title": {"zh": "植树活动", "en": "Planting campaigns"},
        "campaigns.page.intro": {
            "zh": "预约一个时段，到现场扫码签到，参加义务植树。",
            "en": "Book a slot, scan the code at the site to check in, and plant trees.",
        },
        "campaigns.page.none": {"zh": "暂无活动。", "en": "No campaigns yet."},
        "campaigns.page.organiser": {"zh": "主办", "en": "Organiser"},
        "campaigns.page.dates": {"zh": "日期", "en": "Dates"},
        "campaigns.page.progress": {"zh": "进度", "en": "Progress"},
        "campaigns.page.goal.trees": {"zh": "植树", "en": "Trees"},
        "campaigns.page.share_poster": {"zh": "分享海报", "en": "Share poster"},
        "campaigns.poster.brand": {"zh": "微碳汇 · 植树活动", "en": "MicroSink · planting campaign"},
        "campaigns.poster.trees_unit": {"zh": " 棵", "en": " trees"},
        "campaigns.poster.scan": {"zh": "微信扫一扫，一起来植树", "en": "Scan with WeChat and plant with us"},
        "campaigns.page.goal.kg": {"zh": "碳汇", "en": "Carbon"},
        "campaigns.page.goal.fen": {"zh": "筹款", "en": "Funds"},
        "campaigns.page.trees_unit": {"zh": "{n} / {target} 棵", "en": "{n} / {target} trees"},
        "campaigns.page.progress_note": {
            "zh": "植树数来自组织者审核通过的植树记录，筹款数来自已付款的捐资；碳汇数在关联碳汇项目上线前保持为 0。",
            "en": "Trees come from planting logs the organiser approved and funds from paid donations; carbon "
            "stays 0 until the linked sink project arrives.",
        },
        "campaigns.page.participation": {
            "zh": "已预约 {bookings} 人次，已签到 {checkins} 人次",
            "en": "{bookings} bookings, {checkins} check-ins",
        },
        "campaigns.page.modes": {"zh": "参与方式", "en": "Ways to take part"},
        "campaigns.mode.plant": {"zh": "现场植树", "en": "Plant in person"},
        "campaigns.mode.donate": {"zh": "捐资认种（每棵 {price}）", "en": "Donate per tree ({price} each)"},
        "campaigns.mode.tend": {"zh": "抚育管护", "en": "Tend and maintain"},
        "campaigns.mode.volunteer": {"zh": "志愿服务", "en": "Volunteer hours"},
        "campaigns.page.species": {"zh": "树种", "en": "Species"},
        "campaigns.page.sites": {"zh": "地点与时段", "en": "Sites and slots"},
        "campaigns.page.map_note": {
            "zh": "示意图：各签到点的相对位置（北方朝上），不含底图。",
            "en": "Sketch: the check-in points' relative positions (north up), no base map.",
        },
        "campaigns.page.radius": {"zh": "签到范围 {radius} 米", "en": "Check-in within {radius} m"},
        "campaigns.page.window": {
            "zh": "签到：开始前 {before} 分钟至结束后 {after} 分钟",
            "en": "Check-in: from {before} min before start to {after} min after the end",
        },
        "campaigns.page.places_left": {"zh": "剩余 {left} / {capacity}", "en": "{left} of {capacity} left"},
        "campaigns.page.book": {"zh": "预约", "en": "Book"},
        "campaigns.page.full": {"zh": "已约满", "en": "Full"},
        "campaigns.page.over": {"zh": "已结束", "en": "Over"},
        "campaigns.page.sign_in_to_book": {"zh": "登录后预约", "en": "Sign in to book"},
        "campaigns.page.no_slots": {"zh": "暂无可预约时段", "en": "No slots to book"},
        "campaigns.page.mine": {"zh": "我的预约", "en": "My bookings"},
        "campaigns.page.cancel": {"zh": "取消预约", "en": "Cancel"},
        "campaigns.page.booked_notice": {"zh": "预约成功。", "en": "Booked."},
        "campaigns.page.cancelled_notice": {
            "zh": "已取消预约，名额已退回。",
            "en": "Cancelled; the place is free again.",
        },
        "campaigns.page.checkin_hint": {
            "zh": "到达地点后，用小程序扫描现场的签到二维码（无信号时可离线扫码，72 小时内联网提交）。",
            "en": "At the site, scan the check-in QR with the mini-app (offline works too: submit within 72 hours).",
        },
        "campaigns.page.demo": {"zh": "演示", "en": "Demo"},
        "campaigns.page.checkin_title": {"zh": "签到二维码", "en": "Check-in code"},
        "campaigns.page.checkin_explain": {
            "zh": "请参与者用小程序扫描。二维码每 {step} 秒更新一次，页面会自动刷新；当前码有效至 {until}（北京时间）。",
            "en": "Participants scan this with the mini-app. It changes every {step} s and the page refreshes itself; "
            "this code is valid until {until} (Beijing time).",
        },
        "campaigns.page.back": {"zh": "返回活动", "en": "Back to the campaign"},
    }
)
