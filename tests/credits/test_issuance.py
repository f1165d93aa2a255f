"""Monitoring reports and issuance: submit, review, approve in one transaction, never twice."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.auth import Role
from app.core.errors import AppError, Conflict, Forbidden
from app.credits import service
from app.credits.verify import verify
from models.audit import AuditEvent
from models.credits import BUFFER_POOL, CreditSupply, Issuance, MonitoringReport, SerialBlock
from tests.conftest import postgres_only
from tests.credits.helpers import approved_project, estimate, issue, next_period, principal_of


@pytest.fixture
async def people(db, settings):  # type: ignore[no-untyped-def]
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    return owner, verifier


class TestSubmitReport:
    async def test_records_the_period_the_estimate_and_the_covered_parcels(self, people) -> None:
        owner, _ = people
        project = await approved_project(owner, parcels=3)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end, estimate(800, 200))
        assert report.status == "submitted"
        assert len(report.parcel_public_ids) == 3
        assert (report.kg_issued, report.buffer_kg, report.methodology_version) == (800, 200, "0.1.0")
        assert await AuditEvent.filter(action="credits.report.submitted", entity_id=report.public_id).exists()

    async def test_only_the_owner_of_an_approved_project_may_report(self, people, settings) -> None:
        owner, _ = people
        stranger, _ = await principal_of(settings, Role.SMALLHOLDER)
        project = await approved_project(owner)
        start, end = next_period()
        with pytest.raises(Forbidden):
            await service.submit_report(stranger, project.public_id, start, end, estimate())
        project.status = "under_review"
        await project.save()
        with pytest.raises(Conflict, match=r"credits.project_not_approved"):
            await service.submit_report(owner, project.public_id, start, end, estimate())

    @pytest.mark.parametrize(
        ("change", "key"),
        [
            ({"methodology_id": "SC-LCP-GRS"}, "credits.methodology_mismatch"),
            ({"methodology_id": "VM0047"}, "credits.unknown_methodology"),
            ({"parameter_sha256": "abc"}, "credits.bad_sha256"),
            ({"methodology_version": "v1"}, "credits.bad_version"),
            ({"kg_issued": 0}, "credits.bad_kg"),
            ({"buffer_kg": -1}, "credits.bad_kg"),
        ],
    )
    async def test_refuses_an_estimate_that_does_not_trace(self, people, change, key) -> None:
        owner, _ = people
        project = await approved_project(owner)
        fields = {**estimate().__dict__, **change}
        start, end = next_period()
        with pytest.raises(AppError) as refused:
            await service.submit_report(owner, project.public_id, start, end, service.EstimateRecord(**fields))
        assert refused.value.key == key
        assert await MonitoringReport.all().count() == 0

    async def test_refuses_a_reversed_unfinished_or_foreign_parcel_period(self, people) -> None:
        owner, _ = people
        project = await approved_project(owner)
        today = date.today()
        with pytest.raises(AppError, match=r"credits.period_reversed"):
            await service.submit_report(owner, project.public_id, date(2024, 5, 1), date(2024, 4, 1), estimate())
        with pytest.raises(AppError, match=r"credits.period_not_over"):
            await service.submit_report(
                owner, project.public_id, today - timedelta(days=30), today + timedelta(days=1), estimate()
            )
        with pytest.raises(AppError, match=r"credits.parcel_not_in_project"):
            await service.submit_report(
                owner, project.public_id, date(2024, 1, 1), date(2024, 2, 1), estimate(), parcel_public_ids=["nope"]
            )

    async def test_a_period_overlapping_an_issued_one_is_refused_naming_it(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        issuance = await issue(owner, verifier, project)
        with pytest.raises(Conflict) as refused:
            await service.submit_report(
                owner, project.public_id, issuance.period_end, issuance.period_end + timedelta(days=10), estimate()
            )
        assert refused.value.key == "credits.period_overlaps"
        assert refused.value.params["start"] == issuance.period_start.isoformat()
        assert refused.value.params["end"] == issuance.period_end.isoformat()


class TestReview:
    async def test_moves_submitted_to_under_review_to_returned_with_reasons(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end, estimate())
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

    async def test_refuses_unknown_return_reasons(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end, estimate())
        await service.start_review(verifier, report.public_id)
        with pytest.raises(AppError, match=r"credits.bad_return_reasons"):
            await service.return_report(verifier, report.public_id, ["too_green"])

    async def test_a_verifier_cannot_review_their_own_project(self, people) -> None:
        _, verifier = people
        project = await approved_project(verifier)  # a verifier who also farms a plot
        start, end = next_period()
        report = await service.submit_report(verifier, project.public_id, start, end, estimate())
        with pytest.raises(Forbidden, match=r"credits.own_project"):
            await service.start_review(verifier, report.public_id)


class TestApprove:
    async def test_issues_supply_owner_block_buffer_block_and_audit_in_one_go(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        issuance = await issue(owner, verifier, project, kg=800, buffer=200)
        supply = await CreditSupply.get(issuance_id=issuance.id)
        assert (supply.issued, supply.tradable, supply.reserved, supply.retired, supply.cancelled, supply.buffer) == (
            1000,
            1000,
            0,
            0,
            0,
            200,
        )
        blocks = await SerialBlock.filter(issuance_id=issuance.id).order_by("serial_start")
        assert [(b.serial_start, b.serial_end, b.holder) for b in blocks] == [
            (1, 800, f"user:{owner.user.public_id}"),
            (801, 1000, BUFFER_POOL),
        ]
        assert blocks[0].display == f"AFF-510112-{project.id:06d}-{issuance.vintage}-0000000001-0000000800"
        assert (issuance.methodology_id, issuance.parameter_sha256) == ("SC-LCP-AFF", estimate().parameter_sha256)
        assert await AuditEvent.filter(action="credits.issued", entity_id=issuance.public_id).exists()
        assert (await verify()).ok

    async def test_serials_continue_across_a_projects_issuances(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        first = await issue(owner, verifier, project, kg=10, buffer=2)
        second = await issue(owner, verifier, project, kg=5, buffer=0)
        assert (first.serial_start, first.serial_end, second.serial_start, second.serial_end) == (1, 12, 13, 17)
        assert await SerialBlock.filter(issuance_id=second.id).count() == 1  # no empty buffer block

    async def test_a_report_is_approved_once(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        issuance = await issue(owner, verifier, project)
        report = await MonitoringReport.get(id=issuance.monitoring_report_id)  # type: ignore[attr-defined]
        with pytest.raises(Conflict, match=r"credits.report_wrong_status"):
            await service.approve(verifier, report.public_id)
        assert await Issuance.all().count() == 1

    async def test_two_overlapping_reports_cannot_both_be_issued(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        start, end = next_period()
        first = await service.submit_report(owner, project.public_id, start, end, estimate())
        second = await service.submit_report(owner, project.public_id, start + timedelta(days=5), end, estimate())
        for r in (first, second):
            await service.start_review(verifier, r.public_id)
        await service.approve(verifier, first.public_id)
        with pytest.raises(Conflict, match=r"credits.period_overlaps"):
            await service.approve(verifier, second.public_id)
        assert (await MonitoringReport.get(id=second.id)).status == "under_review"  # nothing half-written
        assert await Issuance.all().count() == 1

    async def test_the_origin_key_refuses_a_second_issuance_of_the_same_period(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        issuance = await issue(owner, verifier, project)
        report = await MonitoringReport.get(id=issuance.monitoring_report_id)  # type: ignore[attr-defined]
        with pytest.raises(IntegrityError):
            async with in_transaction():
                await service._issue(verifier.user, report, project, "user:x", 5000, issuance.issued_at)

    @postgres_only
    async def test_racing_approvals_issue_once(self, people) -> None:
        owner, verifier = people
        project = await approved_project(owner)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end, estimate())
        await service.start_review(verifier, report.public_id)
        outcomes = await asyncio.gather(
            *(service.approve(verifier, report.public_id) for _ in range(8)), return_exceptions=True
        )
        issued = [o for o in outcomes if isinstance(o, Issuance)]
        assert len(issued) == 1, outcomes
        assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, Issuance)), outcomes
        assert await Issuance.all().count() == 1 and (await verify()).ok

    @postgres_only
    async def test_racing_issuances_of_one_period_are_stopped_by_the_origin_key(self, people) -> None:
        """Below the status gate: two transactions issue the same report at once; the UNIQUE key lets one through."""
        owner, verifier = people
        project = await approved_project(owner)
        start, end = next_period()
        report = await service.submit_report(owner, project.public_id, start, end, estimate())

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
