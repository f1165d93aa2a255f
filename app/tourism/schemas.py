"""Tourism API structs: scenic spots, their origin presets, benefit redemptions and the operator's figures.

Types are checked here; ranges and texts are checked by the service, whose refusals name the field in
the reader's language (zh/en).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

Km = Annotated[int | None, msgspec.Meta(description="one-way km by this way, 1–20000; null if it does not serve")]


class OriginIn(msgspec.Struct, forbid_unknown_fields=True):
    """Where visitors come from, with the one-way distance by road, rail and air (at least one)."""

    name_zh: Annotated[str, msgspec.Meta(description="出发地, 1–32 characters, unique within the spot")]
    name_en: str = ""
    road_km: Km = None
    rail_km: Km = None
    air_km: Km = None


class OriginOut(msgspec.Struct):
    key: Annotated[str, msgspec.Meta(description="o1, o2, …: what the trip form's spot_origin names")]
    name_zh: str
    name_en: str
    road_km: int | None
    rail_km: int | None
    air_km: int | None


class SpotIn(msgspec.Struct, forbid_unknown_fields=True):
    """A scenic spot to register."""

    name_zh: Annotated[str, msgspec.Meta(description="景区名称, 1–64 characters")]
    county_code: Annotated[str, msgspec.Meta(description="GB/T 2260 county-level code")]
    latitude: Annotated[float, msgspec.Meta(description="WGS84 degrees north")]
    longitude: Annotated[float, msgspec.Meta(description="WGS84 degrees east")]
    origins: Annotated[list[OriginIn], msgspec.Meta(description="1–20 origin presets for the trip footprint")]
    benefit_zh: Annotated[str, msgspec.Meta(description="what a certificate earns, e.g. 门票优惠 10 元 (1–100)")]
    name_en: str = ""
    benefit_en: str = ""
    active: bool = True
    organisation: Annotated[
        str | None, msgspec.Meta(description="the operator's public id; needed only by staff of several operators")
    ] = None


class SpotPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change some of a spot: omitted fields stay as they are."""

    name_zh: str | None = None
    name_en: str | None = None
    county_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    origins: list[OriginIn] | None = None
    benefit_zh: str | None = None
    benefit_en: str | None = None
    active: bool | None = None


class SpotOut(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(description="the spot's random public code")]
    organisation: Annotated[str, msgspec.Meta(description="the scenic operator's public id")]
    organisation_name: str
    name_zh: str
    name_en: str
    county_code: str
    county: str
    latitude: float
    longitude: float
    origins: list[OriginOut]
    benefit_zh: str
    benefit_en: str
    active: bool
    page_url: Annotated[str, msgspec.Meta(description="absolute URL the QR poster holds")]
    poster_png: str
    poster_pdf: str
    created_at: datetime
    updated_at: datetime


class RedemptionIn(msgspec.Struct, forbid_unknown_fields=True):
    certificate: Annotated[str, msgspec.Meta(max_length=64, description="the visitor's certificate code, as scanned")]


class RedemptionOut(msgspec.Struct):
    spot: str
    certificate: str
    kg: int
    benefit_zh: str
    benefit_en: str
    granted_at: datetime


class FiguresOut(msgspec.Struct):
    visitors: Annotated[int, msgspec.Meta(description="paid certificates linked to the spot")]
    kg_offset: Annotated[int, msgspec.Meta(description="kg CO2e those certificates retired")]
    benefits_granted: int


class SpotFiguresOut(msgspec.Struct):
    spot: str
    name_zh: str
    figures: FiguresOut


class DayFiguresOut(msgspec.Struct):
    day: Annotated[date, msgspec.Meta(description="Beijing date")]
    spot: str
    figures: FiguresOut


class DashboardOut(msgspec.Struct):
    total: FiguresOut
    spots: list[SpotFiguresOut]
    days: Annotated[list[DayFiguresOut], msgspec.Meta(description="per Beijing day and spot, newest first")]
