"""The home page in a real phone-sized browser: Chinese first, English one tap away, no sideways scroll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

WAYS_IN = {
    "zh": [("/campaigns", "植树活动"), ("/registry", "碳汇登记簿"), ("/verify", "验证证书")],
    "en": [("/campaigns", "Planting campaigns"), ("/registry", "Sink registry"), ("/verify", "Verify a certificate")],
}


async def assert_fits_the_phone(page: Any) -> None:
    """Nothing wider than the 390 px screen, and every way in is a thumb-sized target."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px wide on a 390 px screen"
    for href, _ in WAYS_IN["zh"]:
        box = await page.locator(f'main a[href^="{href}"]').bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300, f"{href} is too small to tap: {box}"


async def assert_ways_in(page: Any, lang: str) -> None:
    from playwright.async_api import expect

    for href, text in WAYS_IN[lang]:
        link = page.locator(f'main a[href^="{href}"]')
        await expect(link).to_have_count(1)
        await expect(link).to_contain_text(text)
        assert f"lang={lang}" in (await link.get_attribute("href") or ""), f"{href} loses the language"


class TestHomePage:
    async def test_speaks_chinese_first_then_english_from_the_switch_at_phone_width(
        self, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        response = await phone.goto(live_server + "/")
        assert response is not None and response.status == 200
        assert await phone.title() == "微碳汇"
        assert await phone.get_attribute("html", "lang") == "zh-CN"
        await expect(phone.locator("h1")).to_contain_text("林草碳普惠")
        await assert_ways_in(phone, "zh")
        await assert_fits_the_phone(phone)
        await phone.screenshot(path=str(screenshots / "home-zh.png"), full_page=True)

        await phone.get_by_role("link", name="English").click()
        await phone.wait_for_load_state("load")
        assert "lang=en" in phone.url
        assert await phone.title() == "MicroSink"
        assert await phone.get_attribute("html", "lang") == "en"
        await expect(phone.locator("h1")).to_contain_text("forestry and grassland carbon inclusion")
        await assert_ways_in(phone, "en")
        await assert_fits_the_phone(phone)
        await phone.screenshot(path=str(screenshots / "home-en.png"), full_page=True)

        await phone.get_by_role("link", name="中文").click()
        await phone.wait_for_load_state("load")
        assert await phone.title() == "微碳汇"

    async def test_serves_its_stylesheet_from_the_app_not_a_cdn(self, live_server: str, phone: Any) -> None:
        outside: list[str] = []
        phone.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
        await phone.goto(live_server + "/")
        color = await phone.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        assert color == "rgb(31, 111, 67)", "base.css did not load"
        assert outside == [], f"the page fetched from elsewhere: {outside}"
