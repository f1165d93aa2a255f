"""The certificate verify page on a phone: a code typed from paper opens the certificate, in zh and en."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.credits import reversal
from app.settings import Settings
from tests.browser.conftest import PHONE
from tests.browser.seeding import seed
from tests.certificates.helpers import FULL_NAME, retire, sized_issuance

pytestmark = pytest.mark.browser


async def _seed(settings: Settings) -> dict[str, str]:
    issuance, project, verifier = await sized_issuance(settings, kg=12_000, buffer=3_000)
    code = await retire(
        "order:phone", 1250, issuance=issuance.public_id, beneficiary=FULL_NAME, beneficiary_shown="masked",
        purpose_reference="九寨沟之行",
    )  # fmt: skip
    await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 3, 1), 10_800)
    return {"code": code, "project": project.public_id}


@pytest.fixture
def seeded(settings: Settings) -> dict[str, str]:
    """A masked certificate whose land later burned (made good by the buffer), written before the server starts."""
    return seed(settings, lambda: _seed(settings))


class TestVerifyPage:
    async def test_a_code_typed_from_paper_opens_the_certificate(
        self, seeded: dict[str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        code = seeded["code"]
        await phone.goto(live_server + "/certificates")
        typed = " ".join(code.lower()[i : i + 4] for i in range(0, 16, 4))  # as read aloud from a printed poster
        await phone.fill('input[name="code"]', typed)
        await phone.locator('main form button[type="submit"]').first.click()
        await phone.wait_for_url(f"**/certificates/{code}?lang=zh")
        main = phone.locator("main")
        await expect(main).to_contain_text("碳汇注销证书")
        await expect(main).to_contain_text("成******")
        await expect(main).to_contain_text("1,250")
        await expect(main).to_contain_text("火灾")
        await expect(main).to_contain_text("SC-LCP-AFF @ 0.1.0")
        await expect(main).not_to_contain_text("张三丰")
        await expect(main.locator("figure.qr svg")).to_be_visible()
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "certificate-zh.png"), full_page=True)

        await phone.locator("header a.lang").click()
        await expect(main).to_contain_text("Carbon sink retirement certificate")
        await expect(main).to_contain_text("Trip offset")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the English page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "certificate-en.png"), full_page=True)

        await phone.locator(f'main a[href^="/registry/projects/{seeded["project"]}"]').click()
        await phone.wait_for_url(f"**/registry/projects/{seeded['project']}**")

    async def test_it_is_complete_without_javascript(
        self, seeded: dict[str, str], live_server: str, browser: Any
    ) -> None:
        from playwright.async_api import expect

        context = await browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
        try:
            page = await context.new_page()
            response = await page.goto(live_server + f"/certificates/{seeded['code']}")
            assert response is not None and response.status == 200
            await expect(page.locator("main")).to_contain_text("成******")
            await expect(page.locator("figure.qr svg")).to_be_visible()
            poster = await page.goto(live_server + f"/certificates/{seeded['code']}/poster.png")
            assert poster is not None and poster.status in (200, 503)  # 503 only without the font (make deps)
        finally:
            await context.close()
