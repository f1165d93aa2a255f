"""碳汇+旅游 rules without HTTP: spot validation, the order's link to the spot, exactly-once redemption."""

from __future__ import annotations

import asyncio

import pytest

from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import t
from app.payments.sandbox import SandboxProvider
from app.tourism import service as tourism
from models.audit import AuditEvent
from models.market import Order
from models.tourism import Redemption, ScenicSpot, SpotOrder
from tests.conftest import postgres_only
from tests.market.helpers import a_buyer, listed
from tests.tourism.helpers import a_spot, a_visit, an_operator, rail_trip, spot_ask


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


class TestRegisterSpot:
    async def test_an_operator_registers_a_spot_with_a_random_code_and_an_audit_record(self, db, settings) -> None:
        operator, _ = await an_operator(settings)
        spot = await tourism.register_spot(operator, spot_ask())
        assert len(spot.code) == 8 and set(spot.code) <= set(tourism.CODE_ALPHABET)
        assert [o["key"] for o in spot.origins] == ["o1", "o2"]
        assert spot.origins[1] == {
            "key": "o2",
            "name_zh": "重庆",
            "name_en": "Chongqing",
            "road_km": 600,
            "rail_km": None,
            "air_km": None,
        }
        event = await AuditEvent.get(action="tourism.spot.registered", entity_id=spot.code)
        assert event.after["benefit_zh"] == "门票优惠 10 元" and event.after["county_code"] == "513225"

    @pytest.mark.parametrize(
        ("change", "key", "field"),
        [
            ({"name_zh": " "}, "tourism.bad_name", "name_zh"),
            ({"county_code": "510100"}, "regions.not_a_county", "county_code"),
            ({"latitude": 91}, "tourism.bad_location", "latitude"),
            ({"longitude": "east"}, "tourism.bad_location", "longitude"),
            ({"origins": []}, "tourism.no_origins", "origins"),
            ({"origins": [{"name_zh": "成都"}]}, "tourism.origin.distance", "origins[0]"),
            ({"origins": [{"name_zh": "成都", "road_km": 0}]}, "tourism.origin.distance", "origins[0]"),
            ({"origins": [{"name_zh": "成都", "air_km": 20_001}]}, "tourism.origin.distance", "origins[0]"),
            ({"origins": [{"name_zh": "成都", "rail_km": 12.5}]}, "tourism.origin.distance", "origins[0]"),
            (
                {"origins": [{"name_zh": "成都", "road_km": 1}, {"name_zh": "成都", "road_km": 2}]},
                "tourism.origin.duplicate",
                "origins[1]",
            ),
            ({"benefit_zh": ""}, "tourism.bad_benefit", "benefit_zh"),
        ],
    )
    async def test_refuses_bad_input_naming_the_field(self, db, settings, change, key, field) -> None:
        operator, _ = await an_operator(settings)
        with pytest.raises(AppError) as refused:
            await tourism.register_spot(operator, spot_ask(**change))
        assert refused.value.key == key and refused.value.detail[0]["field"] == field
        assert refused.value.status_code == 400
        assert await ScenicSpot.all().count() == 0

    async def test_a_citizen_or_another_operator_cannot_touch_the_spot(self, db, settings) -> None:
        from tests.credits.helpers import principal_of

        citizen, _ = await principal_of(settings)
        with pytest.raises(Forbidden):
            await tourism.register_spot(citizen, spot_ask())
        spot = await a_spot(settings)
        other, _ = await an_operator(settings)
        with pytest.raises(Forbidden):
            await tourism.update_spot(other, spot.code, tourism.SpotAsk(active=False))

    async def test_an_edit_is_audited_before_and_after(self, db, settings) -> None:
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        changed = await tourism.update_spot(operator, spot.code, tourism.SpotAsk(benefit_zh="门票八折", active=False))
        assert (changed.benefit_zh, changed.active) == ("门票八折", False)
        event = await AuditEvent.get(action="tourism.spot.updated", entity_id=spot.code)
        assert event.before == {"benefit_zh": "门票优惠 10 元", "active": True}
        assert event.after == {"benefit_zh": "门票八折", "active": False}


class TestOffsetTrip:
    async def test_the_order_buys_the_trip_footprint_rounded_up_to_the_unit_and_links_the_spot(
        self, db, settings
    ) -> None:
        await listed(settings, kg=500, unit_kg=10)
        spot = await a_spot(settings)
        trip = rail_trip(spot)
        order = await tourism.offset_trip(settings, await a_buyer(), spot, trip, "游客张三")
        assert order.purpose == "trip" and order.kg % 10 == 0
        assert order.kg - 10 < trip.footprint.offset_kg <= order.kg
        assert order.purpose_note.startswith(f"九寨沟（{spot.code}）")
        link = await SpotOrder.get(order_id=order.id)
        assert link.spot_id == spot.id and link.trip["mode"] == "rail" and link.trip["origin_name_zh"] == "成都"  # type: ignore[attr-defined]

    async def test_an_inactive_spot_takes_no_order_and_nothing_is_reserved(self, db, settings) -> None:
        await listed(settings)
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        await tourism.update_spot(operator, spot.code, tourism.SpotAsk(active=False))
        spot = await tourism.spot_by_code(spot.code)
        with pytest.raises(Conflict):
            await tourism.offset_trip(settings, await a_buyer(), spot, rail_trip(spot), "张三")
        assert await Order.all().count() == 0

    async def test_an_unknown_origin_is_refused(self, db, settings) -> None:
        spot = await a_spot(settings)
        with pytest.raises(AppError) as refused:
            tourism.trip_to(spot, "o9", rail_trip(spot).data, "zh")
        assert refused.value.key == "tourism.unknown_origin"


