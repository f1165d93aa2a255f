"""The seller's income page on a phone: set a payee, withdraw part of the income, see it paid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.auth import SESSION_COOKIE
from app.settings import Settings
from models.accounts import User
from tests.browser.seeding import seed
from tests.money.helpers import CARD
from tests.money.test_api import a_sale
from tests.notifications.test_api import cookie_for

pytestmark = pytest.mark.browser


async def _seller_cookie(settings: Settings) -> str:
    listing, _ = await a_sale(settings)
    return await cookie_for(await User.get(id=listing.created_by_id))  # type: ignore[attr-defined]


@pytest.fixture
def seller_cookie(settings: Settings) -> str:
    """A seller with one sale, and a session cookie, written before the live server starts."""
    return seed(settings, lambda: _seller_cookie(settings))


async def test_a_seller_withdraws_on_a_phone(
    seller_cookie: str, live_server: str, phone: Any, screenshots: Path
) -> None:
    from playwright.async_api import expect

    await phone.context.add_cookies([{"name": SESSION_COOKIE, "value": seller_cookie, "url": live_server}])
    await phone.goto(live_server + "/money")
    await expect(phone.locator("main")).to_contain_text("8.00 元")
    await phone.screenshot(path=str(screenshots / "money-income-zh.png"), full_page=True)
    await phone.fill('input[name="account"]', CARD)
    await phone.fill('input[name="name"]', "张三")
    await phone.locator('form[action^="/money/payee"] button[type="submit"]').click()
    await expect(phone.locator("main")).to_contain_text("银行卡 ****3445")
    await phone.fill('input[name="amount"]', "5")
    await phone.locator('form[action^="/money/payouts"] button[type="submit"]').click()
    await expect(phone.locator(".notice")).to_contain_text("已到账")
    await expect(phone.locator("main")).to_contain_text("3.00 元")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"
    await phone.screenshot(path=str(screenshots / "money-paid-zh.png"), full_page=True)
