"""Donating on a phone: campaign page → donate 2 trees → sandbox confirm → result → receipt request."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise

from app.core.db import tortoise_config
from app.settings import Settings
from tests.browser.signing import sign_in_on_the_form
from tests.campaigns.builders import make_campaign

pytestmark = pytest.mark.browser
PHONE_NUMBER = "13800138077"
VALID_USCC = "91350100M000100Y43"


def _in_thread(coro_fn: Any) -> Any:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(coro_fn())))
    thread.start()
    thread.join(timeout=90)
    assert out, "the database step failed (see the log above)"
    return out[0]


async def _seed(settings: Settings) -> str:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        campaign, _, _ = await make_campaign()  # plant + donate, 30.00 元 per tree, open today
        return campaign.slug
    finally:
        await Tortoise.close_connections()


async def _fits(phone: Any) -> None:
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


@pytest.fixture
def campaign_slug(settings: Settings) -> str:
    """A campaign taking donations, written before the live server starts (its own loop and ORM)."""
    return _in_thread(lambda: _seed(settings))  # type: ignore[no-any-return]


class TestDonatingOnAPhone:
    async def test_campaign_donate_two_trees_sandbox_pay_result_and_receipt(
        self, campaign_slug: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        slug = campaign_slug
        await phone.goto(live_server + f"/sign-in?next=/campaigns/{slug}")
        await sign_in_on_the_form(phone, live_server, PHONE_NUMBER)
        await phone.wait_for_url(f"**/campaigns/{slug}**")

        donate = phone.locator("#donate")
        await expect(donate).to_contain_text("每棵 30.00 元")
        await expect(donate).to_contain_text("积分捐赠")
        await phone.fill('#donate input[name="trees"]', "2")
        await donate.scroll_into_view_if_needed()
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "donations-campaign-form-zh.png"), full_page=False)
        await phone.locator('form[action*="/donate?"] button[type="submit"]').click()

        await phone.wait_for_url("**/payments/sandbox/**")
        await expect(phone.locator(".cashier .big")).to_contain_text("60.00 元")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "donations-sandbox-pay-zh.png"), full_page=True)
        await phone.get_by_role("button", name="支付").click()

        await phone.wait_for_url("**/donations/**")
        await expect(phone.locator(".status")).to_contain_text("已支付")
        await expect(phone.locator("main")).to_contain_text("义务植树尽责 2 棵")
        await phone.select_option('select[name="kind"]', "organisation")
        await phone.fill('input[name="title"]', "成都某某科技有限公司")
        await phone.fill('input[name="tax_id"]', "91350100M000100Y44")  # a wrong check character
        await phone.fill('input[name="email"]', "finance@example.com")
        await phone.locator('form[action*="/receipt"] button[type="submit"]').click()
        await expect(phone.locator("#receipt .error")).to_contain_text("统一社会信用代码")
        await phone.fill('input[name="tax_id"]', VALID_USCC)
        await phone.locator('form[action*="/receipt"] button[type="submit"]').click()
        await phone.wait_for_url("**saved=1**")
        await expect(phone.locator("#receipt .notice")).to_contain_text("已收到")
        await expect(phone.locator("#receipt")).to_contain_text("已申请，待基金会开具")
        await _fits(phone)
        await phone.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top, not over the table
        await phone.screenshot(path=str(screenshots / "donations-result-receipt-zh.png"), full_page=True)
        assert await phone.input_value('input[name="tax_id"]') == VALID_USCC  # kept, still changeable

        await phone.goto(live_server + f"/campaigns/{slug}")
        await expect(phone.locator("#donate")).to_contain_text("已有 1 笔捐资，共认种 2 棵")
        await expect(phone.locator(".progress")).to_contain_text("60.00 元")
