"""The registry's user-facing texts, Chinese first."""

from app.core.i18n import register_messages

register_messages(
    {
        # geometry
        "registry.crs_unknown": {
            "zh": "坐标系 {crs} 不受支持，可选：{choices}",
            "en": "Coordinate system {crs} is not supported; choose one of {choices}",
        },
        "registry.geometry_type": {
            "zh": "地块边界须为 GeoJSON 的 Polygon 或 MultiPolygon（收到：{kind}）",
            "en": "The parcel outline must be a GeoJSON Polygon or MultiPolygon (got: {kind})",
        },
        "registry.geometry_malformed": {
            "zh": "地块边界格式有误：{where} 不是 [经度, 纬度] 数值",
            "en": "Malformed outline: {where} is not a [longitude, latitude] pair of numbers",
        },
        "registry.geometry_ring_too_short": {
            "zh": "{where} 只有 {count} 个点，一个闭合边界至少需要 4 个点（首尾相同）",
            "en": "{where} has {count} positions; a closed ring needs at least 4 (first = last)",
        },
        "registry.geometry_ring_open": {
            "zh": "{where} 没有闭合：最后一个点须与第一个点相同",
            "en": "{where} is not closed: its last position must equal its first",
        },
        "registry.geometry_too_many_vertices": {
            "zh": "边界有 {count} 个顶点，超过上限 {limit} 个",
            "en": "The outline has {count} vertices, more than the limit of {limit}",
        },
        "registry.geometry_out_of_bounds": {
            "zh": "坐标 ({lon}, {lat}) 超出允许范围（西,南,东,北 = {bounds}）",
            "en": "Position ({lon}, {lat}) lies outside the allowed area (west,south,east,north = {bounds})",
        },
        "registry.geometry_self_intersection": {
            "zh": "地块边界自相交（位置约 {at}），请重新勾画",
            "en": "The outline crosses itself (near {at}); please draw it again",
        },
        "registry.geometry_invalid": {
            "zh": "地块边界无效：{reason}",
            "en": "The outline is not a valid shape: {reason}",
        },
        "registry.geometry_area_out_of_range": {
            "zh": "地块面积 {area} 平方米超出允许范围（{min}–{max} 平方米）",
            "en": "The parcel's area of {area} m² is outside the allowed range ({min}–{max} m²)",
        },
        "registry.overlap": {
            "zh": "该地块与 {other} 重叠 {area_m2} 平方米（{area_mu} 亩），超过允许的 {tolerance_m2} 平方米，不能登记",
            "en": "This parcel overlaps {other} by {area_m2} m² ({area_mu} mu), more than the {tolerance_m2} m² allowed",
        },
        # fields
        "registry.species_percent": {
            "zh": "树种组成比例之和须为 100%（现为 {total}%）",
            "en": "Species shares must add up to 100% (they add up to {total}%)",
        },
        "registry.planting_year_future": {
            "zh": "造林年份 {year} 尚未到来",
            "en": "Planting year {year} is in the future",
        },
        "registry.stand_age_needed": {
            "zh": "林地和竹林须填写造林年份或林龄",
            "en": "Forest and bamboo parcels need a planting year or a stand age",
        },
        "registry.stand_volume_range": {
            "zh": "蓄积量 {value} 须在 0–3000 立方米/公顷之间，最多两位小数",
            "en": "Stand volume {value} must be between 0 and 3000 m³/ha with at most two decimals",
        },
        "registry.measurement_in_future": {"zh": "测量日期不能晚于今天", "en": "The measurement date is in the future"},
        "registry.measurement_duplicate": {
            "zh": "该地块 {date} 已有一次测量",
            "en": "This parcel already has a measurement on {date}",
        },
        # projects, parcels, permissions
        "registry.project_not_found": {"zh": "找不到该项目", "en": "No such project"},
        "registry.parcel_not_found": {"zh": "找不到该地块", "en": "No such parcel"},
        "registry.estimate_not_found": {"zh": "该地块还没有估算", "en": "This parcel has no estimate yet"},
        "registry.measurement_parcel_not_covered": {
            "zh": "测量值所属地块 {parcel} 不在本次监测报告覆盖的地块中",
            "en": "The measurement's parcel {parcel} is not one of the parcels this monitoring report covers",
        },
        "registry.measurement_not_used": {
            "zh": "方法学 {methodology_id} 不使用蓄积量测量值",
            "en": "Methodology {methodology_id} does not use stand-volume measurements",
        },
        "registry.estimate_held": {
            "zh": "地块 {parcel} 的实测增量超过合理性阈值，估算待复核，暂不能据此签发",
            "en": "Parcel {parcel}: the measured increment is above the plausibility trigger; its estimate is held for review and cannot be issued on",
        },
        "registry.estimate_stale": {
            "zh": "地块 {parcel} 的估算已更新（报告使用 {used}，现为 {current}），请重新提交监测报告",
            "en": "Parcel {parcel} has a newer estimate (the report used {used}, now {current}): the monitoring report must be resubmitted",
        },
        "registry.not_your_project": {"zh": "这不是您（或您所在集体）的项目", "en": "This is not your project"},
        "registry.not_individual_smallholder": {
            "zh": "您没有以个人（农户）身份登记的林农/牧民角色；请选择您所在的集体或合作社",
            "en": "You do not hold the smallholder role as an individual household; name your collective or cooperative",
        },
        "registry.not_smallholder_of_org": {
            "zh": "您不是该集体或合作社的林农/牧民成员",
            "en": "You are not a smallholder member of that collective or cooperative",
        },
        "registry.not_editable": {
            "zh": "项目状态为「{status}」，地块只能在草稿或退回状态下修改",
            "en": "The project is {status}; parcels can be changed only while it is draft or returned",
        },
        "registry.no_parcels": {"zh": "项目还没有地块，不能提交", "en": "Add a parcel before submitting the project"},
        "registry.illegal_transition": {
            "zh": "项目当前状态为「{status}」，不能执行「{action}」（目标状态「{to}」）",
            "en": "The project is {status}: it cannot {action} (to {to})",
        },
        "registry.own_project_review": {
            "zh": "不能审核自己或本集体的项目",
            "en": "You cannot review your own project",
        },
        "registry.not_your_review": {
            "zh": "该项目正由另一位审核员审核",
            "en": "Another verifier is reviewing this project",
        },
        # estimates
        "registry.sink_type_mismatch": {
            "zh": "方法学 {methodology_id} 只适用于「{expected}」地块，不能登记「{sink_type}」地块",
            "en": "Methodology {methodology_id} takes {expected} parcels only, not {sink_type}",
        },
        "registry.unknown_species": {
            "zh": "树种「{species}」不在方法学参数表中；可选：{known}",
            "en": "Species {species} is not in the methodology's parameter table; known: {known}",
        },
        "registry.fact_is_a_parcel_field": {
            "zh": "{fact} 取自地块本身（{field}），不能在 methodology_facts 中填写",
            "en": "{fact} comes from the parcel itself ({field}), not from methodology_facts",
        },
        "registry.fact_unknown": {
            "zh": "方法学 {methodology_id} 没有输入项 {fact}；可填：{allowed}",
            "en": "Methodology {methodology_id} has no input {fact}; it takes: {allowed}",
        },
        "registry.fact_invalid": {
            "zh": "methodology_facts.{fact} 有误：{problem}",
            "en": "methodology_facts.{fact} is invalid: {problem}",
        },
        "registry.estimate_input_missing": {
            "zh": "还不能估算碳汇量：缺少 {field}",
            "en": "No estimate yet: {field} is missing",
        },
        # import
        "registry.import_unreadable": {
            "zh": "无法读取文件：须为 GeoJSON FeatureCollection（{reason}）",
            "en": "Unreadable file: it must be a GeoJSON FeatureCollection ({reason})",
        },
        # pages
        "registry.page.project": {"zh": "碳汇项目", "en": "Carbon sink project"},
        "registry.page.parcel": {"zh": "地块", "en": "Parcel"},
        "registry.page.parcels": {"zh": "地块", "en": "Parcels"},
        "registry.page.status": {"zh": "状态", "en": "Status"},
        "registry.page.county": {"zh": "区县代码", "en": "County code"},
        "registry.page.methodology": {"zh": "方法学", "en": "Methodology"},
        "registry.page.area": {"zh": "面积", "en": "Area"},
        "registry.page.total_area": {"zh": "总面积", "en": "Total area"},
        "registry.page.sink_type": {"zh": "碳汇类型", "en": "Sink type"},
        "registry.page.species": {"zh": "树种 / 组成", "en": "Species"},
        "registry.page.holder": {"zh": "权利人", "en": "Holder"},
        "registry.page.tenure": {"zh": "权属证书", "en": "Tenure document"},
        "registry.page.planted": {"zh": "造林年份 / 林龄", "en": "Planted / stand age"},
        "registry.page.elevation": {"zh": "海拔", "en": "Elevation"},
        "registry.page.outline_note": {
            "zh": "边界按 WGS84 经纬度绘制，北向上；无底图。",
            "en": "Outline drawn from WGS84 longitude/latitude, north up; no base map.",
        },
        "registry.page.audit_note": {
            "zh": "每一次状态变化都记入公开的审计链。",
            "en": "Every change of state is recorded in the public audit chain.",
        },
        "registry.page.age_years": {"zh": "{n} 年生", "en": "{n} years old"},
        "registry.page.estimate": {"zh": "碳汇量估算", "en": "Sink estimate"},
        "registry.page.per_year": {"zh": "/年", "en": "/yr"},
        "registry.page.estimate_none": {"zh": "暂无估算", "en": "No estimate yet"},
        "registry.page.held": {
            "zh": "实测增量超过合理性阈值，核实前不显示数值",
            "en": "The measured increment is above the plausibility trigger: no number until reviewed",
        },
        "registry.page.buffer": {"zh": "另有 {kg} 计入风险缓冲池", "en": "{kg} more withheld for the buffer pool"},
        "registry.page.method_version": {"zh": "方法学及版本", "en": "Methodology and version"},
        "registry.page.param_hash": {"zh": "参数文件 SHA-256", "en": "Parameter file SHA-256"},
        "registry.page.inputs_hash": {"zh": "输入与边界 SHA-256", "en": "Inputs and outline SHA-256"},
        "registry.page.accounting_year": {"zh": "核算年份", "en": "Accounting year"},
        "registry.page.calculator_link": {"zh": "查看计算方法与参数来源", "en": "How it is calculated, with sources"},
        "registry.page.estimate_json": {"zh": "完整估算记录（JSON）", "en": "Full estimate record (JSON)"},
        "registry.page.total_estimate": {"zh": "估算碳汇量合计", "en": "Estimated removal, total"},
        "registry.home.title": {"zh": "碳汇登记簿", "en": "Sink registry"},
        "registry.home.lead": {
            "zh": "已通过审核的林农、牧民和集体碳汇项目。每一千克都可追溯到地块、方法学版本和参数文件。",
            "en": "Approved micro-sink projects of smallholders and collectives. Every kg traces to a parcel, "
            "a methodology version and its parameter file.",
        },
        "registry.home.totals": {"zh": "总计", "en": "Totals"},
        "registry.home.by_county": {"zh": "按区县", "en": "By county"},
        "registry.home.by_sink_type": {"zh": "按碳汇类型", "en": "By sink type"},
        "registry.home.by_methodology": {"zh": "按方法学版本", "en": "By methodology version"},
        "registry.home.county": {"zh": "区县", "en": "County"},
        "registry.home.parcels": {"zh": "地块数", "en": "Parcels"},
        "registry.home.area": {"zh": "面积", "en": "Area"},
        "registry.home.area_mu": {"zh": "面积（亩）", "en": "Area (mu)"},
        "registry.home.kg": {"zh": "估算（千克/年）", "en": "Estimate (kg/yr)"},
        "registry.home.recent": {"zh": "最近通过的项目", "en": "Recently approved projects"},
        "registry.home.none": {"zh": "还没有通过审核的项目。", "en": "No approved projects yet."},
        "registry.home.open_data": {"zh": "开放数据下载", "en": "Open data"},
        "registry.home.open_data_note": {
            "zh": "已通过地块的 CSV 和 GeoJSON，权利人姓名已脱敏，字段说明见文档 docs/open-data.md。",
            "en": "Approved parcels as CSV and GeoJSON, holder names pseudonymised; schema in docs/open-data.md.",
        },
        "registry.home.held_note": {
            "zh": "另有 {n} 个地块的实测增量待核实，未计入合计。",
            "en": "{n} parcels with a measured increment awaiting review are not counted.",
        },
        "registry.home.ex_ante_note": {
            "zh": "估算为事前（预期）或经核实测量的事后数值，签发碳汇量以核证签发为准。",
            "en": "Estimates are ex-ante (expected) or ex-post from verified measurements; credits count only once issued.",
        },
        "registry.status.draft": {"zh": "草稿", "en": "Draft"},
        "registry.status.submitted": {"zh": "已提交", "en": "Submitted"},
        "registry.status.under_review": {"zh": "审核中", "en": "Under review"},
        "registry.status.approved": {"zh": "已通过", "en": "Approved"},
        "registry.status.returned": {"zh": "已退回", "en": "Returned"},
        "registry.sink.afforestation": {"zh": "造林碳汇", "en": "Afforestation"},
        "registry.sink.forest_management": {"zh": "森林经营碳汇", "en": "Forest management"},
        "registry.sink.bamboo": {"zh": "竹林碳汇", "en": "Bamboo"},
        "registry.sink.grassland": {"zh": "草地碳汇", "en": "Grassland"},
        "registry.sink.wetland": {"zh": "湿地碳汇", "en": "Wetland"},
        "registry.tenure.forest_right_certificate": {"zh": "林权证", "en": "Forest right certificate"},
        "registry.tenure.real_estate_certificate": {"zh": "不动产权证书", "en": "Real estate title"},
        "registry.tenure.grassland_contract": {"zh": "草原承包经营权证", "en": "Grassland contract certificate"},
        "registry.tenure.land_contract": {"zh": "土地承包经营权证", "en": "Land contract certificate"},
        "registry.tenure.collective_agreement": {"zh": "集体经营协议", "en": "Collective agreement"},
        "registry.tenure.other": {"zh": "其他", "en": "Other"},
        "registry.holder.individual": {"zh": "个人（农户）", "en": "Individual household"},
        "registry.holder.collective": {"zh": "集体 / 合作社", "en": "Collective / cooperative"},
        # photos
        "registry.photo_cap": {
            "zh": "每个地块最多 {limit} 张照片，请先删除不需要的照片",
            "en": "A parcel holds at most {limit} photos; delete one first",
        },
        "registry.page.photos": {"zh": "现场照片", "en": "Photos"},
        "registry.page.photo_alt": {"zh": "地块现场照片 {n}", "en": "Photo {n} of the parcel"},
        "registry.page.photos_note": {
            "zh": "照片已去除位置等全部元数据；只显示拍摄点与地块的距离。",
            "en": "Photos are served without location or any other metadata; only their distance from the parcel is shown.",
        },
        "registry.photo.place_inside": {"zh": "拍摄于地块内", "en": "Taken inside the parcel"},
        "registry.photo.place_within": {"zh": "拍摄于地块 {m} 米范围内", "en": "Taken within {m} m of the parcel"},
        "registry.photo.place_far": {"zh": "拍摄位置距地块超过 {m} 米", "en": "Taken more than {m} m from the parcel"},
        "registry.photo.place_unknown": {"zh": "照片无位置信息", "en": "No location in the photo"},
    }
)
