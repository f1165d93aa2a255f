"""The calculator on a phone: pick a sink type, fill the form, read the estimate with its sources."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


async def _fits_the_screen(page: Any) -> None:
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


class TestCalculatorPage:
    async def test_a_phone_estimates_an_afforestation_plot(
        self, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/calculator")
        await expect(phone.locator("h1")).to_have_text("碳汇计算器")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "calculator-index-390x844.png"))

        await phone.locator('a.card[href^="/calculator/SC-LCP-AFF"]').click()
        await phone.wait_for_url("**/calculator/SC-LCP-AFF**")
        await phone.fill('input[name="area_mu"]', "10")
        await phone.select_option('select[name="species"]', "cunninghamia")
        await phone.fill('input[name="stand_age"]', "8")
        await phone.fill('input[name="elevation_m"]', "600")
        await phone.fill('input[name="non_forest_years_before"]', "3")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "calculator-form-390x844.png"))
        await phone.locator('button[type="submit"]').click()

        await phone.wait_for_url("**/calculator/SC-LCP-AFF/estimate**")
        await expect(phone.locator(".kg")).to_have_text("1,835")  # README worked example A2, zh-CN grouping
        await expect(phone.locator(".basis")).to_contain_text("事前估算")
        await expect(phone.locator(".caveat")).to_contain_text("核证机构批准签发之前")
        await expect(phone.locator(".parameters")).to_contain_text("tree.cunninghamia.bef")
        await expect(phone.locator(".parameters a").first).to_have_attribute("href", re.compile(r"^https?://"))
        await expect(phone.locator(".record")).to_contain_text("SC-LCP-AFF@0.1.0")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "calculator-result-390x844.png"))
        await phone.screenshot(path=str(screenshots / "calculator-result-full.png"), full_page=True)

    async def test_it_works_without_javascript_and_names_a_refused_limit(self, live_server: str, browser: Any) -> None:
        from playwright.async_api import expect

        context = await browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
        try:
            page = await context.new_page()
            await page.goto(live_server + "/calculator/SC-LCP-GRS")
            await page.fill('input[name="area_mu"]', "20000")
            await page.fill('input[name="years_since_change"]', "0")
            await page.locator('button[type="submit"]').click()
            await expect(page.locator(".error")).to_contain_text("15000")
            await expect(page.locator(".error")).to_contain_text("20000")

            await page.fill('input[name="area_mu"]', "500")
            await page.locator('button[type="submit"]').click()
            await expect(page.locator(".kg")).to_have_text("20,319")  # README worked example G1
        finally:
            await context.close()
