"""The public project page on a phone: outline, area in 亩, status, and the holder's name masked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.auth import Principal, Role
from app.registry import service
from app.registry.schemas import ParcelIn, SpeciesShare
from app.settings import Settings
from models.accounts import Membership
from tests.browser.seeding import seed
from tests.helpers import signed_in

pytestmark = pytest.mark.browser


async def _seed(settings: Settings) -> str:
    user, _ = await signed_in(settings, Role.SMALLHOLDER)
    org_roles = [(m.organisation_id, m.role) for m in await Membership.filter(user=user)]  # type: ignore[attr-defined]
    principal = Principal(user=user, session=None, roles=frozenset({"citizen", "smallholder"}), org_roles=org_roles)  # type: ignore[arg-type]
    project = await service.create_project(principal, "龙泉山柏木造林", "510112", "SC-LCP-AFF", None)
    outline = [
        [104.30, 30.55],
        [104.3031, 30.5502],
        [104.3040, 30.5528],
        [104.3012, 30.5541],
        [104.2996, 30.5523],
        [104.30, 30.55],
    ]
    hole = [[104.3012, 30.5512], [104.3020, 30.5512], [104.3020, 30.5519], [104.3012, 30.5519], [104.3012, 30.5512]]
    await service.add_parcel(
        settings,
        principal,
        project.public_id,
        ParcelIn(
            geometry={"type": "Polygon", "coordinates": [outline, hole]},
            county_code="510112",
            tenure_kind="forest_right_certificate",
            tenure_number="川(2019)龙泉驿区林权第0001234号",
            holder_kind="individual",
            holder_name="张三丰",
            sink_type="afforestation",
            name="后山坡",
            species=[SpeciesShare("柏木", 70), SpeciesShare("桤木", 30)],
            planting_year=2021,
            elevation_m=620,
            methodology_facts={"non_forest_years_before": 5},
        ),
    )
    await service.submit(settings, principal, project.public_id)
    return project.public_id


@pytest.fixture
def registry_project(settings: Settings) -> str:
    """A submitted project, written before the live server starts (its own loop, in a thread)."""
    return seed(settings, lambda: _seed(settings))


class TestPublicProjectPage:
    async def test_a_phone_shows_the_outline_area_and_a_masked_holder(
        self, registry_project: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(f"{live_server}/registry/projects/{registry_project}")
        await expect(phone.locator("h1")).to_have_text("龙泉山柏木造林")
        await expect(phone.locator("main")).to_contain_text("已提交")
        await expect(phone.locator("main")).to_contain_text("亩")
        await expect(phone.locator("main")).to_contain_text("张**")
        assert "张三丰" not in await phone.content()
        box = await phone.locator("figure.outline svg").bounding_box()
        assert box and box["width"] > 150 and box["height"] > 100
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "registry-project-zh.png"), full_page=True)
        await phone.goto(f"{live_server}/registry/projects/{registry_project}?lang=en")
        await expect(phone.locator("main")).to_contain_text("mu")
        await phone.screenshot(path=str(screenshots / "registry-project-en.png"), full_page=True)
