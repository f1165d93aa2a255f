"""Removing a photo from a planting log: its owner may, while the log can still change (waiting for review,
or rejected and being corrected); never once approved; never someone else's. A removal is a change like an
edit (the revision goes up, so a review of the older copy decides nothing), audited with the photo's hashes
and never its position; the photo's row goes (the campaign's duplicate check no longer sees it) and its files
leave the storage unless another photo still uses them."""

from __future__ import annotations

import asyncio

import pytest

from app.core.auth import SESSION_COOKIE
from app.core.errors import AppError
from app.evidence import service as evidence
from app.planting import service
from app.planting.schemas import LogPatch
from app.storage import storage_for
from models.audit import AuditEvent
from models.evidence import Photo
from models.planting import PlantingLog
from tests.campaigns.test_api import cookie_for
from tests.conftest import postgres_only
from tests.evidence.photos import phone_jpeg
from tests.planting.builders import planting_campaign, submitted
from tests.planting.test_api import API, citizen, csrf


async def with_photo(settings, planted, seed: int = 1):  # type: ignore[no-untyped-def]
    """A submitted log of a new person with one phone photo (GPS in its EXIF): (log, owner, photo)."""
    log = await submitted(settings, planted)
    user = await log.user
    photo = await service.add_photo(settings, storage_for(settings), user, log.public_id, phone_jpeg(seed))
    return await PlantingLog.get(id=log.id), user, photo


