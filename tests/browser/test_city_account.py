"""Linking and unlinking a city carbon account through the pages on a phone, against the in-app sandbox."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.main import create_app
from app.settings import Settings
from tests.browser.signing import sign_in_on_the_form

pytestmark = pytest.mark.browser
PHONE_NUMBER = "13800138021"


@pytest.fixture
def city_server(settings: Settings) -> Iterator[str]:
    """Like `live_server`, but BASE_URL is the served address: the OAuth redirect URI must point back here."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(settings.with_(base_url=base))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", loop="asyncio", log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="city-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.02)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


class TestCityAccountPages:
    async def test_a_person_links_and_unlinks_on_a_phone(self, city_server: str, phone: Any, screenshots: Path) -> None:
        from playwright.async_api import expect

        await phone.goto(city_server + "/sign-in?next=/me/city-account")
        await sign_in_on_the_form(phone, city_server, PHONE_NUMBER)
        await phone.wait_for_url("**/me/city-account**")
        await expect(phone.locator(".city-link .big")).to_have_text("未关联")

        await phone.locator('form[action^="/me/city-account/link"] button').click()
        await phone.wait_for_url("**/sandbox/city-account/authorize**")
        await expect(phone.locator("main")).to_contain_text("沙盒城市平台")
        await phone.fill('input[name="account"]', "CD0000000390")
        await phone.screenshot(path=str(screenshots / "city-account-consent-zh.png"), full_page=True)
        await phone.locator('button[value="allow"]').click()

        await phone.wait_for_url("**/me/city-account?**done=linked**")
        await expect(phone.locator(".city-link .big")).to_have_text("已关联")
        await expect(phone.locator(".account-id")).to_have_text("CD0000000390")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "city-account-linked-zh.png"), full_page=True)

        await phone.locator('form[action^="/me/city-account/unlink"] button').click()
        await phone.wait_for_url("**done=unlinked**")
        await expect(phone.locator(".city-link .big")).to_have_text("未关联")
        await expect(phone.locator('[role="status"]')).to_have_text("已解除关联")
        await phone.goto(city_server + "/me/city-account?lang=en")
        await expect(phone.locator(".city-link .big")).to_have_text("Not linked")
        await phone.screenshot(path=str(screenshots / "city-account-unlinked-en.png"), full_page=True)
