"""User-facing text of the methodology domain (zh first, en): refusals that name the limit, page labels."""

from app.core.i18n import register_messages

register_messages(
    {
        # ---- errors --------------------------------------------------------------------------------------
        "methodology.not_found": {
            "zh": "没有方法学 {methodology_id}",
            "en": "There is no methodology {methodology_id}",
        },
        "methodology.version_not_found": {
            "zh": "方法学 {methodology_id} 没有版本 {version}（现有版本：{known}）",
            "en": "Methodology {methodology_id} has no version {version} (versions: {known})",
        },
        "methodology.unknown_species": {
            "zh": "不认识的树种 {species}；可选：{options}",
            "en": "Unknown species {species}; choose one of: {options}",
        },
        "methodology.wrong_inputs": {
            "zh": "输入与方法学 {methodology_id} 不符",
            "en": "These inputs do not belong to methodology {methodology_id}",
        },
        "methodology.invalid_inputs": {"zh": "输入有误：{problem}", "en": "Invalid input: {problem}"},
        "methodology.hash_mismatch": {
            "zh": "参数文件已变化（记录的 SHA-256 为 {recorded}，现为 {current}），无法按原版本重算",
            "en": "The parameter file changed (recorded SHA-256 {recorded}, now {current}); cannot recompute",
        },
        # ---- validity limits: each names the limit, its parameter key and the value given ----------------
        "methodology.limit.max_listing_area": {
            "zh": "面积超过单个微碳汇上限 {limit} 亩（{limit_key}），输入为 {given} 亩；更大的地块请申报 CCER 或省级项目",
            "en": "Area above the micro-sink limit of {limit} 亩 ({limit_key}): {given} 亩 given; larger holdings belong in a CCER or provincial project",
        },
        "methodology.limit.min_listing_area": {
            "zh": "面积低于下限 {limit} 亩（{limit_key}），输入为 {given} 亩",
            "en": "Area below the minimum of {limit} 亩 ({limit_key}): {given} 亩 given",
        },
        "methodology.limit.min_area_ha": {
            "zh": "连续面积须不小于 {limit} 公顷（1 亩，{limit_key}），输入为 {given} 亩（{given_ha} 公顷）",
            "en": "Contiguous area must be at least {limit} ha (1 亩, {limit_key}): {given} 亩 ({given_ha} ha) given",
        },
        "methodology.limit.afforestation_min_plot_area": {
            "zh": "造林地块连续面积须不小于 {limit} 平方米（{limit_key}），输入为 {given_mu} 亩（{given} 平方米）",
            "en": "An afforestation plot must be at least {limit} m² contiguous ({limit_key}): {given_mu} 亩 ({given} m²) given",
        },
        "methodology.limit.non_forest_years": {
            "zh": "造林前土地须至少 {limit} 年不符合森林定义（{limit_key}），输入为 {given} 年",
            "en": "The land must have been non-forest for at least {limit} years before planting ({limit_key}): {given} given",
        },
        "methodology.limit.max_shrub_removal": {
            "zh": "清除灌木的面积不得超过地块的 {limit}%（{limit_key}），输入为 {given}%",
            "en": "Shrub removal may not exceed {limit}% of the plot ({limit_key}): {given}% given",
        },
        "methodology.limit.economic_forest": {
            "zh": "经济林（果园、油茶等）不适用造林碳汇方法学",
            "en": "Economic forest (orchards, oil tea …) is not eligible for afforestation",
        },
        "methodology.limit.on_wetland": {
            "zh": "湿地上的造林不适用本方法学",
            "en": "Planting on wetland is not eligible",
        },
        "methodology.limit.eucalyptus_rotation": {
            "zh": "桉树申报轮伐期不得超过 {limit} 年（{limit_key}），输入为 {given} 年",
            "en": "A declared eucalyptus rotation may not exceed {limit} years ({limit_key}): {given} given",
        },
        "methodology.limit.eucalyptus_age": {
            "zh": "桉树只在申报轮伐期 {limit} 年内计入（{limit_key}），输入林龄 {given} 年已到期",
            "en": "Eucalyptus is credited only within its declared rotation of {limit} years ({limit_key}): stand age {given} given",
        },
        "methodology.limit.measurement_required": {
            "zh": "林龄超过 {limit} 年没有默认生长量（{limit_key}），需提供两次蓄积测量；输入林龄 {given} 年",
            "en": "No growth default beyond stand age {limit} ({limit_key}); two volume measurements are needed: stand age {given} given",
        },
        "methodology.limit.two_measurements": {
            "zh": "蓄积量差法需要恰好两次测量，收到 {given} 次",
            "en": "The stock-difference method needs exactly two measurements: {given} given",
        },
        "methodology.limit.min_inventory_interval": {
            "zh": "两次蓄积测量须至少相隔 {limit} 年（{limit_key}），输入相隔 {given} 年",
            "en": "Two volume measurements must be at least {limit} year(s) apart ({limit_key}): {given} given",
        },
        "methodology.limit.min_canopy_cover": {
            "zh": "郁闭度须不低于 {limit}（{limit_key}），输入为 {given}",
            "en": "Canopy cover must be at least {limit} ({limit_key}): {given} given",
        },
        "methodology.limit.min_stand_age": {
            "zh": "森林经营要求林龄不小于 {limit} 年（{limit_key}），输入为 {given} 年；更年轻的林分请用造林方法学",
            "en": "Managed forest needs a stand age of at least {limit} years ({limit_key}): {given} given; younger stands use afforestation",
        },
        "methodology.limit.over_mature": {
            "zh": "过熟林没有可靠的净生长，不适用森林经营方法学",
            "en": "Over-mature stands have no reliable net growth and are not eligible",
        },
        "methodology.limit.stand_age_required": {
            "zh": "新造竹林需填写竹林年龄（stand_age）",
            "en": "A new bamboo planting needs its age (stand_age)",
        },
        "methodology.limit.peat_soil": {
            "zh": "泥炭土草地请使用湿地方法学 SC-LCP-WET",
            "en": "Grassland on peat soil uses the wetland methodology SC-LCP-WET",
        },
        "methodology.limit.herd_displaced": {
            "zh": "畜群转移到其他草场放牧会造成泄漏，不符合条件；畜群须减少或出售",
            "en": "Moving the herd onto other pasture is leakage and not eligible: the herd must be reduced or sold",
        },
        "methodology.limit.grassland_years": {
            "zh": "草地土壤碳只计入管理方式改变后的 {limit} 年内（{limit_key}），输入已满 {given} 年",
            "en": "Grassland soil carbon is credited only in the {limit} years after the change ({limit_key}): {given} completed years given",
        },
        "methodology.limit.mineral_restoration": {
            "zh": "矿质土湿地恢复（退耕还湿）在 0.1 版中不支持",
            "en": "Mineral-soil wetland restoration is not supported in version 0.1",
        },
        "methodology.limit.peat_depth_required": {
            "zh": "泥炭地回湿需填写泥炭层厚度（peat_depth_cm）",
            "en": "Rewetting needs the peat layer thickness (peat_depth_cm)",
        },
        "methodology.limit.peat_min_depth": {
            "zh": "泥炭层厚度须不小于 {limit} 厘米（{limit_key}），输入为 {given} 厘米",
            "en": "The peat layer must be at least {limit} cm thick ({limit_key}): {given} cm given",
        },
        "methodology.limit.ditches_existed": {
            "zh": "回湿要求项目前已有排水沟",
            "en": "Rewetting requires drainage ditches that existed before the project",
        },
        "methodology.limit.ditches_blocked": {
            "zh": "回湿要求排水沟已被堵塞",
            "en": "Rewetting requires the ditches to be blocked",
        },
        "methodology.limit.water_table_monitored": {
            "zh": "回湿要求监测并抬高地下水位",
            "en": "Rewetting requires the water table to be monitored and raised",
        },
        "methodology.limit.years_since_blocking_required": {
            "zh": "泥炭地回湿需填写堵沟后已满年数（years_since_blocking）",
            "en": "Rewetting needs the completed years since the ditches were blocked (years_since_blocking)",
        },
        "methodology.limit.wetland_years": {
            "zh": "回湿只计入堵沟后的 {limit} 年内（{limit_key}），输入已满 {given} 年",
            "en": "Rewetting is credited for {limit} years after the ditches were blocked ({limit_key}): {given} completed years given",
        },
        # ---- names ---------------------------------------------------------------------------------------
        "methodology.name.SC-LCP-AFF": {"zh": "造林", "en": "Afforestation"},
        "methodology.name.SC-LCP-MGT": {"zh": "森林经营", "en": "Managed forest"},
        "methodology.name.SC-LCP-BAM": {"zh": "竹林", "en": "Bamboo"},
        "methodology.name.SC-LCP-GRS": {"zh": "草地（禁牧、休牧、草畜平衡、退化草地修复）", "en": "Grassland"},
        "methodology.name.SC-LCP-WET": {"zh": "湿地（泥炭地回湿）", "en": "Wetland (peat rewetting)"},
        "methodology.about.SC-LCP-AFF": {
            "zh": "在多年非林地上新造林：按林龄和海拔的默认生长量，或两次蓄积测量。",
            "en": "New planting on land that was not forest: growth defaults by age and elevation, or two volume measurements.",
        },
        "methodology.about.SC-LCP-MGT": {
            "zh": "已有乔木林在抚育、管护下的净生长。",
            "en": "Net growth of an existing stand under recorded management.",
        },
        "methodology.about.SC-LCP-BAM": {
            "zh": "新造竹林或已有经营竹林。",
            "en": "New bamboo planting or an existing managed grove.",
        },
        "methodology.about.SC-LCP-GRS": {
            "zh": "禁牧、休牧或草畜平衡后的草地土壤碳增量。",
            "en": "Soil carbon gain after a grazing ban, rest or stocking cut.",
        },
        "methodology.about.SC-LCP-WET": {
            "zh": "填沟堵渠使排干的泥炭草甸回湿：避免的排放。",
            "en": "Blocking the ditches of a drained peat meadow: avoided emissions.",
        },
        # ---- pages ---------------------------------------------------------------------------------------
        "methodology.page.title": {"zh": "碳汇计算器", "en": "Sink calculator"},
        "methodology.page.lead": {
            "zh": "估算一块林地、竹林、草地或湿地每年的碳汇量（千克二氧化碳当量）。每个参数都注明来源。",
            "en": "Estimate the yearly removal of a forest, bamboo, grassland or wetland plot (kg CO2e). Every parameter shows its source.",
        },
        "methodology.page.choose": {"zh": "选择碳汇类型", "en": "Choose a sink type"},
        "methodology.page.version": {"zh": "方法学版本", "en": "Methodology version"},
        "methodology.page.calculate": {"zh": "计算", "en": "Calculate"},
        "methodology.page.back": {"zh": "修改输入", "en": "Change the inputs"},
        "methodology.page.all_types": {"zh": "全部碳汇类型", "en": "All sink types"},
        "methodology.page.result": {"zh": "估算结果", "en": "Estimate"},
        "methodology.page.per_year": {"zh": "千克二氧化碳当量/年", "en": "kg CO2e per year"},
        "methodology.page.buffer": {
            "zh": "另有 {kg} 千克/年 计入缓冲池（非永久性风险），不可出售",
            "en": "{kg} kg/yr more is withheld for the buffer pool (non-permanence) and never sold",
        },
        "methodology.page.caveat": {
            "zh": "这是估算值：在核证机构批准签发之前，不代表已签发的碳汇。",
            "en": "This is an estimate until a verifier approves an issuance; it is not an issued credit.",
        },
        "methodology.page.held": {
            "zh": "测量的蓄积年增量超过合理性阈值，结果须经核证人员审核后才显示。",
            "en": "The measured volume increment is above the plausibility trigger: the result is shown only after a verifier reviews it.",
        },
        "methodology.page.parameters": {"zh": "所用参数及来源", "en": "Parameters used and their sources"},
        "methodology.page.steps": {"zh": "计算步骤", "en": "Calculation steps"},
        "methodology.page.information": {"zh": "仅供参考（不计入碳汇）", "en": "For information only (not credited)"},
        "methodology.page.record": {"zh": "版本记录", "en": "Version record"},
        "methodology.page.param_file": {"zh": "参数文件", "en": "Parameter file"},
        "methodology.page.source": {"zh": "来源", "en": "Source"},
        "methodology.page.verification": {"zh": "核实状态", "en": "Verification"},
        "methodology.page.yes": {"zh": "是", "en": "yes"},
        "methodology.page.optional": {"zh": "（选填）", "en": "(optional)"},
        "methodology.page.measurement": {"zh": "蓄积测量 {n}", "en": "Volume measurement {n}"},
        "methodology.page.measurements_note": {
            "zh": "如有两次样地蓄积测量（至少相隔 1 年），填写后改用蓄积量差法；否则使用默认生长量。",
            "en": "With two sample-plot volume measurements (at least 1 year apart) the stock difference is used; otherwise the growth default.",
        },
        "methodology.basis.ex_ante": {"zh": "事前估算（预期）", "en": "Ex-ante (expected)"},
        "methodology.basis.ex_post": {"zh": "事后核证（已核实的测量）", "en": "Ex-post (verified measurements)"},
        "methodology.basis.ex_ante_note": {
            "zh": "基于默认参数或尚未核证的测量，是预期值。",
            "en": "From defaults or measurements not yet verified: an expected value.",
        },
        "methodology.basis.ex_post_note": {
            "zh": "基于核证人员已核实的测量。",
            "en": "From measurements a verifier has checked.",
        },
        # ---- form fields ---------------------------------------------------------------------------------
        "methodology.field.area_mu": {"zh": "面积（亩）", "en": "Area (亩, 1 亩 = 1/15 ha)"},
        "methodology.field.species": {"zh": "树种", "en": "Species"},
        "methodology.field.stand_age": {"zh": "林龄（造林后已满年数）", "en": "Stand age (completed years)"},
        "methodology.field.elevation_m": {"zh": "海拔（米）", "en": "Elevation (m)"},
        "methodology.field.non_forest_years_before": {
            "zh": "造林前为非林地的年数",
            "en": "Years the land was non-forest before planting",
        },
        "methodology.field.shrub_removal_percent": {
            "zh": "清除灌木占地块比例（%）",
            "en": "Share of the plot cleared of shrubs (%)",
        },
        "methodology.field.economic_forest": {
            "zh": "这是经济林（果园、油茶等）",
            "en": "This is economic forest (orchard, oil tea …)",
        },
        "methodology.field.on_wetland": {"zh": "地块是湿地", "en": "The plot is wetland"},
        "methodology.field.rotation_years": {
            "zh": "桉树申报轮伐期（年）",
            "en": "Eucalyptus: declared rotation (years)",
        },
        "methodology.field.year": {"zh": "测量年份", "en": "Year"},
        "methodology.field.volume_m3_per_ha": {"zh": "蓄积量（立方米/公顷）", "en": "Stand volume (m³/ha)"},
        "methodology.field.canopy_cover": {"zh": "郁闭度（0–1）", "en": "Canopy cover (0–1)"},
        "methodology.field.over_mature": {"zh": "过熟林", "en": "Over-mature stand"},
        "methodology.field.baseline_mode": {"zh": "基线", "en": "Baseline"},
        "methodology.field.baseline_mode.net_growth": {
            "zh": "净生长（碳普惠惯例）",
            "en": "Net growth (碳普惠 convention)",
        },
        "methodology.field.baseline_mode.regional_average": {
            "zh": "扣除四川人工林平均净增长（更严格）",
            "en": "Minus the Sichuan plantation average (stricter)",
        },
        "methodology.field.bamboo_species": {"zh": "竹种", "en": "Bamboo species"},
        "methodology.field.bamboo_species.moso": {"zh": "毛竹", "en": "Moso (毛竹)"},
        "methodology.field.bamboo_species.other": {
            "zh": "慈竹、雷竹、苦竹等其他竹种",
            "en": "Other (慈竹, 雷竹, 苦竹 …)",
        },
        "methodology.field.planting": {"zh": "类型", "en": "Kind"},
        "methodology.field.planting.new": {"zh": "新造竹林", "en": "New planting"},
        "methodology.field.planting.existing": {"zh": "已有经营竹林", "en": "Existing managed grove"},
        "methodology.field.bamboo_age": {"zh": "竹林年龄（新造林填写）", "en": "Age of a new planting (years)"},
        "methodology.field.grassland": {"zh": "草地类型", "en": "Grassland type"},
        "methodology.field.grassland.alpine_meadow": {"zh": "高寒草甸（川西北）", "en": "Alpine meadow (NW Sichuan)"},
        "methodology.field.grassland.warm_temperate_moist": {
            "zh": "暖温带湿润草地",
            "en": "Warm temperate moist grassland",
        },
        "methodology.field.grassland.alpine_steppe": {
            "zh": "高寒草原、荒漠草原（干旱）",
            "en": "Alpine / desert steppe (dry)",
        },
        "methodology.field.years_since_change": {
            "zh": "管理方式改变后已满年数（0–19）",
            "en": "Completed years since the management change (0–19)",
        },
        "methodology.field.station_grading": {"zh": "草原站退化等级评定", "en": "Degradation as graded by the 草原站"},
        "methodology.field.station_grading.none": {
            "zh": "未评定（按中度退化计算）",
            "en": "Not graded (moderately degraded assumed)",
        },
        "methodology.field.station_grading.nominal": {"zh": "未退化", "en": "Not degraded"},
        "methodology.field.station_grading.moderate": {"zh": "中度退化", "en": "Moderately degraded"},
        "methodology.field.station_grading.severe": {
            "zh": "重度退化（如黑土滩）",
            "en": "Severely degraded (e.g. 黑土滩)",
        },
        "methodology.field.herd_displaced": {"zh": "畜群转移到其他草场", "en": "The herd moved onto other pasture"},
        "methodology.field.peat_soil": {"zh": "泥炭土", "en": "Peat soil"},
        "methodology.field.activity": {"zh": "活动", "en": "Activity"},
        "methodology.field.activity.rewetting": {
            "zh": "泥炭地回湿（填沟堵渠）",
            "en": "Rewetting drained peat (blocking ditches)",
        },
        "methodology.field.activity.intact_protection": {"zh": "保护未排水的沼泽", "en": "Protecting an intact marsh"},
        "methodology.field.activity.mineral_restoration": {
            "zh": "矿质土湿地恢复",
            "en": "Mineral-soil wetland restoration",
        },
        "methodology.field.peat_depth_cm": {"zh": "泥炭层厚度（厘米）", "en": "Peat layer thickness (cm)"},
        "methodology.field.ditches_existed": {"zh": "项目前已有排水沟", "en": "Drainage ditches existed before"},
        "methodology.field.ditches_blocked": {"zh": "排水沟已堵塞", "en": "The ditches are blocked"},
        "methodology.field.water_table_monitored": {"zh": "监测地下水位", "en": "The water table is monitored"},
        "methodology.field.years_since_blocking": {
            "zh": "堵沟后已满年数（0–19）",
            "en": "Completed years since blocking (0–19)",
        },
        # ---- calculation steps ---------------------------------------------------------------------------
        "methodology.step.cf_used": {
            "zh": "所用含碳率（不高于 IPCC 默认值）",
            "en": "Carbon fraction used (capped at the IPCC default)",
        },
        "methodology.step.f_sp": {"zh": "每立方米蓄积的二氧化碳", "en": "CO2 per m³ of stem volume"},
        "methodology.step.delta_v": {"zh": "蓄积年增量", "en": "Annual volume increment"},
        "methodology.step.delta_v_over_baseline": {
            "zh": "扣除区域平均后的增量",
            "en": "Increment above the regional average",
        },
        "methodology.step.c_mature": {"zh": "成林碳储量", "en": "Mature carbon stock"},
        "methodology.step.delta_soc_ipcc": {"zh": "IPCC 土壤碳年变化", "en": "IPCC soil carbon change per year"},
        "methodology.step.delta_soc_used": {
            "zh": "计入的土壤碳年变化（取低值）",
            "en": "Soil carbon change used (the lower value)",
        },
        "methodology.step.baseline_co2": {"zh": "基线：排水泥炭的二氧化碳", "en": "Baseline: CO2 of drained peat"},
        "methodology.step.baseline_ch4": {"zh": "基线：排水泥炭的甲烷", "en": "Baseline: CH4 of drained peat"},
        "methodology.step.project_co2": {"zh": "项目：回湿后的二氧化碳", "en": "Project: CO2 after rewetting"},
        "methodology.step.project_ch4": {"zh": "项目：回湿后的甲烷", "en": "Project: CH4 after rewetting"},
        "methodology.step.e": {"zh": "每公顷年碳汇率", "en": "Rate per hectare and year"},
        "methodology.step.area_ha": {"zh": "面积（公顷）", "en": "Area (ha)"},
        "methodology.step.gross": {"zh": "毛碳汇量", "en": "Gross removal"},
        "methodology.step.after_haircut": {
            "zh": "扣除未核实参数折减后",
            "en": "After the haircut for unverified parameters",
        },
        "methodology.step.net": {"zh": "扣除缓冲池后", "en": "After the buffer"},
        "methodology.step.kg_per_year": {"zh": "结果（向下取整到千克）", "en": "Result (floored to whole kg)"},
        "methodology.step.uptake_holocene_per_ha": {
            "zh": "每公顷固碳（全新世速率）",
            "en": "Uptake per ha (Holocene rate)",
        },
        "methodology.step.uptake_recent_per_ha": {
            "zh": "每公顷固碳（近 50 年速率）",
            "en": "Uptake per ha (last 50 years)",
        },
        "methodology.step.uptake_holocene_total": {
            "zh": "地块固碳（全新世速率，不计入）",
            "en": "Plot uptake (Holocene rate, not credited)",
        },
        # ---- flags ---------------------------------------------------------------------------------------
        "methodology.flag.establishment_years": {
            "zh": "造林后前几年为成活期，不计碳汇。",
            "en": "Establishment years: no credit until survival is proven.",
        },
        "methodology.flag.held_for_review": {
            "zh": "测量增量超过合理性阈值，待核证人员审核。",
            "en": "Measured increment above the plausibility trigger: held for a verifier.",
        },
        "methodology.flag.no_net_growth": {
            "zh": "没有净增长：不计碳汇（损失按逆转处理）。",
            "en": "No net growth: nothing credited (a loss is handled as a reversal).",
        },
        "methodology.flag.measurement_needed": {
            "zh": "该竹种没有已核实的年增量默认值：需要实测。",
            "en": "No verified increment for this species: measurement needed.",
        },
        "methodology.flag.grove_rate_from_age_15": {
            "zh": "新造竹林满 15 年后按经营竹林计算。",
            "en": "From age 15 a new planting is computed as a managed grove.",
        },
        "methodology.flag.soil_sampling_needed": {
            "zh": "干旱高寒草原没有默认值：需要土壤采样。",
            "en": "No default for dry alpine steppe: soil sampling needed.",
        },
        "methodology.flag.assumed_moderately_degraded": {
            "zh": "未经草原站评定，按中度退化计算。",
            "en": "Not graded by a 草原站: moderately degraded assumed.",
        },
        "methodology.flag.empirical_cap_applied": {
            "zh": "IPCC 值高于中国禁牧实测均值，按实测均值上限计算。",
            "en": "The IPCC value exceeds the Chinese empirical mean: capped.",
        },
        "methodology.flag.not_creditable": {
            "zh": "保护未排水的泥炭地不产生可签发的碳汇（甲烷排放抵消了固碳）。",
            "en": "Protecting intact peat earns no credit (its methane offsets the CO2 uptake).",
        },
    }
)
