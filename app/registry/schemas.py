"""Request and response shapes of the registry API (they make the OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from app.evidence.schemas import PhotoOut

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
    methodology_facts: Annotated[
        dict[str, Any],
        msgspec.Meta(
            description="the project methodology's own inputs that are not parcel fields, named as in its "
            "estimate API (e.g. SC-LCP-AFF: non_forest_years_before, shrub_removal_percent; SC-LCP-GRS: "
            "grassland, years_since_change)"
        ),
    ] = {}


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


class EstimateSummaryOut(msgspec.Struct):
    """A parcel's current estimate and what it traces to (methodology id, version, parameter file hash)."""

    methodology_id: str
    methodology_version: str
    parameter_set_version: str
    parameter_set_sha256: str
    basis: Annotated[Literal["ex_ante", "ex_post"], msgspec.Meta(description="ex_ante: expected, ex_post: verified")]
    basis_label: str
    method: str
    kg_per_year: Annotated[
        int | None, msgspec.Meta(description="kg CO2e per year, buffer withheld, null while held for review")
    ]
    buffer_kg_per_year: int | None
    held_for_review: bool
    accounting_year: int
    inputs_sha256: Annotated[str, msgspec.Meta(description="SHA-256 of the outline and calculator inputs used")]
    computed_at: datetime
    calculator: Annotated[str, msgspec.Meta(description="the public calculator page of this methodology")]
    record: Annotated[str, msgspec.Meta(description="the full stored estimate: parameters, sources, steps")]


class EstimateProblemOut(msgspec.Struct):
    """Why a parcel has no estimate: the calculator's refusal, in the reader's language."""

    code: str
    message: str
    detail: Any


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
    methodology_facts: dict[str, Any]
    estimate: EstimateSummaryOut | None
    estimate_problem: EstimateProblemOut | None
    photos: list[PhotoOut] = []  # with GPS, distance and duplicate flags: the owner and the verifier see this


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


class ParcelEstimateOut(msgspec.Struct):
    """The stored estimate of a public parcel in full, to check and recompute."""

    parcel: str
    project: str
    summary: EstimateSummaryOut
    estimate: dict[str, Any]


class StatRowOut(msgspec.Struct):
    key: Annotated[str, msgspec.Meta(description="county code, sink type, or methodology@version")]
    name: str
    parcels: int
    area_m2: int
    area_mu: Decimal
    area_ha: Decimal
    kg_per_year: Annotated[int, msgspec.Meta(description="sum of current estimates shown (held ones excluded)")]
    parcels_held_for_review: int


class MethodologyStatOut(msgspec.Struct):
    methodology_id: str
    methodology_version: str
    parameter_set_sha256: str
    parcels: int
    kg_per_year: int


class StatisticsOut(msgspec.Struct):
    """Approved parcels only: registered area, counts and estimated kg CO2e per year."""

    scope: Literal["approved"]
    total: StatRowOut
    by_county: list[StatRowOut]
    by_sink_type: list[StatRowOut]
    by_methodology: list[MethodologyStatOut]


class CreditsOut(msgspec.Struct):
    """A project's units in kg CO2e from its issuances (app.credits); income waits for the market."""

    issued_kg: int
    reserved_kg: int
    sold_kg: Annotated[int, msgspec.Meta(description="retired: bought and used, never sold again")]
    available_kg: Annotated[int, msgspec.Meta(description="tradable minus the buffer pool's units")]
    buffer_kg: Annotated[int, msgspec.Meta(description="held by the buffer pool, never sold")]
    cancelled_kg: Annotated[int, msgspec.Meta(description="cancelled by a reversal (fire, pests …)")]
    income_fen: Annotated[int | None, msgspec.Meta(description="null: sales are not built yet")] = None


class MyParcelOut(msgspec.Struct):
    id: str
    name: str
    status: str
    sink_type: str
    county_code: str
    area_m2: int
    area_mu: Decimal
    area_ha: Decimal
    estimate: EstimateSummaryOut | None
    estimate_problem: EstimateProblemOut | None
    credits: Annotated[CreditsOut | None, msgspec.Meta(description="null: issuance is per project, not per parcel")] = (
        None
    )


class MyProjectOut(msgspec.Struct):
    id: str
    name: str
    status: str
    county_code: str
    county_name: str
    methodology_id: str
    area_m2: int
    area_mu: Decimal
    area_ha: Decimal
    kg_per_year: Annotated[int, msgspec.Meta(description="sum of the parcels' current estimates shown")]
    parcels: list[MyParcelOut]
    credits: Annotated[CreditsOut | None, msgspec.Meta(description="null: nothing issued for the project yet")] = None


class IncomeOut(msgspec.Struct):
    """What the market's fulfilled sales brought in, in integer fen: gross, platform fee, net."""

    sales: int
    kg_sold: int
    gross_fen: int
    fee_fen: int
    net_fen: int


class MineOut(msgspec.Struct):
    """A smallholder's projects and parcels with status, area and estimate."""

    projects: list[MyProjectOut]
    area_m2: int
    kg_per_year: int
    credits: Annotated[CreditsOut | None, msgspec.Meta(description="null: nothing issued for any project yet")] = None
    income: Annotated[
        IncomeOut | None, msgspec.Meta(description="market sales so far (fen); null: nothing sold yet")
    ] = None
