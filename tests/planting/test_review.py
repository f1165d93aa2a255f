"""Organiser review: approval adds the trees to the campaign by one conditional update and awards the
points once (an id derived from the log), batch approval decides each log once and reports the rest,
organisers of another organisation are refused, racing approvals of one log count once (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from app.core.errors import AppError, Conflict
from app.planting import service
from app.points import service as points
from models.audit import AuditEvent
from models.campaigns import Campaign
from models.ledger import Transfer
from models.planting import PlantingLog
from tests.conftest import postgres_only
from tests.helpers import signed_in
from tests.planting.builders import planting_campaign, principal_of, submitted


async def balance(user) -> int:  # type: ignore[no-untyped-def]
    return (await points.balance_of(user)).balance


class TestApprove:
    async def test_it_adds_the_trees_awards_points_issues_the_certificate_and_audits(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=4)
        user = await log.user
        before = await balance(user)  # the check-in's own points
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.log.status == "approved" and decision.log.points_awarded == 40  # 10 per tree
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 4
        assert await balance(user) == before + 40
        assert decision.certificate is not None and decision.certificate.trees == 4
        event = await AuditEvent.get(action="planting.log.approved", entity_id=log.public_id)
        assert event.before == {"status": "submitted", "revision": 1}
        assert event.after["trees"] == 4 and event.after["points"] == 40
        assert event.after["certificate"] == decision.certificate.code

    async def test_the_demo_longquan_override_doubles_the_points(self, db, settings) -> None:
        planted = await planting_campaign(settings, slug="demo-longquan")
        log = await submitted(settings, planted, count=2)
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.log.points_awarded == 40  # 20 per tree in demo-longquan

    async def test_a_second_approval_changes_nothing(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        await service.approve(settings, planted.organiser, log.public_id)
        with pytest.raises(AppError):
            await service.approve(settings, planted.organiser, log.public_id)
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 3
        assert await Transfer.filter(reason="earn.planting.approved").count() == 1
        assert await AuditEvent.filter(action="planting.log.approved").count() == 1

    async def test_the_award_id_is_derived_from_the_log_so_a_replay_awards_nothing_more(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        user = await log.user
        await service.approve(settings, planted.organiser, log.public_id)
        after = await balance(user)
        again = await points.earn_unless_capped(
            service.award_id(log),
            user,
            "planting.approved",
            units=3,
            campaign=planted.campaign.slug,
            reference=f"planting_log:{log.public_id}",
        )
        assert again is not None and again.id == service.award_id(log)
        assert await balance(user) == after

    async def test_a_reached_points_cap_still_approves_with_no_points(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=11)  # 110 points > the daily cap of 100
        decision = await service.approve(settings, planted.organiser, log.public_id)
        assert decision.log.status == "approved" and decision.log.points_awarded == 0 and decision.award is None
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 11

    async def test_an_organiser_of_another_organisation_is_403_and_nothing_changes(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        other = await planting_campaign(settings, slug="autumn")
        log = await submitted(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.approve(settings, other.organiser, log.public_id)
        assert refused.value.status_code == 403 and refused.value.key == "planting.not_organiser"
        with pytest.raises(AppError) as reject:
            await service.reject(other.organiser, log.public_id, "不行")
        assert reject.value.status_code == 403
        assert (await PlantingLog.get(id=log.id)).status == "submitted"

    async def test_the_queue_holds_only_the_organisers_campaigns_submitted_logs(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        other = await planting_campaign(settings, slug="autumn")
        mine = await submitted(settings, planted)
        decided = await submitted(settings, planted)
        await submitted(settings, other)
        await service.approve(settings, planted.organiser, decided.public_id)
        assert [x.public_id for x in await service.pending(planted.organiser)] == [mine.public_id]
        with pytest.raises(AppError) as refused:
            await service.pending(planted.organiser, "autumn")
        assert refused.value.status_code == 403


class TestBatch:
    async def test_mixed_states_each_decided_once_and_the_rest_reported(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        other = await planting_campaign(settings, slug="autumn")
        a = await submitted(settings, planted, count=1)
        b = await submitted(settings, planted, count=2)
        approved = await submitted(settings, planted, count=4)
        rejected = await submitted(settings, planted, count=8)
        theirs = await submitted(settings, other, count=16)
        await service.approve(settings, planted.organiser, approved.public_id)
        await service.reject(planted.organiser, rejected.public_id, "重复")
        ids = [a.public_id, b.public_id, a.public_id, approved.public_id, rejected.public_id, theirs.public_id, "nope"]
        results = await service.approve_many(settings, planted.organiser, ids)
        assert results == [
            (a.public_id, "approved"),
            (b.public_id, "approved"),
            (approved.public_id, "already_approved"),
            (rejected.public_id, "already_rejected"),
            (theirs.public_id, "forbidden"),
            ("nope", "not_found"),
        ]
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 1 + 2 + 4
        assert (await Campaign.get(id=other.campaign.id)).trees_planted == 0
        assert (await PlantingLog.get(id=rejected.id)).status == "rejected"
        assert await Transfer.filter(reason="earn.planting.approved").count() == 3

    async def test_an_empty_batch_is_400(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        with pytest.raises(AppError) as refused:
            await service.approve_many(settings, planted.organiser, [])
        assert refused.value.key == "planting.batch_empty"


class TestRacing:
    @postgres_only
    async def test_racing_approvals_of_one_log_add_the_trees_and_the_points_once(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        second, _ = await signed_in(settings)
        from app.accounts import service as accounts

        await accounts.grant_role(second, "organiser", planted.organisation, actor="test")
        organisers = [planted.organiser, await principal_of(second)]
        log = await submitted(settings, planted, count=5)

        async def one(n: int) -> str:
            try:
                await service.approve(settings, organisers[n % 2], log.public_id)
                return "approved"
            except AppError as exc:
                return exc.key

        outcomes = await asyncio.gather(*(one(n) for n in range(8)))
        assert outcomes.count("approved") == 1, outcomes
        assert set(outcomes) == {"approved", "planting.already_decided"}
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 5
        assert await Transfer.filter(reason="earn.planting.approved").count() == 1
        assert await AuditEvent.filter(action="planting.log.approved").count() == 1
        from models.planting import DutyCertificate

        assert (await DutyCertificate.get(user_id=log.user_id)).trees == 5  # type: ignore[attr-defined]

    @postgres_only
    async def test_racing_batches_over_the_same_logs_decide_each_once(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        logs = [await submitted(settings, planted, count=n) for n in (1, 2, 3)]
        ids = [x.public_id for x in logs]
        results = await asyncio.gather(*(service.approve_many(settings, planted.organiser, ids) for _ in range(4)))
        flat = [outcome for batch in results for _, outcome in batch]
        assert flat.count("approved") == 3 and flat.count("already_approved") == 9
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 6
        assert await Transfer.filter(reason="earn.planting.approved").count() == 3


class TestApprovalHooks:
    """`register_approval_hook`: another domain's step in the approval's transaction (碳汇+司法 counts trees)."""

    @pytest.fixture
    def seen(self):  # type: ignore[no-untyped-def]
        calls: list[tuple[str, int, str]] = []

        async def hook(log: PlantingLog) -> None:
            calls.append((log.public_id, log.count, log.status))

        service.register_approval_hook(hook)
        yield calls
        service._APPROVAL_HOOKS.remove(hook)

    async def test_a_hook_runs_once_per_log_with_the_revision_approved(self, db, settings, seen) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=2)
        other = await submitted(settings, planted, count=5)
        await PlantingLog.filter(id=log.id).update(count=3, revision=log.revision + 1)  # changed before review
        results = await service.approve_many(
            settings, planted.organiser, [log.public_id, log.public_id, other.public_id]
        )
        assert [r for _, r in results] == ["approved", "approved"]
        await service.approve_many(settings, planted.organiser, [log.public_id])
        with pytest.raises(Conflict):  # already decided
            await service.approve(settings, planted.organiser, other.public_id)
        assert sorted(seen) == sorted([(log.public_id, 3, "approved"), (other.public_id, 5, "approved")])

    async def test_a_failing_hook_rolls_the_approval_back(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=2)

        async def broken(_log: PlantingLog) -> None:
            raise RuntimeError("the other domain failed")

        service.register_approval_hook(broken)
        try:
            with pytest.raises(RuntimeError):
                await service.approve(settings, planted.organiser, log.public_id)
        finally:
            service._APPROVAL_HOOKS.remove(broken)
        assert (await PlantingLog.get(id=log.id)).status == "submitted"
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 0
