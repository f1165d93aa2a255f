"""碳汇+司法 trees and tending: a log counts in its approval's transaction (once, whatever replays,
batches or revisions), viewing writes nothing, tending checks judged by date in SQL, the defendant's
yearly report, reminders sent once, and the court's CSV."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, timedelta

import pytest

from app.accounts import privacy
from app.core.auth import Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.judicial import service as judicial
from app.judicial import tending
from app.planting import service as planting
from app.planting.schemas import LogPatch
from app.storage import storage_for
from models.audit import AuditEvent
from models.campaigns import Slot
from models.evidence import Photo
from models.judicial import CasePlanting, CaseTending, RestorationCase
from models.notifications import Notification
from models.planting import PlantingLog
from tests.conftest import postgres_only
from tests.credits.helpers import principal_of
from tests.evidence.photos import phone_jpeg
from tests.judicial.helpers import a_case, a_court, fresh
from tests.market.helpers import a_buyer, listed
from tests.planting.builders import planting_campaign, submitted


async def counted_events(case: RestorationCase) -> int:
    return await AuditEvent.filter(
        entity_type="restoration_case", entity_id=case.code, action="judicial.planting.counted"
    ).count()


async def tree_case(settings, trees: int = 5, tend_years: int = 3, **kw):  # type: ignore[no-untyped-def]
    planted = await planting_campaign(settings)
    case = await a_case(
        settings, kg_owed=0, trees_owed=trees, tend_years=tend_years, campaign=planted.campaign.slug, **kw
    )
    defendant = await a_buyer()
    await judicial.plant_for(case.pay_code, defendant)
    return planted, case, defendant


class TestCountedAtApproval:
    async def test_the_approval_counts_the_trees_in_its_own_transaction(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings)
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        case = await RestorationCase.get(id=case.id)  # the row itself: no service read in between
        assert case.trees_counted == 3
        assert await CasePlanting.filter(case_id=case.id).values_list("log_id", flat=True) == [log.id]
        assert await counted_events(case) == 1

    async def test_replayed_and_batch_approvals_count_a_log_once(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings)
        log = await submitted(settings, planted, count=2, user=defendant)
        results = await planting.approve_many(settings, planted.organiser, [log.public_id, log.public_id])
        assert results == [(log.public_id, "approved")]
        assert await planting.approve_many(settings, planted.organiser, [log.public_id]) == [
            (log.public_id, "already_approved")
        ]
        with pytest.raises(Conflict):
            await planting.approve(settings, planted.organiser, log.public_id)
        assert await judicial.count_planting(await fresh(case)) == 0  # the catch-up finds it counted
        case = await RestorationCase.get(id=case.id)
        assert case.trees_counted == 2
        assert await CasePlanting.filter(case_id=case.id).count() == 1
        assert await counted_events(case) == 1

    async def test_the_revision_approved_is_the_one_counted(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings)
        log = await submitted(settings, planted, count=2, user=defendant)
        seen = log.revision
        await planting.edit(settings, defendant, log.public_id, LogPatch(count=4))
        with pytest.raises(Conflict):  # the reviewer saw the earlier revision: nothing decided
            await planting.approve(settings, planted.organiser, log.public_id, revision=seen)
        assert (await RestorationCase.get(id=case.id)).trees_counted == 0
        await planting.approve(settings, planted.organiser, log.public_id)
        assert (await RestorationCase.get(id=case.id)).trees_counted == 4
        assert await CasePlanting.filter(case_id=case.id).values_list("trees", flat=True) == [4]

    async def test_a_rejected_log_counts_nothing(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings)
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.reject(planted.organiser, log.public_id, "照片不清楚")
        assert (await RestorationCase.get(id=case.id)).trees_counted == 0

    async def test_viewing_a_case_writes_nothing(self, db, settings, client) -> None:
        from app.judicial.routes import court_out, public_out

        planted = await planting_campaign(settings)
        case = await a_case(settings, kg_owed=0, trees_owed=3, campaign=planted.campaign.slug)
        defendant = await a_buyer()
        # Approved before the defendant linked the case: the approval could not know it was for the case.
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        await RestorationCase.filter(id=case.id).update(defendant_id=defendant.id)
        before = await AuditEvent.all().count()
        case = await fresh(case)
        await court_out(settings, case, "zh")
        await public_out(settings, case, "zh")
        assert (await client.get(f"/judicial/cases/{case.code}")).status_code == 200
        assert (await client.get(f"/judicial/pay/{case.pay_code}")).status_code == 200
        assert (await client.get(f"/api/v1/judicial/cases/{case.code}")).status_code == 200
        assert (await RestorationCase.get(id=case.id)).trees_counted == 0
        assert await CasePlanting.filter(case_id=case.id).count() == 0
        assert await AuditEvent.all().count() == before
        # The defendant's explicit POST (…/planting) catches it up, once.
        await judicial.plant_for(case.pay_code, defendant)
        await judicial.plant_for(case.pay_code, defendant)
        case = await RestorationCase.get(id=case.id)
        assert case.trees_counted == 3 and case.status == "fulfilled"
        assert await counted_events(case) == 1

    async def test_trees_planted_before_a_first_payment_count_when_the_payment_links_the_case(
        self, db, settings
    ) -> None:
        await listed(settings, kg=500)
        planted = await planting_campaign(settings)
        case = await a_case(settings, kg_owed=20, trees_owed=3, campaign=planted.campaign.slug)
        defendant = await a_buyer()
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)  # before the case knew its defendant
        assert (await RestorationCase.get(id=case.id)).trees_counted == 0
        await judicial.pay_toward(settings, defendant, case.pay_code, 10)  # the first payment links the case
        assert (await RestorationCase.get(id=case.id)).trees_counted == 3
        await judicial.pay_toward(settings, defendant, case.pay_code, 10)  # linked already: nothing more
        assert (await RestorationCase.get(id=case.id)).trees_counted == 3
        assert await counted_events(case) == 1


class TestTending:
    async def test_completing_the_trees_starts_tending_with_one_check_per_year(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings, trees=5, tend_years=3)
        first = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, first.public_id)
        assert (await RestorationCase.get(id=case.id)).tending_from is None  # 2 trees still to plant
        assert await CaseTending.filter(case_id=case.id).count() == 0
        # A second slot at the same site (one booking per person and slot), an hour later.
        slot = planted.slot
        later = await Slot.create(
            site_id=slot.site_id,  # type: ignore[attr-defined]
            starts_at=slot.starts_at + timedelta(minutes=30),
            ends_at=slot.ends_at,
            capacity=slot.capacity,
        )
        second = await submitted(settings, dataclasses.replace(planted, slot=later), count=2, user=defendant)
        await planting.approve(settings, planted.organiser, second.public_id)
        on = (await PlantingLog.get(id=second.id)).planted_on
        case = await RestorationCase.get(id=case.id)
        assert case.tending_from == on and case.status == "fulfilled"
        checks = await CaseTending.filter(case_id=case.id).order_by("year")
        assert [(c.year, c.due_on) for c in checks] == [(y, tending.anniversary(on, y)) for y in (1, 2, 3)]
        assert all(c.due_on - c.opens_on == timedelta(days=tending.TENDING_WINDOW_DAYS) for c in checks)
        assert "judicial.tending.started" in await AuditEvent.filter(entity_id=case.code).values_list(
            "action", flat=True
        )

    def test_an_anniversary_of_29_february_falls_on_28_february(self) -> None:
        assert tending.anniversary(date(2028, 2, 29), 1) == date(2029, 2, 28)
        assert tending.anniversary(date(2028, 2, 29), 4) == date(2032, 2, 29)

    async def test_each_year_is_upcoming_due_overdue_or_done_by_date(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings, trees=3, tend_years=2)
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        one, two = await CaseTending.filter(case_id=case.id).order_by("year")

        async def states(on: date) -> list[str]:
            return [c.state for c in (await tending.states([case.id], on))[case.id]]

        assert await states(one.opens_on - timedelta(days=1)) == ["upcoming", "upcoming"]
        assert await states(one.opens_on) == ["due", "upcoming"]
        assert await states(one.due_on) == ["due", "upcoming"]
        assert await states(one.due_on + timedelta(days=1)) == ["overdue", "upcoming"]
        assert await tending.overdue(case.id, one.due_on + timedelta(days=1)) == [1]
        assert await states(two.due_on + timedelta(days=1)) == ["overdue", "overdue"]
        await CaseTending.filter(id=one.id).update(reported_at=judicial.now())
        assert await states(one.due_on + timedelta(days=1)) == ["submitted", "upcoming"]  # awaiting review
        assert await tending.overdue(case.id, two.due_on + timedelta(days=1)) == [2]
        await CaseTending.filter(id=one.id).update(accepted_at=judicial.now())
        assert await states(one.due_on + timedelta(days=1)) == ["done", "upcoming"]

    async def test_the_defendant_reports_a_year_once_with_a_photo(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings, trees=3, tend_years=2)
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        case = await fresh(case)
        storage = storage_for(settings)
        one = await CaseTending.get(case_id=case.id, year=1)
        with pytest.raises(Conflict) as early:  # the window is not open yet (tending started today)
            await tending.report(settings, storage, case, defendant, 1, phone_jpeg(7), "浇水")
        assert early.value.key == "judicial.tending_not_open"
        await CaseTending.filter(case_id=case.id).update(opens_on=tending.today() - timedelta(days=1))
        with pytest.raises(Forbidden):
            await tending.report(settings, storage, case, await a_buyer(), 1, phone_jpeg(7), "")
        with pytest.raises(NotFound):
            await tending.report(settings, storage, case, defendant, 3, phone_jpeg(7), "")
        photo = await tending.report(settings, storage, case, defendant, 1, phone_jpeg(7), "浇水、除草")
        with pytest.raises(Conflict) as again:
            await tending.report(settings, storage, case, defendant, 1, phone_jpeg(8), "")
        assert again.value.key == "judicial.tending_reported"
        with pytest.raises(Conflict):  # last year's photo is not this year's tending
            await tending.report(settings, storage, case, defendant, 2, phone_jpeg(7), "")
        assert (await CaseTending.get(case_id=case.id, year=2)).reported_at is None
        one = await CaseTending.get(id=one.id)
        assert one.reported_by_id == defendant.id and one.note == "浇水、除草"  # type: ignore[attr-defined]
        states = (await tending.states([case.id]))[case.id]
        assert [s.state for s in states] == ["submitted", "due"]
        assert [p.public_id for p in (await tending.photos(case, [1]))[1]] == [photo.public_id]
        await privacy.delete_account(defendant, confirmed=True)  # the words go, the reported year stays
        one = await CaseTending.get(id=one.id)
        assert one.note == "" and one.reported_at is not None


async def reported_case(settings, tend_years: int = 2):  # type: ignore[no-untyped-def]
    """A case whose trees are planted, year 1 open, and the defendant's report for it in."""
    court, _ = await a_court(settings)
    planted, case, defendant = await tree_case(settings, trees=3, tend_years=tend_years, court=court)
    log = await submitted(settings, planted, count=3, user=defendant)
    await planting.approve(settings, planted.organiser, log.public_id)
    await CaseTending.filter(case_id=case.id, year=1).update(opens_on=tending.today() - timedelta(days=1))
    case = await fresh(case)
    await tending.report(settings, storage_for(settings), case, defendant, 1, phone_jpeg(11), "浇水")
    return planted, case, defendant, court