@pytest.mark.usefixtures("db")
class TestRemovePhoto:
    async def test_the_owner_removes_a_photo_while_it_waits_audited_without_its_position(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        assert log.revision == 2 and photo.gps_lat is not None
        storage = storage_for(settings)
        assert await storage.exists(photo.content_key) and await storage.exists(photo.thumb_key)
        after = await service.remove_photo(
            settings, storage, user, log.public_id, photo.public_id, revision=log.revision
        )
        assert (after.status, after.revision) == ("submitted", 3)
        assert not await Photo.exists(id=photo.id)
        assert not await storage.exists(photo.content_key) and not await storage.exists(photo.thumb_key)
        event = await AuditEvent.get(action="planting.log.photo_removed", entity_id=log.public_id)
        assert event.actor == f"user:{user.public_id}"
        assert event.before == {"status": "submitted", "revision": 2, **evidence.audit_view(photo)}
        assert event.before["sha256"] == photo.sha256
        assert event.after == {"status": "submitted", "revision": 3}
        said = repr(event.before) + repr(event.after)
        assert "gps" not in said and f"{photo.gps_lat:.4f}"[:6] not in said

    async def test_the_duplicate_check_no_longer_sees_a_removed_photo(self, settings) -> None:
        planted = await planting_campaign(settings)
        first, owner, photo = await with_photo(settings, planted)
        second = await submitted(settings, planted)
        other = await second.user
        storage = storage_for(settings)
        with pytest.raises(AppError) as refused:
            await service.add_photo(settings, storage, other, second.public_id, phone_jpeg(1))
        assert refused.value.key == "evidence.duplicate_elsewhere"
        await service.remove_photo(settings, storage, owner, first.public_id, photo.public_id)
        moved = await service.add_photo(settings, storage, other, second.public_id, phone_jpeg(1))
        assert moved.subject == f"log:{second.public_id}"
        assert "near_duplicate" not in {f["code"] for f in moved.flags}  # nothing left to be near
        assert await storage.exists(moved.content_key)

    async def test_files_another_photo_still_uses_stay(self, settings) -> None:
        # The same picture on logs of two campaigns: one scope each, so both are accepted, and the
        # content-addressed files are shared.
        spring = await planting_campaign(settings)
        autumn = await planting_campaign(settings, slug="autumn")
        log, user, photo = await with_photo(settings, spring)
        _, _, twin = await with_photo(settings, autumn)
        assert twin.content_key == photo.content_key
        storage = storage_for(settings)
        await service.remove_photo(settings, storage, user, log.public_id, photo.public_id)
        assert await storage.exists(twin.content_key) and await storage.exists(twin.thumb_key)

    async def test_the_last_photo_may_go_photos_being_optional(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        await service.remove_photo(settings, storage_for(settings), user, log.public_id, photo.public_id)
        assert await Photo.filter(subject=service.subject_of(log)).count() == 0

    async def test_a_rejected_log_being_corrected_may_lose_a_photo(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        await service.reject(planted.organiser, log.public_id, "照片不是本次活动现场")
        after = await service.remove_photo(settings, storage_for(settings), user, log.public_id, photo.public_id)
        assert (after.status, after.revision) == ("rejected", 3)
        # The correction names the revision it was made on: the one before the removal is stale.
        with pytest.raises(AppError) as stale:
            await service.resubmit(settings, user, log.public_id, LogPatch(), revision=2)
        assert stale.value.key == "planting.revision_changed"
        again = await service.resubmit(settings, user, log.public_id, LogPatch(), revision=3)
        assert (again.status, again.revision) == ("submitted", 4)

    async def test_a_rejected_log_past_the_resubmission_cap_keeps_its_photos(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        await service.reject(planted.organiser, log.public_id, "重复提交")
        final = settings.with_(planting_max_resubmissions=0)
        with pytest.raises(AppError) as refused:
            await service.remove_photo(final, storage_for(settings), user, log.public_id, photo.public_id)
        assert refused.value.status_code == 409 and refused.value.key == "planting.resubmission_cap"
        assert await Photo.exists(id=photo.id)

    async def test_an_approved_log_is_final(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        await service.approve(settings, planted.organiser, log.public_id)
        with pytest.raises(AppError) as refused:
            await service.remove_photo(settings, storage_for(settings), user, log.public_id, photo.public_id)
        assert refused.value.status_code == 409 and refused.value.key == "planting.approved_final"
        assert await Photo.exists(id=photo.id) and await storage_for(settings).exists(photo.content_key)
        assert (await PlantingLog.get(id=log.id)).revision == 2

    async def test_someone_elses_log_and_a_photo_of_another_log_are_not_found(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, _, photo = await with_photo(settings, planted)
        mine, me, _ = await with_photo(settings, planted, seed=2)
        storage = storage_for(settings)
        with pytest.raises(AppError) as theirs:
            await service.remove_photo(settings, storage, me, log.public_id, photo.public_id)
        assert theirs.value.status_code == 404 and theirs.value.key == "planting.log_not_found"
        with pytest.raises(AppError) as elsewhere:  # my log, their photo
            await service.remove_photo(settings, storage, me, mine.public_id, photo.public_id)
        assert elsewhere.value.status_code == 404 and elsewhere.value.key == "evidence.photo_not_found"
        assert await Photo.exists(id=photo.id)
        assert (await PlantingLog.get(id=mine.id)).revision == 2  # a refused removal changes nothing

    async def test_a_removal_on_an_older_revision_is_refused(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        with pytest.raises(AppError) as stale:
            await service.remove_photo(
                settings, storage_for(settings), user, log.public_id, photo.public_id, revision=1
            )
        assert stale.value.status_code == 409 and stale.value.key == "planting.revision_changed"
        assert await Photo.exists(id=photo.id)

    async def test_an_organiser_who_saw_the_photo_decides_nothing_after_it_went(self, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        seen = log.revision
        await service.remove_photo(settings, storage_for(settings), user, log.public_id, photo.public_id)
        with pytest.raises(AppError) as stale:
            await service.approve(settings, planted.organiser, log.public_id, revision=seen)
        assert stale.value.key == "planting.revision_changed_review"
        results = await service.approve_many(
            settings, planted.organiser, [log.public_id], revisions={log.public_id: seen}
        )
        assert results == [(log.public_id, "changed")]
        with pytest.raises(AppError) as rejected:
            await service.reject(planted.organiser, log.public_id, "照片不清楚", revision=seen)
        assert rejected.value.key == "planting.revision_changed_review"
        assert (await PlantingLog.get(id=log.id)).status == "submitted"


async def _log_with_photo(client, booking: str, headers: dict[str, str]) -> tuple[str, str]:
    """A log of 3 trees for the booking, with one photo: their public ids."""
    log = (
        await client.post(
            f"{API}/bookings/{booking}/log", json={"species": "tree.cupressus", "count": 3}, headers=headers
        )
    ).json()["id"]
    photo = (
        await client.post(f"{API}/logs/{log}/photos", files={"photo": ("a.jpg", phone_jpeg(1))}, headers=headers)
    ).json()["id"]
    return log, photo


class TestRemovePhotoOverHttp:
    async def test_delete_removes_it_and_answers_the_new_revision(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        _, booking, headers = await citizen(settings, planted)
        log, photo = await _log_with_photo(client, booking.public_id, headers)
        shown = (await client.get(f"{API}/logs/{log}", headers=headers)).json()
        assert shown["photos_removable"] and shown["revision"] == 2
        stale = await client.delete(f"{API}/logs/{log}/photos/{photo}?revision=1&lang=en", headers=headers)
        assert stale.status_code == 409 and "now revision 2" in stale.json()["message"]
        r = await client.delete(f"{API}/logs/{log}/photos/{photo}?revision=2", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["photos"] == [] and r.json()["revision"] == 3 and r.json()["status"] == "submitted"
        gone = await client.delete(f"{API}/logs/{log}/photos/{photo}", headers={**headers, "Accept-Language": "en"})
        assert gone.status_code == 404 and gone.json()["message"] == "No such photo"

    async def test_an_approved_log_is_409_in_chinese_and_english_and_another_persons_is_404(
        self, client, settings
    ) -> None:
        planted = await planting_campaign(settings)
        _, booking, headers = await citizen(settings, planted)
        _, _, stranger = await citizen(settings, planted)
        log, photo = await _log_with_photo(client, booking.public_id, headers)
        r = await client.delete(f"{API}/logs/{log}/photos/{photo}", headers=stranger)
        assert r.status_code == 404 and r.json()["message"] == "没有这条植树记录"
        await client.post(f"{API}/review/{log}/approve", headers=planted.organiser_headers)
        r = await client.delete(f"{API}/logs/{log}/photos/{photo}", headers=headers)
        assert r.status_code == 409 and r.json()["message"] == "已审核通过的记录不能修改"
        r = await client.delete(f"{API}/logs/{log}/photos/{photo}?lang=en", headers=headers)
        assert r.status_code == 409 and r.json()["message"] == "An approved planting log is final and cannot be changed"
        assert not (await client.get(f"{API}/logs/{log}", headers=headers)).json()["photos_removable"]
        assert await Photo.exists(public_id=photo)

    async def test_the_phone_page_has_a_remove_button_per_photo_without_javascript(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        booking = await log.booking
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        url = f"/planting/bookings/{booking.public_id}/log"
        page = await client.get(url)
        action = f'action="/planting/logs/{log.public_id}/photos/{photo.public_id}/remove?lang=zh"'
        assert action in page.text and "删除第 1 张照片" in page.text
        assert 'name="revision" value="2"' in page.text
        remove = f"/planting/logs/{log.public_id}/photos/{photo.public_id}/remove"
        forged = await client.post(remove, data={"revision": "2"})  # no CSRF token: refused, nothing removed
        assert forged.status_code == 403 and await Photo.exists(id=photo.id)
        r = await client.post(remove, data={"_csrf_token": csrf(page.text), "revision": "2"})
        assert r.status_code == 303, r.text
        shown = await client.get(r.headers["location"])
        assert "照片已删除" in shown.text and "无照片" in shown.text and "/remove" not in shown.text
        assert not await Photo.exists(id=photo.id)

    async def test_the_page_says_why_not_and_shows_no_button_once_approved(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log, user, photo = await with_photo(settings, planted)
        booking = await log.booking
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        page = await client.get(f"/planting/bookings/{booking.public_id}/log")
        token = csrf(page.text)
        await service.approve(settings, planted.organiser, log.public_id)
        shown = await client.get(f"/planting/bookings/{booking.public_id}/log")
        assert "/remove" not in shown.text and 'class="badge approved"' in shown.text
        remove = f"/planting/logs/{log.public_id}/photos/{photo.public_id}/remove"
        r = await client.post(remove + "?lang=en", data={"_csrf_token": token, "revision": "2"})
        assert r.status_code == 409 and "An approved planting log is final" in r.text
        assert await Photo.exists(id=photo.id)


class TestRacing:
    @postgres_only
    async def test_a_removal_racing_a_review_of_the_copy_with_the_photo_lets_exactly_one_through(
        self, db, settings
    ) -> None:
        planted = await planting_campaign(settings)
        storage = storage_for(settings)
        for seed in range(1, 7):
            log, user, photo = await with_photo(settings, planted, seed=seed)

            async def remove() -> str:
                try:
                    await service.remove_photo(settings, storage, user, log.public_id, photo.public_id)  # noqa: B023
                    return "removed"
                except AppError as exc:
                    return exc.key

            async def approve() -> str:
                try:  # the organiser approves the copy they saw: with the photo (revision 2)
                    await service.approve(settings, planted.organiser, log.public_id, revision=2)  # noqa: B023
                    return "approved"
                except AppError as exc:
                    return exc.key

            outcomes = sorted(await asyncio.gather(remove(), approve()))
            assert outcomes in (
                ["approved", "planting.approved_final"],
                ["planting.revision_changed_review", "removed"],
            ), outcomes
            final = await PlantingLog.get(id=log.id)
            # Approved means approved with its photo; removed means nothing was approved.
            assert (final.status == "approved") == await Photo.exists(id=photo.id)
            assert (final.status, final.revision) in (("approved", 2), ("submitted", 3))
