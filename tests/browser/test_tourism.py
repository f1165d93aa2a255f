"""碳汇+旅游 on a phone: scan the spot's QR → trip form pre-filled → order → sandbox pay → the certificate
shows the spot's code and the trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.auth import Role
from app.market import service as market
from app.settings import Settings
from app.tourism import service as tourism
from tests.browser.seeding import seed
from tests.browser.signing import sign_in_on_the_form
from tests.credits.helpers import approved_project, issue_units, principal_of
from tests.tourism.helpers import spot_ask

pytestmark = pytest.mark.browser
PHONE_NUMBER = "13800138088"


async def _seed(settings: Settings) -> str:
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=5_000, buffer=1_000)
    await market.create_listing(owner, issuance.public_id, 100, 10, "masked")  # ¥1 = 10 kg
    operator, _ = await principal_of(settings, Role.SCENIC_OPERATOR)
    return (await tourism.register_spot(operator, spot_ask())).code


@pytest.fixture
def spot(settings: Settings) -> str:
    """A listed issuance and a scenic spot, written before the live server starts (its own loop and ORM)."""
    return seed(settings, lambda: _seed(settings))


async def _fits(phone: Any) -> None:
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


class TestVisitorOnAPhone:
    async def test_scan_footprint_order_pay_and_the_certificate_shows_the_spot(
        self, spot: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + f"/tourism/spots/{spot}")  # what the poster's QR code opens
        await expect(phone.locator("h1")).to_have_text("九寨沟")
        await expect(phone.locator(".benefit")).to_contain_text("门票优惠 10 元")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "tourism-spot-zh.png"), full_page=True)

        await phone.locator("a.way", has_text="火车/高铁 360 千米").click()
        await phone.wait_for_url("**/footprint/trip?**")
        await expect(phone.locator(".for-spot")).to_contain_text(spot)
        assert await phone.locator('input[name="distance_km"]').input_value() == "360"
        assert await phone.locator('select[name="mode"]').input_value() == "rail"
        await phone.fill('input[name="people"]', "2")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "tourism-trip-form-zh.png"), full_page=True)
        await phone.locator('form[action="/footprint/trip/result"] button[type="submit"]').click()
        await phone.wait_for_url("**/footprint/trip/result?**")
        await phone.locator("a.buy").click()
        await phone.wait_for_url(f"**/tourism/spots/{spot}/offset?**")
        await expect(phone.locator(".trip-line")).to_contain_text("成都 → 九寨沟，火车/高铁 360 千米，2 人，往返")

        await phone.locator("a.button", has_text="登录后下单").click()
        await sign_in_on_the_form(phone, live_server, PHONE_NUMBER)
        await phone.wait_for_url(f"**/tourism/spots/{spot}/offset?**")

        await phone.fill('input[name="beneficiary"]', "游客张三")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "tourism-offset-zh.png"), full_page=True)
        await phone.locator('form[action*="/offset"] button[type="submit"]').click()
        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("待支付")
        await phone.locator('form[action$="/pay?lang=zh"] button').click()
        await phone.wait_for_url("**/payments/sandbox/**")
        await phone.get_by_role("button", name="支付").click()
        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("已完成")
        await phone.locator(".certificate a").click()
        await phone.wait_for_url("**/certificates/**")
        await expect(phone.locator("tr.linked").first).to_contain_text(f"九寨沟 · {spot}")
        await expect(phone.locator(".certificate")).to_contain_text("成都 → 九寨沟，火车/高铁 360 千米，2 人，往返")
        await expect(phone.locator(".certificate")).to_contain_text("门票优惠 10 元（未核销）")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "tourism-certificate-zh.png"), full_page=True)
