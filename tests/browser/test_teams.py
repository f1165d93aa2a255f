"""The team page on a phone: open the join link from the QR, sign in, join, see the team."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.signing import sign_in_on_the_form

pytestmark = pytest.mark.browser
OWNER_PHONE, MEMBER_PHONE = "13800138021", "13800138022"


async def latest_code(client: httpx.AsyncClient) -> str:
    html = (await client.get("/dev/sms-outbox")).text
    found = re.search(r'class="mono sms-code">(\d{6})<', html)
    assert found, "no code on the development outbox page"
    return found.group(1)


class TestTeamPage:
    async def test_the_join_link_opens_a_form_with_the_code_and_joining_shows_the_team(
        self, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        async with httpx.AsyncClient(base_url=live_server) as api:  # the owner, in the mini-app
            await api.post("/api/v1/auth/sms/send", json={"phone": OWNER_PHONE})
            tokens = (
                await api.post("/api/v1/auth/sms/login", json={"phone": OWNER_PHONE, "code": await latest_code(api)})
            ).json()
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            team = (
                await api.post("/api/v1/teams", json={"kind": "class", "name_zh": "实验小学三年级二班"}, headers=bearer)
            ).json()

        await phone.goto(live_server + "/sign-in")
        await sign_in_on_the_form(phone, live_server, MEMBER_PHONE)
        await phone.wait_for_load_state()

        await phone.goto(team["join_url"].replace("http://127.0.0.1:8000", live_server))
        await expect(phone.locator("h1")).to_contain_text("实验小学三年级二班")
        await expect(phone.locator('input[name="code"]')).to_have_value(team["join_code"])
        await phone.screenshot(path=str(screenshots / "team-join-zh.png"), full_page=True)
        await phone.locator('#join button[type="submit"]').click()
        await expect(phone.locator(".notice")).to_contain_text("已加入团队")
        await expect(phone.locator("main")).to_contain_text("成员 1 人")
        await expect(phone.locator("#member")).to_contain_text("你是本团队成员")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "team-joined-zh.png"), full_page=True)
