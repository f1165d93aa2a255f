"""Footprint inputs (trip, day, event) and the breakdown every calculator returns.

Structs check types and sanity bounds; the validity limits of the factor file are enforced by the service with
messages that name the limit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec

PASSENGER_MODES = ("air", "rail", "coach", "bus", "metro")
CAR_MODES = ("car_petrol", "car_diesel", "car_hybrid")
MODES = PASSENGER_MODES + CAR_MODES
GROUND_MODES = tuple(m for m in MODES if m != "air")

Mode = Annotated[
    Literal["air", "rail", "coach", "bus", "metro", "car_petrol", "car_diesel", "car_hybrid"],
    msgspec.Meta(description="air, rail (high-speed or conventional), coach, bus, metro, or a car by fuel"),
]
Km = Annotated[Decimal, msgspec.Meta(description="kilometres, a decimal ≥ 0")]
PlaceKey = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[a-z0-9_]+$", description="a preset place key")]
Count = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]


class TripIn(msgspec.Struct, forbid_unknown_fields=True):
    """One journey (out, and back unless return_trip is false), optionally with hotel nights.

    Give either distance_km, or origin and destination from the preset list (GET /api/v1/footprint/factors).
    """

    mode: Mode
    distance_km: Annotated[Km | None, msgspec.Meta(description="one-way distance; omit to use origin/destination")] = (
        None
    )
    origin: PlaceKey | None = None
    destination: PlaceKey | None = None
    people: Annotated[int, msgspec.Meta(ge=1, le=10_000, description="travellers (passenger modes)")] = 1
    vehicles: Annotated[
        int, msgspec.Meta(ge=1, le=10_000, description="cars (car modes; people in them do not count)")
    ] = 1
    return_trip: Annotated[bool, msgspec.Meta(description="true: there and back (distance counted twice)")] = True
    hotel_nights: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    hotel_rooms: Annotated[int, msgspec.Meta(ge=1, le=10_000, description="rooms per night")] = 1
    radiative_forcing: Annotated[bool, msgspec.Meta(description="flights: include radiative forcing (default)")] = True


class DayIn(msgspec.Struct, forbid_unknown_fields=True):
    """A person's everyday electricity and commuting, per day, over a number of days (365 for a year)."""

    days: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1
    electricity_kwh_per_day: Annotated[Decimal, msgspec.Meta(description="household electricity, kWh per day")] = (
        Decimal(0)
    )
    commute_km_per_day: Annotated[
        dict[str, Km], msgspec.Meta(description='km per day by ground mode, e.g. {"metro": 12, "car_petrol": 8}')
    ] = {}


class TravelGroup(msgspec.Struct, forbid_unknown_fields=True):
    """Attendees arriving the same way: count is travellers for passenger modes and cars for car modes."""

    mode: Mode
    count: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    distance_km: Km


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    """An event: venue electricity per day, hotel room-nights, and how attendees travel (there and back)."""

    attendees: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    days: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1
    venue_kwh_per_day: Annotated[Decimal, msgspec.Meta(description="venue electricity, kWh per event day")] = Decimal(0)
    hotel_room_nights: Count = 0
    travel: Annotated[list[TravelGroup], msgspec.Meta(max_length=1000)] = []
    radiative_forcing: bool = True


class FactorUsed(msgspec.Struct):
    key: str
    label: str
    value: str
    unit: str
    publisher: str
    title: str
    year: int
    table: str
    url: str
    verified: bool
    verification: str
    read_in: str
    proxy: bool
    note: str


class Line(msgspec.Struct):
    """One line of the breakdown: quantity × factor = kg (exact decimal)."""

    item: str
    label: str
    quantity: str
    quantity_unit: str
    factor: FactorUsed
    kg: str


class Footprint(msgspec.Struct):
    """The breakdown; kg is exact, offset_kg = ceil(kg), the factor set is recorded for a later purchase to cite."""

    kind: Literal["trip", "day", "event"]
    lines: list[Line]
    kg: str
    offset_kg: int
    factor_set_version: str
    factor_set_sha256: str
    purpose: str
    buy_url: str
    notes: list[str]


class PlaceOut(msgspec.Struct):
    key: str
    name: str
    gb2260: str
    lon: str
    lat: str
    role: str


class RouteOut(msgspec.Struct):
    origin: str
    destination: str
    great_circle_km: int


class FactorSetOut(msgspec.Struct):
    version: str
    sha256: str
    released: str
    factors: list[FactorUsed]
    limits: dict[str, int]
    places: list[PlaceOut]
    routes: list[RouteOut]
    places_source: str
