"""Shapes of portable records as we import them, and of the portable-records API.

The document structs read what an import needs from a signed record of another platform; fields they
do not name (the points history, totals) are left alone, so a newer minor version still imports.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

MAX_AMOUNT = 10**12  # as the ledger's: an absurd amount is refused, not wrapped

EntryId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Short = Annotated[str, msgspec.Meta(max_length=64)]


class MovedOutIn(msgspec.Struct):
    """Points the issuer took out of the person's wallet there, for this platform to credit once."""

    transfer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_AMOUNT)]
    at: datetime


class PointsIn(msgspec.Struct):
    moved_out: MovedOutIn | None = None


class PlantingIn(msgspec.Struct):
    """An approved planting at the issuer."""

    id: EntryId
    planted_on: date
    trees: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    approved_on: date | None = None
    species: Short = ""
    region: Annotated[str, msgspec.Meta(pattern=r"^(\d{6})?$")] = ""
    campaign: Short = ""


class RetirementIn(msgspec.Struct):
    """Sink credits retired at the issuer, with their serial ranges."""

    id: EntryId
    retired_on: date
    kg: Annotated[int, msgspec.Meta(ge=1, le=10**9)]
    serials: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=96)]], msgspec.Meta(max_length=100)]
    purpose: Annotated[str, msgspec.Meta(max_length=32)] = ""
    certificate: Annotated[str, msgspec.Meta(max_length=32)] = ""


class DocumentIn(msgspec.Struct):
    format: str
    issuer: str
    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    issued_at: datetime
    audience: str | None = None
    claim_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    points: PointsIn = msgspec.field(default_factory=PointsIn)
    planting: list[PlantingIn] = msgspec.field(default_factory=list)
    retirements: list[RetirementIn] = msgspec.field(default_factory=list)


# ---- the API ----


class MoveOutIn(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[UUID, msgspec.Meta(description="your id for this move-out: reuse it to retry safely")]
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_AMOUNT, description="points to move out")]


class ExportIn(msgspec.Struct, forbid_unknown_fields=True):
    """An export addressed to another platform, optionally moving points there."""

    audience: Annotated[
        str | None, msgspec.Meta(description="the destination platform's base URL (it is written into the record)")
    ] = None
    claim_code: (
        Annotated[
            str, msgspec.Meta(pattern=r"^[A-Za-z0-9-]{4,32}$", description="the claim code the destination gave you")
        ]
        | None
    ) = None
    move_out: MoveOutIn | None = None


class ClaimOut(msgspec.Struct):
    code: str
    audience: str
    expires_at: datetime


class EntriesOut(msgspec.Struct):
    listed: int
    new: int
    already_counted: int


class PointsOut(msgspec.Struct):
    moved_out: int
    rate: str
    credited: int
    already_credited: bool


class ImportOut(msgspec.Struct):
    id: str
    issuer: str
    issuer_name: str
    issued_at: datetime
    imported_at: datetime
    replayed: bool
    planting: EntriesOut
    retirements: EntriesOut
    points: PointsOut


class TotalsOut(msgspec.Struct):
    plantings: int
    trees: int
    retirements: int
    kg: int
    points: int


class IssuerTotalsOut(msgspec.Struct):
    issuer: str
    name: str
    totals: TotalsOut


class ImportedOut(msgspec.Struct):
    year: int
    this_year: TotalsOut
    all_time: TotalsOut
    by_issuer: list[IssuerTotalsOut]
    imports: list[ImportOut]


class IssuerOut(msgspec.Struct):
    issuer: str
    name: str
    points_rate: str
    accepts_points: bool
    keys: list[dict[str, str]]
