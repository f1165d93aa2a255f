"""Request and response shapes of the registry API (they make the OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

CountyCode = Annotated[str, msgspec.Meta(pattern=r"^[1-8][0-9]{5}$", description="GB/T 2260 county code")]
Crs = Literal["wgs84", "cgcs2000", "gcj02"]
TenureKind = Literal[
    "forest_right_certificate",
    "real_estate_certificate",
    "grassland_contract",
    "land_contract",
    "collective_agreement",
    "other",
]
SinkType = Literal["afforestation", "forest_management", "bamboo", "grassland", "wetland"]
ReturnReason = Literal[
    "boundary_unclear",
    "tenure_document_missing",
    "tenure_mismatch",
    "area_mismatch",
    "species_or_age_unclear",
    "overlap_suspected",
    "evidence_insufficient",
    "other",
]


class ProjectIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    county_code: CountyCode
    methodology_id: Annotated[str, msgspec.Meta(pattern=r"^SC-LCP-(AFF|MGT|BAM|GRS|WET)$")]
    organisation: (
        Annotated[str, msgspec.Meta(max_length=26, description="your collective or cooperative; omit for a household")]
        | None
    ) = None


class SpeciesShare(msgspec.Struct, forbid_unknown_fields=True):
    species: Annotated[str, msgspec.Meta(min_length=1, max_length=32, description="e.g. 柏木, 毛竹")]
    percent: Annotated[int, msgspec.Meta(ge=1, le=100)]


class ParcelIn(msgspec.Struct, forbid_unknown_fields=True):
    geometry: Annotated[
        dict[str, Any], msgspec.Meta(description="GeoJSON Polygon or MultiPolygon, [lon, lat] positions")
    ]
    county_code: CountyCode
    tenure_kind: TenureKind
    tenure_number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    holder_kind: Literal["individual", "collective"]
    holder_name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    sink_type: SinkType
    crs: Annotated[Crs, msgspec.Meta(description="gcj02 for positions from the mini-app's location API")] = "wgs84"
    name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    show_holder_name: bool = False
    species: Annotated[list[SpeciesShare], msgspec.Meta(max_length=10)] = []
    planting_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None = None
    stand_age_years: Annotated[int, msgspec.Meta(ge=0, le=500)] | None = None
    elevation_m: Annotated[int, msgspec.Meta(ge=-200, le=8900)] | None = None


class MeasurementIn(msgspec.Struct, forbid_unknown_fields=True):
    measured_on: date
    stand_volume_m3_per_ha: Annotated[Decimal, msgspec.Meta(description="m³/ha, 0 to 3000, two decimals at most")]
    method: Annotated[str, msgspec.Meta(max_length=64)] = ""


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    reasons: Annotated[list[ReturnReason], msgspec.Meta(min_length=1, max_length=8)]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class MeasurementOut(msgspec.Struct):
    measured_on: date
    stand_volume_m3_per_ha: Decimal
    method: str


class ParcelOut(msgspec.Struct):
    id: str
    project: str
    name: str
    status: str
    active: bool
    geometry: dict[str, Any]
    input_crs: str
    area_m2: int
    area_mu: Decimal
    area_ha: Decimal
    area_display: str
    county_code: str
    tenure_kind: str
    tenure_number: str
    holder_kind: str
    holder_name: str
    show_holder_name: bool
    sink_type: str
    species: list[dict[str, Any]]
    planting_year: int | None
    stand_age_years: int | None
    elevation_m: int | None
    measurements: list[MeasurementOut]


class ProjectOut(msgspec.Struct):
    id: str
    name: str
    status: str
    county_code: str
    methodology_id: str
    organisation: str | None
    return_reasons: list[str]
    return_note: str
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    area_m2: int
    parcels: list[ParcelOut]


class ProjectSummaryOut(msgspec.Struct):
    id: str
    name: str
    status: str
    county_code: str
    methodology_id: str
    parcel_count: int
    area_m2: int
    submitted_at: datetime | None
