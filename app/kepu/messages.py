"""科普 page texts, Chinese first."""

from app.core.i18n import register_messages

register_messages(
    {
        "kepu.title": {"zh": "科普：林草如何固碳", "en": "Learn: how forests and grasslands take up carbon"},
        "kepu.intro": {
            "zh": "森林、竹林、草原和湿地怎样吸收和储存二氧化碳，我们的计算器怎样估算，以及几个典型案例。"
            "文中每个数字都直接取自计算器当前使用的方法学参数文件，并注明来源。",
            "en": "How forests, bamboo, grassland and wetland take up and store CO₂, how our calculators estimate it, "
            "and typical cases. Every number on these pages is taken from the parameter file the calculators use "
            "now, with its source.",
        },
        "kepu.not_found": {"zh": "没有这篇科普文章：{slug}", "en": "There is no such page: {slug}"},
        "kepu.references": {"zh": "文中引用的参数", "en": "Parameters quoted on this page"},
        "kepu.release": {
            "zh": "方法学 {methodology} 版本 {version}（{status}），参数集 {parameters}，SHA-256 {sha}",
            "en": "Methodology {methodology} version {version} ({status}), parameter set {parameters}, SHA-256 {sha}",
        },
        "kepu.verification": {"zh": "核实程度", "en": "verification"},
        "kepu.locator": {"zh": "出处", "en": "where"},
        "kepu.all_pages": {"zh": "全部科普文章", "en": "All pages"},
        "kepu.calculators": {"zh": "碳汇计算器", "en": "Carbon calculators"},
        "kepu.methodology_link": {"zh": "方法学与全部参数（JSON）", "en": "Methodology and every parameter (JSON)"},
    }
)
