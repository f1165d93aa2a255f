"""The smallholder's overview: my projects and parcels with status, area, estimate and credits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.auth import Role
from app.credits import inventory
from models.registry import ParcelEstimate
from tests.helpers import signed_in
from tests.registry.shapes import approved, project_with, smallholder, square, verifier
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
        # Nothing issued yet: the place for issued / sold kg is there and empty, not invented.
        assert body["credits"] is None and by_id[done]["credits"] is None and parcel["credits"] is None

    async def test_it_shows_issued_reserved_sold_available_and_buffer_kg_per_project(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        issued_project, _ = await approved(client, settings, square(104.30, 30.55, 120), headers=headers, **FIR)
        quiet_project, _ = await approved(client, settings, square(104.40, 30.55, 120), headers=headers, **FIR)
        _, v = await verifier(settings)
        report = {"project": issued_project, "period_start": "2024-01-01", "period_end": "2024-12-31"}
        r = await client.post("/api/v1/credits/monitoring-reports", json=report, headers=headers)
        assert r.status_code == 201, r.text
        await client.post(f"/api/v1/credits/monitoring-reports/{r.json()['id']}/review", headers=v)
        issuance = (await client.post(f"/api/v1/credits/monitoring-reports/{r.json()['id']}/approve", headers=v)).json()
        owner_kg, buffer = issuance["owner_kg"], issuance["buffer_kg"]
        until = datetime.now(UTC) + timedelta(hours=1)
        await inventory.reserve("order:sold", 7, until, issuance_public_id=issuance["id"])
        await inventory.retire("order:sold", "李四", "trip")
        await inventory.reserve("order:held", 5, until, issuance_public_id=issuance["id"])
        body = (await client.get(f"{API}/mine", headers=headers)).json()
        by_id = {p["id"]: p for p in body["projects"]}
        expected = {
            "issued_kg": owner_kg + buffer,
            "reserved_kg": 5,
            "sold_kg": 7,
            "available_kg": owner_kg - 12,
            "buffer_kg": buffer,
            "cancelled_kg": 0,
            "income_fen": None,
        }
        assert by_id[issued_project]["credits"] == expected and body["credits"] == expected
        assert by_id[quiet_project]["credits"] is None  # nothing issued there: no invented zeroes
        assert all(p["credits"] is None for p in by_id[issued_project]["parcels"])

    async def test_only_smallholders_have_one(self, client, settings) -> None:
        _, citizen = await signed_in(settings)
        assert (await client.get(f"{API}/mine", headers=citizen)).status_code == 403
        assert (await client.get(f"{API}/mine")).status_code == 401
        _, verifier = await signed_in(settings, Role.VERIFIER)
        assert (await client.get(f"{API}/mine", headers=verifier)).status_code == 403
