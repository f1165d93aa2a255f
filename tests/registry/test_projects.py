"""Projects and parcels through the API: who may do what, the state machine, overlaps, audit."""

from __future__ import annotations

import asyncio

from app.core.auth import Role
from app.registry.geometry import wgs84_to_gcj02
from models.audit import AuditEvent
from models.registry import Parcel, Project
from tests.conftest import postgres_only
from tests.helpers import signed_in
from tests.registry.shapes import cooperative, east_of, parcel_body, project_with, smallholder, square, verifier

API = "/api/v1/registry"


async def submitted(client, settings, *geometries):  # type: ignore[no-untyped-def]
    _, headers = await smallholder(settings)
    project, parcels = await project_with(client, headers, *geometries)
    r = await client.post(f"{API}/projects/{project}/submit", headers=headers)
    assert r.status_code == 200, r.text
    return headers, project, parcels


class TestCreateProject:
    async def test_a_household_opens_a_draft_project(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await client.get(f"{API}/projects/{project}", headers=headers)
        assert r.json()["status"] == "draft" and r.json()["organisation"] is None

    async def test_a_cooperative_member_opens_one_for_the_cooperative_and_colleagues_see_it(
        self, client, settings
    ) -> None:
        coop = await cooperative("龙泉驿区林业合作社")
        _, a = await smallholder(settings, org=coop)
        _, b = await smallholder(settings, org=coop)
        body = {
            "name": "合作社竹林",
            "county_code": "510112",
            "methodology_id": "SC-LCP-BAM",
            "organisation": coop.public_id,
        }
        r = await client.post(f"{API}/projects", json=body, headers=a)
        assert r.status_code == 201 and r.json()["organisation"] == coop.public_id
        assert [p["id"] for p in (await client.get(f"{API}/projects", headers=b)).json()] == [r.json()["id"]]

    async def test_a_cooperative_member_without_a_household_role_must_name_the_cooperative(
        self, client, settings
    ) -> None:
        _, headers = await smallholder(settings, org=await cooperative("合作社甲"))
        body = {"name": "x", "county_code": "510112", "methodology_id": "SC-LCP-AFF"}
        r = await client.post(f"{API}/projects", json=body, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "registry.not_individual_smallholder"

    async def test_nobody_acts_for_a_cooperative_they_are_not_in(self, client, settings) -> None:
        other = await cooperative("合作社乙")
        _, headers = await smallholder(settings)
        body = {"name": "x", "county_code": "510112", "methodology_id": "SC-LCP-AFF", "organisation": other.public_id}
        assert (await client.post(f"{API}/projects", json=body, headers=headers)).status_code == 403

    async def test_a_citizen_or_verifier_cannot_open_a_project(self, client, settings) -> None:
        body = {"name": "x", "county_code": "510112", "methodology_id": "SC-LCP-AFF"}
        for roles in ((), (Role.VERIFIER,)):
            _, headers = await signed_in(settings, *roles)
            r = await client.post(f"{API}/projects", json=body, headers=headers)
            assert r.status_code == 403 and r.json()["code"] == "auth.role_required"

    async def test_a_prefecture_code_is_not_a_county(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        body = {"name": "x", "county_code": "510100", "methodology_id": "SC-LCP-AFF"}
        r = await client.post(f"{API}/projects", json=body, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "regions.not_a_county"


class TestAddParcel:
    async def test_it_stores_the_outline_with_geodesic_area_in_mu_and_hectares(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await client.post(
            f"{API}/projects/{project}/parcels", json=parcel_body(square(104.3, 30.55, 200)), headers=headers
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert abs(body["area_m2"] - 40_000) < 400 and body["area_display"].endswith("公顷）")
        assert abs(float(body["area_mu"]) - 60) < 0.6 and body["status"] == "draft" and not body["active"]
        assert body["holder_name"] == "张三丰"  # the owner sees it in full; stored encrypted
        stored = await Parcel.get(public_id=body["id"])
        assert b"\xe5\xbc\xa0" not in stored.holder_name_enc  # no 张 in clear

    async def test_positions_from_the_mini_app_are_converted_from_gcj02(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        wgs = square(104.3, 30.55, 200)["coordinates"][0]
        gcj = {"type": "Polygon", "coordinates": [[list(wgs84_to_gcj02(x, y)) for x, y in wgs]]}
        r = await client.post(f"{API}/projects/{project}/parcels", json=parcel_body(gcj, crs="gcj02"), headers=headers)
        first = r.json()["geometry"]["coordinates"][0][0]
        assert r.json()["input_crs"] == "gcj02"
        assert abs(first[0] - wgs[0][0]) < 1e-6 and abs(first[1] - wgs[0][1]) < 1e-6

    async def test_a_self_intersecting_outline_is_refused_naming_the_field_and_nothing_is_written(
        self, client, settings
    ) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        bow = {
            "type": "Polygon",
            "coordinates": [[[104, 30], [104.001, 30.001], [104.001, 30], [104, 30.001], [104, 30]]],
        }
        r = await client.post(f"{API}/projects/{project}/parcels?lang=en", json=parcel_body(bow), headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "registry.geometry_self_intersection"
        assert r.json()["detail"][0]["field"] == "geometry" and "crosses itself" in r.json()["message"]
        assert await Parcel.all().count() == 0

    async def test_species_shares_must_add_up_to_a_hundred(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        body = parcel_body(square(104.3, 30.55), species=[{"species": "柏木", "percent": 60}])
        r = await client.post(f"{API}/projects/{project}/parcels", json=body, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "registry.species_percent"

    async def test_land_held_by_an_active_parcel_is_refused_with_its_id_and_the_shared_area(
        self, client, settings
    ) -> None:
        _, _, (held,) = await submitted(client, settings, square(104.3, 30.55, 200))
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await client.post(
            f"{API}/projects/{project}/parcels", json=parcel_body(square(104.3005, 30.5505, 100)), headers=headers
        )
        assert r.status_code == 409 and r.json()["code"] == "registry.overlap"
        assert held in r.json()["message"] and "平方米" in r.json()["message"] and "亩" in r.json()["message"]
        assert r.json()["detail"][0]["other"] == held and abs(r.json()["detail"][0]["area_m2"] - 10_000) < 100

    async def test_two_parcels_of_one_project_may_not_overlap(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers, square(104.3, 30.55, 200))
        r = await client.post(
            f"{API}/projects/{project}/parcels", json=parcel_body(square(104.3005, 30.5505)), headers=headers
        )
        assert r.status_code == 409 and r.json()["code"] == "registry.overlap"

    async def test_only_the_owner_adds_parcels(self, client, settings) -> None:
        _, owner = await smallholder(settings)
        project, _ = await project_with(client, owner)
        _, stranger = await smallholder(settings)
        r = await client.post(
            f"{API}/projects/{project}/parcels", json=parcel_body(square(104.3, 30.55)), headers=stranger
        )
        assert r.status_code == 403 and r.json()["code"] == "registry.not_your_project"


class TestSubmit:
    async def test_submitting_makes_the_parcels_active_and_is_audited(self, client, settings) -> None:
        _, project, (parcel,) = await submitted(client, settings, square(104.3, 30.55))
        stored = await Parcel.get(public_id=parcel)
        assert stored.status == "submitted" and stored.active
        actions = set(await AuditEvent.filter(entity_id__in=[project, parcel]).values_list("action", flat=True))
        assert {
            "registry.project.created",
            "registry.parcel.added",
            "registry.project.submit",
            "registry.parcel.submit",
        } <= actions

    async def test_submitting_twice_is_an_illegal_transition(self, client, settings) -> None:
        headers, project, _ = await submitted(client, settings, square(104.3, 30.55))
        r = await client.post(f"{API}/projects/{project}/submit", headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "registry.illegal_transition"
        assert "已提交" in r.json()["message"] or "submitted" in r.json()["message"]

    async def test_an_empty_project_cannot_be_submitted(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await client.post(f"{API}/projects/{project}/submit", headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "registry.no_parcels"

    async def test_of_two_drafts_on_the_same_land_only_the_first_submitted_holds_it(self, client, settings) -> None:
        _, a = await smallholder(settings)
        _, b = await smallholder(settings)
        pa, (first,) = await project_with(client, a, square(104.3, 30.55, 200))
        pb, _ = await project_with(client, b, square(104.3005, 30.5505, 200))
        assert (await client.post(f"{API}/projects/{pa}/submit", headers=a)).status_code == 200
        r = await client.post(f"{API}/projects/{pb}/submit", headers=b)
        assert r.status_code == 409 and r.json()["detail"][0]["other"] == first
        assert (await Project.get(public_id=pb)).status == "draft"
        assert not await Parcel.filter(project__public_id=pb, active=True).exists()

    async def test_a_sliver_along_a_shared_boundary_passes(self, client, settings) -> None:
        await submitted(client, settings, square(104.3, 30.55, 100))
        # Drawn 0.5 m into the neighbour over 100 m: ≈ 50 m², under the default 100 m² tolerance.
        await submitted(client, settings, square(east_of(104.3, 30.55, 99.5), 30.55, 100))
        assert await Parcel.filter(active=True).count() == 2

    async def test_editing_after_submission_is_refused(self, client, settings) -> None:
        headers, _, (parcel,) = await submitted(client, settings, square(104.3, 30.55))
        r = await client.put(f"{API}/parcels/{parcel}", json=parcel_body(square(104.31, 30.55)), headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "registry.not_editable"

    @postgres_only
    async def test_concurrent_submissions_of_overlapping_parcels_leave_exactly_one_active(
        self, client, settings
    ) -> None:
        for round_ in range(5):
            lon = 104.0 + round_ * 0.05
            heads, projects = [], []
            for k in range(4):
                _, h = await smallholder(settings)
                p, _ = await project_with(client, h, square(lon + k * 0.0002, 30.2, 150))
                heads.append(h)
                projects.append(p)
            results = await asyncio.gather(
                *(client.post(f"{API}/projects/{p}/submit", headers=h) for p, h in zip(projects, heads, strict=True))
            )
            codes = sorted(r.status_code for r in results)
            assert codes == [200, 409, 409, 409], [r.text for r in results]
            assert await Parcel.filter(active=True, min_lon__gte=lon - 0.001, min_lon__lte=lon + 0.01).count() == 1


class TestReview:
    async def test_a_verifier_takes_reviews_and_approves(self, client, settings) -> None:
        _, project, (parcel,) = await submitted(client, settings, square(104.3, 30.55))
        _, v = await verifier(settings)
        assert [p["id"] for p in (await client.get(f"{API}/review/queue", headers=v)).json()] == [project]
        assert (await client.get(f"{API}/projects/{project}", headers=v)).status_code == 200
        assert (await client.post(f"{API}/review/{project}/start", headers=v)).json()["status"] == "under_review"
        r = await client.post(f"{API}/review/{project}/approve", headers=v)
        assert r.status_code == 200 and r.json()["status"] == "approved"
        stored = await Parcel.get(public_id=parcel)
        assert stored.status == "approved" and stored.active
        actions = await AuditEvent.filter(entity_id=project).order_by("id").values_list("action", flat=True)
        assert actions[-3:] == ["registry.project.submit", "registry.project.start_review", "registry.project.approve"]

    async def test_a_returned_project_releases_its_land_is_edited_and_submitted_again(self, client, settings) -> None:
        owner, project, (parcel,) = await submitted(client, settings, square(104.3, 30.55))
        _, v = await verifier(settings)
        await client.post(f"{API}/review/{project}/start", headers=v)
        r = await client.post(
            f"{API}/review/{project}/return",
            json={"reasons": ["boundary_unclear"], "note": "北侧边界与林权证不符"},
            headers=v,
        )
        assert r.json()["status"] == "returned" and r.json()["return_reasons"] == ["boundary_unclear"]
        assert not (await Parcel.get(public_id=parcel)).active
        edited = await client.put(f"{API}/parcels/{parcel}", json=parcel_body(square(104.3, 30.55, 120)), headers=owner)
        assert edited.status_code == 200, edited.text
        again = await client.post(f"{API}/projects/{project}/submit", headers=owner)
        assert again.json()["status"] == "submitted" and again.json()["return_reasons"] == []

    async def test_approving_before_review_started_is_an_illegal_transition(self, client, settings) -> None:
        _, project, _ = await submitted(client, settings, square(104.3, 30.55))
        _, v = await verifier(settings)
        r = await client.post(f"{API}/review/{project}/approve?lang=en", headers=v)
        assert r.status_code == 409 and r.json()["code"] == "registry.illegal_transition"
        assert r.json()["message"] == "The project is submitted: it cannot approve (to approved)"

    async def test_a_return_needs_a_known_reason(self, client, settings) -> None:
        _, project, _ = await submitted(client, settings, square(104.3, 30.55))
        _, v = await verifier(settings)
        await client.post(f"{API}/review/{project}/start", headers=v)
        for body in ({"reasons": []}, {"reasons": ["bad_vibes"]}):
            assert (await client.post(f"{API}/review/{project}/return", json=body, headers=v)).status_code == 400

    async def test_only_the_verifier_who_took_it_decides(self, client, settings) -> None:
        _, project, _ = await submitted(client, settings, square(104.3, 30.55))
        _, v1 = await verifier(settings)
        _, v2 = await verifier(settings)
        await client.post(f"{API}/review/{project}/start", headers=v1)
        r = await client.post(f"{API}/review/{project}/approve", headers=v2)
        assert r.status_code == 403 and r.json()["code"] == "registry.not_your_review"

    async def test_nobody_reviews_their_own_project(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.SMALLHOLDER, Role.VERIFIER)
        project, _ = await project_with(client, headers, square(104.3, 30.55))
        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        r = await client.post(f"{API}/review/{project}/start", headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "registry.own_project_review"

    async def test_a_smallholder_cannot_use_the_review_queue(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        assert (await client.get(f"{API}/review/queue", headers=headers)).status_code == 403

    async def test_a_verifier_cannot_see_a_draft(self, client, settings) -> None:
        _, owner = await smallholder(settings)
        project, _ = await project_with(client, owner)
        _, v = await verifier(settings)
        assert (await client.get(f"{API}/projects/{project}", headers=v)).status_code == 403


class TestMeasurements:
    async def test_a_measurement_is_recorded_once_per_day(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        _, (parcel,) = await project_with(client, headers, square(104.3, 30.55))
        body = {"measured_on": "2024-10-01", "stand_volume_m3_per_ha": "18.5", "method": "样地实测"}
        assert (
            await client.post(f"{API}/parcels/{parcel}/measurements", json=body, headers=headers)
        ).status_code == 201
        again = await client.post(f"{API}/parcels/{parcel}/measurements", json=body, headers=headers)
        assert again.status_code == 409 and again.json()["code"] == "registry.measurement_duplicate"


class TestPublicPages:
    async def test_the_project_page_shows_outline_area_and_a_masked_holder(self, client, settings) -> None:
        _, project, (parcel,) = await submitted(client, settings, square(104.3, 30.55, 200))
        html = (await client.get(f"/registry/projects/{project}")).text
        assert "<svg" in html and "亩" in html and "公顷" in html and "510112" in html and "造林碳汇" in html
        assert "张**" in html and "张三丰" not in html and "0001234" not in html
        assert "四川省成都市龙泉驿区" in html
        parcel_page = await client.get(f"/registry/parcels/{parcel}?lang=en")
        assert parcel_page.status_code == 200 and "四川省成都市龙泉驿区" in parcel_page.text

    async def test_a_holder_who_chose_to_be_named_is_named(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers, square(104.3, 30.55), show_holder_name=True)
        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        assert "张三丰" in (await client.get(f"/registry/projects/{project}")).text

    async def test_a_draft_is_not_public(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, (parcel,) = await project_with(client, headers, square(104.3, 30.55))
        assert (await client.get(f"/registry/projects/{project}")).status_code == 404
        assert (await client.get(f"/registry/parcels/{parcel}")).status_code == 404
