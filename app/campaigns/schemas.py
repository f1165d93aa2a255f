"""Campaign shapes: the campaign file / organiser API structure (one struct for both) and the answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$", description="[a-z0-9-], 3–64")]
Key = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="[a-z0-9-], 1–32")]
Mode = Literal["plant", "donate", "tend", "volunteer"]
AwareDatetime = Annotated[
    datetime, msgspec.Meta(tz=True, description="with a UTC offset, e.g. 2027-03-12T09:00:00+08:00")
]


class CheckInWindowIn(msgspec.Struct, forbid_unknown_fields=True):
    """Check-in opens before a slot starts and closes after it ends (minutes)."""

    opens_minutes_before: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 30
    closes_minutes_after: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 60


class SlotIn(msgspec.Struct, forbid_unknown_fields=True):
    starts: AwareDatetime
    ends: AwareDatetime
    capacity: Annotated[int, msgspec.Meta(description="places, > 0 (checked with a clear message)")]


class SiteIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=160)]
    lon: Annotated[float, msgspec.Meta(description="check-in point longitude, WGS84")]
    lat: Annotated[float, msgspec.Meta(description="check-in point latitude, WGS84")]
    county: Annotated[str, msgspec.Meta(description="GB/T 2260 county-level code, e.g. 510112")]
    checkin_radius_m: Annotated[int, msgspec.Meta(description="metres around the point, 1–5000")]
    checkin_window: CheckInWindowIn = msgspec.field(default_factory=CheckInWindowIn)
    slots: list[SlotIn] = msgspec.field(default_factory=list)


class GoalsIn(msgspec.Struct, forbid_unknown_fields=True):
    trees: int | None = None
    kg: Annotated[int | None, msgspec.Meta(description="kg CO2e")] = None
    fen: Annotated[int | None, msgspec.Meta(description="money to raise, fen")] = None


class CampaignIn(msgspec.Struct, forbid_unknown_fields=True):
    """One campaign file (campaigns/<slug>.toml) or the organiser API body: the same structure."""

    slug: Slug
    title_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    title_en: Annotated[str, msgspec.Meta(min_length=1, max_length=160)]
    story_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=20000)]
    story_en: Annotated[str, msgspec.Meta(min_length=1, max_length=20000)]
    organiser: Annotated[str, msgspec.Meta(max_length=26, description="public id of the organiser organisation")]
    starts_on: date
    ends_on: date
    goals: GoalsIn
    modes: list[Mode]
    species: list[str] = msgspec.field(default_factory=list)
    donation_fen_per_tree: int | None = None
    demo: bool = False
    sites: list[SiteIn] = msgspec.field(default_factory=list)


class ProgressOut(msgspec.Struct):
    goal: str  # trees | kg | fen
    target: int
    reached: int
    percent: int  # 0–100, floor


class SlotOut(msgspec.Struct):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    places_left: int


class SiteOut(msgspec.Struct):
    key: str
    name: str
    lon: float
    lat: float
    county_code: str
    county_name: str
    checkin_radius_m: int
    checkin_opens_minutes_before: int
    checkin_closes_minutes_after: int
    slots: list[SlotOut]


class SpeciesOut(msgspec.Struct):
    key: str
    name: str


class CampaignSummaryOut(msgspec.Struct):
    slug: str
    title: str
    organiser: str
    starts_on: date
    ends_on: date
    demo: bool
    bookings: int
    checkins: int
    progress: list[ProgressOut]
    page: str


class CampaignOut(msgspec.Struct):
    slug: str
    title: str
    story: str
    organiser: str
    starts_on: date
    ends_on: date
    demo: bool
    modes: list[str]
    donation_fen_per_tree: int | None
    species: list[SpeciesOut]
    bookings: int
    checkins: int
    progress: list[ProgressOut]
    sites: list[SiteOut]
    page: str


class BookingOut(msgspec.Struct):
    id: str
    campaign: str
    site: str
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    status: Literal["booked", "cancelled", "checked_in"]
    checked_in_at: datetime | None = None


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    """What the phone sends: the scanned token and where it was; `captured_at` only for offline check-ins."""

    token: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    coordinate_system: Literal["wgs84", "gcj02"] = "wgs84"
    captured_at: Annotated[
        AwareDatetime | None,
        msgspec.Meta(description="offline: when the QR was scanned; submit within 72 h. Omit for online check-in."),
    ] = None


class CheckInOut(msgspec.Struct):
    booking: str
    status: Literal["checked_in"]
    captured_at: datetime
    distance_m: int
    offline: bool


class CheckInTokenOut(msgspec.Struct):
    site: str
    token: str
    valid_from: datetime
    valid_until: datetime
    refresh_in_s: int


class BookForm(msgspec.Struct):
    """The page form booking a slot (unknown fields such as _csrf_token are ignored)."""

    slot: str = ""


class CancelForm(msgspec.Struct):
    booking: str = ""
