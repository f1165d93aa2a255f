"""The registry home (/registry) and a parcel page with its estimate, on a phone at 390×844."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.auth import Principal, Role
from app.registry import estimates, service
from app.registry.schemas import ParcelIn, SpeciesShare
from app.settings import Settings
from models.accounts import Membership
from models.registry import ParcelEstimate
from tests.browser.seeding import seed
from tests.helpers import signed_in

pytestmark = pytest.mark.browser


async def _principal(settings: Settings, *roles: Role) -> Principal:
    user, _ = await signed_in(settings, *roles)
    org_roles = [(m.organisation_id, m.role) for m in await Membership.filter(user=user)]  # type: ignore[attr-defined]
    names = frozenset({"citizen", *(r.value for r in roles)})
    return Principal(user=user, session=None, roles=names, org_roles=org_roles)  # type: ignore[arg-type]


async def _seed(settings: Settings) -> dict[str, Any]:
    """An approved afforestation project with one parcel, and its stored estimate."""
    owner = await _principal(settings, Role.SMALLHOLDER)
    verifier = await _principal(settings, Role.VERIFIER)
    project = await service.create_project(owner, "龙泉山杉木造林", "510112", "SC-LCP-AFF", None)
    ring = [[104.30, 30.55], [104.3021, 30.5501], [104.3024, 30.5519], [104.3003, 30.5522], [104.30, 30.55]]
    parcel = await service.add_parcel(
        settings,
        owner,
        project.public_id,
        ParcelIn(
            geometry={"type": "Polygon", "coordinates": [ring]},
            county_code="510112",
            tenure_kind="forest_right_certificate",
            tenure_number="川(2019)龙泉驿区林权第0004321号",
            holder_kind="individual",
            holder_name="王小林",
            sink_type="afforestation",
            name="后山杉木林",
            species=[SpeciesShare("杉木", 100)],
            planting_year=estimates.this_year() - 8,
            elevation_m=620,
            methodology_facts={"non_forest_years_before": 5},
        ),
    )
    await service.submit(settings, owner, project.public_id)
    await service.start_review(verifier, project.public_id)
    await service.approve(verifier, project.public_id)
    row = await ParcelEstimate.get(parcel_id=parcel.id, current=True)
    return {"project": project.public_id, "parcel": parcel.public_id, "kg": row.kg_per_year, "row": row}


@pytest.fixture
def approved_parcel(settings: Settings) -> dict[str, Any]:
    return seed(settings, lambda: _seed(settings))


async def _fits(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


class TestRegistryOnAPhone:
    async def test_the_registry_home_shows_totals_by_county_and_the_approved_project(
        self, approved_parcel: dict[str, Any], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(f"{live_server}/registry")
        await expect(phone.locator("h1")).to_have_text("碳汇登记簿")
        main = phone.locator("main")
        await expect(main).to_contain_text("四川省成都市龙泉驿区")
        await expect(main).to_contain_text("造林碳汇")
        await expect(main).to_contain_text("龙泉山杉木造林")
        await expect(main).to_contain_text(f"{approved_parcel['kg']:,}")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "registry-home-zh.png"), full_page=True)
        await phone.locator(f'a[href^="/registry/projects/{approved_parcel["project"]}"]').click()
        await expect(phone.locator("h1")).to_have_text("龙泉山杉木造林")

    async def test_a_parcel_page_shows_the_estimate_and_what_it_traces_to(
        self, approved_parcel: dict[str, Any], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        row = approved_parcel["row"]
        await phone.goto(f"{live_server}/registry/parcels/{approved_parcel['parcel']}")
        estimate = phone.locator(".estimate")
        await expect(estimate).to_contain_text("事前估算（预期）")
        await expect(estimate).to_contain_text(f"SC-LCP-AFF@{row.methodology_version}")
        await expect(estimate).to_contain_text(row.parameter_set_sha256)
        await expect(phone.locator("main")).to_contain_text("王**")
        assert "王小林" not in await phone.content() and "0004321" not in await phone.content()
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "registry-parcel-estimate-zh.png"), full_page=True)
        await phone.locator('.estimate a[href^="/calculator/SC-LCP-AFF"]').click()
        await phone.wait_for_load_state("load")
        assert "/calculator/SC-LCP-AFF" in phone.url
        await phone.goto(f"{live_server}/registry/parcels/{approved_parcel['parcel']}?lang=en")
        await expect(phone.locator(".estimate")).to_contain_text("Ex-ante (expected)")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "registry-parcel-estimate-en.png"), full_page=True)
