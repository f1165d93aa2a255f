"""The planting API and pages over HTTP: refusals in Chinese and English, photos through app/evidence
with its limits and campaign-scoped duplicates, the review queue for organisers only, the public
certificate (page with QR, JSON), the profile, the campaign page's recent approved logs."""

from __future__ import annotations

import re

from app.core.auth import SESSION_COOKIE
from app.planting import service
from app.planting.schemas import LogIn, LogPatch
from models.campaigns import Campaign
from models.evidence import Photo
from models.planting import PlantingLog
from tests.campaigns.builders import HOME
from tests.campaigns.test_api import cookie_for
from tests.evidence.photos import encode, phone_jpeg, scene
from tests.helpers import signed_in
from tests.planting.builders import checked_in, planting_campaign, submitted

API = "/api/v1/planting"


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


async def citizen(settings, planted):  # type: ignore[no-untyped-def]
    """A checked-in person with their bearer header and booking."""
    from app.core.auth import issue_access_token
    from models.accounts import AuthSession

    user, booking = await checked_in(settings, planted)
    session = await AuthSession.filter(user_id=user.id).first()
    assert session is not None
    headers = {"Authorization": f"Bearer {issue_access_token(settings, user.public_id, session.public_id)}"}
    return user, booking, headers


class TestLogApi:
    async def test_a_log_is_written_and_read_back(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        _, booking, headers = await citizen(settings, planted)
        r = await client.post(
            f"{API}/bookings/{booking.public_id}/log", json={"species": "bamboo.moso", "count": 7}, headers=headers
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "submitted" and body["count"] == 7 and body["species_name"] == "毛竹"
        mine = (await client.get(f"{API}/logs", headers=headers)).json()
        assert [x["id"] for x in mine] == [body["id"]]

    async def test_bad_species_and_count_are_400_in_chinese_and_english(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        _, booking, headers = await citizen(settings, planted)
        url = f"{API}/bookings/{booking.public_id}/log"
        r = await client.post(url, json={"species": "tree.pine", "count": 1}, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "planting.species_unknown"
        assert "不在本活动的树种中" in r.json()["message"] and "tree.cupressus" in r.json()["message"]
        r = await client.post(url + "?lang=en", json={"species": "tree.pine", "count": 1}, headers=headers)
        assert r.status_code == 400 and "is not one of this campaign's" in r.json()["message"]
        r = await client.post(url, json={"species": "tree.cupressus", "count": 0}, headers=headers)
        assert r.status_code == 400 and r.json()["message"] == "株数须为 1 到 200 之间的整数（现为 0）"
        r = await client.post(
            url, json={"species": "tree.cupressus", "count": 999}, headers={**headers, "Accept-Language": "en"}
        )
        assert (
            r.status_code == 400
            and r.json()["message"] == "The number of trees must be a whole number from 1 to 200 (it is 999)"
        )
        r = await client.post(url, json={"species": "tree.cupressus", "count": "three"}, headers=headers)
        assert r.status_code == 400
        assert not await PlantingLog.exists()


class TestPhotos:
    async def _log(self, client, settings, planted=None):  # type: ignore[no-untyped-def]
        planted = planted or await planting_campaign(settings)
        _, booking, headers = await citizen(settings, planted)
        r = await client.post(
            f"{API}/bookings/{booking.public_id}/log", json={"species": "tree.cupressus", "count": 3}, headers=headers
        )
        return planted, r.json()["id"], headers

    async def test_a_phone_photo_is_attached_cleaned_and_scoped_to_the_campaign(self, client, settings) -> None:
        planted, log, headers = await self._log(client, settings)
        r = await client.post(f"{API}/logs/{log}/photos", files={"photo": ("a.jpg", phone_jpeg(1))}, headers=headers)
        assert r.status_code == 201, r.text
        photo = await Photo.get(public_id=r.json()["id"])
        assert photo.scope == f"campaign:{planted.campaign.id}" and photo.subject == f"log:{log}"
        assert r.json()["gps"] is not None  # the owner sees where it was taken

    async def test_a_photo_taken_far_from_the_site_is_flagged_for_the_reviewer(self, client, settings) -> None:
        _, log, headers = await self._log(client, settings)
        url = f"{API}/logs/{log}/photos"
        near = await client.post(
            url, files={"photo": ("a.jpg", phone_jpeg(1, lat=HOME[1], lon=HOME[0]))}, headers=headers
        )
        assert near.status_code == 201 and near.json()["flags"] == [] and near.json()["distance_m"] == 0
        # 0.02 degrees of latitude north of the check-in point: about 2.2 km, beyond the 1 km default
        far = phone_jpeg(2, lat=HOME[1] + 0.02, lon=HOME[0])
        r = await client.post(url, files={"photo": ("b.jpg", far)}, headers={**headers, "Accept-Language": "en"})
        assert r.status_code == 201, r.text
        (flag,) = r.json()["flags"]
        assert flag["code"] == "far_from_subject" and 2200 < flag["distance_m"] < 2230
        assert "m away from the place" in flag["message"]
        no_gps = await client.post(url, files={"photo": ("c.jpg", phone_jpeg(3, lat=None, lon=None))}, headers=headers)
        assert no_gps.json()["distance_m"] is None and no_gps.json()["flags"] == []

    async def test_not_an_image_is_400_and_too_big_is_413(self, client, settings) -> None:
        _, log, headers = await self._log(client, settings)
        r = await client.post(f"{API}/logs/{log}/photos", files={"photo": ("a.jpg", b"%PDF-1.4 x")}, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "evidence.not_an_image"
        r = await client.post(
            f"{API}/logs/{log}/photos?lang=en", files={"photo": ("a.jpg", b"%PDF-1.4 x")}, headers=headers
        )
        assert "not a readable photo" in r.json()["message"]
        big = encode(scene(1, (1800, 1400)), "PNG", compress_level=0)
        assert len(big) > 1024 * 1024
        small = settings.with_(photo_max_bytes=1024 * 1024)
        client._transport.app.state.settings = small  # type: ignore[attr-defined]
        r = await client.post(f"{API}/logs/{log}/photos", files={"photo": ("a.png", big)}, headers=headers)
        assert r.status_code == 413 and r.json()["code"] == "evidence.too_large"
        assert not await Photo.exists()

    async def test_a_log_holds_at_most_the_configured_number(self, client, settings) -> None:
        _, log, headers = await self._log(client, settings)
        client._transport.app.state.settings = settings.with_(planting_photos_per_log=1)  # type: ignore[attr-defined]
        assert (
            await client.post(f"{API}/logs/{log}/photos", files={"photo": ("a", phone_jpeg(1))}, headers=headers)
        ).status_code == 201
        r = await client.post(f"{API}/logs/{log}/photos", files={"photo": ("b", phone_jpeg(2))}, headers=headers)
        assert r.status_code == 409 and r.json()["message"] == "每条植树记录最多 1 张照片"

    async def test_the_same_photo_on_another_log_of_the_campaign_is_refused(self, client, settings) -> None:
        planted, first, headers = await self._log(client, settings)
        _, second, other = await self._log(client, settings, planted)
        await client.post(f"{API}/logs/{first}/photos", files={"photo": ("a", phone_jpeg(1))}, headers=headers)
        r = await client.post(f"{API}/logs/{second}/photos", files={"photo": ("a", phone_jpeg(1))}, headers=other)
        assert (
            r.status_code == 409 and r.json()["code"] == "evidence.duplicate_elsewhere" and first in r.json()["message"]
        )

    async def test_a_recompressed_copy_on_another_log_is_flagged_for_the_reviewer(self, client, settings) -> None:
        planted, first, headers = await self._log(client, settings)
        _, second, other = await self._log(client, settings, planted)
        await client.post(f"{API}/logs/{first}/photos", files={"photo": ("a", phone_jpeg(1))}, headers=headers)
        copy = encode(scene(1).resize((640, 480)), "JPEG", quality=55)
        r = await client.post(f"{API}/logs/{second}/photos", files={"photo": ("b", copy)}, headers=other)
        assert r.status_code == 201 and r.json()["flags"][0]["code"] == "near_duplicate"
        queue = (await client.get(f"{API}/review", headers=planted.organiser_headers)).json()
        flagged = next(x for x in queue if x["id"] == second)
        assert flagged["photos"][0]["flags"][0]["other"] == first

    async def test_a_decided_log_takes_no_more_photos(self, client, settings) -> None:
        planted, log, headers = await self._log(client, settings)
        await client.post(f"{API}/review/{log}/approve", headers=planted.organiser_headers)
        r = await client.post(f"{API}/logs/{log}/photos", files={"photo": ("a", phone_jpeg(1))}, headers=headers)
        assert r.status_code == 409 and r.json()["message"] == "植树记录已「已通过」，不能再添加照片"


class TestReviewApi:
    async def test_the_organiser_approves_rejects_and_batches(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        logs = [await submitted(settings, planted, count=n) for n in (1, 2, 3)]
        org = planted.organiser_headers
        queue = (await client.get(f"{API}/review", headers=org)).json()
        assert [x["id"] for x in queue] == [x.public_id for x in logs]
        r = await client.post(f"{API}/review/{logs[0].public_id}/approve", headers=org)
        assert r.status_code == 200 and r.json()["status"] == "approved"
        r = await client.post(f"{API}/review/{logs[0].public_id}/approve", headers=org)
        assert r.status_code == 409 and r.json()["message"] == "这条植树记录已「已通过」，不能再次审核"
        r = await client.post(
            f"{API}/review/{logs[1].public_id}/reject",
            json={"reason_zh": "看不到树苗", "reason_en": "No seedlings"},
            headers=org,
        )
        assert r.status_code == 200 and r.json()["reject_reason"] == "看不到树苗"
        ids = [x.public_id for x in logs]
        r = await client.post(f"{API}/review/approve?lang=en", json={"ids": ids}, headers=org)
        assert [x["outcome"] for x in r.json()] == ["already_approved", "already_rejected", "approved"]
        assert r.json()[0]["message"] == "already approved; not redone"
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 4

    async def test_another_organisations_organiser_is_403_in_both_languages(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        other = await planting_campaign(settings, slug="autumn")
        log = await submitted(settings, planted)
        r = await client.post(f"{API}/review/{log.public_id}/approve", headers=other.organiser_headers)
        assert r.status_code == 403 and r.json()["message"].startswith("只有 植树基金会-spring 的组织者")
        r = await client.post(
            f"{API}/review/{log.public_id}/reject",
            json={"reason_zh": "x"},
            headers={**other.organiser_headers, "Accept-Language": "en"},
        )
        assert r.status_code == 403 and r.json()["message"].startswith("Only organisers of")
        assert (await client.get(f"{API}/review", headers=other.organiser_headers)).json() == []

    async def test_a_citizen_cannot_review(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        _, _, headers = await citizen(settings, planted)
        assert (await client.get(f"{API}/review", headers=headers)).status_code == 403


class TestCertificateAndProfile:
    async def test_the_public_certificate_page_and_json(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=4)
        user = await log.user
        user.display_name = "小树苗"
        await user.save()
        decision = await service.approve(settings, planted.organiser, log.public_id)
        code = decision.certificate.code  # type: ignore[union-attr]
        data = (await client.get(f"{API}/certificates/{code}")).json()
        assert data["kind"] == "honour" and data["trees"] == 4 and data["holder"] == "小**"
        assert data["duty_done"] is True and data["campaigns"] == ["spring"] and data["year"] == log.planted_on.year
        page = await client.get(f"/planting/certificates/{code}")
        assert page.status_code == 200 and "义务植树荣誉证书" in page.text and "小**" in page.text
        assert "<svg" in page.text and "完成" in page.text and "春季义务植树" in page.text
        en = await client.get(f"/planting/certificates/{code}?lang=en")
        assert "honour certificate" in en.text and "done" in en.text
        lower = await client.get(f"/planting/certificates/{code.lower()}", follow_redirects=False)
        assert lower.status_code == 301
        assert (await client.get(f"{API}/certificates/NOPE")).status_code == 404
        assert (await client.get("/planting/certificates/NOPE")).status_code == 404

    async def test_the_profile_api_and_the_tally(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.put(f"{API}/profile", json={"birth_date": "1990-05-01", "sex": "f"}, headers=headers)
        assert r.status_code == 200 and r.json() == {"birth_date": "1990-05-01", "sex": "f", "from_id_number": False}
        assert (await client.get(f"{API}/profile", headers=headers)).json()["sex"] == "f"
        r = await client.put(f"{API}/profile", json={"sex": "x"}, headers=headers)
        assert r.status_code == 400
        r = await client.put(f"{API}/profile", json={"birth_date": "2999-01-01"}, headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "planting.bad_birth_date"
        tally = (await client.get(f"{API}/tally?year=2027", headers=headers)).json()
        assert tally == {
            "year": 2027,
            "trees_planted": 0,
            "trees_in_lieu": 0,
            "trees": 0,
            "duty_trees": 3,
            "done": False,
            "certificate": None,
        }


class TestPages:
    async def test_log_form_with_a_photo_then_the_campaign_page_shows_the_approved_log(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        user, booking = await checked_in(settings, planted)
        user.display_name = "林小满"
        await user.save()
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        campaign_page = await client.get("/campaigns/spring")
        assert (
            f"/planting/bookings/{booking.public_id}/log" in campaign_page.text and "填写植树记录" in campaign_page.text
        )
        form = await client.get(f"/planting/bookings/{booking.public_id}/log")
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        r = await client.post(
            f"/planting/bookings/{booking.public_id}/log",
            data={"_csrf_token": csrf(form.text), "species": "tree.cupressus", "count": "5", "note": "山坡东侧"},
            files={"photo": ("p.jpg", phone_jpeg(4), "image/jpeg")},
        )
        assert r.status_code == 303, r.text
        shown = await client.get(r.headers["location"])
        assert "已提交，等待组织者审核" in shown.text and "待审核" in shown.text and "/evidence/files/" in shown.text
        log = await PlantingLog.get(booking_id=booking.id)
        assert await Photo.filter(subject=f"log:{log.public_id}").count() == 1
        await service.approve(settings, planted.organiser, log.public_id)
        page = await client.get("/campaigns/spring")
        assert "最近通过审核的植树" in page.text and "林** 种下 5 株柏木" in page.text
        assert "植树：5 / 1000" in page.text

    async def test_a_bad_count_in_the_form_says_why_and_writes_nothing(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        user, booking = await checked_in(settings, planted)
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        form = await client.get(f"/planting/bookings/{booking.public_id}/log?lang=en")
        r = await client.post(
            f"/planting/bookings/{booking.public_id}/log?lang=en",
            data={"_csrf_token": csrf(form.text), "species": "tree.cupressus", "count": "abc"},
            files={"photo": ("", b"", "application/octet-stream")},
        )
        assert r.status_code == 400 and "from 1 to 200" in r.text
        assert not await PlantingLog.exists()

    async def test_the_review_page_approves_rejects_and_batches_without_javascript(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        logs = [await submitted(settings, planted, count=n) for n in (1, 2, 3)]
        organiser = planted.organiser.user
        client.cookies.set(SESSION_COOKIE, await cookie_for(organiser))
        campaign_page = await client.get("/campaigns/spring")
        assert "/planting/review?campaign=spring" in campaign_page.text
        page = await client.get("/planting/review")
        assert page.status_code == 200 and page.text.count('class="card review-log"') == 3
        token = csrf(page.text)
        r = await client.post(
            f"/planting/review/{logs[0].public_id}/reject", data={"_csrf_token": token, "reason_zh": "照片模糊"}
        )
        assert r.status_code == 200 and "已驳回" in r.text
        r = await client.post(
            "/planting/review/approve",
            data={"_csrf_token": token, "ids": [logs[0].public_id, logs[1].public_id, logs[2].public_id]},
        )
        assert r.status_code == 200 and "此前已驳回" in r.text and r.text.count("outcome approved") == 2
        assert "没有待审核的记录" in r.text
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 5

    async def test_my_page_shows_the_tally_and_saves_the_profile(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=2)
        await service.approve(settings, planted.organiser, log.public_id)
        client.cookies.set(SESSION_COOKIE, await cookie_for(await log.user))
        page = await client.get("/planting/me")
        assert "已植树 2 株，义务 3 株 · 未完成" in page.text and "/planting/certificates/" in page.text
        r = await client.post(
            "/planting/me/profile", data={"_csrf_token": csrf(page.text), "birth_date": "1990-01-02", "sex": "m"}
        )
        assert r.status_code == 303
        page = await client.get(r.headers["location"])
        assert "已保存" in page.text and 'value="1990-01-02"' in page.text and "义务植树尽责证书" in page.text

    async def test_one_ticked_box_or_none_in_the_batch_form(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=2)
        client.cookies.set(SESSION_COOKIE, await cookie_for(planted.organiser.user))
        token = csrf((await client.get("/planting/review?lang=en")).text)
        r = await client.post("/planting/review/approve?lang=en", data={"_csrf_token": token})
        assert r.status_code == 400 and "Choose at least one planting log" in r.text
        r = await client.post("/planting/review/approve", data={"_csrf_token": token, "ids": log.public_id})
        assert r.status_code == 200 and r.text.count("outcome approved") == 1
        assert (await PlantingLog.get(id=log.id)).status == "approved"


class TestChangingALog:
    """PATCH while submitted, POST …/resubmit after a rejection, Idempotency-Key, refusals in both languages."""

    async def _log(self, client, settings, planted):  # type: ignore[no-untyped-def]
        _, booking, headers = await citizen(settings, planted)
        r = await client.post(
            f"{API}/bookings/{booking.public_id}/log", json={"species": "tree.cupressus", "count": 3}, headers=headers
        )
        return r.json()["id"], headers

    async def test_patch_edits_a_waiting_log_and_a_replayed_key_edits_once(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log, headers = await self._log(client, settings, planted)
        keyed = {**headers, "Idempotency-Key": "edit-1"}
        r = await client.patch(f"{API}/logs/{log}", json={"count": 5, "revision": 1}, headers=keyed)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["count"] == 5 and body["revision"] == 2 and body["editable"] and not body["resubmittable"]
        again = await client.patch(f"{API}/logs/{log}", json={"count": 5, "revision": 1}, headers=keyed)
        assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true" and again.json() == body
        other = await client.patch(f"{API}/logs/{log}", json={"count": 6, "revision": 2}, headers=keyed)
        assert other.status_code == 409 and other.json()["code"] == "idempotency.key_reused"
        assert (await PlantingLog.get(public_id=log)).revision == 2
        stale = await client.patch(f"{API}/logs/{log}?lang=en", json={"count": 6, "revision": 1}, headers=headers)
        assert stale.status_code == 409 and "now revision 2" in stale.json()["message"]
        bad = await client.patch(f"{API}/logs/{log}", json={"count": 0}, headers=headers)
        assert bad.status_code == 400 and bad.json()["code"] == "planting.count_range"
        unknown = await client.patch(f"{API}/logs/{log}", json={"trees": 4}, headers=headers)
        assert unknown.status_code == 400

    async def test_an_approved_log_is_409_in_the_request_language(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log, headers = await self._log(client, settings, planted)
        await service.approve(settings, planted.organiser, log)
        r = await client.patch(f"{API}/logs/{log}", json={"count": 5}, headers=headers)
        assert r.status_code == 409 and r.json()["message"] == "已审核通过的记录不能修改"
        r = await client.post(
            f"{API}/logs/{log}/resubmit", json={"count": 5}, headers={**headers, "Accept-Language": "en"}
        )
        assert r.status_code == 409 and r.json()["message"] == "An approved planting log is final and cannot be changed"
        mine = (await client.get(f"{API}/logs/{log}", headers=headers)).json()
        assert mine["count"] == 3 and not mine["editable"] and not mine["resubmittable"]

    async def test_resubmit_after_a_rejection_puts_it_back_in_the_queue_once(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log, headers = await self._log(client, settings, planted)
        r = await client.post(
            f"{API}/review/{log}/reject",
            json={"reason_zh": "照片模糊", "revision": 1},
            headers=planted.organiser_headers,
        )
        assert r.status_code == 200 and r.json()["status"] == "rejected"
        shown = (await client.get(f"{API}/logs/{log}", headers=headers)).json()
        assert shown["resubmittable"] and shown["resubmissions_left"] == 3 and shown["reject_reason"] == "照片模糊"
        assert (await client.patch(f"{API}/logs/{log}", json={"count": 4}, headers=headers)).status_code == 409
        keyed = {**headers, "Idempotency-Key": "resubmit-1"}
        r = await client.post(f"{API}/logs/{log}/resubmit", json={"count": 4}, headers=keyed)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "submitted" and body["resubmissions"] == 1 and body["resubmissions_left"] == 2
        assert body["reject_reason"] is None and [x["reason"] for x in body["rejections"]] == ["照片模糊"]
        replay = await client.post(f"{API}/logs/{log}/resubmit", json={"count": 4}, headers=keyed)
        assert replay.headers["idempotent-replayed"] == "true" and replay.json() == body
        assert (await PlantingLog.get(public_id=log)).resubmissions == 1
        queue = (await client.get(f"{API}/review", headers=planted.organiser_headers)).json()
        assert [(x["id"], x["resubmissions"], x["revision"]) for x in queue] == [(log, 1, 2)]
        assert [x["reason"] for x in queue[0]["rejections"]] == ["照片模糊"]
        pending = await client.post(f"{API}/logs/{log}/resubmit", json={"count": 4}, headers=headers)
        assert pending.status_code == 409 and pending.json()["code"] == "planting.resubmit_pending"
        stale = await client.post(f"{API}/review/{log}/approve?revision=1", headers=planted.organiser_headers)
        assert stale.status_code == 409 and stale.json()["code"] == "planting.revision_changed_review"
        ok = await client.post(f"{API}/review/{log}/approve?revision=2", headers=planted.organiser_headers)
        assert ok.status_code == 200 and ok.json()["count"] == 4 and ok.json()["points_awarded"] == 40
        batch = await client.post(
            f"{API}/review/approve", json={"ids": [log], "revisions": {log: 2}}, headers=planted.organiser_headers
        )
        assert batch.json()[0]["outcome"] == "already_approved"

    async def test_a_photo_counts_as_a_change_the_reviewer_must_see(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log, headers = await self._log(client, settings, planted)
        r = await client.post(f"{API}/logs/{log}/photos", files={"photo": ("a.jpg", phone_jpeg(1))}, headers=headers)
        assert r.status_code == 201, r.text
        assert (await PlantingLog.get(public_id=log)).revision == 2
        stale = await client.post(f"{API}/review/{log}/approve?revision=1", headers=planted.organiser_headers)
        assert stale.status_code == 409


class TestChangingALogOnThePhone:
    async def test_the_edit_form_while_waiting_then_final_once_approved(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        user, booking = await checked_in(settings, planted)
        log = await service.submit(settings, user, booking.public_id, LogIn(species="tree.cupressus", count=3))
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        url = f"/planting/bookings/{booking.public_id}/log"
        page = await client.get(url)
        assert f'action="/planting/logs/{log.public_id}/edit' in page.text and "保存修改" in page.text
        assert 'name="revision" value="1"' in page.text
        token = csrf(page.text)
        form = {"_csrf_token": token, "species": "bamboo.moso", "count": "6", "note": "东坡", "revision": "1"}
        empty = {"photo": ("", b"", "application/octet-stream")}
        r = await client.post(f"/planting/logs/{log.public_id}/edit", data=form, files=empty)
        assert r.status_code == 303, r.text
        shown = await client.get(r.headers["location"])
        assert "已保存修改" in shown.text and "毛竹" in shown.text and 'value="6"' in shown.text
        await service.approve(settings, planted.organiser, log.public_id)
        final = await client.get(url)
        assert "已审核通过的记录不能修改" in final.text and "/edit" not in final.text
        form["revision"] = "2"
        r = await client.post(f"/planting/logs/{log.public_id}/edit?lang=en", data=form, files=empty)
        assert r.status_code == 409 and "An approved planting log is final" in r.text
        r = await client.post(f"/planting/logs/{log.public_id}/edit", data=form, files=empty)
        assert r.status_code == 409 and "已审核通过的记录不能修改" in r.text

    async def test_correct_and_resubmit_with_a_photo_after_a_rejection(self, client, settings) -> None:
        planted = await planting_campaign(settings)  # the default cap: 3 resubmissions
        user, booking = await checked_in(settings, planted)
        log = await service.submit(settings, user, booking.public_id, LogIn(species="tree.cupressus", count=3))
        await service.reject(planted.organiser, log.public_id, "请补一张现场照片")
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        url = f"/planting/bookings/{booking.public_id}/log"
        page = await client.get(url)
        assert "请补一张现场照片" in page.text and "还可重新提交 3 次" in page.text and "重新提交" in page.text
        form = {"_csrf_token": csrf(page.text), "species": "tree.cupressus", "count": "3", "note": "", "revision": "1"}
        r = await client.post(
            f"/planting/logs/{log.public_id}/edit", data=form, files={"photo": ("p.jpg", phone_jpeg(5), "image/jpeg")}
        )
        assert r.status_code == 303, r.text
        shown = await client.get(r.headers["location"])
        assert "已重新提交" in shown.text and "此前的驳回原因" in shown.text and "请补一张现场照片" in shown.text
        fresh = await PlantingLog.get(id=log.id)
        assert (fresh.status, fresh.resubmissions) == ("submitted", 1)
        assert await Photo.filter(subject=f"log:{log.public_id}").count() == 1
        client.cookies.set(SESSION_COOKIE, await cookie_for(planted.organiser.user))
        review = await client.get("/planting/review")
        assert "第 1 次重新提交" in review.text and "请补一张现场照片" in review.text
        assert f'name="rev-{log.public_id}" value="3"' in review.text  # resubmission, then the photo

    async def test_the_review_page_refuses_a_decision_on_a_copy_the_planter_changed(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=3)
        client.cookies.set(SESSION_COOKIE, await cookie_for(planted.organiser.user))
        review = await client.get("/planting/review")
        token = csrf(review.text)
        await service.edit(settings, await log.user, log.public_id, LogPatch(count=8))
        r = await client.post(f"/planting/review/{log.public_id}/approve", data={"_csrf_token": token, "revision": "1"})
        assert r.status_code == 409 and "植树人在您查看之后修改了这条记录" in r.text
        r = await client.post(
            "/planting/review/approve", data={"_csrf_token": token, "ids": log.public_id, f"rev-{log.public_id}": "1"}
        )
        assert r.status_code == 200 and "植树人已修改" in r.text
        assert (await PlantingLog.get(id=log.id)).status == "submitted"
        r = await client.post(f"/planting/review/{log.public_id}/approve", data={"_csrf_token": token, "revision": "2"})
        assert r.status_code == 200 and (await PlantingLog.get(id=log.id)).status == "approved"
        assert (await Campaign.get(id=planted.campaign.id)).trees_planted == 8
