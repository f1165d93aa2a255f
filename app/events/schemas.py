"""Events API structs: an event with its footprint estimate, offsets bought for it, and the count.

Types and sanity bounds are checked here; the footprint's validity limits and the texts are checked by
the services, whose refusals name the field in the reader's language (zh/en).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from app.footprint.schemas import EventIn, Footprint, TripIn


class EventCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    """An event to register, with the inputs of its footprint estimate (the footprint calculator's event form)."""

    name_zh: Annotated[str, msgspec.Meta(description="活动名称, 1–64 characters")]
    venue_zh: Annotated[str, msgspec.Meta(description="场馆/地点, 1–100 characters")]
    county_code: Annotated[str, msgspec.Meta(description="GB/T 2260 county-level code of the venue")]
    starts_on: date
    estimate: Annotated[
        EventIn,
        msgspec.Meta(
            description="attendees, days, venue kWh per day, hotel room-nights, travel mix; meals and materials "
            "are not estimated (no sourced factor)"
        ),
    ]
    name_en: str = ""
    organisation: Annotated[
        str | None, msgspec.Meta(description="the organiser's public id; needed only by staff of several")
    ] = None


class EventPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change some of an event: omitted fields stay as they are. The estimate may change only while no order
    was placed for the event and no certificate counted (409 `events.estimate_locked` after)."""

    name_zh: str | None = None
    name_en: str | None = None
    venue_zh: str | None = None
    county_code: str | None = None
    starts_on: date | None = None
    estimate: Annotated[
        EventIn | None, msgspec.Meta(description="new estimate inputs, recomputed with the current factor set")
    ] = None
    active: Annotated[bool | None, msgspec.Meta(description="an inactive event takes no new offsets")] = None


class CertificateCountOut(msgspec.Struct):
    certificate: str
    source: Annotated[str, msgspec.Meta(description="attendee | organiser")]
    kg: int


class EventOut(msgspec.Struct):
    code: Annotated[str, msgspec.Meta(description="the event's random public code")]
    organisation: str
    organisation_name: str
    name_zh: str
    name_en: str
    venue_zh: str
    county_code: str
    county: str
    starts_on: date
    active: bool
    estimate: Annotated[Footprint, msgspec.Meta(description="the breakdown, recomputed with the stored factor set")]
    estimate_kg: Annotated[str, msgspec.Meta(description="exact decimal kg CO2e")]
    estimate_offset_kg: Annotated[int, msgspec.Meta(description="ceil(estimate_kg): what neutrality needs")]
    retired_kg: Annotated[int, msgspec.Meta(description="organiser_kg + attendee_kg, each retired block once")]
    organiser_kg: int
    attendee_kg: int
    remaining_kg: Annotated[int, msgspec.Meta(description="max(estimate_offset_kg − retired_kg, 0)")]
    neutral: Annotated[bool, msgspec.Meta(description="retired_kg ≥ estimate_offset_kg")]
    certificates: list[CertificateCountOut]
    page_url: str
    attendee_url: Annotated[str, msgspec.Meta(description="what the attendee QR poster holds")]
    poster_png: str
    created_at: datetime


class RemainderIn(msgspec.Struct, forbid_unknown_fields=True):
    kg: Annotated[
        int | None, msgspec.Meta(description="kg to buy now, 1..remaining; the whole remainder if omitted")
    ] = None
    beneficiary_shown: Annotated[str, msgspec.Meta(description="full (default) | masked | hidden")] = "full"


class TravelIn(msgspec.Struct, forbid_unknown_fields=True):
    """An attendee's travel to the event, to offset (the kg is computed, never given)."""

    trip: TripIn
    beneficiary: Annotated[str, msgspec.Meta(description="the name on the certificate, 1–64 characters")]
    beneficiary_shown: str = "masked"


class OrderPlacedOut(msgspec.Struct):
    order: Annotated[str, msgspec.Meta(description="the market order's id: pay it at /api/v1/market/orders/{id}/pay")]
    event: str
    source: str
    kg: int
    total_fen: int
    expires_at: datetime
    order_url: str


class OfferIn(msgspec.Struct, forbid_unknown_fields=True):
    certificate: Annotated[str, msgspec.Meta(max_length=64, description="a certificate code you bought, as printed")]


class OfferOut(msgspec.Struct):
    event: str
    certificate: str
    kg: int
    blocks: int