async def year_states(case: RestorationCase, on: date | None = None) -> list[str]:
    return [c.state for c in (await tending.states([case.id], on))[case.id]]


async def review_events(case: RestorationCase, action: str) -> int:
    return await AuditEvent.filter(entity_type="restoration_case", entity_id=case.code, action=action).count()


class TestReview:
    async def test_a_report_awaits_review_and_is_neither_done_nor_overdue(self, db, settings) -> None:
        _planted, case, _defendant, _court = await reported_case(settings)
        one = await CaseTending.get(case_id=case.id, year=1)
        assert await year_states(case) == ["submitted", "upcoming"]
        assert await year_states(case, one.due_on + timedelta(days=30)) == ["submitted", "upcoming"]
        assert await tending.overdue(case.id, one.due_on + timedelta(days=30)) == []

    async def test_an_accepted_report_is_done_and_final(self, db, settings) -> None:
        _planted, case, defendant, court = await reported_case(settings)
        reviewed = await tending.review(case, court.user, 1, "accept", "")
        assert reviewed.accepted_at is not None and reviewed.reviewed_by_id == court.user.id  # type: ignore[attr-defined]
        assert await year_states(case) == ["done", "upcoming"]
        for decision, reason in (("accept", ""), ("reject", "照片模糊")):
            with pytest.raises(Conflict) as again:
                await tending.review(case, court.user, 1, decision, reason)
            assert again.value.key == "judicial.tending_accepted"
        with pytest.raises(Conflict):  # nor can the defendant file over it
            await tending.report(settings, storage_for(settings), case, defendant, 1, phone_jpeg(12), "")
        assert await year_states(case) == ["done", "upcoming"]
        assert await review_events(case, "judicial.tending.accepted") == 1
        assert await review_events(case, "judicial.tending.rejected") == 0

    async def test_a_rejected_report_leaves_the_year_due_and_the_defendant_files_again(self, db, settings) -> None:
        _planted, case, defendant, court = await reported_case(settings)
        with pytest.raises(AppError) as no_reason:
            await tending.review(case, court.user, 1, "reject", "  ")
        assert no_reason.value.key == "judicial.tending_reason_required"
        with pytest.raises(AppError) as bad:
            await tending.review(case, court.user, 1, "maybe", "")
        assert bad.value.key == "judicial.tending_bad_decision"
        assert await year_states(case) == ["submitted", "upcoming"]  # refusals changed nothing
        await tending.review(case, court.user, 1, "reject", "照片看不到树苗")
        one = await CaseTending.get(case_id=case.id, year=1)
        assert one.reported_at is None and one.note == "" and one.rejections == 1
        assert one.rejection_reason == "照片看不到树苗"
        assert await year_states(case) == ["due", "upcoming"]
        assert await year_states(case, one.due_on + timedelta(days=1)) == ["overdue", "upcoming"]
        with pytest.raises(Conflict) as twice:  # the rejection is applied once
            await tending.review(case, court.user, 1, "reject", "照片看不到树苗")
        assert twice.value.key == "judicial.tending_nothing_to_review"
        assert (await CaseTending.get(id=one.id)).rejections == 1
        storage = storage_for(settings)
        with pytest.raises(Conflict):  # the rejected photo again is no new report
            await tending.report(settings, storage, case, defendant, 1, phone_jpeg(11), "")
        await tending.report(settings, storage, case, defendant, 1, phone_jpeg(13), "补拍")
        assert await year_states(case) == ["submitted", "upcoming"]
        checks = (await tending.states([case.id]))[case.id]
        assert checks[0].note == "补拍" and checks[0].rejection_reason == "照片看不到树苗"
        # The reviewer sees the new report's photo only (the rejected one stays stored as evidence).
        shown = (await tending.photos(case, [1]))[1]
        assert (
            len(shown) == 1
            and shown[0].sha256 != (await Photo.filter(subject=shown[0].subject).order_by("id").first()).sha256
        )  # type: ignore[union-attr]
        with pytest.raises(Conflict) as stale:  # a page still showing the first report cannot decide the second
            await tending.review(case, court.user, 1, "accept", "", report=1)
        assert stale.value.key == "judicial.tending_reviewed"
        assert await year_states(case) == ["submitted", "upcoming"]
        await tending.review(case, court.user, 1, "accept", "", report=2)
        assert await year_states(case) == ["done", "upcoming"]
        assert await review_events(case, "judicial.tending.rejected") == 1
        assert await review_events(case, "judicial.tending.accepted") == 1

    async def test_only_a_year_with_a_report_can_be_reviewed(self, db, settings) -> None:
        _planted, case, _defendant, court = await reported_case(settings)
        with pytest.raises(Conflict) as nothing:
            await tending.review(case, court.user, 2, "accept", "")
        assert nothing.value.key == "judicial.tending_nothing_to_review"
        with pytest.raises(NotFound):
            await tending.review(case, court.user, 9, "accept", "")
        assert (await CaseTending.get(case_id=case.id, year=2)).accepted_at is None

    async def test_the_cases_court_and_the_campaigns_organiser_review_and_nobody_else(self, db, settings) -> None:
        planted, case, _defendant, court = await reported_case(settings)
        assert (await judicial.reviewable_case(court, case.code)).id == case.id
        assert (await judicial.reviewable_case(planted.organiser, case.code)).id == case.id
        other_court, _ = await a_court(settings)
        with pytest.raises(NotFound):
            await judicial.reviewable_case(other_court, case.code)
        other_organiser, _ = await principal_of(settings, Role.ORGANISER)  # of another foundation
        with pytest.raises(NotFound):
            await judicial.reviewable_case(other_organiser, case.code)
        citizen, _ = await principal_of(settings)
        with pytest.raises(Forbidden):
            await judicial.reviewable_case(citizen, case.code)


