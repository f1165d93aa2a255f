"""The carbon account page on a phone: a check-in made in the mini-app shows up on the page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.browser.signing import sign_in_on_the_form

pytestmark = pytest.mark.browser
PHONE_NUMBER = "13800138009"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The same person signs in twice within a minute (mini-app, then browser)."""
    return settings.with_(sms_per_phone_per_minute=5)


async def latest_code(client: httpx.AsyncClient) -> str:
    html = (await client.get("/dev/sms-outbox")).text
    found = re.search(r'class="mono sms-code">(\d{6})<', html)
    assert found, "no code on the development outbox page"
    return found.group(1)


class TestCarbonAccountPage:
    async def test_a_check_in_shows_on_the_account_page(self, live_server: str, phone: Any, screenshots: Path) -> None:
        from playwright.async_api import expect

        async with httpx.AsyncClient(base_url=live_server) as api:  # the mini-app, over real HTTP
            await api.post("/api/v1/auth/sms/send", json={"phone": PHONE_NUMBER})
            tokens = (
                await api.post("/api/v1/auth/sms/login", json={"phone": PHONE_NUMBER, "code": await latest_code(api)})
            ).json()
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            earned = await api.post(
                "/api/v1/points/earn", json={"id": str(uuid4()), "action": "checkin.daily"}, headers=bearer
            )
            assert earned.status_code == 201, earned.text

        await phone.goto(live_server + "/sign-in?next=/me/points")
        await sign_in_on_the_form(phone, live_server, PHONE_NUMBER)
        await phone.wait_for_url("**/me/points**")
        await expect(phone.locator(".balance .big")).to_contain_text("2")
        await expect(phone.locator("main")).to_contain_text("每日签到")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "points-zh.png"), full_page=True)
