"""Parcel estimates: computed from the parcel with the methodology service, stored with everything they
trace to, reproducible, refused inputs answered clearly, and ex-post only after a verifier approved."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from fractions import Fraction

import msgspec
import pytest
from tortoise.exceptions import IntegrityError

from app.methodology import service as methodology
from app.registry import estimates
from models.audit import AuditEvent
from models.registry import Parcel, ParcelEstimate, Project
from tests.registry.shapes import approved, parcel_body, project_with, smallholder, square, verifier

API = "/api/v1/registry"
THIS_YEAR = estimates.this_year()
# README §2, 杉木 row: D 0.307, BEF 1.634, R 0.246, CF min(0.520, 0.47); 10 % haircut, 20 % buffer.
F_CUNNINGHAMIA = Fraction("0.307") * Fraction("1.634") * Fraction("1.246") * Fraction("0.47") * Fraction(44, 12)
F_CUPRESSUS = Fraction("0.478") * Fraction("1.732") * Fraction("1.22") * Fraction("0.47") * Fraction(44, 12)


def expected_kg(area_m2: int, delta_v: Fraction, f: Fraction) -> int:
    """The README pipeline written out independently: A_ha × ΔV × f × 0.9 × 0.8, floored to kg."""
    return math.floor(Fraction(area_m2, 10_000) * delta_v * f * Fraction(9, 10) * Fraction(8, 10) * 1000)


FIR = {"species": [{"species": "杉木", "percent": 100}], "planting_year": THIS_YEAR - 3, "elevation_m": 600}


async def add(client, headers, project, geometry, **overrides):  # type: ignore[no-untyped-def]
    return await client.post(
        f"{API}/projects/{project}/parcels", json=parcel_body(geometry, **overrides), headers=headers
    )


class TestEstimateOnAdd:
    async def test_a_new_parcel_gets_its_estimate_with_the_exact_area_in_mu(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await add(client, headers, project, square(104.3, 30.55, 82), **FIR)
        assert r.status_code == 201, r.text
        body = r.json()
        parcel = await Parcel.get(public_id=body["id"])
        row = await ParcelEstimate.get(parcel_id=parcel.id, current=True)
        assert row.kg_per_year == expected_kg(parcel.area_m2, Fraction("1.16"), F_CUNNINGHAMIA) > 0
        assert row.estimate["inputs"]["area_mu"] == str(Decimal(parcel.area_m2 * 15) / 10_000)
        assert row.estimate["inputs"]["species"] == "cunninghamia" and row.estimate["inputs"]["stand_age"] == 3
        release = methodology.methodologies()[0].versions[0]
        assert (row.methodology_id, row.methodology_version) == ("SC-LCP-AFF", release.version)
        assert row.parameter_set_sha256 == release.parameter_set_sha256 and row.basis == "ex_ante"
        assert row.occasion == "added" and row.accounting_year == THIS_YEAR
        shown = body["estimate"]
        assert shown["kg_per_year"] == row.kg_per_year and shown["basis"] == "ex_ante"
        assert shown["parameter_set_sha256"] == release.parameter_set_sha256
        assert shown["calculator"] == "/calculator/SC-LCP-AFF" and body["estimate_problem"] is None

    async def test_the_stored_estimate_is_reproduced_by_the_methodology_service(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        _, (pid,) = await project_with(client, headers, square(104.3, 30.55, 120), **FIR)
        parcel = await Parcel.get(public_id=pid)
        row = await ParcelEstimate.get(parcel_id=parcel.id, current=True)
        again = methodology.reproduce(estimates.stored_estimate(row))
        assert msgspec.to_builtins(again) == row.estimate and again.kg_per_year == row.kg_per_year
        assert row.inputs_sha256 == estimates.inputs_hash(parcel.geometry, again.inputs)

    async def test_the_estimate_is_an_audited_change_of_the_parcel(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        _, (pid,) = await project_with(client, headers, square(104.3, 30.55), **FIR)
        event = await AuditEvent.get(entity_id=pid, action="registry.parcel.estimated")
        assert event.after["methodology"].startswith("SC-LCP-AFF@") and event.after["kg_per_year"] > 0

    async def test_an_unknown_species_is_refused_naming_the_field_and_nothing_is_written(
        self, client, settings
    ) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await add(client, headers, project, square(104.3, 30.55), species=[{"species": "猴面包树", "percent": 100}])
        assert r.status_code == 400 and r.json()["code"] == "registry.unknown_species"
        assert r.json()["detail"][0]["field"] == "species" and "杉木" in r.json()["message"]
        assert await Parcel.all().count() == 0 and await ParcelEstimate.all().count() == 0

    @pytest.mark.parametrize(
        ("facts", "code"),
        [
            ({"non_forest_years_before": 5, "canopy_cover": "0.5"}, "registry.fact_unknown"),
            ({"non_forest_years_before": 5, "area_mu": "3"}, "registry.fact_is_a_parcel_field"),
            ({"non_forest_years_before": "five"}, "registry.fact_invalid"),
        ],
    )
    async def test_a_fact_the_methodology_cannot_use_is_refused(self, client, settings, facts, code) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await add(client, headers, project, square(104.3, 30.55), methodology_facts=facts)
        assert r.status_code == 400 and r.json()["code"] == code, r.text
        assert r.json()["detail"][0]["field"].startswith("methodology_facts.")
        assert await Parcel.all().count() == 0

    async def test_a_sink_type_other_than_the_methodology_s_is_refused(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await add(client, headers, project, square(104.3, 30.55), sink_type="grassland")
        assert r.status_code == 400 and r.json()["code"] == "registry.sink_type_mismatch"


class TestSpeciesComposition:
    @pytest.mark.parametrize(
        ("shares", "row"),
        [
            ([("柏木", 70), ("桤木", 30)], "cupressus"),
            ([("柏木", 60), ("桤木", 40)], "mixed_conifer_broadleaf"),
            ([("杉木", 40), ("柏木", 40), ("桤木", 20)], "mixed_conifer"),
            ([("栎类", 50), ("杨树", 30), ("杉木", 20)], "mixed_broadleaf"),
            ([("cunninghamia", 65), ("桤木", 35)], "cunninghamia"),
            ([("香樟", 100)], "hard_broadleaf"),
        ],
    )
    def test_it_follows_the_inventory_rule_of_sixty_five_percent(self, shares, row) -> None:
        species = [{"species": s, "percent": p} for s, p in shares]
        assert estimates.tree_species_key("SC-LCP-AFF", species) == row

    def test_bamboo_is_moso_only_when_moso_holds_most_of_the_grove(self) -> None:
        assert estimates.bamboo_species([{"species": "楠竹", "percent": 100}]) == "moso"
        assert (
            estimates.bamboo_species([{"species": "毛竹", "percent": 50}, {"species": "慈竹", "percent": 50}])
            == "other"
        )


class TestOutsideTheLimits:
    async def test_a_plot_below_the_minimum_is_kept_as_a_draft_with_the_reason(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await add(client, headers, project, square(104.3, 30.55, 15), **FIR)  # ≈ 225 m² < 400 m²
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["estimate"] is None and body["status"] == "draft"
        problem = body["estimate_problem"]
        assert problem["code"] == "methodology.limit.afforestation_min_plot_area"
        assert problem["detail"]["field"] == "area_mu" and problem["detail"]["limit"] == "400"
        assert "400" in problem["message"] and "平方米" in problem["message"]
        assert await ParcelEstimate.all().count() == 0

    async def test_such_a_draft_cannot_be_submitted_and_the_4xx_names_field_limit_and_parcel(
        self, client, settings
    ) -> None:
        _, headers = await smallholder(settings)
        old = {**FIR, "planting_year": THIS_YEAR - 25}  # no growth default beyond age 20 without measurements
        project, (pid,) = await project_with(client, headers, square(104.3, 30.55), **old)
        r = await client.post(f"{API}/projects/{project}/submit?lang=en", headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "methodology.limit.measurement_required"
        detail = r.json()["detail"][0]
        assert detail["parcel"] == pid and detail["field"] == "measurements" and detail["limit"] == "20"
        assert "20" in r.json()["message"] and "25" in r.json()["message"]
        assert (await Project.get(public_id=project)).status == "draft"
        assert not await Parcel.filter(active=True).exists()

    async def test_edited_back_inside_the_limits_it_gets_an_estimate_and_is_submitted(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, (pid,) = await project_with(client, headers, square(104.3, 30.55, 15), **FIR)
        r = await client.put(
            f"{API}/parcels/{pid}", json=parcel_body(square(104.3, 30.55, 100), **FIR), headers=headers
        )
        assert r.status_code == 200 and r.json()["estimate"]["kg_per_year"] > 0
        assert r.json()["estimate_problem"] is None
        assert (await client.post(f"{API}/projects/{project}/submit", headers=headers)).status_code == 200

    async def test_a_missing_fact_keeps_the_draft_and_names_what_is_missing(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, _ = await project_with(client, headers)
        r = await add(client, headers, project, square(104.3, 30.55), methodology_facts={})
        problem = r.json()["estimate_problem"]
        assert r.status_code == 201 and problem["code"] == "registry.estimate_input_missing"
        assert "methodology_facts.non_forest_years_before" in problem["message"]
        r = await add(client, headers, project, square(104.31, 30.55), elevation_m=None)
        assert r.json()["estimate_problem"]["detail"] == [{"field": "elevation_m"}]
        r = await client.post(f"{API}/projects/{project}/submit", headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "registry.estimate_input_missing"


class TestRecomputation:
    async def test_an_edit_makes_a_new_current_estimate_and_keeps_the_old_row(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        _, (pid,) = await project_with(client, headers, square(104.3, 30.55, 100), **FIR)
        first = await ParcelEstimate.get(parcel__public_id=pid)
        await client.put(f"{API}/parcels/{pid}", json=parcel_body(square(104.3, 30.55, 200), **FIR), headers=headers)
        rows = await ParcelEstimate.filter(parcel__public_id=pid).order_by("id")
        assert [r.current for r in rows] == [False, True] and rows[1].occasion == "edited"
        assert rows[0].kg_per_year == first.kg_per_year and rows[1].kg_per_year > 3 * first.kg_per_year
        assert rows[0].inputs_sha256 != rows[1].inputs_sha256

    async def test_submitting_unchanged_inputs_reuses_the_current_estimate(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, (pid,) = await project_with(client, headers, square(104.3, 30.55), **FIR)
        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        assert await ParcelEstimate.filter(parcel__public_id=pid).count() == 1

    async def test_only_one_estimate_of_a_parcel_can_be_current(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        _, (pid,) = await project_with(client, headers, square(104.3, 30.55), **FIR)
        row = await ParcelEstimate.get(parcel__public_id=pid)
        values = {k: getattr(row, k) for k in row._meta.db_fields if k not in ("id", "computed_at")}
        with pytest.raises(IntegrityError):
            await ParcelEstimate.create(**values)


class TestExPost:
    async def test_measurements_stay_ex_ante_until_the_verifier_approves_then_ex_post(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        cypress = {**FIR, "species": [{"species": "柏木", "percent": 100}]}
        project, (pid,) = await project_with(client, headers, square(104.3, 30.55, 120), **cypress)
        for day, volume in ((date(THIS_YEAR - 4, 10, 1), "18"), (date(THIS_YEAR - 1, 10, 1), "33")):
            body = {"measured_on": day.isoformat(), "stand_volume_m3_per_ha": volume}
            assert (
                await client.post(f"{API}/parcels/{pid}/measurements", json=body, headers=headers)
            ).status_code == 201
        parcel = await Parcel.get(public_id=pid)
        measured = await ParcelEstimate.get(parcel_id=parcel.id, current=True)
        assert measured.method == "stock_difference" and measured.basis == "ex_ante" and measured.occasion == "measured"
        assert measured.kg_per_year == expected_kg(parcel.area_m2, Fraction(5), F_CUPRESSUS)
        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        _, v = await verifier(settings)
        await client.post(f"{API}/review/{project}/start", headers=v)
        r = await client.post(f"{API}/review/{project}/approve", headers=v)
        assert r.json()["parcels"][0]["estimate"]["basis"] == "ex_post"
        final = await ParcelEstimate.get(parcel_id=parcel.id, current=True)
        assert final.basis == "ex_post" and final.occasion == "approved" and final.kg_per_year == measured.kg_per_year
        assert methodology.reproduce(estimates.stored_estimate(final)).basis == "ex_post"

    async def test_an_approval_the_calculator_now_refuses_is_refused_and_nothing_moves(
        self, client, settings, monkeypatch
    ) -> None:
        _, headers = await smallholder(settings)
        project, (pid,) = await project_with(
            client, headers, square(104.3, 30.55), **{**FIR, "planting_year": THIS_YEAR - 20}
        )
        assert (await client.post(f"{API}/projects/{project}/submit", headers=headers)).status_code == 200
        _, v = await verifier(settings)
        await client.post(f"{API}/review/{project}/start", headers=v)
        # The accounting year turns during the review: the stand is now 21, past the growth defaults.
        monkeypatch.setattr(estimates, "this_year", lambda: THIS_YEAR + 1)
        r = await client.post(f"{API}/review/{project}/approve", headers=v)
        assert r.status_code == 400 and r.json()["code"] == "methodology.limit.measurement_required"
        assert r.json()["detail"][0]["parcel"] == pid
        assert (await Project.get(public_id=project)).status == "under_review"
        assert await ParcelEstimate.filter(parcel__public_id=pid).count() == 1

    async def test_without_measurements_an_approved_parcel_stays_ex_ante(self, client, settings) -> None:
        _, (pid,) = await approved(client, settings, square(104.3, 30.55), **FIR)
        row = await ParcelEstimate.get(parcel__public_id=pid, current=True)
        assert row.basis == "ex_ante" and await ParcelEstimate.filter(parcel__public_id=pid).count() == 1

    async def test_a_measured_increment_above_the_trigger_is_held_and_shows_no_number(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, (pid,) = await project_with(client, headers, square(104.3, 30.55), **FIR)
        for day, volume in ((date(THIS_YEAR - 3, 5, 1), "10"), (date(THIS_YEAR - 1, 5, 1), "90")):
            body = {"measured_on": day.isoformat(), "stand_volume_m3_per_ha": volume}
            await client.post(f"{API}/parcels/{pid}/measurements", json=body, headers=headers)
        shown = (await client.get(f"{API}/projects/{project}", headers=headers)).json()["parcels"][0]["estimate"]
        assert shown["held_for_review"] and shown["kg_per_year"] is None and shown["buffer_kg_per_year"] is None


class TestPublicEstimate:
    async def test_the_parcel_page_shows_kg_label_version_hash_and_calculator_link(self, client, settings) -> None:
        _, (pid,) = await approved(client, settings, square(104.3, 30.55, 150), **FIR)
        row = await ParcelEstimate.get(parcel__public_id=pid, current=True)
        html = (await client.get(f"/registry/parcels/{pid}")).text
        assert "事前估算" in html and f"SC-LCP-AFF@{row.methodology_version}" in html
        assert row.parameter_set_sha256 in html and 'href="/calculator/SC-LCP-AFF?lang=zh"' in html
        assert f"{row.kg_per_year:,}" in html or f"{row.kg_per_year / 1000:,.2f}" in html
        english = (await client.get(f"/registry/parcels/{pid}?lang=en")).text
        assert "Ex-ante (expected)" in english

    async def test_the_full_estimate_is_public_once_submitted_but_not_for_a_draft(self, client, settings) -> None:
        _, headers = await smallholder(settings)
        project, (pid,) = await project_with(client, headers, square(104.3, 30.55), **FIR)
        assert (await client.get(f"{API}/parcels/{pid}/estimate")).status_code == 404
        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        r = await client.get(f"{API}/parcels/{pid}/estimate")
        assert r.status_code == 200 and r.json()["project"] == project
        keys = {p["key"] for p in r.json()["estimate"]["parameters"]}
        assert "buffer.forest" in keys and any(k.startswith("tree.cunninghamia") for k in keys)
        assert r.json()["summary"]["kg_per_year"] == r.json()["estimate"]["kg_per_year"]