@postgres_only
class TestParallelReviews:
    async def test_of_racing_reviews_exactly_one_applies(self, db, settings) -> None:
        planted, case, _defendant, court = await reported_case(settings)
        decisions = [("accept", ""), ("reject", "照片模糊")] * 4
        results = await asyncio.gather(
            *(
                tending.review(case, (court if i % 2 else planted.organiser).user, 1, d, r)
                for i, (d, r) in enumerate(decisions)
            ),
            return_exceptions=True,
        )
        assert len([r for r in results if not isinstance(r, Exception)]) == 1, results
        assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
        one = await CaseTending.get(case_id=case.id, year=1)
        accepted = await review_events(case, "judicial.tending.accepted")
        rejected = await review_events(case, "judicial.tending.rejected")
        assert accepted + rejected == 1
        assert (one.accepted_at is not None) == (accepted == 1) and one.rejections == rejected


class TestReminders:
    async def test_the_deadline_reminder_goes_once(self, db, settings) -> None:
        _planted, case, defendant = await tree_case(settings, trees=3, tend_years=0)
        on = case.deadline - timedelta(days=tending.REMIND_DAYS + 1)
        assert await tending.send_reminders(on) == 0  # not yet
        on = case.deadline - timedelta(days=tending.REMIND_DAYS)
        assert await tending.send_reminders(on) == 1
        assert await tending.send_reminders(on) == 0
        assert await tending.send_reminders(case.deadline) == 0
        sent = await Notification.filter(user_id=defendant.id, kind="judicial.deadline_soon")
        assert len(sent) == 1 and case.case_number in sent[0].body_zh and "3 株树" in sent[0].body_zh

    async def test_a_fulfilled_case_or_one_without_a_defendant_gets_no_deadline_reminder(self, db, settings) -> None:
        orphan = await a_case(settings, kg_owed=10)
        assert await tending.send_reminders(orphan.deadline) == 0
        planted, case, defendant = await tree_case(settings, trees=3, tend_years=0, case_number="（2026）川0112刑初9号")
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        assert await tending.send_reminders(case.deadline) == 0

    async def test_each_tending_check_is_reminded_once_before_it_is_due(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings, trees=3, tend_years=2)
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        one, two = await CaseTending.filter(case_id=case.id).order_by("year")
        on = one.due_on - timedelta(days=tending.REMIND_DAYS)
        assert await tending.send_reminders(on) == 1
        assert await tending.send_reminders(one.due_on) == 0
        await CaseTending.filter(id=two.id).update(reported_at=judicial.now())  # reported early: no reminder
        assert await tending.send_reminders(two.due_on) == 0
        sent = await Notification.filter(user_id=defendant.id, kind="judicial.tending_due").values_list(
            "dedupe_key", flat=True
        )
        assert sent == [f"judicial.tending:{case.code}:1"]


