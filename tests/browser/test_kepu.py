"""科普 on a phone: from a campaign page to the pages, a quoted number to its source, a case to the
calculator that recomputes it. Screenshots under tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


class TestKepuOnAPhone:
    async def test_read_a_page_follow_a_number_to_its_source_and_a_case_to_the_calculator(
        self, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/kepu")
        await expect(phone.locator("h1")).to_contain_text("科普")
        await phone.locator('a.card[href^="/kepu/forest"]').click()
        await expect(phone.locator("h1")).to_have_text("森林如何固碳")
        await phone.screenshot(path=str(screenshots / "kepu-forest-zh.png"), full_page=True)
        await phone.locator('article a[href^="#ref-"]').first.click()
        await expect(phone.locator("#ref-1")).to_be_in_viewport()

        await phone.goto(live_server + "/kepu/cases?lang=en")
        await phone.locator('article a[href^="/calculator/SC-LCP-BAM/estimate"]').first.click()
        await expect(phone.locator("body")).to_contain_text("11,407")
