"""The campaign API and pages: public list and page from counters, booking and check-in over HTTP,
the organiser's upsert and check-in QR limited to organisers of the campaign's organisation."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from app.accounts import service as accounts
from app.campaigns import checkin
from app.core.auth import SESSION_COOKIE, Role, hash_secret
from models.accounts import AuthSession
from models.campaigns import Campaign, Site, Slot
from tests.campaigns.builders import HOME, campaign_dict, foundation, make_campaign
from tests.helpers import signed_in


async def cookie_for(user) -> str:  # type: ignore[no-untyped-def]
    cookie = secrets.token_urlsafe(32)
    await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="cookie",
        secret_hash=hash_secret(cookie),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return cookie


class TestPublic:
    async def test_list_and_campaign_json_show_progress_from_the_counters(self, client) -> None:
        campaign, _, _ = await make_campaign()
        await Campaign.filter(id=campaign.id).update(trees_planted=250, bookings_count=7)
        listed = (await client.get("/api/v1/campaigns")).json()
        assert [c["slug"] for c in listed] == ["spring"]
        one = (await client.get("/api/v1/campaigns/spring", headers={"Accept-Language": "en"})).json()
        assert one["title"] == "Spring planting" and one["bookings"] == 7
        assert {"goal": "trees", "target": 1000, "reached": 250, "percent": 25} in one["progress"]
        assert one["species"][0]["key"] == "tree.cupressus" and one["species"][0]["name"] != "tree.cupressus"
        hill = one["sites"][0]
        assert hill["county_name"] == "四川省成都市龙泉驿区" and hill["slots"][0]["places_left"] == 20
        assert (await client.get("/api/v1/campaigns/nothing")).status_code == 404

    async def test_the_pages_work_in_chinese_and_english_without_javascript(self, client) -> None:
        await make_campaign()
        listing = await client.get("/campaigns")
        assert listing.status_code == 200 and "植树活动" in listing.text and "春季义务植树" in listing.text
        zh = await client.get("/campaigns/spring")
        assert "山泉植树点" in zh.text and "剩余 20 / 20" in zh.text and "<svg" in zh.text
        assert "登录后预约" in zh.text
        # One deferred progressive-enhancement script (live progress) and no inline script: the page is whole without it.
        assert zh.text.count("<script") == 1 and '<script src="/static/js/campaign-live.js" defer></script>' in zh.text
        assert "植树：0 / 1000（0%）" in zh.text and "<progress" in zh.text
        en = await client.get("/campaigns/spring?lang=en")
        assert "Hill site" in en.text and "20 of 20 left" in en.text and "Sign in to book" in en.text


class TestBookingOverHttp:
    async def test_book_check_in_and_see_it_in_my_bookings(self, client, settings) -> None:
        _, slot, _ = await make_campaign()
        _, bearer = await signed_in(settings)
        booked = await client.post(f"/api/v1/campaigns/slots/{slot.id}/bookings", headers=bearer)
        assert booked.status_code == 201, booked.text
        booking = booked.json()["id"]
        assert (await client.post(f"/api/v1/campaigns/slots/{slot.id}/bookings", headers=bearer)).status_code == 409
        site = await Site.get(id=slot.site_id)  # type: ignore[attr-defined]
        token = checkin.current_token(settings, site).token
        body = {"token": token, "lon": HOME[0], "lat": HOME[1], "coordinate_system": "wgs84"}
        done = await client.post(f"/api/v1/campaigns/bookings/{booking}/check-in", json=body, headers=bearer)
        assert done.status_code == 200, done.text
        again = await client.post(
            f"/api/v1/campaigns/bookings/{booking}/check-in", json=body, headers={**bearer, "Accept-Language": "en"}
        )
        assert again.status_code == 409 and "cannot check in twice" in again.json()["message"]
        mine = (await client.get("/api/v1/campaigns/bookings", headers=bearer)).json()
        assert [(b["id"], b["status"]) for b in mine] == [(booking, "checked_in")]

    async def test_too_far_is_a_400_naming_the_distance_and_the_radius(self, client, settings) -> None:
        _, slot, _ = await make_campaign()
        _, bearer = await signed_in(settings)
        booking = (await client.post(f"/api/v1/campaigns/slots/{slot.id}/bookings", headers=bearer)).json()["id"]
        site = await Site.get(id=slot.site_id)  # type: ignore[attr-defined]
        body = {"token": checkin.current_token(settings, site).token, "lon": HOME[0] + 0.0125, "lat": HOME[1]}
        r = await client.post(f"/api/v1/campaigns/bookings/{booking}/check-in", json=body, headers=bearer)
        assert r.status_code == 400 and r.json()["message"] == "距离签到点 1.2 公里，超出 300 米范围"
        assert r.json()["detail"]["radius_m"] == 300

    async def test_the_page_form_books_and_cancels(self, client, settings) -> None:
        _, slot, _ = await make_campaign()
        user, _ = await signed_in(settings)
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        page = await client.get("/campaigns/spring")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = await client.post("/campaigns/spring/book", data={"_csrf_token": token, "slot": str(slot.id)})
        assert r.status_code == 303 and "done=booked" in r.headers["location"]
        page = await client.get(r.headers["location"])
        assert "预约成功" in page.text and "我的预约" in page.text and "剩余 19 / 20" in page.text
        public_id = re.search(r'name="booking" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = await client.post("/campaigns/spring/cancel", data={"_csrf_token": token, "booking": public_id})
        assert r.status_code == 303
        assert (await Slot.get(id=slot.id)).booked == 0
        full = await client.post("/campaigns/spring/book", data={"_csrf_token": token, "slot": "999999"})
        assert full.status_code == 404 and "没有这个时段" in full.text


class TestOrganiser:
    async def test_an_organiser_of_the_organisation_upserts_and_others_may_not(self, client, settings) -> None:
        org = await foundation()
        _, mine = await signed_in(settings, Role.ORGANISER, org=org)
        _, theirs = await signed_in(settings, Role.ORGANISER)
        raw = campaign_dict(org.public_id)
        created = await client.put("/api/v1/campaigns/spring", json=raw, headers=mine)
        assert created.status_code == 200, created.text
        assert created.json()["sites"][0]["slots"][0]["capacity"] == 20
        refused = await client.put("/api/v1/campaigns/spring", json=raw, headers=theirs)
        assert refused.status_code == 403
        raw["sites"][0]["slots"][0]["capacity"] = 0
        raw["species"] = ["tree.baobab"]
        bad = await client.put("/api/v1/campaigns/spring", json=raw, headers=mine)
        assert bad.status_code == 400
        assert {d["field"] for d in bad.json()["detail"]} == {"species[0]", "sites[0].slots[0].capacity"}
        other_slug = await client.put("/api/v1/campaigns/autumn", json=campaign_dict(org.public_id), headers=mine)
        assert other_slug.status_code == 400

    async def test_the_check_in_qr_is_for_organisers_of_the_campaign(self, client, settings) -> None:
        org = await foundation()
        await make_campaign(org)
        _, mine = await signed_in(settings, Role.ORGANISER, org=org)
        _, theirs = await signed_in(settings, Role.ORGANISER)
        token = await client.get("/api/v1/campaigns/spring/sites/hill/check-in-token", headers=mine)
        assert token.status_code == 200 and token.json()["token"].startswith("MSCK1.")
        assert 1 <= token.json()["refresh_in_s"] <= 60
        assert (
            await client.get("/api/v1/campaigns/spring/sites/hill/check-in-token", headers=theirs)
        ).status_code == 403
        user = (await accounts.find_or_create_by_phone(settings, "13900009999"))[0]
        await accounts.grant_role(user, Role.ORGANISER.value, org, actor="test")
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        qr_page = await client.get("/campaigns/spring/sites/hill/check-in")
        assert qr_page.status_code == 200 and "<svg" in qr_page.text and "签到二维码" in qr_page.text
        assert int(qr_page.headers["refresh"]) <= 60 and qr_page.headers["cache-control"] == "no-store"
