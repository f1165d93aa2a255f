"""Request and response shapes of the credits API (they make its OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

PublicId = Annotated[str, msgspec.Meta(min_length=1, max_length=26)]
Kg = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000, description="kg CO2e")]


class EvidenceIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["photo", "document", "measurement", "other"]
    ref: Annotated[str, msgspec.Meta(min_length=1, max_length=256, description="a file's SHA-256 or its URL")]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class MeasurementIn(msgspec.Struct, forbid_unknown_fields=True):
    """A stand-volume measurement of one covered parcel, recorded in the registry with the report."""

    parcel: PublicId
    measured_on: date
    stand_volume_m3_per_ha: Annotated[Decimal, msgspec.Meta(description="m³/ha, 0 to 3000, two decimals at most")]
    method: Annotated[str, msgspec.Meta(max_length=64)] = ""


class MonitoringReportIn(msgspec.Struct, forbid_unknown_fields=True):
    """What the owner reports. No quantity: the server computes it from the parcels' estimates."""

    project: PublicId
    period_start: Annotated[date, msgspec.Meta(description="first day, included")]
    period_end: Annotated[date, msgspec.Meta(description="last day, included; before today")]
    parcels: Annotated[list[PublicId], msgspec.Meta(max_length=500, description="empty: all approved parcels")] = []
    evidence: Annotated[list[EvidenceIn], msgspec.Meta(max_length=100)] = []
    measurements: Annotated[
        list[MeasurementIn],
        msgspec.Meta(max_length=500, description="stand-volume measurements (SC-LCP-AFF, SC-LCP-MGT), per parcel"),
    ] = []


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    reasons: Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(min_length=1, max_length=10)]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class UsedEstimateOut(msgspec.Struct):
    """A parcel estimate a report's quantity was computed from: follow it to the registry and the calculator."""

    parcel: str
    estimate_id: Annotated[int, msgspec.Meta(description="registry_parcel_estimate id used at submission")]
    approved_estimate_id: Annotated[
        int | None,
        msgspec.Meta(description="the row the issuance rests on (its ex-post twin or itself); null before approval"),
    ]
    methodology_id: str
    methodology_version: str
    parameter_set_sha256: str
    inputs_sha256: str
    basis: str
    kg_per_year: int
    buffer_kg_per_year: int
    record: Annotated[str, msgspec.Meta(description="the public full estimate, while it is the parcel's current one")]


class ReportOut(msgspec.Struct):
    id: str
    project: str
    status: str
    period_start: date
    period_end: date
    parcels: list[str]
    methodology_id: str
    methodology_version: str
    parameter_sha256: str
    kg_issued: Annotated[int, msgspec.Meta(description="computed: floor(Σ kg/yr × year_fraction)")]
    buffer_kg: Annotated[int, msgspec.Meta(description="computed: floor(Σ buffer kg/yr × year_fraction)")]
    day_count: Annotated[str, msgspec.Meta(description="actual/actual: each day is 1/365 or 1/366 of its year")]
    year_fraction: Annotated[str, msgspec.Meta(description="the period as an exact fraction of a year, e.g. 31/365")]
    estimates: list[UsedEstimateOut]
    return_reasons: list[str]
    return_note: str
    submitted_at: datetime
    decided_at: datetime | None


class ReportChainOut(msgspec.Struct):
    """Where an issuance's kg come from: its report, the period's year fraction and the parcel estimates."""

    id: str
    day_count: str
    year_fraction: str
    kg_issued: int
    buffer_kg: int
    estimates: list[UsedEstimateOut]


class MethodologyOut(msgspec.Struct):
    id: str
    version: str
    parameter_sha256: str


class SupplyOut(msgspec.Struct):
    issued: int
    tradable: int
    reserved: int
    retired: int
    cancelled: int
    buffer: Annotated[int, msgspec.Meta(description="of tradable, held by the buffer pool and never sold")]


class BlockOut(msgspec.Struct):
    serial: str
    start: int
    end: int
    quantity: int
    status: str
    holder: Annotated[str, msgspec.Meta(description="owner | buffer_pool | buyer")]


class ProjectBrief(msgspec.Struct):
    id: str
    name: str
    county_code: str
    county_name: Annotated[str, msgspec.Meta(description="full Chinese name, e.g. 四川省成都市龙泉驿区")]


class IssuanceOut(msgspec.Struct):
    id: str
    project: ProjectBrief
    vintage: int
    period_start: date
    period_end: date
    class_code: str
    methodology: MethodologyOut
    parcels: list[str]
    quantity: int
    owner_kg: int
    buffer_kg: int
    serial_start: int
    serial_end: int
    issued_at: datetime
    supply: SupplyOut | None = None
    blocks: list[BlockOut] = []
    report: ReportChainOut | None = None


class ReversalOut(msgspec.Struct):
    id: str
    cause: str
    occurred_on: date


class RetirementOut(msgspec.Struct):
    beneficiary: Annotated[str | None, msgspec.Meta(description="as the buyer chose to show it; null if hidden")]
    purpose: str
    purpose_reference: str | None
    retired_at: datetime
    reversal: ReversalOut | None


class SerialOut(msgspec.Struct):
    serial: str
    unit: int | None
    block: BlockOut
    issuance: IssuanceOut
    parcels: list[str]
    methodology: MethodologyOut
    status: str
    retirement: RetirementOut | None
    children: list[BlockOut]


class LossEventIn(msgspec.Struct, forbid_unknown_fields=True):
    project: PublicId
    cause: Literal["fire", "pests", "land_conversion", "felling", "other"]
    occurred_on: date
    loss_kg: Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000, description="issued kg CO2e lost")]
    parcels: Annotated[list[PublicId], msgspec.Meta(max_length=500)] = []
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class LossEventOut(msgspec.Struct):
    id: str
    project: str
    cause: str
    occurred_on: date
    loss_kg: int
    cancelled_unsold_kg: int
    buffer_drawn_kg: int
