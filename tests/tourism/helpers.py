"""Shortcuts for tourism tests: a scenic operator with a spot, a paid visitor's certificate for it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.core.auth import Principal, Role
from app.footprint.schemas import TripIn
from app.payments.sandbox import SandboxProvider
from app.settings import Settings
from app.tourism import service as tourism
from models.market import Order
from models.tourism import ScenicSpot
from tests.credits.helpers import principal_of
from tests.market.helpers import a_buyer, pay


def spot_body(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name_zh": "九寨沟",
        "name_en": "Jiuzhaigou",
        "county_code": "513225",
        "latitude": 33.2600,
        "longitude": 103.9170,
        "origins": [
            {"name_zh": "成都", "name_en": "Chengdu", "road_km": 430, "rail_km": 360, "air_km": 300},
            {"name_zh": "重庆", "name_en": "Chongqing", "road_km": 600},
        ],
        "benefit_zh": "门票优惠 10 元",
        "benefit_en": "¥10 off the ticket",
    }
    return {**body, **change}


def spot_ask(**change: Any) -> tourism.SpotAsk:
    return tourism.SpotAsk(**spot_body(**change))


async def an_operator(settings: Settings) -> tuple[Principal, dict[str, str]]:
    return await principal_of(settings, Role.SCENIC_OPERATOR)


async def a_spot(settings: Settings, operator: Principal | None = None, **change: Any) -> ScenicSpot:
    operator = operator or (await an_operator(settings))[0]
    return await tourism.register_spot(operator, spot_ask(**change))


def rail_trip(spot: ScenicSpot, people: int = 2) -> tourism.Trip:
    """成都 → the spot by rail, 360 km each way, there and back."""
    return tourism.trip_to(spot, "o1", TripIn(mode="rail", distance_km=Decimal(360), people=people), "zh")


async def a_visit(settings: Settings, provider: SandboxProvider, spot: ScenicSpot) -> Order:
    """A visitor offsets a rail trip to `spot` and pays: the fulfilled order (its certificate_code set)."""
    buyer = await a_buyer()
    order = await tourism.offset_trip(settings, buyer, spot, rail_trip(spot), "游客张三")
    await pay(settings, provider, buyer, order)
    return await Order.get(id=order.id)
