"""Best available on a phone: catalogue → 最优组合 (kg in, the split offer out) → sign in → confirm →
sandbox pay → the order page with its certificate → the certificate with every part's serials."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.core.auth import Role
from app.market import service as market
from app.settings import Settings
from tests.browser.seeding import seed
from tests.browser.signing import sign_in_on_the_form
from tests.credits.helpers import approved_project, issue_units, principal_of

pytestmark = pytest.mark.browser
PHONE_NUMBER = "13800138061"


async def _seed(settings: Settings) -> list[str]:
    """Two sellers' listings: 100 kg at 1.00 元 / 10 kg and 50 kg at 1.20 元 / 10 kg."""
    listings = []
    for kg, price in ((100, 100), (50, 120)):
        owner, _ = await principal_of(settings, Role.SMALLHOLDER)
        verifier, _ = await principal_of(settings, Role.VERIFIER)
        issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=kg, buffer=10)
        listings.append((await market.create_listing(owner, issuance.public_id, price, 10, "masked")).public_id)
    return listings


@pytest.fixture
def listings(settings: Settings) -> list[str]:
    return seed(settings, lambda: _seed(settings))


async def _fits(phone: Any) -> None:
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


class TestBestAvailableOnAPhone:
    async def test_catalogue_best_available_sandbox_pay_and_the_certificate(
        self, listings: list[str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        cheap, dear = listings
        await phone.goto(live_server + "/market")
        await expect(phone.locator(".card.best h2")).to_have_text("最优组合购买")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-best-catalogue-zh.png"), full_page=True)
        await phone.fill('.card.best input[name="kg"]', "145")
        await phone.locator(".card.best button").click()
        await phone.wait_for_url("**/market/best?**")
        await expect(phone.locator(".offer-kg")).to_have_text("150 千克")  # rounded up to whole 10 kg units
        await expect(phone.locator(".offer-total")).to_have_text("16.00 元")  # 100 kg × 1.00 + 50 kg × 1.20
        await expect(phone.locator(".parts")).to_contain_text("分 2 个挂牌购买")
        # each part named by its project and seller, linking to its listing
        await expect(phone.locator(".parts tr").first).to_contain_text("（卖方：")
        await expect(phone.locator(".parts tr").first.locator("a")).to_have_attribute("href", re.compile(cheap))
        await expect(phone.locator(".parts tr").nth(1)).to_contain_text("50 千克")
        await expect(phone.locator(".parts tr").nth(1).locator("a")).to_have_attribute("href", re.compile(dear))
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-best-offer-zh.png"), full_page=True)

        await phone.get_by_role("link", name="登录后按此报价下单").click()
        await sign_in_on_the_form(phone, live_server, PHONE_NUMBER)
        await phone.wait_for_url("**/market/best?kg=150**")
        await phone.fill('input[name="beneficiary"]', "成都市民王五")
        await phone.select_option('select[name="purpose"]', "personal")
        await _fits(phone)
        await phone.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top in the full-page shot
        await phone.screenshot(path=str(screenshots / "market-best-confirm-zh.png"), full_page=True)
        await phone.get_by_role("button", name="确认下单 16.00 元").click()

        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("待支付")
        await expect(phone.locator(".parts tr")).to_have_count(2)
        await phone.locator('form[action$="/pay?lang=zh"] button').click()
        await phone.wait_for_url("**/payments/sandbox/**")
        await expect(phone.locator(".cashier .big")).to_contain_text("16.00 元")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-best-sandbox-zh.png"), full_page=True)
        await phone.get_by_role("button", name="支付").click()

        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("已完成")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-best-done-zh.png"), full_page=True)
        await phone.locator(".certificate a").click()
        await phone.wait_for_url("**/certificates/**")
        await expect(phone.locator("main")).to_contain_text("150")
        assert await phone.locator("main li a.mono").count() >= 2
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-best-certificate-zh.png"), full_page=True)

        await phone.goto(live_server + "/market/best?kg=145&lang=en")
        await expect(phone.locator("h1")).to_have_text("Best available")
        await expect(phone.locator(".error")).to_contain_text("Only 0 kg are on sale")  # all sold now
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-best-sold-out-en.png"), full_page=True)
