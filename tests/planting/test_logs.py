"""Planting logs: written once per checked-in booking, species from the campaign, count within the cap,
submitted → approved | rejected by the organiser, every change audited (edits and resubmissions:
test_resubmit.py)."""

from __future__ import annotations

import pytest

from app.core.errors import AppError
from app.core.i18n import t
from app.planting import service
from app.planting.schemas import LogIn
from models.audit import AuditEvent
from models.planting import PlantingLog
from tests.helpers import signed_in
from tests.planting.builders import checked_in, planting_campaign, submitted


def said(exc: pytest.ExceptionInfo[AppError], lang: str) -> str:
    return t(exc.value.key, lang, **exc.value.params)


class TestSubmit:
    async def test_a_checked_in_booking_gets_one_submitted_log_dated_by_its_check_in(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=4)
        assert log.status == "submitted" and log.count == 4 and log.species == "tree.cupressus"
        event = await AuditEvent.get(action="planting.log.submitted", entity_id=log.public_id)
        assert event.after["status"] == "submitted" and event.after["count"] == 4

    async def test_a_second_log_for_the_same_booking_is_refused(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        user, booking = await checked_in(settings, planted)
        first = await service.submit(settings, user, booking.public_id, LogIn(species="bamboo.moso", count=2))
        with pytest.raises(AppError) as again:
            await service.submit(settings, user, booking.public_id, LogIn(species="bamboo.moso", count=2))
        assert again.value.status_code == 409 and first.public_id in said(again, "zh")
        assert await PlantingLog.filter(booking_id=booking.id).count() == 1

    async def test_a_booking_not_checked_in_cannot_be_logged(self, db, settings) -> None:
        from app.campaigns import service as campaigns

        planted = await planting_campaign(settings)
        user, _ = await signed_in(settings)
        booking = await campaigns.book(user, planted.slot.id)
        with pytest.raises(AppError) as refused:
            await service.submit(settings, user, booking.public_id, LogIn(species="tree.cupressus", count=1))
        assert refused.value.key == "planting.booking_not_checked_in" and "签到之后" in said(refused, "zh")
        assert "after checking in" in said(refused, "en")

    async def test_someone_elses_booking_is_not_found(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        _, booking = await checked_in(settings, planted)
        stranger, _ = await signed_in(settings)
        with pytest.raises(AppError) as refused:
            await service.submit(settings, stranger, booking.public_id, LogIn(species="tree.cupressus", count=1))
        assert refused.value.status_code == 404

    async def test_a_species_outside_the_campaign_is_400_naming_the_choices(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        user, booking = await checked_in(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.submit(settings, user, booking.public_id, LogIn(species="tree.cunninghamia", count=1))
        assert refused.value.status_code == 400 and refused.value.key == "planting.species_unknown"
        assert "tree.cupressus" in said(refused, "zh") and "不在本活动的树种中" in said(refused, "zh")
        assert "not one of this campaign's" in said(refused, "en")

    @pytest.mark.parametrize("count", [0, -1, 201])
    async def test_a_count_outside_one_to_the_cap_is_400(self, db, settings, count: int) -> None:
        planted = await planting_campaign(settings)
        user, booking = await checked_in(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.submit(settings, user, booking.public_id, LogIn(species="tree.cupressus", count=count))
        assert refused.value.key == "planting.count_range"
        assert "1 到 200" in said(refused, "zh") and "1 to 200" in said(refused, "en")
        assert not await PlantingLog.exists()

    async def test_the_cap_comes_from_the_settings(self, db, settings) -> None:
        settings = settings.with_(planting_max_trees_per_log=5)
        planted = await planting_campaign(settings)
        user, booking = await checked_in(settings, planted)
        with pytest.raises(AppError):
            await service.submit(settings, user, booking.public_id, LogIn(species="tree.cupressus", count=6))
        assert (
            await service.submit(settings, user, booking.public_id, LogIn(species="tree.cupressus", count=5))
        ).count == 5


class TestStateMachine:
    async def test_submitted_goes_to_approved_once_and_never_back(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted)
        await service.approve(settings, planted.organiser, log.public_id)
        with pytest.raises(AppError) as again:
            await service.approve(settings, planted.organiser, log.public_id)
        assert again.value.status_code == 409 and "已通过" in said(again, "zh")
        with pytest.raises(AppError) as reject:
            await service.reject(planted.organiser, log.public_id, "照片不清楚")
        assert reject.value.status_code == 409
        assert (await PlantingLog.get(id=log.id)).status == "approved"

    async def test_rejected_cannot_be_approved_and_keeps_its_reasons_in_both_languages(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted)
        rejected = await service.reject(planted.organiser, log.public_id, " 照片与现场不符 ", "Photo is not the site")
        assert rejected.status == "rejected"
        assert service.reject_reason(rejected, "zh") == "照片与现场不符"
        assert service.reject_reason(rejected, "en") == "Photo is not the site"
        with pytest.raises(AppError) as approve:
            await service.approve(settings, planted.organiser, log.public_id)
        assert approve.value.status_code == 409 and "rejected" in said(approve, "en")
        event = await AuditEvent.get(action="planting.log.rejected", entity_id=log.public_id)
        assert event.before == {"status": "submitted", "revision": 1} and event.after["reason_zh"] == "照片与现场不符"

    async def test_a_rejection_without_a_chinese_reason_is_400(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted)
        with pytest.raises(AppError) as refused:
            await service.reject(planted.organiser, log.public_id, "  ", "no")
        assert refused.value.key == "planting.reason_required" and "须填写原因" in said(refused, "zh")
        assert (await PlantingLog.get(id=log.id)).status == "submitted"

    async def test_an_english_reason_falls_back_to_the_chinese_one(self, db, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted)
        rejected = await service.reject(planted.organiser, log.public_id, "重复提交")
        assert service.reject_reason(rejected, "en") == "重复提交"
