"""The credits API: smallholders submit, verifiers review and issue, anyone looks up a serial."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.auth import Role
from app.credits import inventory
from models.registry import ParcelEstimate
from tests.credits.helpers import approved_project, next_period, principal_of


def body(project, **change):  # type: ignore[no-untyped-def]
    start, end = next_period()
    data = {
        "project": project.public_id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "evidence": [{"kind": "photo", "ref": "sha256:abc", "note": "东坡"}],
    }
    data.update(change)
    return data


@pytest.fixture
async def people(client, settings):  # type: ignore[no-untyped-def]
    owner, owner_h = await principal_of(settings, Role.SMALLHOLDER)
    _, verifier_h = await principal_of(settings, Role.VERIFIER)
    project = await approved_project(owner, settings)
    return project, owner_h, verifier_h


async def issue_over_http(client, project, owner_h, verifier_h) -> dict:  # type: ignore[no-untyped-def]
    r = await client.post("/api/v1/credits/monitoring-reports", json=body(project), headers=owner_h)
    assert r.status_code == 201, r.text
    report = r.json()["id"]
    queue = await client.get("/api/v1/credits/monitoring-reports", headers=verifier_h)
    assert [x["id"] for x in queue.json()] == [report]
    r = await client.post(f"/api/v1/credits/monitoring-reports/{report}/review", headers=verifier_h)
    assert r.status_code == 200 and r.json()["status"] == "under_review", r.text
    r = await client.post(f"/api/v1/credits/monitoring-reports/{report}/approve", headers=verifier_h)
    assert r.status_code == 201, r.text
    return r.json()


class TestMonitoringReportsApi:
    async def test_submit_review_approve_gives_an_issuance_with_supply_and_blocks(self, client, people) -> None:
        project, owner_h, verifier_h = people
        issuance = await issue_over_http(client, project, owner_h, verifier_h)
        chain = issuance["report"]
        kg, buffer = chain["kg_issued"], chain["buffer_kg"]
        assert issuance["supply"] == {
            "issued": kg + buffer,
            "tradable": kg + buffer,
            "reserved": 0,
            "retired": 0,
            "cancelled": 0,
            "buffer": buffer,
        }
        assert [(b["start"], b["end"], b["holder"]) for b in issuance["blocks"]] == [
            (1, kg, "owner"),
            (kg + 1, kg + buffer, "buffer_pool"),
        ]
        mine = await client.get("/api/v1/credits/monitoring-reports/mine", headers=owner_h)
        assert [r["status"] for r in mine.json()] == ["approved"]

    async def test_an_overlapping_period_is_refused_in_the_requests_language(self, client, people) -> None:
        project, owner_h, verifier_h = people
        issuance = await issue_over_http(client, project, owner_h, verifier_h)
        again = body(project, period_start=issuance["period_start"], period_end=issuance["period_end"])
        zh = await client.post("/api/v1/credits/monitoring-reports", json=again, headers=owner_h)
        assert zh.status_code == 409 and zh.json()["code"] == "credits.period_overlaps"
        assert issuance["period_start"] in zh.json()["message"] and "重叠" in zh.json()["message"]
        en = await client.post("/api/v1/credits/monitoring-reports?lang=en", json=again, headers=owner_h)
        assert "overlaps the approved period" in en.json()["message"]

    async def test_bad_input_names_the_field(self, client, people) -> None:
        project, owner_h, _ = people
        r = await client.post(
            "/api/v1/credits/monitoring-reports", json=body(project, period_start="2024-13-01"), headers=owner_h
        )
        assert r.status_code == 400 and "period_start" in r.text

    async def test_a_quantity_or_estimate_sent_by_the_client_is_refused(self, client, people) -> None:
        project, owner_h, _ = people
        for field, value in (("kg_issued", 10**6), ("estimate", {"kg_issued": 10**6}), ("buffer_kg", 0)):
            r = await client.post(
                "/api/v1/credits/monitoring-reports", json=body(project, **{field: value}), headers=owner_h
            )
            assert r.status_code == 400 and field in r.text, r.text

    async def test_the_report_shows_its_computed_kg_and_the_estimates_behind_it(self, client, people) -> None:
        project, owner_h, _ = people
        data = body(project, period_start="2023-01-01", period_end="2023-12-31")
        r = await client.post("/api/v1/credits/monitoring-reports", json=data, headers=owner_h)
        assert r.status_code == 201, r.text
        report = r.json()
        rows = await ParcelEstimate.filter(parcel__project_id=project.id, current=True).order_by("id")
        # A whole calendar year is exactly one year: kg = Σ kg/yr.
        assert (report["day_count"], report["year_fraction"]) == ("actual/actual", "1")
        assert report["kg_issued"] == sum(r.kg_per_year for r in rows)
        assert report["buffer_kg"] == sum(r.buffer_kg_per_year for r in rows)
        assert sorted(e["estimate_id"] for e in report["estimates"]) == [r.id for r in rows]
        assert all(e["approved_estimate_id"] is None for e in report["estimates"])

    async def test_a_refused_parcel_is_a_4xx_naming_it_in_the_requests_language(self, client, people) -> None:
        project, owner_h, _ = people
        r = await client.post(
            "/api/v1/credits/monitoring-reports?lang=en", json=body(project, parcels=["nope"]), headers=owner_h
        )
        assert (
            r.status_code == 400
            and r.json()["code"] == "credits.parcel_not_in_project"
            and "nope" in r.json()["message"]
        )

    async def test_a_citizen_cannot_submit_and_a_smallholder_cannot_approve(self, client, people, settings) -> None:
        project, owner_h, _ = people
        _, citizen_h = await principal_of(settings)
        r = await client.post("/api/v1/credits/monitoring-reports", json=body(project), headers=citizen_h)
        assert r.status_code == 403
        r = await client.post("/api/v1/credits/monitoring-reports/x/approve", headers=owner_h)
        assert r.status_code == 403

    async def test_return_with_reasons(self, client, people) -> None:
        project, owner_h, verifier_h = people
        report = (await client.post("/api/v1/credits/monitoring-reports", json=body(project), headers=owner_h)).json()[
            "id"
        ]
        await client.post(f"/api/v1/credits/monitoring-reports/{report}/review", headers=verifier_h)
        r = await client.post(
            f"/api/v1/credits/monitoring-reports/{report}/return",
            json={"reasons": ["evidence_unclear"], "note": "请补拍"},
            headers=verifier_h,
        )
        assert r.status_code == 200 and r.json()["return_reasons"] == ["evidence_unclear"]


class TestSerialLookupApi:
    async def test_any_unit_of_a_block_leads_to_its_issuance_parcels_and_methodology(self, client, people) -> None:
        project, owner_h, verifier_h = people
        issuance = await issue_over_http(client, project, owner_h, verifier_h)
        display = issuance["blocks"][0]["serial"]
        by_display = (await client.get(f"/api/v1/credits/serials/{display}")).json()
        unit = issuance["blocks"][0]["end"] // 2 + 1
        by_unit = (await client.get(f"/api/v1/credits/serials/{issuance['id']}:{unit}")).json()
        for found in (by_display, by_unit):
            assert found["block"]["serial"] == display
            assert found["issuance"]["id"] == issuance["id"]
            assert found["parcels"] == issuance["parcels"] and len(found["parcels"]) == 2
            chain = found["issuance"]["report"]
            assert found["methodology"]["parameter_sha256"] == chain["estimates"][0]["parameter_set_sha256"]
            assert found["methodology"]["version"] == chain["estimates"][0]["methodology_version"]
            assert sorted(e["parcel"] for e in chain["estimates"]) == sorted(found["parcels"])
            for used in chain["estimates"]:
                row = await ParcelEstimate.get(id=used["approved_estimate_id"])
                assert (row.kg_per_year, row.inputs_sha256) == (used["kg_per_year"], used["inputs_sha256"])
            assert found["status"] == "tradable" and found["retirement"] is None
        assert by_unit["unit"] == unit

    async def test_a_retired_unit_shows_the_beneficiary_as_chosen(self, client, people) -> None:
        project, owner_h, verifier_h = people
        issuance = await issue_over_http(client, project, owner_h, verifier_h)
        until = datetime.now(UTC) + timedelta(hours=1)
        await inventory.reserve("order:a", 5, until, issuance_public_id=issuance["id"])
        await inventory.retire("order:a", "张三丰", "trip", beneficiary_shown="masked", purpose_reference="G1234")
        found = (await client.get(f"/api/v1/credits/serials/{issuance['id']}:3")).json()
        assert found["status"] == "retired"
        assert found["retirement"]["beneficiary"] == "张**"
        assert found["retirement"]["purpose_reference"] is None  # only shown with the name in full
        split = (await client.get(f"/api/v1/credits/serials/{issuance['blocks'][0]['serial']}")).json()
        owner_kg = issuance["blocks"][0]["quantity"]
        assert split["status"] == "superseded" and [c["quantity"] for c in split["children"]] == [5, owner_kg - 5]

    async def test_a_lookup_after_a_retirement_is_fresh_though_the_chain_is_kept(self, client, people) -> None:
        project, owner_h, verifier_h = people
        issuance = await issue_over_http(client, project, owner_h, verifier_h)
        before = (await client.get(f"/api/v1/credits/serials/{issuance['id']}:3")).json()  # keeps the chain
        assert before["status"] == "tradable" and before["retirement"] is None
        until = datetime.now(UTC) + timedelta(hours=1)
        await inventory.reserve("order:fresh", 5, until, issuance_public_id=issuance["id"])
        await inventory.retire("order:fresh", "李四", "trip", beneficiary_shown="full")
        after = (await client.get(f"/api/v1/credits/serials/{issuance['id']}:3")).json()
        assert after["status"] == "retired" and after["retirement"]["beneficiary"] == "李四"
        assert after["issuance"]["report"] == before["issuance"]["report"]  # the issued chain, unchanged
        assert len(after["issuance"]["report"]["estimates"]) == 2

    @pytest.mark.parametrize("serial", ["nothing", "abc:1", "AFF-510112-000001-2025-1-2", "x:notanumber", "a" * 200])
    async def test_an_unknown_serial_is_a_clear_404(self, client, serial) -> None:
        r = await client.get(f"/api/v1/credits/serials/{serial}?lang=en")
        assert r.status_code == 404 and r.json()["code"] == "credits.serial_not_found"

    async def test_pages_in_both_languages(self, client, people) -> None:
        project, owner_h, verifier_h = people
        issuance = await issue_over_http(client, project, owner_h, verifier_h)
        display = issuance["blocks"][0]["serial"]
        zh = await client.get(f"/credits/serials/{display}", headers={"accept": "text/html"})
        assert zh.status_code == 200 and "可交易" in zh.text and "SC-LCP-AFF" in zh.text
        assert "四川省成都市龙泉驿区" in zh.text
        en = await client.get(f"/credits/serials?serial={issuance['id']}:5&lang=en")
        assert "Tradable" in en.text and "You asked for unit 5" in en.text
        page = await client.get(f"/credits/issuances/{issuance['id']}")
        assert page.status_code == 200 and display in page.text and "缓冲池" in page.text
        assert "四川省成都市龙泉驿区" in page.text
        assert "签发量来源" in page.text and issuance["parcels"][0] in page.text
        missing = await client.get("/credits/serials?serial=nope")
        assert missing.status_code == 404 and "找不到该序列号" in missing.text
