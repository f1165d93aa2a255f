"""An organiser edits an event (the estimate only while nothing is linked) and exports their events as CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date

import msgspec
import pytest

from app.core.auth import SESSION_COOKIE, Principal, Role
from app.core.errors import AppError, Conflict, Forbidden
from app.events import service as events
from app.footprint.schemas import EventIn
from app.market import service as market
from app.payments.sandbox import SandboxProvider
from models.audit import AuditEvent
from models.events import Event, EventOrder, EventRetirement
from models.market import Order
from tests.conftest import postgres_only
from tests.events.helpers import (
    RAIL_100,
    SMALL,
    SMALL_KG,
    SMALL_OFFSET,
    an_attendee_offset,
    an_event,
    an_organiser,
    event_body,
    on_sale,
)
from tests.events.test_service import _principal
from tests.helpers import signed_in
from tests.market.helpers import a_buyer, listed, pay
from tests.tourism.test_api import cookie_for

BIGGER = {**SMALL, "venue_kwh_per_day": "200"}  # 200 × 0.5306 = 106.12 + 70.92 = 177.04 → 178 kg


def inputs(value: dict) -> EventIn:  # type: ignore[type-arg]
    return msgspec.convert(value, EventIn, strict=False)


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


async def a_paid_trip(settings, provider, buyer) -> tuple[Principal, str]:  # type: ignore[no-untyped-def]
    """A trip the buyer bought and paid elsewhere (not through the event): their principal and its certificate."""
    _, _, listing = await listed(settings, kg=100, price_fen=100, unit_kg=1)
    trip = await market.place_order(settings, buyer, market.OrderAsk(listing.public_id, 9, "trip", "李四"))
    await pay(settings, provider, buyer, trip)
    return await _principal(settings, buyer), (await Order.get(id=trip.id)).certificate_code or ""


class TestEditEvent:
    async def test_names_venue_county_date_and_active_change_and_are_audited(self, db, settings) -> None:
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        change = events.EventChange(
            name_zh=" 成都森林半程马拉松 ", venue_zh="成都市郫都区", county_code="510117", starts_on=date(2027, 5, 1)
        )
        changed = await events.update_event(organiser, event.code, change)
        assert (changed.name_zh, changed.venue_zh, changed.county_code) == (
            "成都森林半程马拉松",
            "成都市郫都区",
            "510117",
        )
        assert changed.starts_on == date(2027, 5, 1) and changed.name_en == "Chengdu Forest Marathon"
        assert changed.estimate_kg == SMALL_KG  # untouched
        audit = await AuditEvent.get(action="events.event.updated", entity_id=event.code)
        assert audit.before == {
            "name_zh": "成都森林马拉松",
            "venue_zh": "成都市温江区",
            "county_code": "510115",
            "starts_on": "2027-04-18",
        }
        assert audit.after["starts_on"] == "2027-05-01" and audit.actor == f"user:{organiser.user.public_id}"
        off = await events.update_event(organiser, event.code, events.EventChange(active=False))
        assert off.active is False
        await on_sale(settings)
        with pytest.raises(Conflict) as refused:
            await events.offset_travel(settings, await a_buyer(), off, events.travel(RAIL_100), "参会者")
        assert refused.value.key == "events.inactive"

    async def test_the_estimate_changes_while_nothing_is_linked_recomputed_and_audited(self, db, settings) -> None:
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        changed = await events.update_event(organiser, event.code, events.EventChange(estimate=inputs(BIGGER)))
        assert (changed.estimate_kg, changed.estimate_offset_kg) == ("177.04", 178)
        assert changed.inputs["venue_kwh_per_day"] == "200" and changed.factor_set_version == "1.0.0"
        audit = await AuditEvent.get(action="events.event.updated", entity_id=event.code)
        assert audit.before["estimate_kg"] == SMALL_KG and audit.after["estimate_offset_kg"] == 178

    async def test_once_an_order_is_placed_the_estimate_is_fixed_but_names_still_change(self, db, settings) -> None:
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        await on_sale(settings)
        await events.offset_travel(settings, await a_buyer(), event, events.travel(RAIL_100), "参会者")  # unpaid
        with pytest.raises(Conflict) as refused:
            await events.update_event(
                organiser, event.code, events.EventChange(name_zh="改名", estimate=inputs(BIGGER))
            )
        assert refused.value.key == "events.estimate_locked" and refused.value.detail == [{"field": "estimate"}]
        kept = await Event.get(id=event.id)
        assert (kept.name_zh, kept.estimate_kg) == ("成都森林马拉松", SMALL_KG)  # nothing of the refused change
        assert not await AuditEvent.filter(action="events.event.updated").exists()
        # the same inputs sent back are no change; a name alone is fine
        same = await events.update_event(
            organiser, event.code, events.EventChange(name_zh="改名", estimate=inputs(SMALL))
        )
        assert (same.name_zh, same.estimate_offset_kg) == ("改名", SMALL_OFFSET)

    async def test_once_a_certificate_bought_elsewhere_is_counted_the_estimate_is_fixed(
        self, db, settings, provider
    ) -> None:
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        buyer = await a_buyer()
        me, certificate = await a_paid_trip(settings, provider, buyer)
        await events.offer_certificate(me, event.code, certificate)
        assert not await EventOrder.filter(event_id=event.id).exists()  # linked by the count alone
        with pytest.raises(Conflict):
            await events.update_event(organiser, event.code, events.EventChange(estimate=inputs(BIGGER)))

    async def test_bad_values_are_refused_naming_the_field_and_nothing_changes(self, db, settings) -> None:
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        for change, key in (
            (events.EventChange(name_zh=" "), "events.bad_name"),
            (events.EventChange(venue_zh="x" * 101), "events.bad_venue"),
            (events.EventChange(starts_on=date(1999, 1, 1)), "events.bad_date"),
            (events.EventChange(estimate=inputs({**SMALL, "days": 31})), None),
        ):
            with pytest.raises(AppError) as refused:
                await events.update_event(organiser, event.code, change)
            assert refused.value.status_code == 400 and (key is None or refused.value.key == key)
        assert (await Event.get(id=event.id)).updated_at == event.updated_at
        assert not await AuditEvent.filter(action="events.event.updated").exists()

    async def test_only_the_events_own_organiser_may_edit(self, db, settings) -> None:
        event = await an_event(settings)
        rival, _ = await an_organiser(settings)
        with pytest.raises(Forbidden) as refused:
            await events.update_event(rival, event.code, events.EventChange(name_zh="抢走"))
        assert refused.value.key == "events.not_your_event"


class TestEditOverHttp:
    async def test_patch_changes_what_may_change_and_says_why_not_in_zh_and_en(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.EVENT_ORGANISER)
        made = (await client.post("/api/v1/events", json=event_body(), headers=headers)).json()
        url = f"/api/v1/events/{made['code']}"
        r = await client.patch(url, json={"name_en": "Chengdu Half Marathon", "active": False}, headers=headers)
        assert r.status_code == 200 and r.json()["name_en"] == "Chengdu Half Marathon" and r.json()["active"] is False
        assert (await client.get(url)).json()["name_en"] == "Chengdu Half Marathon"
        unknown = await client.patch(url, json={"estimate_kg": "1"}, headers=headers)
        assert unknown.status_code == 400
        bad = await client.patch(url, json={"venue_zh": ""}, headers={**headers, "Accept-Language": "en"})
        assert bad.status_code == 400 and bad.json()["code"] == "events.bad_venue"

        await on_sale(settings)
        await client.patch(url, json={"active": True}, headers=headers)
        await events.offset_travel(
            settings, await a_buyer(), await events.event_by_code(made["code"]), events.travel(RAIL_100), "参会者"
        )
        zh = await client.patch(url, json={"estimate": BIGGER}, headers=headers)
        assert zh.status_code == 409 and zh.json()["code"] == "events.estimate_locked"
        assert "估算不能再改" in zh.json()["message"]
        en = await client.patch(url, json={"estimate": BIGGER}, headers={**headers, "Accept-Language": "en"})
        assert en.status_code == 409 and "estimate can no longer change" in en.json()["message"]
        assert (await client.get(url)).json()["estimate_offset_kg"] == SMALL_OFFSET

    async def test_who_may_patch(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.EVENT_ORGANISER)
        made = (await client.post("/api/v1/events", json=event_body(), headers=headers)).json()
        url = f"/api/v1/events/{made['code']}"
        assert (await client.patch(url, json={"name_zh": "x"})).status_code == 401
        _, citizen = await signed_in(settings)
        assert (await client.patch(url, json={"name_zh": "x"}, headers=citizen)).status_code == 403
        _, rival = await signed_in(settings, Role.EVENT_ORGANISER)
        refused = await client.patch(url, json={"name_zh": "x"}, headers=rival)
        assert refused.status_code == 403 and refused.json()["code"] == "events.not_your_event"
        assert (await client.get(url)).json()["name_zh"] == "成都森林马拉松"


class TestEditRacesALink:
    """An estimate edit and a first link at the same moment: whichever takes the event row first wins, and an
    edit never goes through after something got linked (PostgreSQL: SQLite runs one writer at a time)."""

    @postgres_only
    @pytest.mark.parametrize("path", ["attendee_order", "certificate_counted"])
    async def test_an_edit_waits_for_a_link_in_flight_and_is_then_refused(
        self, db, settings, provider, monkeypatch, path
    ) -> None:
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        await on_sale(settings)
        buyer = await a_buyer()
        if path == "certificate_counted":
            me, certificate = await a_paid_trip(settings, provider, buyer)
        # The link's own audit record is its last statement: hold its transaction open there, the row written.
        in_flight, release, real_record = asyncio.Event(), asyncio.Event(), events.record

        async def held_record(**kwargs):  # type: ignore[no-untyped-def]
            await real_record(**kwargs)
            if kwargs["action"] in ("events.order.linked", "events.retirement.counted"):
                in_flight.set()
                await release.wait()

        monkeypatch.setattr(events, "record", held_record)
        if path == "attendee_order":
            link = asyncio.create_task(events.offset_travel(settings, buyer, event, events.travel(RAIL_100), "参会者"))
        else:
            link = asyncio.create_task(events.offer_certificate(me, event.code, certificate))
        try:
            await asyncio.wait_for(in_flight.wait(), 30)
            edit = asyncio.create_task(
                events.update_event(organiser, event.code, events.EventChange(estimate=inputs(BIGGER)))
            )
            await asyncio.sleep(0.5)
            assert not edit.done()  # waiting for the link's transaction
        finally:
            release.set()
            await link
        with pytest.raises(Conflict) as refused:
            await edit
        assert refused.value.key == "events.estimate_locked"
        kept = await Event.get(id=event.id)
        assert (kept.estimate_kg, kept.estimate_offset_kg) == (SMALL_KG, SMALL_OFFSET)
        assert not await AuditEvent.filter(action="events.event.updated").exists()

    @postgres_only
    @pytest.mark.parametrize("path", ["attendee_order", "certificate_counted"])
    async def test_a_link_waits_for_a_deactivation_in_flight_and_is_then_refused(
        self, db, settings, provider, monkeypatch, path
    ) -> None:
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        await on_sale(settings)
        buyer = await a_buyer()
        if path == "certificate_counted":
            me, certificate = await a_paid_trip(settings, provider, buyer)
        orders_before = await Order.all().count()
        in_flight, release, real_record = asyncio.Event(), asyncio.Event(), events.record

        async def held_record(**kwargs):  # type: ignore[no-untyped-def]
            await real_record(**kwargs)
            if kwargs["action"] == "events.event.updated":
                in_flight.set()
                await release.wait()

        monkeypatch.setattr(events, "record", held_record)
        edit = asyncio.create_task(events.update_event(organiser, event.code, events.EventChange(active=False)))
        try:
            await asyncio.wait_for(in_flight.wait(), 30)
            if path == "attendee_order":  # the event read before the edit commits: still active
                link = asyncio.create_task(
                    events.offset_travel(settings, buyer, event, events.travel(RAIL_100), "参会者")
                )
            else:
                link = asyncio.create_task(events.offer_certificate(me, event.code, certificate))
            await asyncio.sleep(0.5)
            assert not link.done()  # waiting for the edit's transaction
        finally:
            release.set()
            await edit
        with pytest.raises(Conflict) as refused:
            await link
        assert refused.value.key == "events.inactive"
        assert not await EventOrder.filter(event_id=event.id).exists()
        assert not await EventRetirement.filter(event_id=event.id).exists()
        assert await Order.all().count() == orders_before


class TestEditForm:
    """The organiser page's edit form (no JavaScript): the event fields always, the estimate while unlocked."""

    async def _organiser(self, client, settings):  # type: ignore[no-untyped-def]
        organiser, _ = await an_organiser(settings)
        cookie = await cookie_for(organiser.user)
        csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
        return organiser, {"Cookie": f"{SESSION_COOKIE}={cookie}; csrftoken={csrf}", "x-csrftoken": csrf}

    @staticmethod
    def _form(page: str) -> dict[str, str]:
        """The edit form's fields as the page fills them (what a browser sends back unchanged)."""
        import re

        form = page[page.index('class="stack edit"') : page.index("</form>", page.index('class="stack edit"'))]
        values = dict(re.findall(r'<input name="([^"]+)"[^>]*?value="([^"]*)"', form))
        values.update(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        values.update(re.findall(r'<select name="([^"]+)">.*?<option value="([^"]+)" selected', form, re.S))
        values.update({n: "1" for n in re.findall(r'<input type="checkbox" name="([^"]+)" value="1" checked', form)})
        values.pop("_csrf_token", None)
        return values

    async def test_the_form_is_filled_and_saves_names_date_active_and_the_estimate(self, client, settings) -> None:
        organiser, headers = await self._organiser(client, settings)
        event = await an_event(settings, organiser)
        page = await client.get(f"/events/organiser?edit={event.code}", headers=headers)
        assert page.status_code == 200 and f"修改活动 {event.code}" in page.text
        assert 'name="_csrf_token"' in page.text.split('class="stack edit"')[1]
        form = self._form(page.text)
        assert form["name_zh"] == "成都森林马拉松" and form["venue_kwh_per_day"] == "100" and form["g1_mode"] == "rail"
        assert form["active"] == "1" and form["estimate"] == "1" and form["g1_km"] == "100"
        # sent back unchanged but the name: only the name changes (the estimate's inputs round-trip)
        saved = await client.post(f"/events/organiser/{event.code}", data={**form, "name_zh": "半马"}, headers=headers)
        assert saved.status_code == 303 and saved.headers["location"].endswith(f"saved={event.code}")
        audit = await AuditEvent.get(action="events.event.updated", entity_id=event.code)
        assert set(audit.after) == {"name_zh"}
        assert f"活动 {event.code} 已保存" in (await client.get(saved.headers["location"], headers=headers)).text
        # the estimate, the date and active (a checkbox left unticked is "no")
        del form["active"]
        form.update(name_zh="半马", venue_kwh_per_day="200", starts_on="2027-05-01")
        assert (await client.post(f"/events/organiser/{event.code}", data=form, headers=headers)).status_code == 303
        kept = await Event.get(id=event.id)
        assert (kept.estimate_offset_kg, kept.starts_on, kept.active) == (178, date(2027, 5, 1), False)
        assert "已停止接受抵消" in (await client.get("/events/organiser", headers=headers)).text

    async def test_once_linked_the_form_leaves_the_estimate_out_and_says_why(self, client, settings) -> None:
        organiser, headers = await self._organiser(client, settings)
        event = await an_event(settings, organiser)
        await on_sale(settings)
        await events.offset_travel(settings, await a_buyer(), event, events.travel(RAIL_100), "参会者")
        zh = await client.get(f"/events/organiser?edit={event.code}", headers=headers)
        assert "碳排放估算已固定（124 千克）" in zh.text and 'name="venue_kwh_per_day"' not in zh.text
        en = await client.get(f"/events/organiser?edit={event.code}&lang=en", headers=headers)
        assert "The estimate is fixed (124 kg)" in en.text
        form = self._form(zh.text)
        assert "estimate" not in form
        saved = await client.post(f"/events/organiser/{event.code}", data={**form, "name_zh": "改名"}, headers=headers)
        assert saved.status_code == 303 and (await Event.get(id=event.id)).name_zh == "改名"

    async def test_the_estimate_locked_meanwhile_or_a_bad_field_is_said_beside_the_form(self, client, settings) -> None:
        organiser, headers = await self._organiser(client, settings)
        event = await an_event(settings, organiser)
        form = self._form((await client.get(f"/events/organiser?edit={event.code}", headers=headers)).text)
        for change, words, en_words in (
            ({"venue_zh": ""}, "地点", "venue"),
            ({"starts_on": "someday"}, "日期", "date"),
            ({"attendees": "-3"}, "attendees", "attendees"),
        ):
            zh = await client.post(f"/events/organiser/{event.code}", data={**form, **change}, headers=headers)
            assert zh.status_code == 400 and 'role="alert"' in zh.text and words in zh.text, change
            assert 'class="stack edit"' in zh.text and 'aria-invalid="true"' in zh.text, change
            en = await client.post(f"/events/organiser/{event.code}?lang=en", data={**form, **change}, headers=headers)
            assert en.status_code == 400 and en_words in en.text.lower(), change
        assert (await Event.get(id=event.id)).updated_at == event.updated_at
        # an order placed while the form was open: the estimate is refused, the form comes back without it
        await on_sale(settings)
        await events.offset_travel(settings, await a_buyer(), event, events.travel(RAIL_100), "参会者")
        late = await client.post(
            f"/events/organiser/{event.code}", data={**form, "venue_kwh_per_day": "200"}, headers=headers
        )
        assert late.status_code == 409 and "估算不能再改" in late.text and "碳排放估算已固定" in late.text
        assert 'name="venue_kwh_per_day"' not in late.text
        assert (await Event.get(id=event.id)).estimate_offset_kg == SMALL_OFFSET

    async def test_only_the_events_own_organiser_sees_or_posts_the_form(self, client, settings) -> None:
        event = await an_event(settings)
        _, rival = await self._organiser(client, settings)
        assert (await client.get(f"/events/organiser?edit={event.code}", headers=rival)).status_code == 403
        refused = await client.post(f"/events/organiser/{event.code}", data={"name_zh": "抢走"}, headers=rival)
        assert refused.status_code == 403 and (await Event.get(id=event.id)).name_zh == "成都森林马拉松"


def _rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


class TestExport:
    async def test_the_organisers_events_as_csv_with_a_bom_audited(self, client, settings, provider) -> None:
        user, headers = await signed_in(settings, Role.EVENT_ORGANISER)
        made = (await client.post("/api/v1/events", json=event_body(name_zh="=危险名称"), headers=headers)).json()
        await on_sale(settings)
        order = await an_attendee_offset(settings, provider, await events.event_by_code(made["code"]))
        _, rival = await signed_in(settings, Role.EVENT_ORGANISER)
        await client.post("/api/v1/events", json=event_body(name_zh="别家的活动"), headers=rival)

        r = await client.get("/api/v1/events/export.csv", headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = _rows(r.content)
        assert rows[0] == list(events.EXPORT_COLUMNS)
        assert len(rows) == 2  # the rival's event is not in it
        line = dict(zip(rows[0], rows[1], strict=True))
        assert line["code"] == made["code"] and line["name_zh"] == "'=危险名称"  # not a formula in Excel
        assert (line["estimate_kg"], line["estimate_offset_kg"]) == (SMALL_KG, str(SMALL_OFFSET))
        assert (line["retired_kg"], line["attendee_kg"], line["organiser_kg"]) == (str(order.kg), str(order.kg), "0")
        assert line["remaining_kg"] == str(SMALL_OFFSET - order.kg) and line["neutral"] == "no"
        audit = await AuditEvent.get(action="events.exported")
        assert audit.actor == f"user:{user.public_id}" and audit.after["rows"] == 1

        page = await client.get(
            "/events/organiser/events.csv", headers={"Cookie": f"{SESSION_COOKIE}={await cookie_for(user)}"}
        )
        assert page.status_code == 200 and _rows(page.content) == rows
        assert await AuditEvent.filter(action="events.exported").count() == 2

    async def test_only_event_organisers_export(self, client, settings) -> None:
        assert (await client.get("/api/v1/events/export.csv")).status_code == 401
        _, citizen = await signed_in(settings)
        assert (await client.get("/api/v1/events/export.csv", headers=citizen)).status_code == 403
        _, operator = await signed_in(settings, Role.SCENIC_OPERATOR)
        assert (await client.get("/api/v1/events/export.csv", headers=operator)).status_code == 403
        assert not await AuditEvent.filter(action="events.exported").exists()
