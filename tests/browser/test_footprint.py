"""The footprint calculator on a phone: a scenic-spot QR link, the form, the result with each factor and the buy link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


async def _fits_the_screen(page: Any) -> None:
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


class TestFootprintPages:
    async def test_a_visitor_scans_a_jiuzhaigou_qr_and_sees_what_to_offset(
        self, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/footprint")
        await expect(phone.locator("h1")).to_have_text("碳足迹计算器")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "footprint-index-390x844.png"))

        await phone.goto(live_server + "/footprint/trip?to=jiuzhaigou&people=2")
        await expect(phone.locator('select[name="destination"]')).to_have_value("jiuzhaigou")
        await expect(phone.locator('input[name="people"]')).to_have_value("2")
        await phone.select_option('select[name="origin"]', "chengdu")
        await phone.select_option('select[name="mode"]', "rail")
        await phone.fill('input[name="hotel_nights"]', "2")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "footprint-trip-form-390x844.png"), full_page=True)
        await phone.locator('button[type="submit"]').click()

        await phone.wait_for_url("**/footprint/trip/result**")
        await expect(phone.locator(".kg")).to_have_text("160.47368")  # worked example T1
        await expect(phone.locator(".offset")).to_have_text("161")
        await expect(phone.locator("a.buy")).to_have_attribute("href", "/market?kg=161&purpose=trip&lang=zh")
        await expect(phone.locator(".lines")).to_contain_text("factor.rail")
        await expect(phone.locator(".lines")).to_contain_text("DESNZ")
        await expect(phone.locator(".note").first).to_be_visible()
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "footprint-result-390x844.png"))
        await phone.screenshot(path=str(screenshots / "footprint-result-full.png"), full_page=True)

        await phone.get_by_role("link", name="English").click()
        await phone.wait_for_load_state("load")
        await expect(phone.locator("h1")).to_contain_text("Trip")
        await expect(phone.locator(".kg")).to_have_text("160.47368")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "footprint-result-en-390x844.png"), full_page=True)

    async def test_the_factor_list_and_a_year_of_everyday_life_fit_the_phone(
        self, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/footprint/factors")
        await expect(phone.locator(".factors li")).to_have_count(15)
        await expect(phone.locator(".factors")).to_contain_text("生态环境部")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "footprint-factors-full.png"), full_page=True)

        await phone.goto(live_server + "/footprint/day")
        await phone.fill('input[name="days"]', "365")
        await phone.fill('input[name="electricity_kwh_per_day"]', "5")
        await phone.fill('input[name="km_metro"]', "12")
        await _fits_the_screen(phone)
        await phone.screenshot(path=str(screenshots / "footprint-day-form-full.png"), full_page=True)
        await phone.locator('button[type="submit"]').click()
        await expect(phone.locator(".kg")).to_have_text("1093.613")  # worked example D1
        await expect(phone.locator("a.buy")).to_have_attribute("href", "/market?kg=1094&purpose=personal&lang=zh")
        await _fits_the_screen(phone)

    async def test_the_event_form_works_without_javascript_and_names_a_refused_limit(
        self, live_server: str, browser: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        context = await browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
        try:
            page = await context.new_page()
            await page.goto(live_server + "/footprint/event")
            await page.fill('input[name="attendees"]', "10")
            await page.select_option('select[name="g1_mode"]', "rail")
            await page.fill('input[name="g1_count"]', "11")
            await page.fill('input[name="g1_km"]', "50")
            await page.locator('button[type="submit"]').click()
            await expect(page.locator(".error")).to_contain_text("超过参会人数 10 人")
            await _fits_the_screen(page)
            await page.screenshot(path=str(screenshots / "footprint-event-error-390x844.png"), full_page=True)

            await page.fill('input[name="g1_count"]', "10")
            await page.locator('button[type="submit"]').click()
            await expect(page.locator(".kg")).to_have_text("35.46")  # 10 × 100 passenger-km × 0.03546
            await expect(page.locator("a.buy")).to_have_attribute("href", "/market?kg=36&purpose=event&lang=zh")
        finally:
            await context.close()
