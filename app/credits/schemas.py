"""Request and response shapes of the credits API (they make its OpenAPI spec)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

PublicId = Annotated[str, msgspec.Meta(min_length=1, max_length=26)]
Kg = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000, description="kg CO2e")]


class EstimateIn(msgspec.Struct, forbid_unknown_fields=True):
    """The methodology calculator's record for the period, as plain data."""

    methodology_id: Annotated[str, msgspec.Meta(min_length=1, max_length=32, examples=["SC-LCP-AFF"])]
    methodology_version: Annotated[str, msgspec.Meta(min_length=1, max_length=16, examples=["0.1.0"])]
    parameter_sha256: Annotated[str, msgspec.Meta(min_length=64, max_length=64, description="parameter file SHA-256")]
    kg_issued: Annotated[
        int, msgspec.Meta(ge=1, le=1_000_000_000, description="kg CO2e for the owner, buffer withheld")
    ]
    buffer_kg: Annotated[Kg, msgspec.Meta(description="kg CO2e withheld for the buffer pool")]
    record: dict[str, Any] = {}


class EvidenceIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Literal["photo", "document", "measurement", "other"]
    ref: Annotated[str, msgspec.Meta(min_length=1, max_length=256, description="a file's SHA-256 or its URL")]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class MonitoringReportIn(msgspec.Struct, forbid_unknown_fields=True):
    project: PublicId
    period_start: date
    period_end: date
    estimate: EstimateIn
    parcels: Annotated[list[PublicId], msgspec.Meta(max_length=500, description="empty: all approved parcels")] = []
    evidence: Annotated[list[EvidenceIn], msgspec.Meta(max_length=100)] = []
    measured_values: dict[str, Any] = {}


class ReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    reasons: Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(min_length=1, max_length=10)]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


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
    kg_issued: int
    buffer_kg: int
    return_reasons: list[str]
    return_note: str
    submitted_at: datetime
    decided_at: datetime | None


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
