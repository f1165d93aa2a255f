"""Buying on a phone: catalogue → listing → order → sandbox pay → the order page with its certificate code."""

from __future__ import annotations

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
PHONE_NUMBER = "13800138026"


async def _seed(settings: Settings) -> str:
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=5_000, buffer=1_000)
    listing = await market.create_listing(owner, issuance.public_id, 100, 10, "masked")  # ¥1 = 10 kg
    return listing.public_id


@pytest.fixture
def listing(settings: Settings) -> str:
    """A listed issuance, written before the live server starts (its own loop and ORM)."""
    return seed(settings, lambda: _seed(settings))


async def _fits(phone: Any) -> None:
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


class TestBuyingOnAPhone:
    async def test_catalogue_order_sandbox_pay_and_the_certificate_code(
        self, listing: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/market")
        await expect(phone.locator(".card.listing")).to_have_count(1)
        await expect(phone.locator(".card.listing .price")).to_contain_text("1.00 元 / 10 千克")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-catalogue-zh.png"), full_page=True)

        await phone.goto(live_server + f"/sign-in?next=/market/listings/{listing}")
        await sign_in_on_the_form(phone, live_server, PHONE_NUMBER)
        await phone.wait_for_url(f"**/market/listings/{listing}**")

        await phone.fill('input[name="kg"]', "15")  # not a whole number of 10 kg units: said beside the form
        await phone.fill('input[name="beneficiary"]', "成都市民张三")
        await phone.locator('form[action*="/order"] button[type="submit"]').click()
        await expect(phone.locator(".error")).to_contain_text("10 千克的整数倍")
        await phone.fill('input[name="kg"]', "30")
        await phone.select_option('select[name="purpose"]', "trip")
        await phone.fill('input[name="purpose_note"]', "成都—九寨沟自驾")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-order-form-zh.png"), full_page=True)
        await phone.locator('form[action*="/order"] button[type="submit"]').click()
        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("待支付")
        await expect(phone.locator("main")).to_contain_text("3.00 元")

        await phone.locator('form[action$="/pay?lang=zh"] button').click()
        await phone.wait_for_url("**/payments/sandbox/**")
        await expect(phone.locator(".cashier .big")).to_contain_text("3.00 元")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-sandbox-pay-zh.png"), full_page=True)
        await phone.get_by_role("button", name="支付").click()

        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("已完成")
        certificate = (await phone.locator(".certificate .big").inner_text()).strip()
        assert len(certificate) == 16
        link = phone.locator(".certificate a")
        assert await link.get_attribute("href") == f"/certificates/{certificate}?lang=zh"
        await expect(phone.locator("main")).to_contain_text("平台服务费")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-order-done-zh.png"), full_page=True)
        await phone.goto(phone.url.split("?")[0] + "?lang=en")
        await expect(phone.locator(".status")).to_contain_text("Done: credits retired")
        await expect(phone.locator("main")).to_contain_text("Platform fee")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-order-done-en.png"), full_page=True)


SPLIT_PHONE = "13800138027"


async def _seed_split(settings: Settings) -> str:
    """Two sellers' listings at 1.00 元 / 10 kg (100 and 50 kg left) and a buyer's 150 kg best order."""
    from app.accounts import service as accounts

    for kg in (100, 50):
        owner, _ = await principal_of(settings, Role.SMALLHOLDER)
        verifier, _ = await principal_of(settings, Role.VERIFIER)
        issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=kg, buffer=10)
        await market.create_listing(owner, issuance.public_id, 100, 10, "masked")
    buyer, _ = await accounts.find_or_create_by_phone(settings, SPLIT_PHONE)
    ask = market.OrderAsk(listing=market.BEST, kg=150, purpose="personal", beneficiary="成都市民李四")
    return (await market.place_order(settings, buyer, ask)).public_id


@pytest.fixture
def split_order(settings: Settings) -> str:
    return seed(settings, lambda: _seed_split(settings))


class TestASplitOrderOnAPhone:
    async def test_the_order_page_lists_each_part_and_the_certificate_every_serial_range(
        self, split_order: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + f"/sign-in?next=/market/orders/{split_order}")
        await sign_in_on_the_form(phone, live_server, SPLIT_PHONE)
        await phone.wait_for_url(f"**/market/orders/{split_order}**")
        await expect(phone.locator(".parts")).to_contain_text("分 2 个挂牌购买")
        await expect(phone.locator(".parts tr")).to_have_count(2)
        await expect(phone.locator("main")).to_contain_text("15.00 元")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-split-order-zh.png"), full_page=True)

        await phone.locator('form[action$="/pay?lang=zh"] button').click()
        await phone.wait_for_url("**/payments/sandbox/**")
        await expect(phone.locator(".cashier .big")).to_contain_text("15.00 元")
        await phone.get_by_role("button", name="支付").click()
        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("已完成")
        await expect(phone.locator(".parts")).to_contain_text("卖方所得 8.00 元")
        await expect(phone.locator(".parts")).to_contain_text("卖方所得 4.00 元")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-split-done-zh.png"), full_page=True)

        await phone.locator(".certificate a").click()
        await phone.wait_for_url("**/certificates/**")
        await expect(phone.locator("main")).to_contain_text("150")
        serials = await phone.locator("main li a.mono").count()
        assert serials >= 2, serials
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-split-certificate-zh.png"), full_page=True)
