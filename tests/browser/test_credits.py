"""The public serial page on a phone: a certificate's serial leads to its block, issuance, land and method."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.core.auth import Role
from app.credits import inventory
from app.settings import Settings
from tests.browser.seeding import seed
from tests.credits.helpers import approved_project, issue_units, principal_of

pytestmark = pytest.mark.browser


async def _seed(settings: Settings) -> dict[str, str]:
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=12_000, buffer=3_000)
    await inventory.reserve(
        "order:b1", 250, datetime.now(UTC) + timedelta(hours=1), issuance_public_id=issuance.public_id
    )
    retired = await inventory.retire(
        "order:b1", "成都市民张三", "trip", beneficiary_shown="masked", purpose_reference="G8 川西自驾"
    )
    return {"issuance": issuance.public_id, "retired": retired[0].block.display}  # type: ignore[attr-defined]


@pytest.fixture
def seeded(settings: Settings) -> dict[str, str]:
    """An issuance with a retired block, written before the live server starts (its own loop and ORM)."""
    return seed(settings, lambda: _seed(settings))


class TestSerialPage:
    async def test_a_serial_typed_into_the_form_shows_its_retirement_and_origin(
        self, seeded: dict[str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/credits/serials")
        await phone.fill('input[name="serial"]', seeded["retired"])
        await phone.locator('main form button[type="submit"]').first.click()
        await phone.wait_for_url("**/credits/serials?**")
        main = phone.locator("main")
        await expect(main).to_contain_text(seeded["retired"])
        await expect(main).to_contain_text("已注销")
        await expect(main).to_contain_text("成*")  # the beneficiary as they chose to show it
        await expect(main).not_to_contain_text("张三")
        await expect(main).to_contain_text("SC-LCP-AFF @ 0.1.0")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "credits-serial-zh.png"), full_page=True)

        await phone.locator(f'main a[href^="/credits/issuances/{seeded["issuance"]}"]').click()
        await expect(main).to_contain_text("序列号段")
        await expect(main).to_contain_text("缓冲池")
        await phone.goto(live_server + f"/credits/issuances/{seeded['issuance']}?lang=en")
        await expect(main).to_contain_text("Serial blocks")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the issuance page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "credits-issuance-en.png"), full_page=True)
