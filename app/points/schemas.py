"""Request and response shapes of the carbon-account API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec


class EarnIn(msgspec.Struct, forbid_unknown_fields=True):
    """Ask for the points of a self-service action (e.g. the daily check-in)."""

    id: Annotated[UUID, msgspec.Meta(description="your idempotency key for this award: reuse it to retry safely")]
    action: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    units: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1
    reference: Annotated[str, msgspec.Meta(max_length=128)] = ""


class TransferOut(msgspec.Struct):
    id: UUID
    amount: int
    reason: str
    label: str
    reference: str
    created_at: datetime


class HoldOut(msgspec.Struct):
    id: UUID
    amount: int
    reason: str
    label: str
    expires_at: datetime


class AccountOut(msgspec.Struct):
    balance: int
    held: int
    available: int
    holds: list[HoldOut]


class HistoryLineOut(msgspec.Struct):
    id: UUID
    at: datetime
    amount: int
    reason: str
    label: str
    reference: str


class RuleOut(msgspec.Struct):
    action: str
    label: str
    points_per_unit: int
    daily_cap: int
    yearly_cap: int
    self_service: bool


class RulesOut(msgspec.Struct):
    version: str
    actions: list[RuleOut]


class PlaceOut(msgspec.Struct):
    rank: Annotated[int, msgspec.Meta(description="equal points share a rank")]
    user: Annotated[str, msgspec.Meta(description="the person's public id")]
    name: Annotated[str, msgspec.Meta(description="nickname, or a pseudonym; never a phone number")]
    points: int


class DistrictPlaceOut(msgspec.Struct):
    rank: int
    district: Annotated[str, msgspec.Meta(description="GB/T 2260 county-level code")]
    name: Annotated[str, msgspec.Meta(description="full Chinese name, e.g. 四川省成都市龙泉驿区")]
    points: Annotated[int, msgspec.Meta(description="points earned this year by the district's residents")]
    people: Annotated[int, msgspec.Meta(description="residents who earned points this year")]
