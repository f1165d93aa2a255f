"""The smallholder's overview: my projects and parcels with status, area and estimate, no credits yet."""

from __future__ import annotations

from app.core.auth import Role
from models.registry import ParcelEstimate
from tests.helpers import signed_in
from tests.registry.shapes import approved, project_with, smallholder, square
from tests.registry.test_estimates import FIR

API = "/api/v1/registry"


class TestMine:
    async def test_it_lists_my_projects_and_parcels_with_status_area_and_estimate(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        done, (kept,) = await approved(client, settings, square(104.30, 30.55, 120), headers=headers, **FIR)
        draft, (small,) = await project_with(client, headers, square(104.40, 30.55, 15), **FIR)
        await approved(client, settings, square(104.50, 30.55), **FIR)  # someone else's
        body = (await client.get(f"{API}/mine", headers=headers)).json()
        assert [p["id"] for p in body["projects"]] == [draft, done]
        by_id = {p["id"]: p for p in body["projects"]}
        estimate = await ParcelEstimate.get(parcel__public_id=kept, current=True)
        (parcel,) = by_id[done]["parcels"]
        assert by_id[done]["status"] == "approved" and parcel["status"] == "approved"
        assert parcel["estimate"]["kg_per_year"] == estimate.kg_per_year == by_id[done]["kg_per_year"]
        assert by_id[done]["county_name"] == "四川省成都市龙泉驿区"
        (tiny,) = by_id[draft]["parcels"]
        assert tiny["id"] == small and tiny["estimate"] is None
        assert tiny["estimate_problem"]["code"] == "methodology.limit.afforestation_min_plot_area"
        assert body["kg_per_year"] == estimate.kg_per_year
        assert body["area_m2"] == sum(p["area_m2"] for p in body["projects"])
        # Issuance does not exist yet: the place for issued / sold kg is there and empty, not invented.
        assert body["credits"] is None and by_id[done]["credits"] is None and parcel["credits"] is None

    async def test_only_smallholders_have_one(self, client, settings) -> None:
        _, citizen = await signed_in(settings)
        assert (await client.get(f"{API}/mine", headers=citizen)).status_code == 403
        assert (await client.get(f"{API}/mine")).status_code == 401
        _, verifier = await signed_in(settings, Role.VERIFIER)
        assert (await client.get(f"{API}/mine", headers=verifier)).status_code == 403
