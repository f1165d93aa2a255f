"""大型活动碳中和 over HTTP: organisers' API, the attendee's QR-to-count flow, the remainder, the public page,
bad input named in zh/en, role separation."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from PIL import Image

from app.core.auth import SESSION_COOKIE, Role
from tests.certificates.test_api import decoded_with_zbar
from tests.events.helpers import RAIL_100_KG, SMALL, SMALL_KG, SMALL_OFFSET, event_body, on_sale
from tests.helpers import signed_in
from tests.tourism.test_api import cookie_for, pay_through_sandbox


async def a_registered_event(client, settings) -> tuple[dict, dict]:  # type: ignore[type-arg, no-untyped-def]
    _, headers = await signed_in(settings, Role.EVENT_ORGANISER)
    made = await client.post("/api/v1/events", json=event_body(), headers=headers)
    assert made.status_code == 201, made.text
    return made.json(), headers


async def attend(client: httpx.AsyncClient, settings, event: dict) -> tuple[str, dict]:  # type: ignore[type-arg, no-untyped-def]
    """An attendee scans the poster, enters a 100 km rail trip, orders on the page and pays: (certificate, order)."""
    user, api = await signed_in(settings)
    cookie = await cookie_for(user)
    page = await client.get(f"/events/{event['code']}/attend")
    assert page.status_code == 200 and 'name="event" value="' + event["code"] + '"' in page.text
    result = await client.get(
        "/footprint/trip/result",
        params={
            "event": event["code"],
            "mode": "rail",
            "distance_km": "100",
            "people": "1",
            "return_trip": "on",
            "radiative_forcing": "on",
            "submitted": "1",
        },
    )
    buy = re.search(r'class="button buy" href="([^"]*)"', result.text)
    assert buy and buy.group(1).startswith(f"/events/{event['code']}/offset?"), result.text
    offset_url = buy.group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(offset_url).query)["distance_km"] == ["100"]
    csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}; csrftoken={csrf}", "x-csrftoken": csrf}
    offer = await client.get(offset_url, headers=headers)
    assert offer.status_code == 200 and "100 千米，1 人，往返" in offer.text
    ordered = await client.post(
        offset_url, data={"beneficiary": "参会者李四", "beneficiary_shown": "masked"}, headers=headers
    )
    assert ordered.status_code == 303, ordered.text
    order_id = ordered.headers["location"].split("/market/orders/")[1].split("?")[0]
    done = await pay_through_sandbox(client, order_id, api)
    assert done["status"] == "fulfilled" and done["purpose"] == "event" and done["kg"] == RAIL_100_KG
    return done["certificate_code"], api


class TestOrganiserApi:
    async def test_registers_an_event_with_its_estimate_and_public_urls(self, client, settings) -> None:
        event, headers = await a_registered_event(client, settings)
        assert (event["estimate_kg"], event["estimate_offset_kg"]) == (SMALL_KG, SMALL_OFFSET)
        assert event["retired_kg"] == 0 and event["remaining_kg"] == SMALL_OFFSET and not event["neutral"]
        assert event["attendee_url"] == f"{settings.base_url}/events/{event['code']}/attend"
        assert [line["factor"]["key"] for line in event["estimate"]["lines"]] == [
            "factor.grid_cn_national",
            "factor.rail",
        ]
        mine = (await client.get("/api/v1/events", headers=headers)).json()
        assert [e["code"] for e in mine] == [event["code"]]
        public = await client.get(f"/api/v1/events/{event['code'].lower()}")
        assert public.status_code == 200 and public.json()["name_zh"] == "成都森林马拉松"

    async def test_negative_or_huge_inputs_are_4xx_naming_the_field_in_zh_and_en(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.EVENT_ORGANISER)
        negative = event_body(estimate={**SMALL, "venue_kwh_per_day": "-1"})
        zh = await client.post("/api/v1/events", json=negative, headers=headers)
        assert zh.status_code == 400 and zh.json()["detail"]["field"] == "estimate.venue_kwh_per_day"
        en = await client.post("/api/v1/events", json=negative, headers={**headers, "Accept-Language": "en"})
        assert en.status_code == 400 and "venue_kwh_per_day" in en.json()["message"]
        huge = event_body(estimate={**SMALL, "attendees": 10**9})
        refused = await client.post("/api/v1/events", json=huge, headers=headers)
        assert refused.status_code == 400 and "attendees" in refused.text
        no_people = event_body(estimate={**SMALL, "attendees": -3})
        refused = await client.post("/api/v1/events", json=no_people, headers=headers)
        assert refused.status_code == 400 and "attendees" in refused.text
        too_many = event_body(estimate={**SMALL, "attendees": 100_001})
        limit = await client.post("/api/v1/events", json=too_many, headers={**headers, "Accept-Language": "en"})
        assert limit.status_code == 400 and limit.json()["detail"]["field"] == "estimate.attendees"
        assert "100000" in limit.json()["message"]
        assert (await client.get("/api/v1/events", headers=headers)).json() == []

    async def test_role_separation(self, client, settings) -> None:
        event, _ = await a_registered_event(client, settings)
        for role in (Role.SCENIC_OPERATOR, Role.COURT, Role.ORGANISER):
            _, other = await signed_in(settings, role)
            assert (await client.post("/api/v1/events", json=event_body(), headers=other)).status_code == 403
            remainder = await client.post(f"/api/v1/events/{event['code']}/remainder", json={}, headers=other)
            assert remainder.status_code == 403
        _, rival = await signed_in(settings, Role.EVENT_ORGANISER)
        refused = await client.post(f"/api/v1/events/{event['code']}/remainder", json={}, headers=rival)
        assert refused.status_code == 403 and refused.json()["code"] == "events.not_your_event"
        _, organiser = await signed_in(settings, Role.EVENT_ORGANISER)
        assert (await client.get("/api/v1/tourism/dashboard", headers=organiser)).status_code == 403


class TestUnknownCode:
    async def test_an_unknown_event_code_is_a_404_with_a_clear_message_in_zh_and_en(self, client) -> None:
        zh = await client.get("/api/v1/events/ZZZZ9999")
        assert zh.status_code == 404 and zh.json()["code"] == "events.event_not_found"
        assert zh.json()["message"] == "找不到活动编码 ZZZZ9999：请核对二维码或链接"
        en = await client.get("/api/v1/events/ZZZZ9999", headers={"Accept-Language": "en"})
        assert en.json()["message"] == "No event has the code ZZZZ9999: check the QR code or link"
        for path in ("/events/ZZZZ9999", "/events/ZZZZ9999/attend", "/events/ZZZZ9999/offset?mode=rail&distance_km=1"):
            page = await client.get(path, headers={"Accept": "text/html"})
            assert page.status_code == 404 and "找不到活动编码 ZZZZ9999" in page.text, path


class TestAttendeeAndOrganiserFlow:
    async def test_attendee_then_organiser_make_the_event_neutral_and_the_page_says_so(self, client, settings) -> None:
        await on_sale(settings)
        event, organiser = await a_registered_event(client, settings)
        certificate, attendee = await attend(client, settings, event)
        after = (await client.get(f"/api/v1/events/{event['code']}")).json()
        assert (after["attendee_kg"], after["organiser_kg"], after["retired_kg"]) == (RAIL_100_KG, 0, RAIL_100_KG)
        assert after["certificates"] == [{"certificate": certificate, "source": "attendee", "kg": RAIL_100_KG}]
        # The same certificate offered again (API): refused, counted once.
        again = await client.post(
            f"/api/v1/events/{event['code']}/retirements", json={"certificate": certificate}, headers=attendee
        )
        assert again.status_code == 409 and again.json()["code"] == "events.already_counted"
        cert_page = await client.get(f"/certificates/{certificate}")
        assert f"成都森林马拉松 · {event['code']}" in cert_page.text and "参会者出行抵消" in cert_page.text

        bought = await client.post(f"/api/v1/events/{event['code']}/remainder", json={}, headers=organiser)
        assert bought.status_code == 201, bought.text
        assert bought.json()["kg"] == SMALL_OFFSET - RAIL_100_KG
        done = await pay_through_sandbox(client, bought.json()["order"], organiser)
        assert done["status"] == "fulfilled"
        final = (await client.get(f"/api/v1/events/{event['code']}")).json()
        assert (final["organiser_kg"], final["attendee_kg"], final["retired_kg"]) == (116, RAIL_100_KG, SMALL_OFFSET)
        assert final["neutral"] and final["remaining_kg"] == 0
        page = await client.get(f"/events/{event['code']}")
        assert page.status_code == 200 and "已实现碳中和" in page.text and certificate in page.text
        nothing = await client.post(f"/api/v1/events/{event['code']}/remainder", json={}, headers=organiser)
        assert nothing.status_code == 409 and nothing.json()["code"] == "events.nothing_left"

    async def test_the_public_page_says_not_yet_neutral_until_the_estimate_is_reached(self, client, settings) -> None:
        event, _ = await a_registered_event(client, settings)
        page = await client.get(f"/events/{event['code']}?lang=en")
        assert page.status_code == 200 and "Not yet neutral: 124" in page.text
        assert "Meals and materials are not included" in page.text


class TestPoster:
    async def test_the_poster_is_a_png_whose_qr_opens_the_attendee_page(self, client, settings, tmp_path) -> None:
        event, _ = await a_registered_event(client, settings)
        r = await client.get(f"/events/{event['code']}/poster.png")
        if r.status_code == 503:  # no CJK fonts on this machine
            return
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert (r.headers["cache-control"], r.headers["vary"]) == ("public, max-age=300", "Accept-Language, Cookie")
        assert Image.open(io.BytesIO(r.content)).size == (1080, 1440)
        decoded = decoded_with_zbar(r.content, tmp_path)
        if decoded is not None:
            assert decoded == f"{settings.base_url}/events/{event['code']}/attend"


class TestOrganiserPage:
    async def _as_organiser(self, client, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
        user, _ = await signed_in(settings, Role.EVENT_ORGANISER)
        cookie = await cookie_for(user)
        csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
        return {"Cookie": f"{SESSION_COOKIE}={cookie}; csrftoken={csrf}", "x-csrftoken": csrf}

    FORM = {
        "submitted": "1",
        "name_zh": "成都森林马拉松",
        "venue_zh": "成都市温江区",
        "county_code": "510115",
        "starts_on": "2027-04-18",
        "attendees": "10",
        "days": "1",
        "venue_kwh_per_day": "100",
        "g1_mode": "rail",
        "g1_count": "10",
        "g1_km": "100",
        "radiative_forcing": "1",
    }

    async def test_the_form_registers_an_event_and_lists_it(self, client, settings) -> None:
        headers = await self._as_organiser(client, settings)
        empty = await client.get("/events/organiser", headers=headers)
        assert empty.status_code == 200 and "还没有活动" in empty.text
        made = await client.post("/events/organiser", data=self.FORM, headers=headers)
        assert made.status_code == 303, made.text
        code = made.headers["location"].split("/events/")[1].split("?")[0]
        event = (await client.get(f"/api/v1/events/{code}")).json()
        assert (event["estimate_kg"], event["estimate_offset_kg"]) == (SMALL_KG, SMALL_OFFSET)
        listed_page = await client.get("/events/organiser", headers=headers)
        assert code in listed_page.text and "尚未碳中和：还差 124 千克" in listed_page.text

    async def test_a_negative_or_huge_field_is_said_and_marked_and_nothing_is_written(self, client, settings) -> None:
        headers = await self._as_organiser(client, settings)
        for change, words in (
            ({"venue_kwh_per_day": "-5"}, "venue_kwh_per_day"),
            ({"attendees": "100001"}, "100000"),
            ({"g1_km": "20001"}, "20000"),
            ({"starts_on": "someday"}, "开始日期"),
        ):
            refused = await client.post("/events/organiser", data={**self.FORM, **change}, headers=headers)
            assert refused.status_code == 400, (change, refused.status_code)
            assert words in refused.text and 'role="alert"' in refused.text, change
        assert (await client.get("/events/organiser", headers=headers)).text.count('class="my-event"') == 0
