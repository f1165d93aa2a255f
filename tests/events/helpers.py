"""Shortcuts for events tests: an event organiser with an event, listed credits, an attendee's paid offset."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from app.core.auth import Principal, Role
from app.events import service as events
from app.footprint.schemas import EventIn, TripIn
from app.payments.sandbox import SandboxProvider
from app.settings import Settings
from models.events import Event
from models.market import Order
from tests.credits.helpers import principal_of
from tests.market.helpers import a_buyer, listed, pay

# 10 attendees, 1 day: 100 kWh × 0.5306 = 53.06; 10 by rail, 100 km each way: 2000 passenger-km × 0.03546 = 70.92;
# total 123.98 kg → 124 kg to be neutral.
SMALL = {
    "attendees": 10,
    "days": 1,
    "venue_kwh_per_day": "100",
    "travel": [{"mode": "rail", "count": 10, "distance_km": "100"}],
}
SMALL_KG, SMALL_OFFSET = "123.98", 124
# One attendee by rail, 100 km each way, return: 200 × 0.03546 = 7.092 kg → 8 kg.
RAIL_100 = TripIn(mode="rail", distance_km=Decimal(100))
RAIL_100_KG = 8


def event_body(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name_zh": "成都森林马拉松",
        "name_en": "Chengdu Forest Marathon",
        "venue_zh": "成都市温江区",
        "county_code": "510115",
        "starts_on": "2027-04-18",
        "estimate": SMALL,
    }
    return {**body, **change}


def event_ask(**change: Any) -> events.EventAsk:
    body = event_body(**change)
    return events.EventAsk(
        name_zh=body["name_zh"],
        name_en=body["name_en"],
        venue_zh=body["venue_zh"],
        county_code=body["county_code"],
        starts_on=date.fromisoformat(body["starts_on"]),
        estimate=msgspec.convert(body["estimate"], EventIn, strict=False),
    )


async def an_organiser(settings: Settings) -> tuple[Principal, dict[str, str]]:
    return await principal_of(settings, Role.EVENT_ORGANISER)


async def an_event(settings: Settings, organiser: Principal | None = None, **change: Any) -> Event:
    organiser = organiser or (await an_organiser(settings))[0]
    return await events.register_event(organiser, event_ask(**change))


async def on_sale(settings: Settings, kg: int = 1_000) -> None:
    """Credits on sale at 1 元 per kg, in 1 kg units (so the kg bought is exactly the kg asked)."""
    await listed(settings, kg=kg, price_fen=100, unit_kg=1)


async def an_attendee_offset(settings: Settings, provider: SandboxProvider, event: Event) -> Order:
    """An attendee offsets a 100 km rail trip to `event` and pays: the fulfilled order."""
    buyer = await a_buyer()
    order = await events.offset_travel(settings, buyer, event, events.travel(RAIL_100), "参会者李四")
    await pay(settings, provider, buyer, order)
    return await Order.get(id=order.id)
