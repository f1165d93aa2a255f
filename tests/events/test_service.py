"""大型活动碳中和 rules without HTTP: the estimate from sourced factors, attendees' and the organiser's
offsets linked to the event, totals that count each retired block once, role separation."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError

from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import t
from app.events import service as events
from app.payments.sandbox import SandboxProvider
from models.audit import AuditEvent
from models.credits import Retirement
from models.events import Event, EventOrder, EventRetirement
from models.market import Order
from models.money import OrgOrder
from tests.conftest import postgres_only
from tests.credits.helpers import principal_of
from tests.events.helpers import (
    RAIL_100,
    RAIL_100_KG,
    SMALL_KG,
    SMALL_OFFSET,
    an_attendee_offset,
    an_event,
    an_organiser,
    event_ask,
    on_sale,
)
from tests.market.helpers import a_buyer, pay


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


class TestEstimate:
    async def test_the_estimate_is_the_footprint_calculators_sum_of_sourced_factors_exactly(self, db, settings) -> None:
        event = await an_event(settings)
        assert (event.estimate_kg, event.estimate_offset_kg) == (SMALL_KG, SMALL_OFFSET)
        lines = {line.item: (line.quantity, line.factor.key, line.kg) for line in events.estimate(event, "zh").lines}
        assert lines == {
            "venue_electricity": ("100", "factor.grid_cn_national", "53.06"),
            "rail": ("2000", "factor.rail", "70.92"),
        }
        assert event.factor_set_version == "1.0.0" and len(event.factor_set_sha256) == 64

    async def test_the_worked_example_e1_of_the_footprint_docs_gives_31387_kg(self, db, settings) -> None:
        e1 = {
            "attendees": 200,
            "days": 2,
            "venue_kwh_per_day": "3000",
            "hotel_room_nights": 150,
            "travel": [
                {"mode": "air", "count": 50, "distance_km": "1500"},
                {"mode": "coach", "count": 150, "distance_km": "120"},
            ],
        }
        event = await an_event(settings, estimate=e1)
        assert (event.estimate_kg, event.estimate_offset_kg) == ("31386.96", 31387)
        kg = {line.item: line.kg for line in events.estimate(event, "en").lines}
        assert kg == {"venue_electricity": "3183.6", "hotel": "8025", "air": "19179", "coach": "999.36"}

    async def test_registering_is_audited_with_the_inputs_and_the_factor_set(self, db, settings) -> None:
        event = await an_event(settings)
        audit = await AuditEvent.get(action="events.event.registered", entity_id=event.code)
        assert audit.after["estimate_kg"] == SMALL_KG and audit.after["factor_set"].startswith("1.0.0 ")
        assert audit.after["inputs"]["attendees"] == 10

    @pytest.mark.parametrize(
        ("change", "key", "field"),
        [
            ({"venue_kwh_per_day": "-5"}, "footprint.non_negative_number", "estimate.venue_kwh_per_day"),
            ({"venue_kwh_per_day": "1000001"}, "footprint.limit.venue_kwh_per_day_max", "estimate.venue_kwh_per_day"),
            ({"attendees": 100_001}, "footprint.limit.attendees_max", "estimate.attendees"),
            ({"days": 31}, "footprint.limit.event_days_max", "estimate.days"),
            (
                {"travel": [{"mode": "rail", "count": 11, "distance_km": "100"}]},
                "footprint.limit.travellers_exceed_attendees",
                "estimate.travel",
            ),
            (
                {"travel": [{"mode": "air", "count": 1, "distance_km": "20001"}]},
                "footprint.limit.distance_km_max",
                "estimate.distance_km",
            ),
            ({"venue_kwh_per_day": "0", "travel": []}, "footprint.nothing_entered", None),
        ],
    )
    async def test_bad_estimate_inputs_are_refused_naming_the_field_and_nothing_is_written(
        self, db, settings, change, key, field
    ) -> None:
        from tests.events.helpers import SMALL

        organiser, _ = await an_organiser(settings)
        with pytest.raises(AppError) as refused:
            await events.register_event(organiser, event_ask(estimate={**SMALL, **change}))
        assert refused.value.key == key and refused.value.status_code == 400
        assert refused.value.detail["field"] == field
        assert await Event.all().count() == 0

    @pytest.mark.parametrize(
        ("change", "key", "field"),
        [
            ({"name_zh": " "}, "events.bad_name", "name_zh"),
            ({"venue_zh": ""}, "events.bad_venue", "venue_zh"),
            ({"county_code": "510100"}, "regions.not_a_county", "county_code"),
        ],
    )
    async def test_bad_event_fields_are_refused_naming_the_field(self, db, settings, change, key, field) -> None:
        organiser, _ = await an_organiser(settings)
        with pytest.raises(AppError) as refused:
            await events.register_event(organiser, event_ask(**change))
        assert refused.value.key == key and refused.value.detail[0]["field"] == field


class TestRoles:
    async def test_only_event_organisers_register_and_only_their_own_events_are_theirs(self, db, settings) -> None:
        from app.core.auth import Role

        for role in (None, Role.SCENIC_OPERATOR, Role.COURT, Role.ORGANISER):
            someone, _ = await principal_of(settings, *([role] if role else []))
            with pytest.raises(Forbidden):
                await events.register_event(someone, event_ask())
        event = await an_event(settings)
        other, _ = await an_organiser(settings)
        with pytest.raises(Forbidden) as refused:
            await events.buy_remainder(settings, other, event.code)
        assert refused.value.key == "events.not_your_event"

    async def test_an_unknown_code_is_a_404_that_says_so_in_both_languages(self, db) -> None:
        with pytest.raises(NotFound) as missing:
            await events.event_by_code("NOPE2345")
        assert "NOPE2345" in t(missing.value.key, "zh", **missing.value.params)
        assert t(missing.value.key, "en", **missing.value.params).startswith("No event has the code")


class TestAttendeeOffset:
    async def test_an_attendees_paid_travel_offset_counts_toward_the_event(self, db, settings, provider) -> None:
        await on_sale(settings)
        event = await an_event(settings)
        order = await an_attendee_offset(settings, provider, event)
        assert order.status == "fulfilled" and order.kg == RAIL_100_KG and order.purpose == "event"
        links = await EventRetirement.filter(event_id=event.id)
        assert [link.source for link in links] == ["attendee"] and sum(link.kg for link in links) == RAIL_100_KG
        assert {link.certificate_code for link in links} == {order.certificate_code}
        retirements = await Retirement.filter(certificate_code=order.certificate_code)
        assert {r.id for r in retirements} == {link.retirement_id for link in links}  # type: ignore[attr-defined]
        assert all(r.purpose == "event" and event.code in r.purpose_reference for r in retirements)
        counted = await events.totals(event)
        assert (counted.attendee, counted.organiser, counted.total) == (RAIL_100_KG, 0, RAIL_100_KG)
        rows = dict(await events.certificate_rows(order.certificate_code, "zh"))  # type: ignore[arg-type]
        assert rows["活动"] == f"成都森林马拉松 · {event.code}"
        assert rows["出行"] == "火车（高铁/动车/普速） 100 千米，1 人，往返"

    async def test_an_unpaid_offset_counts_nothing(self, db, settings) -> None:
        await on_sale(settings)
        event = await an_event(settings)
        await events.offset_travel(settings, await a_buyer(), event, events.travel(RAIL_100), "参会者")
        assert (await events.totals(event)).total == 0
        assert await EventOrder.filter(event_id=event.id, source="attendee").count() == 1

    async def test_an_inactive_event_takes_no_offsets(self, db, settings) -> None:
        await on_sale(settings)
        event = await an_event(settings)
        await Event.filter(id=event.id).update(active=False)
        with pytest.raises(Conflict):
            await events.offset_travel(
                settings, await a_buyer(), await Event.get(id=event.id), events.travel(RAIL_100), "x"
            )
        assert await Order.all().count() == 0


class TestOrganiserRemainder:
    async def test_the_organiser_buys_what_attendees_left_with_the_organisation_as_buyer(
        self, db, settings, provider
    ) -> None:
        await on_sale(settings)
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        await an_attendee_offset(settings, provider, event)
        assert await events.remainder_kg(event) == SMALL_OFFSET - RAIL_100_KG
        order = await events.buy_remainder(settings, organiser, event.code)
        assert order.kg == SMALL_OFFSET - RAIL_100_KG == 116
        assert order.beneficiary == (await event.organisation).name
        assert await OrgOrder.filter(order_id=order.id, organisation_id=event.organisation_id).exists()  # type: ignore[attr-defined]
        # An unpaid remainder order is not bought twice by a second press.
        with pytest.raises(Conflict) as again:
            await events.buy_remainder(settings, organiser, event.code)
        assert again.value.key == "events.nothing_left"
        await pay(settings, provider, organiser.user, order)
        counted = await events.totals(event)
        assert (counted.organiser, counted.attendee, counted.total) == (116, RAIL_100_KG, SMALL_OFFSET)
        assert events.neutral(event, counted)
        assert await events.remainder_kg(event) == 0

    async def test_neutral_only_when_retired_reaches_the_estimate(self, db, settings, provider) -> None:
        await on_sale(settings)
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        order = await events.buy_remainder(settings, organiser, event.code, kg=SMALL_OFFSET - 1)
        await pay(settings, provider, organiser.user, order)
        counted = await events.totals(event)
        assert counted.total == 123 and not events.neutral(event, counted)  # 123 kg < 123.98 kg
        last = await events.buy_remainder(settings, organiser, event.code)
        assert last.kg == 1
        await pay(settings, provider, organiser.user, last)
        assert events.neutral(event, await events.totals(event))

    @postgres_only
    async def test_two_presses_at_once_buy_the_remainder_once(self, db, settings) -> None:
        await on_sale(settings)
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        results = await asyncio.gather(
            *(events.buy_remainder(settings, organiser, event.code) for _ in range(5)), return_exceptions=True
        )
        orders = [r for r in results if isinstance(r, Order)]
        assert len(orders) == 1 and orders[0].kg == SMALL_OFFSET
        assert all(isinstance(r, Conflict) and r.key == "events.nothing_left" for r in results if r not in orders)
        assert await EventOrder.filter(event_id=event.id).count() == 1

    @pytest.mark.parametrize("kg", [0, -1, SMALL_OFFSET + 1])
    async def test_a_bad_kg_is_refused_naming_the_field(self, db, settings, kg) -> None:
        await on_sale(settings)
        organiser, _ = await an_organiser(settings)
        event = await an_event(settings, organiser)
        with pytest.raises(AppError) as refused:
            await events.buy_remainder(settings, organiser, event.code, kg=kg)
        assert refused.value.key == "events.bad_kg" and refused.value.detail[0]["field"] == "kg"
        assert await Order.all().count() == 0


class TestNoDoubleCounting:
    async def test_the_same_certificate_offered_twice_counts_once(self, db, settings, provider) -> None:
        await on_sale(settings)
        event = await an_event(settings)
        buyer = await a_buyer()
        from app.market import service as market
        from tests.market.helpers import listed

        _, _, listing = await listed(settings, kg=100, price_fen=100, unit_kg=1)
        trip_order = await market.place_order(
            settings, buyer, market.OrderAsk(listing.public_id, 9, "trip", "李四", purpose_note="成都 → 温江")
        )
        await pay(settings, provider, buyer, trip_order)
        trip_order = await Order.get(id=trip_order.id)
        me = await _principal(settings, buyer)
        rows = await events.offer_certificate(me, event.code, trip_order.certificate_code.lower())  # type: ignore[union-attr]
        assert sum(r.kg for r in rows) == 9
        with pytest.raises(Conflict) as twice:
            await events.offer_certificate(me, event.code, trip_order.certificate_code)  # type: ignore[arg-type]
        assert twice.value.key == "events.already_counted"
        assert (await events.totals(event)).total == 9
        assert await AuditEvent.filter(action="events.retirement.counted").count() == 1

    async def test_a_certificate_counted_for_one_event_cannot_count_for_another(self, db, settings, provider) -> None:
        await on_sale(settings)
        first, second = await an_event(settings), await an_event(settings, name_zh="另一场活动")
        order = await an_attendee_offset(settings, provider, first)
        me = await _principal(settings, await order.buyer)
        with pytest.raises(Conflict) as refused:
            await events.offer_certificate(me, second.code, order.certificate_code)  # type: ignore[arg-type]
        assert refused.value.key == "events.counted_elsewhere" and refused.value.params["code"] == first.code
        with pytest.raises(Conflict):  # and offered again to its own event: still once
            await events.offer_certificate(me, first.code, order.certificate_code)  # type: ignore[arg-type]
        assert (await events.totals(first)).total == RAIL_100_KG and (await events.totals(second)).total == 0

    async def test_someone_elses_certificate_is_answered_like_an_unknown_one(self, db, settings, provider) -> None:
        await on_sale(settings)
        event = await an_event(settings)
        order = await an_attendee_offset(settings, provider, await an_event(settings))
        stranger, _ = await principal_of(settings)
        for code in (order.certificate_code, "not a code"):
            with pytest.raises(NotFound) as refused:
                await events.offer_certificate(stranger, event.code, code)  # type: ignore[arg-type]
            assert refused.value.key == "events.certificate_not_found"

    async def test_a_personal_offset_cannot_be_counted_for_an_event(self, db, settings, provider) -> None:
        await on_sale(settings)
        event = await an_event(settings)
        buyer = await a_buyer()
        from app.market import service as market
        from tests.market.helpers import listed

        _, _, listing = await listed(settings, kg=100, price_fen=100, unit_kg=1)
        order = await market.place_order(settings, buyer, market.OrderAsk(listing.public_id, 5, "personal", "李四"))
        await pay(settings, provider, buyer, order)
        order = await Order.get(id=order.id)
        with pytest.raises(Conflict) as refused:
            await events.offer_certificate(await _principal(settings, buyer), event.code, order.certificate_code)  # type: ignore[arg-type]
        assert refused.value.key == "events.certificate_wrong_purpose"

    async def test_the_database_refuses_a_retirement_linked_twice(self, db, settings, provider) -> None:
        await on_sale(settings)
        event, other = await an_event(settings), await an_event(settings)
        await an_attendee_offset(settings, provider, event)
        link = await EventRetirement.filter(event_id=event.id).first()
        assert link is not None
        with pytest.raises(IntegrityError):
            await EventRetirement.create(
                event=other,
                retirement_id=link.retirement_id,  # type: ignore[attr-defined]
                certificate_code=link.certificate_code,
                kg=link.kg,
                source="organiser",
                linked_by="test",
            )

    async def test_a_replayed_payment_notification_counts_nothing_twice(self, db, settings, provider) -> None:
        from app.payments import service as payments

        await on_sale(settings)
        event = await an_event(settings)
        buyer = await a_buyer()
        order = await events.offset_travel(settings, buyer, event, events.travel(RAIL_100), "参会者")
        from app.market import service as market

        attempt = await market.pay(settings, provider, buyer, order.public_id)
        signed = await provider.pay(attempt.out_trade_no)
        for _ in range(3):
            status, _, _ = await payments.receive(settings, provider, signed.headers, signed.body)
            assert status == 204
        assert (await events.totals(event)).total == RAIL_100_KG

    @postgres_only
    async def test_ten_concurrent_offers_of_one_certificate_count_it_once(self, db, settings, provider) -> None:
        await on_sale(settings)
        event = await an_event(settings)
        buyer = await a_buyer()
        from app.market import service as market
        from tests.market.helpers import listed

        _, _, listing = await listed(settings, kg=100, price_fen=100, unit_kg=1)
        order = await market.place_order(settings, buyer, market.OrderAsk(listing.public_id, 6, "trip", "李四"))
        await pay(settings, provider, buyer, order)
        code = (await Order.get(id=order.id)).certificate_code
        me = await _principal(settings, buyer)
        results = await asyncio.gather(
            *(events.offer_certificate(me, event.code, code) for _ in range(10)),  # type: ignore[arg-type]
            return_exceptions=True,
        )
        assert sum(1 for r in results if isinstance(r, list)) == 1
        assert all(isinstance(r, Conflict) for r in results if not isinstance(r, list))
        assert (await events.totals(event)).total == 6


async def _principal(settings, user):  # type: ignore[no-untyped-def]
    """A principal for an existing user (a citizen), through a fresh session row."""
    import secrets
    from datetime import UTC, datetime, timedelta

    from app.core.auth import hash_secret, load_principal
    from models.accounts import AuthSession

    session = await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="token",
        secret_hash=hash_secret(secrets.token_urlsafe(16)),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return await load_principal(await AuthSession.get(id=session.id).select_related("user"))
