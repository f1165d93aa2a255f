"""A campaign on a phone: open the page, sign in, book a slot, check in through the API with the
site's current token, and the booking shows as checked in. Screenshots under tests/artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.campaigns import checkin
from tests.browser.seeding import seed
from tests.browser.test_points import latest_code
from tests.campaigns.builders import HOME, make_campaign

pytestmark = pytest.mark.browser
PHONE_NUMBER = "13800138021"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The same person signs in twice within a minute (mini-app, then browser)."""
    return settings.with_(sms_per_phone_per_minute=5)


async def _seed(settings: Any) -> int:
    _, slot, _ = await make_campaign()
    return slot.site_id  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def site_id(settings: Any) -> int:
    """A campaign with a slot under way, written before the server starts (one ORM context per process)."""
    return seed(settings, lambda: _seed(settings))


class TestCampaignOnAPhone:
    async def test_book_then_check_in_shows_on_the_campaign_page(
        self, site_id: int, live_server: str, phone: Any, screenshots: Path, settings: Any
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/campaigns")
        await expect(phone.locator("h1")).to_contain_text("植树活动")
        await phone.locator('a.card[href^="/campaigns/spring"]').click()
        await expect(phone.locator("h1")).to_contain_text("春季义务植树")
        await phone.screenshot(path=str(screenshots / "campaign-zh.png"), full_page=True)

        await phone.locator("li.slot a.button").first.click()  # 登录后预约 → sign-in, back here after
        await phone.fill('input[name="phone"]', PHONE_NUMBER)
        await phone.locator('form[action^="/sign-in/send"] button[type="submit"]').first.click()
        await expect(phone.locator('input[name="code"]')).to_be_visible()
        async with httpx.AsyncClient(base_url=live_server) as dev:
            code = await latest_code(dev)
        await phone.fill('input[name="code"]', code)
        await phone.locator('form[action^="/sign-in/verify"] button[type="submit"]').click()
        await phone.wait_for_url("**/campaigns/spring**")

        await phone.locator("li.slot form button").first.click()
        await expect(phone.locator(".notice")).to_contain_text("预约成功")
        await expect(phone.locator("#mine .status")).to_contain_text("已预约")
        await phone.screenshot(path=str(screenshots / "campaign-booked-zh.png"), full_page=True)

        # At the site, the mini-app scans the organiser's QR and sends it with the phone's position.
        async with httpx.AsyncClient(base_url=live_server) as api:
            await api.post("/api/v1/auth/sms/send", json={"phone": PHONE_NUMBER})
            tokens = (
                await api.post("/api/v1/auth/sms/login", json={"phone": PHONE_NUMBER, "code": await latest_code(api)})
            ).json()
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            mine = (await api.get("/api/v1/campaigns/bookings", headers=bearer)).json()
            token = checkin.token_for(settings, site_id, checkin.step_at(datetime.now(UTC)))
            body = {"token": token, "lon": HOME[0], "lat": HOME[1]}
            done = await api.post(f"/api/v1/campaigns/bookings/{mine[0]['id']}/check-in", json=body, headers=bearer)
            assert done.status_code == 200, done.text

        await phone.reload()
        await expect(phone.locator("#mine .status")).to_contain_text("已签到")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "campaign-checked-in-zh.png"), full_page=True)

        await phone.goto(live_server + "/campaigns/spring?lang=en")
        await expect(phone.locator("#mine .status")).to_contain_text("checked in")
        await phone.screenshot(path=str(screenshots / "campaign-checked-in-en.png"), full_page=True)