@postgres_only
class TestParallelApprovals:
    async def test_parallel_approvals_count_each_log_once_and_start_tending_once(self, db, settings) -> None:
        planted, case, defendant = await tree_case(settings, trees=3, tend_years=2)
        slot = planted.slot
        later = await Slot.create(
            site_id=slot.site_id,  # type: ignore[attr-defined]
            starts_at=slot.starts_at + timedelta(minutes=30),
            ends_at=slot.ends_at,
            capacity=slot.capacity,
        )
        one = await submitted(settings, planted, count=3, user=defendant)
        two = await submitted(settings, dataclasses.replace(planted, slot=later), count=3, user=defendant)
        ids = [one.public_id, two.public_id] * 4
        await asyncio.gather(
            *(planting.approve_many(settings, planted.organiser, [i]) for i in ids),
            judicial.plant_for(case.pay_code, defendant),
        )
        assert await PlantingLog.filter(id__in=[one.id, two.id], status="approved").count() == 2
        case = await RestorationCase.get(id=case.id)
        assert case.trees_counted == 3 and case.status == "fulfilled"  # the case needed one log's trees
        assert await CasePlanting.filter(case_id=case.id).count() == 1
        assert await counted_events(case) == 1
        assert await CaseTending.filter(case_id=case.id).count() == 2
