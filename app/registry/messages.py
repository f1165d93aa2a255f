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
    }
)
