"""Changing a planting log: its owner edits it while it waits for review, corrects and resubmits it after a
rejection (at most PLANTING_MAX_RESUBMISSIONS times, the reasons kept), never once it is approved; every
change is audited and bumps the revision, an approval counts the revision it flips, and however a log
went back and forth its trees, points and certificate credit are counted once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from app.core.errors import AppError
from app.core.i18n import t
from app.planting import service
from app.planting.schemas import LogPatch
from app.points import service as points
from models.audit import AuditEvent
from models.campaigns import Campaign
from models.ledger import Transfer
from models.planting import DutyCertificate, PlantingLog
from tests.conftest import postgres_only
from tests.helpers import signed_in
from tests.planting.builders import planting_campaign, submitted


def said(exc: pytest.ExceptionInfo[AppError], lang: str) -> str:
    return t(exc.value.key, lang, **exc.value.params)


async def owner_of(log: PlantingLog):  # type: ignore[no-untyped-def]
    return await log.user


async def rejected_log(settings, planted, count: int = 3, reason: str = "照片看不清树苗"):  # type: ignore[no-untyped-def]
    log = await submitted(settings, planted, count=count)
    await service.reject(planted.organiser, log.public_id, reason, "The seedlings are not visible")
    return log


class TestEdit:
    async def test_the_owner_changes_species_count_and_note_while_it_waits_audited(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        user = await owner_of(log)
        edited = await service.edit(
            settings, user, log.public_id, LogPatch(species="bamboo.moso", count=5, note=" 东坡 "), revision=1
        )
        assert (edited.status, edited.species, edited.count, edited.note, edited.revision) == (
            "submitted",
            "bamboo.moso",
            5,
            "东坡",
            2,
        )
        event = await AuditEvent.get(action="planting.log.edited", entity_id=log.public_id)
        assert event.actor == f"user:{user.public_id}"
        assert event.before == {
            "status": "submitted",
            "species": "tree.cupressus",
            "count": 3,
            "note_chars": 0,
            "revision": 1,
        }
        # The note is the planter's own words: the chain keeps its length, not its text.
        assert event.after == {
            "status": "submitted",
            "species": "bamboo.moso",
            "count": 5,
            "note_chars": 2,
            "revision": 2,
        }
        assert [x.public_id for x in await service.pending(planted.organiser)] == [log.public_id]

    async def test_only_the_fields_given_change(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        edited = await service.edit(settings, await owner_of(log), log.public_id, LogPatch(count=4))
        assert (edited.species, edited.count) == ("tree.cupressus", 4)

    async def test_an_edit_is_checked_as_a_submission_is(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        user = await owner_of(log)
        with pytest.raises(AppError) as count:
            await service.edit(settings, user, log.public_id, LogPatch(count=201))
        assert count.value.key == "planting.count_range" and count.value.status_code == 400
        with pytest.raises(AppError) as species:
            await service.edit(settings, user, log.public_id, LogPatch(species="tree.pine"))
        assert species.value.key == "planting.species_unknown"
        fresh = await PlantingLog.get(id=log.id)
        assert (fresh.count, fresh.species, fresh.revision) == (3, "tree.cupressus", 1)
        assert not await AuditEvent.filter(action="planting.log.edited").exists()

    async def test_an_edit_to_the_same_values_changes_nothing(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        same = await service.edit(settings, await owner_of(log), log.public_id, LogPatch(count=3))
        assert same.revision == 1
        assert not await AuditEvent.filter(action="planting.log.edited").exists()

    async def test_an_approved_log_is_final(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        await service.approve(settings, planted.organiser, log.public_id)
        with pytest.raises(AppError) as refused:
            await service.edit(settings, await owner_of(log), log.public_id, LogPatch(count=9))
        assert refused.value.status_code == 409 and refused.value.key == "planting.approved_final"
        assert said(refused, "zh") == "已审核通过的记录不能修改"
        assert said(refused, "en") == "An approved planting log is final and cannot be changed"
        assert (await PlantingLog.get(id=log.id)).count == 3

    async def test_a_rejected_log_is_corrected_by_resubmitting_it(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await rejected_log(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.edit(settings, await owner_of(log), log.public_id, LogPatch(count=9))
        assert refused.value.status_code == 409 and refused.value.key == "planting.edit_rejected"
        assert "重新提交" in said(refused, "zh") and "3" in said(refused, "zh")
        assert (await PlantingLog.get(id=log.id)).status == "rejected"

    async def test_someone_else_cannot_edit_it(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted)
        stranger, _ = await signed_in(settings)
        with pytest.raises(AppError) as refused:
            await service.edit(settings, stranger, log.public_id, LogPatch(count=9))
        assert refused.value.status_code == 404

    async def test_an_edit_made_on_an_older_revision_is_refused(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        user = await owner_of(log)
        await service.edit(settings, user, log.public_id, LogPatch(count=4), revision=1)
        with pytest.raises(AppError) as stale:
            await service.edit(settings, user, log.public_id, LogPatch(count=7), revision=1)
        assert stale.value.key == "planting.revision_changed" and stale.value.status_code == 409
        assert (await PlantingLog.get(id=log.id)).count == 4


class TestResubmit:
    async def test_a_rejected_log_is_corrected_and_queued_again_with_its_reason_kept(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await rejected_log(settings, planted, count=3)
        waiting = await submitted(settings, planted, count=1)  # submitted after the first log
        user = await owner_of(log)
        again = await service.resubmit(settings, user, log.public_id, LogPatch(count=2, note="补拍了照片"))
        assert (again.status, again.count, again.resubmissions, again.revision) == ("submitted", 2, 1, 2)
        assert again.reject_reason_zh is None and again.reviewed_at is None and again.reviewed_by_id is None  # type: ignore[attr-defined]
        assert [r["reason_zh"] for r in again.rejections] == ["照片看不清树苗"]
        assert again.rejections[0]["reviewed_by"] == planted.organiser.user.public_id
        assert service.rejections_of(again, "en") == [
            ("The seedlings are not visible", again.rejections[0]["reviewed_at"])
        ]
        # Back in the organiser's queue, behind the log that was already waiting.
        assert [x.public_id for x in await service.pending(planted.organiser)] == [waiting.public_id, log.public_id]
        event = await AuditEvent.get(action="planting.log.resubmitted", entity_id=log.public_id)
        assert event.before["status"] == "rejected" and event.before["reason_zh"] == "照片看不清树苗"
        assert event.before["count"] == 3 and event.before["resubmissions"] == 0
        assert event.after == {
            "status": "submitted",
            "species": "tree.cupressus",
            "count": 2,
            "note_chars": 5,
            "revision": 2,
            "resubmissions": 1,
        }

    async def test_resubmissions_stop_at_the_configured_cap(self, db, settings) -> None:
        settings = settings.with_(planting_max_resubmissions=2)
        planted = await planting_campaign(settings)
        log = await rejected_log(settings, planted)
        user = await owner_of(log)
        for n in (1, 2):
            await service.resubmit(settings, user, log.public_id, LogPatch(count=3 + n))
            await service.reject(planted.organiser, log.public_id, f"第 {n} 次仍不清楚")
        with pytest.raises(AppError) as capped:
            await service.resubmit(settings, user, log.public_id, LogPatch(count=9))
        assert capped.value.status_code == 409 and capped.value.key == "planting.resubmission_cap"
        assert "最多重新提交 2 次" in said(capped, "zh")
        fresh = await PlantingLog.get(id=log.id)
        assert (fresh.status, fresh.resubmissions, fresh.count) == ("rejected", 2, 5)
        assert [r["reason_zh"] for r in fresh.rejections] == ["照片看不清树苗", "第 1 次仍不清楚"]
        assert fresh.reject_reason_zh == "第 2 次仍不清楚"
        assert not service.can_resubmit(settings, fresh) and service.resubmissions_left(settings, fresh) == 0

    async def test_the_default_cap_is_three(self, db, settings) -> None:
        assert settings.planting_max_resubmissions == 3

    async def test_a_cap_of_zero_makes_a_rejection_final(self, db, settings) -> None:
        settings = settings.with_(planting_max_resubmissions=0)
        planted = await planting_campaign(settings)
        log = await rejected_log(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.resubmit(settings, await owner_of(log), log.public_id, LogPatch())
        assert refused.value.key == "planting.resubmission_cap"

    async def test_an_approved_log_cannot_be_resubmitted(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted)
        await service.approve(settings, planted.organiser, log.public_id)
        with pytest.raises(AppError) as refused:
            await service.resubmit(settings, await owner_of(log), log.public_id, LogPatch(count=9))
        assert refused.value.status_code == 409 and said(refused, "zh") == "已审核通过的记录不能修改"
        assert not await AuditEvent.filter(action="planting.log.resubmitted").exists()

    async def test_a_waiting_log_has_nothing_to_resubmit(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.resubmit(settings, await owner_of(log), log.public_id, LogPatch(count=9))
        assert refused.value.key == "planting.resubmit_pending" and refused.value.status_code == 409

    async def test_a_resubmission_is_checked_as_a_submission_is(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await rejected_log(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.resubmit(settings, await owner_of(log), log.public_id, LogPatch(count=0))
        assert refused.value.key == "planting.count_range"
        assert (await PlantingLog.get(id=log.id)).resubmissions == 0


class TestCountedOnce:
    async def test_approve_then_resubmit_is_impossible_and_nothing_is_counted_again(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=4)
        user = await owner_of(log)
        await service.approve(settings, planted.organiser, log.public_id)
        for change in (service.resubmit, service.edit):
            with pytest.raises(AppError):
                await change(settings, user, log.public_id, LogPatch(count=8))
        with pytest.raises(AppError):
            await service.approve(settings, planted.organiser, log.public_id)
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 4
        assert await Transfer.filter(reference=f"planting_log:{log.public_id}").count() == 1
        assert (await DutyCertificate.get(user_id=user.id)).trees == 4
        assert await AuditEvent.filter(action="planting.log.approved").count() == 1

    async def test_reject_resubmit_approve_counts_the_corrected_log_exactly_once(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await rejected_log(settings, planted, count=9)
        user = await owner_of(log)
        balance_before = (await points.balance_of(user)).balance
        await service.resubmit(settings, user, log.public_id, LogPatch(count=6))
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.log.points_awarded == 60 and decision.award is not None
        assert decision.award.id == service.award_id(log)  # the log's one award id, whatever came before
        with pytest.raises(AppError):
            await service.approve(settings, planted.organiser, log.public_id)
        with pytest.raises(AppError):
            await service.resubmit(settings, user, log.public_id, LogPatch(count=7))
        replay = await points.earn_unless_capped(
            service.award_id(log),
            user,
            "planting.approved",
            units=6,
            campaign=planted.campaign.slug,
            reference=f"planting_log:{log.public_id}",
        )
        assert replay is not None and replay.id == decision.award.id
        assert (await points.balance_of(user)).balance == balance_before + 60
        assert await Transfer.filter(reference=f"planting_log:{log.public_id}").count() == 1
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 6
        cert = await DutyCertificate.get(user_id=user.id)
        assert cert.trees == 6
        assert await AuditEvent.filter(entity_id=cert.code, action__startswith="planting.certificate.").count() == 1
        assert await AuditEvent.filter(action="planting.log.approved", entity_id=log.public_id).count() == 1


class TestReviewSeesTheRevision:
    async def test_an_approval_counts_the_revision_it_flips_not_the_one_it_read(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        read = await service.organised_log(planted.organiser, log.public_id)  # the organiser's copy: 3 trees
        await service.edit(settings, await owner_of(log), log.public_id, LogPatch(count=7))
        decision = await service._approve(settings, planted.organiser, read, datetime.now(UTC))
        assert decision.outcome == "approved" and decision.log.count == 7
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 7
        assert decision.log.points_awarded == 70
        event = await AuditEvent.get(action="planting.log.approved", entity_id=log.public_id)
        assert event.before == {"status": "submitted", "revision": 2} and event.after["trees"] == 7

    async def test_an_approval_naming_an_older_revision_decides_nothing(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        await service.edit(settings, await owner_of(log), log.public_id, LogPatch(count=7))
        with pytest.raises(AppError) as changed:
            await service.approve(settings, planted.organiser, log.public_id, revision=1)
        assert changed.value.status_code == 409 and changed.value.key == "planting.revision_changed_review"
        assert "修改了这条记录" in said(changed, "zh") and "revision 2" in said(changed, "en")
        with pytest.raises(AppError) as reject:
            await service.reject(planted.organiser, log.public_id, "数量不对", revision=1)
        assert reject.value.key == "planting.revision_changed_review"
        assert (await PlantingLog.get(id=log.id)).status == "submitted"
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 0
        decision = await service.approve(settings, planted.organiser, log.public_id, revision=2)
        assert decision.log.count == 7

    async def test_a_batch_reports_logs_changed_since_the_revision_given(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        edited = await submitted(settings, planted, count=3)
        untouched = await submitted(settings, planted, count=2)
        await service.edit(settings, await owner_of(edited), edited.public_id, LogPatch(count=4))
        results = await service.approve_many(
            settings,
            planted.organiser,
            [edited.public_id, untouched.public_id],
            revisions={edited.public_id: 1, untouched.public_id: 1},
        )
        assert results == [(edited.public_id, "changed"), (untouched.public_id, "approved")]
        assert (await PlantingLog.get(id=edited.id)).status == "submitted"


class TestRacing:
    @postgres_only
    async def test_edits_racing_approvals_count_exactly_the_revision_approved(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=2)
        user = await owner_of(log)

        async def edit(n: int) -> str:
            try:
                await service.edit(settings, user, log.public_id, LogPatch(count=3 + n))
                return "edited"
            except AppError as exc:
                return exc.key

        async def approve() -> str:
            try:
                await service.approve(settings, planted.organiser, log.public_id)
                return "approved"
            except AppError as exc:
                return exc.key

        outcomes = await asyncio.gather(*(edit(n) for n in range(4)), *(approve() for _ in range(4)))
        assert outcomes[4:].count("approved") == 1, outcomes
        assert set(outcomes[:4]) <= {"edited", "planting.approved_final"}
        final = await PlantingLog.get(id=log.id)
        assert final.status == "approved"
        # Whatever revision won, the campaign, the points and the certificate count its trees, once.
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == final.count
        assert [t.amount for t in await Transfer.filter(reference=f"planting_log:{log.public_id}")] == [
            10 * final.count
        ]
        assert (await DutyCertificate.get(user_id=user.id)).trees == final.count
        edits = await AuditEvent.filter(action="planting.log.edited", entity_id=log.public_id).count()
        assert edits == outcomes[:4].count("edited")

    @postgres_only
    async def test_racing_resubmissions_resubmit_once(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await rejected_log(settings, planted)
        user = await owner_of(log)

        async def one(n: int) -> str:
            try:
                await service.resubmit(settings, user, log.public_id, LogPatch(count=4 + n))
                return "resubmitted"
            except AppError as exc:
                return exc.key

        outcomes = await asyncio.gather(*(one(n) for n in range(6)))
        assert outcomes.count("resubmitted") == 1, outcomes
        assert set(outcomes) == {"resubmitted", "planting.resubmit_pending"}
        fresh = await PlantingLog.get(id=log.id)
        assert (fresh.status, fresh.resubmissions, len(fresh.rejections)) == ("submitted", 1, 1)
        assert await AuditEvent.filter(action="planting.log.resubmitted").count() == 1
