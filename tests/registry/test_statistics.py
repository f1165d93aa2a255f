"""Public statistics and the /registry home: approved projects only, sums that match the parcels."""

from __future__ import annotations

from datetime import date

from models.registry import Parcel, ParcelEstimate
from tests.registry.shapes import GRASSLAND, approved, project_with, smallholder, square
from tests.registry.test_estimates import FIR, THIS_YEAR

API = "/api/v1/registry"


async def a_registry(client, settings):  # type: ignore[no-untyped-def]
    """Two approved projects in two counties and sink types, plus a submitted and a draft one."""
    await approved(client, settings, square(104.30, 30.55, 100), square(104.31, 30.55, 150), **FIR)
    await approved(client, settings, square(102.50, 32.80, 300), methodology="SC-LCP-GRS", **GRASSLAND)
    _, headers = await smallholder(settings)
    submitted, _ = await project_with(client, headers, square(104.40, 30.55, 100), **FIR)
    await client.post(f"{API}/projects/{submitted}/submit", headers=headers)
    await project_with(client, headers, square(104.50, 30.55, 100), **FIR)


class TestStatistics:
    async def test_it_sums_area_counts_and_kg_of_approved_parcels_only(self, client, settings) -> None:
        await a_registry(client, settings)
        body = (await client.get(f"{API}/statistics")).json()
        approved_parcels = await Parcel.filter(status="approved")
        rows = await ParcelEstimate.filter(current=True, parcel__status="approved")
        assert len(approved_parcels) == 3 and await Parcel.all().count() == 5
        assert body["scope"] == "approved" and body["total"]["parcels"] == 3
        assert body["total"]["area_m2"] == sum(p.area_m2 for p in approved_parcels)
        assert body["total"]["kg_per_year"] == sum(r.kg_per_year for r in rows) > 0
        by_county = {r["key"]: r for r in body["by_county"]}
        assert by_county.keys() == {"510112", "513233"}
        assert by_county["510112"]["name"] == "四川省成都市龙泉驿区" and by_county["510112"]["parcels"] == 2
        assert by_county["513233"]["name"] == "四川省阿坝藏族羌族自治州红原县"
        by_sink = {r["key"]: r for r in body["by_sink_type"]}
        assert by_sink["grassland"]["name"] == "草地碳汇" and by_sink["afforestation"]["parcels"] == 2
        for table in (body["by_county"], body["by_sink_type"]):
            assert sum(r["kg_per_year"] for r in table) == body["total"]["kg_per_year"]
            assert sum(r["area_m2"] for r in table) == body["total"]["area_m2"]
        grass = next(p for p in approved_parcels if p.sink_type == "grassland")
        assert by_sink["grassland"]["kg_per_year"] == next(r.kg_per_year for r in rows if r.parcel_id == grass.id)  # type: ignore[attr-defined]
        assert {m["methodology_id"] for m in body["by_methodology"]} == {"SC-LCP-AFF", "SC-LCP-GRS"}
        assert sum(m["kg_per_year"] for m in body["by_methodology"]) == body["total"]["kg_per_year"]

    async def test_an_empty_registry_has_zero_totals(self, client, settings) -> None:
        body = (await client.get(f"{API}/statistics?lang=en")).json()
        assert body["total"] == {
            "key": "total",
            "name": "Totals",
            "parcels": 0,
            "area_m2": 0,
            "area_mu": "0.00",
            "area_ha": "0.0000",
            "kg_per_year": 0,
            "parcels_held_for_review": 0,
        }

    async def test_a_parcel_held_for_review_counts_for_area_but_not_for_kg(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, (pid,) = await project_with(client, headers, square(104.3, 30.55), **FIR)
        for day, volume in ((date(THIS_YEAR - 3, 5, 1), "10"), (date(THIS_YEAR - 1, 5, 1), "90")):
            body = {"measured_on": day.isoformat(), "stand_volume_m3_per_ha": volume}
            await client.post(f"{API}/parcels/{pid}/measurements", json=body, headers=headers)
        await approved(client, settings, square(104.4, 30.55), **FIR)
        from tests.registry.shapes import verifier

        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        _, v = await verifier(settings)
        await client.post(f"{API}/review/{project}/start", headers=v)
        assert (await client.post(f"{API}/review/{project}/approve", headers=v)).status_code == 200
        body = (await client.get(f"{API}/statistics")).json()
        held = await ParcelEstimate.get(parcel__public_id=pid, current=True)
        assert held.held_for_review and held.kg_per_year > 0
        other = await ParcelEstimate.get(current=True, held_for_review=False)
        assert body["total"]["parcels"] == 2 and body["total"]["parcels_held_for_review"] == 1
        assert body["total"]["kg_per_year"] == other.kg_per_year


class TestRegistryPage:
    async def test_it_shows_the_tables_and_the_recent_approved_projects_without_sign_in(self, client, settings) -> None:
        await a_registry(client, settings)
        r = await client.get("/registry")
        assert r.status_code == 200
        html = r.text
        assert "四川省成都市龙泉驿区" in html and "草地碳汇" in html and "龙泉山造林" in html
        assert "SC-LCP-GRS@" in html and "/open-data/parcels.csv" in html
        assert html.count('class="card" href="/registry/projects/') == 2  # the submitted one is not approved
        english = (await client.get("/registry?lang=en")).text
        assert "Sink registry" in english and "By county" in english
