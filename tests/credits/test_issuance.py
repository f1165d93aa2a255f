"""Monitoring reports and issuance: submit, review, approve in one transaction, never twice."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.auth import Role
from app.core.errors import AppError, Conflict, Forbidden
from app.credits import service
from app.credits.verify import verify
from app.registry import estimates
from app.registry import service as registry
from app.registry.schemas import MeasurementIn
from models.audit import AuditEvent
from models.credits import BUFFER_POOL, CreditSupply, Issuance, MonitoringReport, ReportEstimate, SerialBlock
from models.registry import Parcel, ParcelEstimate, StandMeasurement
from tests.conftest import postgres_only
from tests.credits.helpers import approved_project, issue, issue_units, next_period, principal_of


@pytest.fixture
async def people(db, settings):  # type: ignore[no-untyped-def]
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    return owner, verifier


class TestSubmitReport:
    async def test_records_the_period_the_computed_quantity_and_the_covered_parcels(self, people, settings) -> None:
        owner, _ = people
        project = await approved_project(owner, settings, parcels=3)
        start, end = next_period()
        while start.year != end.year:  # the by-hand sum below is for a period within one year
            start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end)
        assert report.status == "submitted"
        assert len(report.parcel_public_ids) == 3
        rows = await ParcelEstimate.filter(parcel__project_id=project.id, current=True)
        days = (end - start).days + 1
        # By hand: Σ kg/yr over the parcels × days / 365 (2020 is a leap year: 366), floored once.
        length = 366 if start.year % 4 == 0 else 365
        assert start.year == end.year
        assert report.kg_issued == sum(r.kg_per_year for r in rows) * days // length > 0
        assert report.buffer_kg == sum(r.buffer_kg_per_year for r in rows) * days // length
        assert report.methodology_version == rows[0].methodology_version
        assert report.parameter_sha256 == rows[0].parameter_set_sha256
        links = await ReportEstimate.filter(report_id=report.id)
        assert {link.estimate_id for link in links} == {r.id for r in rows}  # type: ignore[attr-defined]
        assert {link.inputs_sha256 for link in links} == {r.inputs_sha256 for r in rows}
        assert await AuditEvent.filter(action="credits.report.submitted", entity_id=report.public_id).exists()

    async def test_only_the_owner_of_an_approved_project_may_report(self, people, settings) -> None:
        owner, _ = people
        stranger, _ = await principal_of(settings, Role.SMALLHOLDER)
        project = await approved_project(owner, settings)
        start, end = next_period()
        with pytest.raises(Forbidden):
            await service.submit_report(stranger, project.public_id, start, end)
        project.status = "under_review"
        await project.save()
        with pytest.raises(Conflict, match=r"credits.project_not_approved"):
            await service.submit_report(owner, project.public_id, start, end)

    async def test_a_parcel_without_a_valid_estimate_is_refused_by_name_and_nothing_is_written(
        self, people, settings
    ) -> None:
        owner, _ = people
        project = await approved_project(owner, settings, parcels=2)
        first, second = await registry.approved_parcel_ids(project)
        # The parcel's stand turned 21 since approval: past the growth defaults, it needs measurements.
        await Parcel.filter(public_id=second).update(planting_year=estimates.this_year() - 21)
        start, end = next_period()
        with pytest.raises(AppError) as refused:
            await service.submit_report(owner, project.public_id, start, end)
        assert refused.value.key == "methodology.limit.measurement_required"
        assert refused.value.detail[0]["parcel"] == second  # type: ignore[index]
        assert await MonitoringReport.all().count() == 0
        assert await ParcelEstimate.filter(parcel__public_id=second, current=True).count() == 1  # untouched
        report = await service.submit_report(owner, project.public_id, start, end, parcel_public_ids=[first])
        assert report.parcel_public_ids == [first]

    async def test_measurements_sent_with_the_report_are_recorded_and_enter_the_estimate(
        self, people, settings
    ) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings, parcels=1)
        (pid,) = await registry.approved_parcel_ids(project)
        year = estimates.this_year()
        measured = {
            pid: [
                MeasurementIn(date(year - 4, 10, 1), Decimal("18")),
                MeasurementIn(date(year - 1, 10, 1), Decimal("30")),
            ]
        }
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end, measurements=measured)
        assert await StandMeasurement.filter(parcel__public_id=pid).count() == 2
        (link,) = await ReportEstimate.filter(report_id=report.id).select_related("estimate")
        assert link.estimate.method == "stock_difference" and link.basis == "ex_ante"
        assert link.estimate.occasion == "submitted" and link.estimate.current
        await service.start_review(verifier, report.public_id)
        issuance = await service.approve(verifier, report.public_id)
        link = await ReportEstimate.get(id=link.id).select_related("approved_estimate")
        # The verifier approved the measurements: ex-post, the same kg, and that row is now current.
        final = link.approved_estimate
        assert final is not None and final.basis == "ex_post" and final.current and link.basis == "ex_post"
        assert final.kg_per_year == link.kg_per_year and final.inputs_sha256 == link.inputs_sha256
        assert issuance.owner_kg == report.kg_issued

    async def test_a_held_estimate_is_refused_naming_the_parcel(self, people, settings) -> None:
        owner, _ = people
        project = await approved_project(owner, settings, parcels=1)
        (pid,) = await registry.approved_parcel_ids(project)
        year = estimates.this_year()
        jump = {
            pid: [
                MeasurementIn(date(year - 3, 5, 1), Decimal("10")),
                MeasurementIn(date(year - 1, 5, 1), Decimal("90")),
            ]
        }
        start, end = next_period()
        with pytest.raises(Conflict) as refused:
            await service.submit_report(owner, project.public_id, start, end, measurements=jump)
        assert refused.value.key == "registry.estimate_held" and refused.value.params["parcel"] == pid
        assert await MonitoringReport.all().count() == 0
        assert await StandMeasurement.all().count() == 0  # nothing half-written

    async def test_refuses_a_reversed_unfinished_or_foreign_parcel_period(self, people, settings) -> None:
        owner, _ = people
        project = await approved_project(owner, settings)
        today = date.today()
        with pytest.raises(AppError, match=r"credits.period_reversed"):
            await service.submit_report(owner, project.public_id, date(2024, 5, 1), date(2024, 4, 1))
        with pytest.raises(AppError, match=r"credits.period_not_over"):
            await service.submit_report(owner, project.public_id, today - timedelta(days=30), today + timedelta(days=1))
        with pytest.raises(AppError, match=r"credits.parcel_not_in_project"):
            await service.submit_report(
                owner, project.public_id, date(2024, 1, 1), date(2024, 2, 1), parcel_public_ids=["nope"]
            )

    async def test_a_period_overlapping_an_issued_one_is_refused_naming_it(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        issuance = await issue(owner, verifier, project)
        with pytest.raises(Conflict) as refused:
            await service.submit_report(
                owner, project.public_id, issuance.period_end, issuance.period_end + timedelta(days=10)
            )
        assert refused.value.key == "credits.period_overlaps"
        assert refused.value.params["start"] == issuance.period_start.isoformat()
        assert refused.value.params["end"] == issuance.period_end.isoformat()


class TestReview:
    async def test_moves_submitted_to_under_review_to_returned_with_reasons(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end)
        await service.start_review(verifier, report.public_id)
        returned = await service.return_report(verifier, report.public_id, ["evidence_missing"], "照片不清楚")
        assert (returned.status, returned.return_reasons, returned.return_note) == (
            "returned",
            ["evidence_missing"],
            "照片不清楚",
        )
        with pytest.raises(Conflict, match=r"credits.report_wrong_status"):
            await service.approve(verifier, report.public_id)
        actions = await AuditEvent.filter(entity_id=report.public_id).values_list("action", flat=True)
        assert set(actions) == {"credits.report.submitted", "credits.report.under_review", "credits.report.returned"}
        assert await Issuance.all().count() == 0

    async def test_refuses_unknown_return_reasons(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end)
        await service.start_review(verifier, report.public_id)
        with pytest.raises(AppError, match=r"credits.bad_return_reasons"):
            await service.return_report(verifier, report.public_id, ["too_green"])

    async def test_a_verifier_cannot_review_their_own_project(self, people, settings) -> None:
        farmer, _ = await principal_of(settings, Role.SMALLHOLDER, Role.VERIFIER)  # a verifier who farms a plot
        project = await approved_project(farmer, settings)
        start, end = next_period()
        report = await service.submit_report(farmer, project.public_id, start, end)
        with pytest.raises(Forbidden, match=r"credits.own_project"):
            await service.start_review(farmer, report.public_id)


class TestApprove:
    async def test_issues_the_computed_kg_supply_owner_block_buffer_block_and_audit_in_one_go(
        self, people, settings
    ) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        issuance = await issue(owner, verifier, project)
        report = await MonitoringReport.get(id=issuance.monitoring_report_id)  # type: ignore[attr-defined]
        kg, buffer = report.kg_issued, report.buffer_kg
        assert (issuance.owner_kg, issuance.buffer_kg) == (kg, buffer) and kg > 0 and buffer > 0
        supply = await CreditSupply.get(issuance_id=issuance.id)
        assert (supply.issued, supply.tradable, supply.reserved, supply.retired, supply.cancelled, supply.buffer) == (
            kg + buffer,
            kg + buffer,
            0,
            0,
            0,
            buffer,
        )
        blocks = await SerialBlock.filter(issuance_id=issuance.id).order_by("serial_start")
        assert [(b.serial_start, b.serial_end, b.holder) for b in blocks] == [
            (1, kg, f"user:{owner.user.public_id}"),
            (kg + 1, kg + buffer, BUFFER_POOL),
        ]
        assert blocks[0].display == f"AFF-510112-{project.id:06d}-{issuance.vintage}-0000000001-{kg:010d}"
        estimate = await ParcelEstimate.filter(parcel__project_id=project.id, current=True).first()
        assert estimate is not None
        assert (issuance.methodology_id, issuance.methodology_version, issuance.parameter_sha256) == (
            "SC-LCP-AFF",
            estimate.methodology_version,
            estimate.parameter_set_sha256,
        )
        assert await AuditEvent.filter(action="credits.issued", entity_id=issuance.public_id).exists()
        assert (await verify()).ok

    async def test_a_newer_estimate_at_approval_is_a_409_asking_to_resubmit(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings, parcels=1)
        (pid,) = await registry.approved_parcel_ids(project)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end)
        await service.start_review(verifier, report.public_id)
        # Meanwhile the owner reports measurements for another period: the parcel's estimate changes.
        year = estimates.this_year()
        measured = {
            pid: [
                MeasurementIn(date(year - 4, 10, 1), Decimal("18")),
                MeasurementIn(date(year - 1, 10, 1), Decimal("30")),
            ]
        }
        later_start, later_end = next_period()
        await service.submit_report(owner, project.public_id, later_start, later_end, measurements=measured)
        with pytest.raises(Conflict) as refused:
            await service.approve(verifier, report.public_id)
        assert refused.value.key == "registry.estimate_stale" and refused.value.params["parcel"] == pid
        assert (await MonitoringReport.get(id=report.id)).status == "under_review"  # nothing half-written
        assert await Issuance.all().count() == 0 and await SerialBlock.all().count() == 0

    async def test_an_unchanged_estimate_lets_two_reports_of_a_project_both_issue(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        first, second = next_period(), next_period()
        reports = [await service.submit_report(owner, project.public_id, *p) for p in (first, second)]
        for r in reports:
            await service.start_review(verifier, r.public_id)
        issued = [await service.approve(verifier, r.public_id) for r in reports]
        assert [i.owner_kg for i in issued] == [r.kg_issued for r in reports]

    async def test_serials_continue_across_a_projects_issuances(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        first = await issue_units(owner, verifier, project, kg=10, buffer=2)
        second = await issue_units(owner, verifier, project, kg=5, buffer=0)
        assert (first.serial_start, first.serial_end, second.serial_start, second.serial_end) == (1, 12, 13, 17)
        assert await SerialBlock.filter(issuance_id=second.id).count() == 1  # no empty buffer block

    async def test_a_report_is_approved_once(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        issuance = await issue(owner, verifier, project)
        report = await MonitoringReport.get(id=issuance.monitoring_report_id)  # type: ignore[attr-defined]
        with pytest.raises(Conflict, match=r"credits.report_wrong_status"):
            await service.approve(verifier, report.public_id)
        assert await Issuance.all().count() == 1

    async def test_two_overlapping_reports_cannot_both_be_issued(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        start, end = next_period()
        first = await service.submit_report(owner, project.public_id, start, end)
        second = await service.submit_report(owner, project.public_id, start + timedelta(days=5), end)
        for r in (first, second):
            await service.start_review(verifier, r.public_id)
        await service.approve(verifier, first.public_id)
        with pytest.raises(Conflict, match=r"credits.period_overlaps"):
            await service.approve(verifier, second.public_id)
        assert (await MonitoringReport.get(id=second.id)).status == "under_review"  # nothing half-written
        assert await Issuance.all().count() == 1

    async def test_the_origin_key_refuses_a_second_issuance_of_the_same_period(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        issuance = await issue(owner, verifier, project)
        report = await MonitoringReport.get(id=issuance.monitoring_report_id)  # type: ignore[attr-defined]
        with pytest.raises(IntegrityError):
            async with in_transaction():
                await service._issue(verifier.user, report, project, "user:x", 5000, issuance.issued_at)

    @postgres_only
    async def test_racing_approvals_issue_once(self, people, settings) -> None:
        owner, verifier = people
        project = await approved_project(owner, settings)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end)
        await service.start_review(verifier, report.public_id)
        outcomes = await asyncio.gather(
            *(service.approve(verifier, report.public_id) for _ in range(8)), return_exceptions=True
        )
        issued = [o for o in outcomes if isinstance(o, Issuance)]
        assert len(issued) == 1, outcomes
        assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, Issuance)), outcomes
        assert await Issuance.all().count() == 1 and (await verify()).ok

    @postgres_only
    async def test_racing_issuances_of_one_period_are_stopped_by_the_origin_key(self, people, settings) -> None:
        """Below the status gate: two transactions issue the same report at once; the UNIQUE key lets one through."""
        owner, verifier = people
        project = await approved_project(owner, settings)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end)

        async def issue_directly(first_serial: int) -> str:
            try:
                async with in_transaction():
                    await service._issue(verifier.user, report, project, "user:x", first_serial, report.submitted_at)
                    await asyncio.sleep(0.05)  # both are inside their transaction at the same time
                return "issued"
            except IntegrityError:
                return "refused"

        outcomes = await asyncio.gather(*(issue_directly(1 + 10_000 * n) for n in range(6)))
        assert sorted(outcomes) == ["issued"] + ["refused"] * 5
        assert await Issuance.all().count() == 1
        assert await CreditSupply.all().count() == 1


class TestYearFraction:
    @pytest.mark.parametrize(
        ("start", "end", "fraction"),
        [
            (date(2023, 1, 1), date(2023, 12, 31), Fraction(1)),
            (date(2024, 1, 1), date(2024, 12, 31), Fraction(1)),  # leap year: still exactly one year
            (date(2024, 2, 1), date(2024, 2, 29), Fraction(29, 366)),
            (date(2023, 12, 1), date(2024, 1, 31), Fraction(31, 365) + Fraction(31, 366)),
        ],
    )
    def test_it_counts_each_day_as_a_share_of_its_own_calendar_year(self, start, end, fraction) -> None:
        assert service.year_fraction(start, end) == fraction

    def test_the_sum_is_floored_once_not_per_parcel(self) -> None:
        # Three parcels of 1 kg/yr over 182 days of 2023: each alone floors to 0 kg, together 546/365 → 1.
        q = service.quantity([1, 1, 1], [0], date(2023, 1, 1), date(2023, 7, 1))
        assert q.fraction == Fraction(182, 365) and q.kg == 1 and q.buffer_kg == 0
