"""User-facing text of the footprint domain (zh first, en): refusals that name the limit, page labels."""

from app.core.i18n import register_messages

register_messages(
    {
        # ---- errors --------------------------------------------------------------------------------------
        "footprint.version_not_found": {
            "zh": "没有排放因子版本 {version}（现有版本：{known}）",
            "en": "There is no emission-factor version {version} (versions: {known})",
        },
        "footprint.unknown_place": {
            "zh": "不认识的地点 {place}；请从预设列表中选择",
            "en": "Unknown place {place}; choose one from the preset list",
        },
        "footprint.no_route": {
            "zh": "预设列表中没有 {origin} 到 {destination} 的距离；请直接填写公里数",
            "en": "The preset list has no distance from {origin} to {destination}; type the kilometres instead",
        },
        "footprint.distance_or_places": {
            "zh": "请填写单程距离（公里），或同时选择出发地和目的地",
            "en": "Give the one-way distance in km, or choose both an origin and a destination",
        },
        "footprint.positive_number": {
            "zh": "{field} 须为大于 0 的数字，输入为 {given}",
            "en": "{field} must be a number above 0: {given} given",
        },
        "footprint.non_negative_number": {
            "zh": "{field} 须为不小于 0 的数字，输入为 {given}",
            "en": "{field} must be a number of at least 0: {given} given",
        },
        "footprint.too_many_decimals": {
            "zh": "{field} 最多保留 {places} 位小数",
            "en": "{field} may have at most {places} decimal places",
        },
        "footprint.unknown_commute_mode": {
            "zh": "不认识的通勤方式 {mode}；可选：{options}",
            "en": "Unknown commuting mode {mode}; choose one of: {options}",
        },
        "footprint.nothing_entered": {
            "zh": "没有可计算的排放：请至少填写一项用电、出行或住宿",
            "en": "Nothing to compute: enter at least some electricity, travel or hotel nights",
        },
        # ---- validity limits: each names the limit and the value given ----------------------------------
        "footprint.limit.distance_km_max": {
            "zh": "单程距离不得超过 {limit} 公里，输入为 {given} 公里",
            "en": "The one-way distance may not exceed {limit} km: {given} km given",
        },
        "footprint.limit.people_max": {
            "zh": "一次行程最多 {limit} 人，输入为 {given} 人；团队请用活动计算器",
            "en": "A trip may have at most {limit} people: {given} given; use the event calculator for groups",
        },
        "footprint.limit.vehicles_max": {
            "zh": "一次行程最多 {limit} 辆车，输入为 {given} 辆",
            "en": "A trip may use at most {limit} cars: {given} given",
        },
        "footprint.limit.hotel_nights_max": {
            "zh": "住宿最多 {limit} 晚，输入为 {given} 晚",
            "en": "At most {limit} hotel nights: {given} given",
        },
        "footprint.limit.hotel_rooms_max": {
            "zh": "每晚最多 {limit} 间房，输入为 {given} 间",
            "en": "At most {limit} rooms a night: {given} given",
        },
        "footprint.limit.days_max": {
            "zh": "天数最多 {limit} 天（一年），输入为 {given} 天",
            "en": "At most {limit} days (a year): {given} given",
        },
        "footprint.limit.electricity_kwh_per_day_max": {
            "zh": "每天用电不得超过 {limit} 千瓦时，输入为 {given} 千瓦时",
            "en": "Electricity may not exceed {limit} kWh a day: {given} kWh given",
        },
        "footprint.limit.commute_km_per_day_max": {
            "zh": "每天通勤不得超过 {limit} 公里，输入为 {given} 公里",
            "en": "Commuting may not exceed {limit} km a day: {given} km given",
        },
        "footprint.limit.attendees_max": {
            "zh": "参会人数最多 {limit} 人，输入为 {given} 人",
            "en": "At most {limit} attendees: {given} given",
        },
        "footprint.limit.event_days_max": {
            "zh": "活动最多 {limit} 天，输入为 {given} 天",
            "en": "An event may last at most {limit} days: {given} given",
        },
        "footprint.limit.venue_kwh_per_day_max": {
            "zh": "场馆每天用电不得超过 {limit} 千瓦时，输入为 {given} 千瓦时",
            "en": "Venue electricity may not exceed {limit} kWh a day: {given} kWh given",
        },
        "footprint.limit.event_room_nights_max": {
            "zh": "住宿间夜最多 {limit}，输入为 {given}",
            "en": "At most {limit} room-nights: {given} given",
        },
        "footprint.limit.travel_groups_max": {
            "zh": "出行方式最多 {limit} 组，输入为 {given} 组",
            "en": "At most {limit} travel groups: {given} given",
        },
        "footprint.limit.travellers_exceed_attendees": {
            "zh": "乘客人数合计 {given} 人，超过参会人数 {limit} 人",
            "en": "The travellers add up to {given}, more than the {limit} attendees",
        },
        # ---- line items and units --------------------------------------------------------------------
        "footprint.item.air": {"zh": "飞机", "en": "Flight"},
        "footprint.item.rail": {"zh": "火车", "en": "Train"},
        "footprint.item.coach": {"zh": "大巴", "en": "Coach"},
        "footprint.item.bus": {"zh": "公交", "en": "Bus"},
        "footprint.item.metro": {"zh": "地铁", "en": "Metro"},
        "footprint.item.car": {"zh": "小汽车", "en": "Car"},
        "footprint.item.hotel": {"zh": "酒店住宿", "en": "Hotel"},
        "footprint.item.electricity": {"zh": "家庭用电", "en": "Household electricity"},
        "footprint.item.venue_electricity": {"zh": "场馆用电", "en": "Venue electricity"},
        "footprint.unit.passenger_km": {"zh": "人公里", "en": "passenger-km"},
        "footprint.unit.vehicle_km": {"zh": "车公里", "en": "vehicle-km"},
        "footprint.unit.room_night": {"zh": "间夜", "en": "room-nights"},
        "footprint.unit.kwh": {"zh": "千瓦时", "en": "kWh"},
        # ---- notes on a result ------------------------------------------------------------------------
        "footprint.note.preset_distance": {
            "zh": "距离取自预设地点（县城）之间的大圆距离，是近似值；知道实际里程请直接填写",
            "en": "The distance is the great-circle distance between preset places (county seats), an approximation; type the real distance if you know it",
        },
        "footprint.note.routing_factor": {
            "zh": "地面出行的预设距离乘以绕行系数 1.3；该系数是本计算器的设计取值，未经公开来源核实",
            "en": "Preset distances by land are multiplied by a routing factor of 1.3, a design choice of this calculator not verified against a published source",
        },
        "footprint.note.proxy": {
            "zh": "部分因子来自英国政府（DESNZ）发布的数据，因为未找到中国官方的对应因子；详见每行来源",
            "en": "Some factors are UK government (DESNZ) values used because no Chinese official factor was found; see each line's source",
        },
        "footprint.note.unverified": {
            "zh": "有因子未能在公开来源中核实，已在该行标出",
            "en": "Some factors could not be verified against a published source; they are marked on their line",
        },
        # ---- pages ------------------------------------------------------------------------------------
        "footprint.page.title": {"zh": "碳足迹计算器", "en": "Footprint calculator"},
        "footprint.page.lead": {
            "zh": "算一算一次出行、日常生活或一场活动排放了多少二氧化碳，再用林草碳汇抵消。",
            "en": "Work out the CO2 of a trip, your everyday life or an event, then offset it with forest and grassland sinks.",
        },
        "footprint.kind.trip": {"zh": "出行", "en": "Trip"},
        "footprint.kind.day": {"zh": "日常生活", "en": "Everyday life"},
        "footprint.kind.event": {"zh": "活动", "en": "Event"},
        "footprint.about.trip": {
            "zh": "飞机、火车、大巴或自驾，加上酒店住宿",
            "en": "Plane, train, coach or car, plus hotel nights",
        },
        "footprint.about.day": {
            "zh": "家庭用电和通勤，按天或按一年",
            "en": "Household electricity and commuting, for a day or a year",
        },
        "footprint.about.event": {
            "zh": "场馆用电、住宿和参会者往返交通",
            "en": "Venue electricity, hotel nights and attendees' travel there and back",
        },
        "footprint.field.mode": {"zh": "交通方式", "en": "Transport"},
        "footprint.mode.air": {"zh": "飞机", "en": "Plane"},
        "footprint.mode.rail": {"zh": "火车（高铁/动车/普速）", "en": "Train (high-speed or conventional)"},
        "footprint.mode.coach": {"zh": "长途/旅游大巴", "en": "Coach"},
        "footprint.mode.bus": {"zh": "城市公交", "en": "City bus"},
        "footprint.mode.metro": {"zh": "地铁/轻轨", "en": "Metro / light rail"},
        "footprint.mode.car_petrol": {"zh": "自驾（汽油车）", "en": "Car (petrol)"},
        "footprint.mode.car_diesel": {"zh": "自驾（柴油车）", "en": "Car (diesel)"},
        "footprint.mode.car_hybrid": {"zh": "自驾（油电混合）", "en": "Car (hybrid)"},
        "footprint.field.origin": {"zh": "出发地", "en": "From"},
        "footprint.field.destination": {"zh": "目的地", "en": "To"},
        "footprint.field.choose": {"zh": "请选择", "en": "Choose"},
        "footprint.field.distance_km": {"zh": "或直接填写单程距离（公里）", "en": "Or the one-way distance (km)"},
        "footprint.field.people": {"zh": "人数", "en": "People"},
        "footprint.field.vehicles": {"zh": "车辆数（自驾时）", "en": "Cars (when driving)"},
        "footprint.field.return_trip": {"zh": "往返", "en": "Return trip"},
        "footprint.field.hotel_nights": {"zh": "住宿晚数", "en": "Hotel nights"},
        "footprint.field.hotel_rooms": {"zh": "每晚房间数", "en": "Rooms a night"},
        "footprint.field.radiative_forcing": {
            "zh": "飞机计入辐射强迫（推荐）",
            "en": "Include radiative forcing for flights (recommended)",
        },
        "footprint.field.days": {"zh": "天数（一年填 365）", "en": "Days (365 for a year)"},
        "footprint.field.electricity_kwh_per_day": {"zh": "每天用电（千瓦时）", "en": "Electricity a day (kWh)"},
        "footprint.field.commute": {"zh": "每天通勤距离（公里）", "en": "Commuting a day (km)"},
        "footprint.field.attendees": {"zh": "参会人数", "en": "Attendees"},
        "footprint.field.event_days": {"zh": "活动天数", "en": "Event days"},
        "footprint.field.venue_kwh_per_day": {"zh": "场馆每天用电（千瓦时）", "en": "Venue electricity a day (kWh)"},
        "footprint.field.hotel_room_nights": {"zh": "住宿间夜总数", "en": "Hotel room-nights in total"},
        "footprint.field.travel_group": {"zh": "参会者交通 第 {n} 组", "en": "Attendee travel, group {n}"},
        "footprint.field.count": {
            "zh": "人数（自驾填车辆数）",
            "en": "People (cars, for car modes)",
        },
        "footprint.field.group_distance": {"zh": "单程距离（公里）", "en": "One-way distance (km)"},
        "footprint.page.optional": {"zh": "（选填）", "en": "(optional)"},
        "footprint.page.calculate": {"zh": "计算", "en": "Calculate"},
        "footprint.page.back": {"zh": "修改", "en": "Change the inputs"},
        "footprint.page.all_kinds": {"zh": "全部计算器", "en": "All calculators"},
        "footprint.page.result": {"zh": "计算结果", "en": "Result"},
        "footprint.page.total": {"zh": "排放合计", "en": "Total emissions"},
        "footprint.page.offset": {"zh": "需抵消（向上取整）", "en": "To offset (rounded up)"},
        "footprint.page.buy": {"zh": "购买 {kg} 千克碳汇抵消", "en": "Buy {kg} kg of sink credits"},
        "footprint.page.breakdown": {"zh": "明细", "en": "Breakdown"},
        "footprint.page.factor": {"zh": "因子", "en": "Factor"},
        "footprint.page.source": {"zh": "来源", "en": "Source"},
        "footprint.page.verified": {"zh": "已核实（{how}）", "en": "verified ({how})"},
        "footprint.page.unverified": {"zh": "未核实", "en": "unverified"},
        "footprint.page.proxy": {"zh": "英国数据替代", "en": "UK proxy"},
        "footprint.page.verification.primary": {"zh": "原文", "en": "primary text"},
        "footprint.page.verification.reproduction": {"zh": "转载/复制件", "en": "reproduction"},
        "footprint.page.verification.design": {"zh": "设计取值", "en": "design choice"},
        "footprint.page.record": {"zh": "计算依据", "en": "Computed with"},
        "footprint.page.factor_file": {"zh": "排放因子文件", "en": "Emission-factor file"},
        "footprint.page.caveat": {
            "zh": "这是按公开排放因子做的估算，不是核查过的排放清单；用餐和物料未计入（没有找到可核实的公开因子）。",
            "en": "An estimate from published factors, not an audited inventory; meals and materials are not counted (no verifiable published factor was found).",
        },
        "footprint.page.factors_link": {"zh": "查看全部排放因子及来源", "en": "All emission factors and their sources"},
        "footprint.page.kg": {"zh": "千克", "en": "kg"},
    }
)
