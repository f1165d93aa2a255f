"""A public parcel page with photos on a phone: clean thumbnails that load, how far each was taken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.auth import Principal, Role
from app.registry import photos, service
from app.registry.schemas import ParcelIn, SpeciesShare
from app.settings import Settings
from app.storage import storage_for
from models.accounts import Membership
from tests.browser.seeding import seed
from tests.evidence.photos import encode, phone_jpeg, scene
from tests.helpers import signed_in
from tests.registry.shapes import square

pytestmark = pytest.mark.browser


async def _seed(settings: Settings) -> str:
    user, _ = await signed_in(settings, Role.SMALLHOLDER)
    org_roles = [(m.organisation_id, m.role) for m in await Membership.filter(user=user)]  # type: ignore[attr-defined]
    principal = Principal(user=user, session=None, roles=frozenset({"citizen", "smallholder"}), org_roles=org_roles)  # type: ignore[arg-type]
    project = await service.create_project(principal, "龙泉山柏木造林", "510112", "SC-LCP-AFF", None)
    parcel = await service.add_parcel(
        settings,
        principal,
        project.public_id,
        ParcelIn(
            geometry=square(104.3, 30.55, 200),
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
    storage = storage_for(settings)
    for data in (
        phone_jpeg(1, lat=30.5509, lon=104.3010),
        phone_jpeg(4, lat=30.5527, lon=104.3010),  # ~100 m north of the outline
        encode(scene(6, (900, 1200)), "PNG"),  # a portrait screenshot without GPS
    ):
        await photos.add_photo(settings, storage, principal, parcel.public_id, data)
    await service.submit(settings, principal, project.public_id)
    return parcel.public_id


@pytest.fixture
def parcel_with_photos(settings: Settings) -> str:
    return seed(settings, lambda: _seed(settings))


class TestParcelPagePhotos:
    async def test_a_phone_shows_the_photos_loaded_and_where_they_were_taken_without_coordinates(
        self, parcel_with_photos: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(f"{live_server}/registry/parcels/{parcel_with_photos}")
        images = phone.locator("ul.photos img")
        await expect(images).to_have_count(3)
        for i in range(3):
            img = images.nth(i)
            await img.scroll_into_view_if_needed()
            await expect(img).to_have_js_property("complete", True)
            assert await img.evaluate("i => i.naturalWidth") > 100
            box = await img.bounding_box()
            assert box and 140 < box["width"] < 195
        main = phone.locator("main")
        await expect(main).to_contain_text("拍摄于地块内")
        await expect(main).to_contain_text("拍摄于地块 100 米范围内")
        await expect(main).to_contain_text("照片无位置信息")
        assert "30.5509" not in await phone.content()
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "registry-parcel-photos-zh.png"), full_page=True)
        await phone.goto(f"{live_server}/registry/parcels/{parcel_with_photos}?lang=en")
        await expect(main).to_contain_text("Taken inside the parcel")
        await phone.screenshot(path=str(screenshots / "registry-parcel-photos-en.png"), full_page=True)