class TestRedeem:
    async def test_grants_once_and_a_second_time_names_the_first_time_and_place(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        order = await a_visit(settings, provider, spot)
        code = order.certificate_code
        assert code
        granted = await tourism.redeem(operator, spot.code, code.lower()[:4] + " " + code[4:])  # typed loosely
        assert (granted.certificate_code, granted.kg) == (code, order.kg)
        with pytest.raises(Conflict) as again:
            await tourism.redeem(operator, spot.code, code)
        assert again.value.key == "tourism.already_redeemed"
        message = t(again.value.key, "zh", **again.value.params)
        assert spot.code in message and "九寨沟" in message and granted.created_at.year.__str__() in message
        assert await Redemption.all().count() == 1
        assert await AuditEvent.filter(action="tourism.benefit.granted").count() == 1

    @postgres_only
    async def test_twenty_staff_scanning_at_once_grant_exactly_once(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        code = (await a_visit(settings, provider, spot)).certificate_code
        assert code
        results = await asyncio.gather(
            *(tourism.redeem(operator, spot.code, code) for _ in range(20)), return_exceptions=True
        )
        granted = [r for r in results if isinstance(r, Redemption)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(granted) == 1 and len(refused) == 19, results
        assert {r.key for r in refused} == {"tourism.already_redeemed"}
        assert await Redemption.all().count() == 1
        assert await AuditEvent.filter(action="tourism.benefit.granted").count() == 1

    async def test_another_operators_staff_cannot_redeem(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        code = (await a_visit(settings, provider, spot)).certificate_code
        assert code
        rival, _ = await an_operator(settings)
        rival_spot = await a_spot(settings, rival, name_zh="峨眉山")
        with pytest.raises(Forbidden) as not_theirs:  # at our spot
            await tourism.redeem(rival, spot.code, code)
        assert not_theirs.value.key == "tourism.not_your_spot"
        with pytest.raises(Conflict) as other:  # at their own spot
            await tourism.redeem(rival, rival_spot.code, code)
        assert other.value.key == "tourism.certificate_other_operator"
        assert "九寨沟" in t(other.value.key, "zh", **other.value.params)
        assert await Redemption.all().count() == 0

    async def test_a_certificate_for_another_spot_of_the_same_operator_is_refused(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        second = await a_spot(settings, operator, name_zh="黄龙")
        code = (await a_visit(settings, provider, spot)).certificate_code
        with pytest.raises(Conflict) as other:
            await tourism.redeem(operator, second.code, code or "")
        assert other.value.key == "tourism.certificate_other_spot"

    async def test_unknown_and_unlinked_certificates_are_refused(self, db, settings, provider) -> None:
        _, _, listing = await listed(settings, kg=500)
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        with pytest.raises(NotFound):
            await tourism.redeem(operator, spot.code, "ABCD EFGH JKLM NPQR")
        with pytest.raises(NotFound):
            await tourism.redeem(operator, "ZZZZZZZZ", "ABCD EFGH JKLM NPQR")
        from app.market import service as market
        from tests.market.helpers import ask, pay

        buyer = await a_buyer()
        plain = await market.place_order(settings, buyer, ask(listing, 10))  # a trip order, not via a spot
        await pay(settings, provider, buyer, plain)
        code = (await Order.get(id=plain.id)).certificate_code
        with pytest.raises(Conflict) as unlinked:
            await tourism.redeem(operator, spot.code, code or "")
        assert unlinked.value.key == "tourism.certificate_not_for_spot"


class TestDashboard:
    async def test_counts_paid_visitors_kg_and_benefits_per_spot_and_day(self, db, settings, provider) -> None:
        await listed(settings, kg=1000)
        operator, _ = await an_operator(settings)
        spot = await a_spot(settings, operator)
        second = await a_spot(settings, operator, name_zh="黄龙")
        first = await a_visit(settings, provider, spot)
        again = await a_visit(settings, provider, spot)
        other = await a_visit(settings, provider, second)
        await tourism.offset_trip(settings, await a_buyer(), spot, rail_trip(spot), "未付款")  # unpaid: not counted
        await tourism.redeem(operator, spot.code, first.certificate_code or "")
        board = await tourism.dashboard(operator)
        assert board.per_spot[spot.code] == tourism.Figures(2, first.kg + again.kg, 1)
        assert board.per_spot[second.code] == tourism.Figures(1, other.kg, 0)
        assert board.total == tourism.Figures(3, first.kg + again.kg + other.kg, 1)
        assert sorted((c, f.visitors) for _, c, f in board.per_day) == sorted([(spot.code, 2), (second.code, 1)])
        rival, _ = await an_operator(settings)
        assert (await tourism.dashboard(rival)).total == tourism.Figures()
