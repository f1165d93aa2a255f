"""Shortcuts for judicial tests: a court with a case, a defendant paying toward it through the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.auth import Principal, Role
from app.judicial import service as judicial
from app.payments.sandbox import SandboxProvider
from app.settings import Settings
from models.accounts import User
from models.judicial import RestorationCase
from models.market import Order
from tests.credits.helpers import principal_of
from tests.market.helpers import pay

DAMAGE_COUNTY = "510112"  # the county tests.credits.helpers.approved_project registers its projects in


def case_ask(**change: Any) -> judicial.CaseAsk:
    values: dict[str, Any] = {
        "case_number": "（2026）川0112刑初123号",
        "cause": "滥伐林木罪",
        "damage_county_code": DAMAGE_COUNTY,
        "defendant_name": "张三",
        "deadline": (datetime.now(UTC) + timedelta(days=90)).date(),
        "kg_owed": 100,
    }
    return judicial.CaseAsk(**{**values, **change})


async def a_court(settings: Settings) -> tuple[Principal, dict[str, str]]:
    return await principal_of(settings, Role.COURT)


async def a_case(settings: Settings, court: Principal | None = None, **change: Any) -> RestorationCase:
    court = court or (await a_court(settings))[0]
    return await judicial.create_case(settings, court, case_ask(**change))


async def paid(settings: Settings, provider: SandboxProvider, defendant: User, case: RestorationCase, kg: int) -> Order:
    """The defendant orders `kg` toward the case and pays it: the fulfilled order."""
    order = await judicial.pay_toward(settings, defendant, case.pay_code, kg)
    await pay(settings, provider, defendant, order)
    return await Order.get(id=order.id)


async def fresh(case: RestorationCase) -> RestorationCase:
    return await judicial.case_by_code(case.code)
