"""Best-available orders split over listings: cheapest first, all or nothing, one fulfilment with a share
per seller, one release per expiry, and no oversell when many buyers race for the last kg."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.core.errors import Conflict
from app.credits import inventory
from app.credits.verify import verify as credits_verify
from app.ledger import service as ledger
from app.market import service as market
from app.money import verify as money
from app.payments import service as payments
from app.payments.sandbox import SandboxProvider
from models.audit import AuditEvent
from models.credits import CreditSupply, Reservation, Retirement, SerialBlock
from models.ledger import LedgerAccount, Transfer
from models.market import Order, OrderLine
from models.payments import SandboxTrade
from tests.conftest import postgres_only
from tests.market.helpers import a_buyer, lapse, listed, pay


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


def best(kg: int, **change: object) -> market.OrderAsk:
    values: dict = {"listing": market.BEST, "kg": kg, "purpose": "trip", "beneficiary": "成都市民张三"}  # type: ignore[type-arg]
    return market.OrderAsk(**{**values, **change})


async def free(issuance) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    s = await CreditSupply.get(issuance_id=issuance.id)
    return s.tradable - s.buffer, s.reserved, s.retired


async def income(holder: str) -> int:
    account = await LedgerAccount.get_or_none(ledger="fen", code="seller_income", owner=holder)
    return account.balance if account else 0


async def all_clean() -> None:
    assert (await credits_verify()).ok
    report = await ledger.verify(full=True)
    assert report.ok, report.problems
    checked = await money.verify()
    assert checked.ok, checked.problems


async def lines_of(order: Order) -> list[tuple[int, int, int, int]]:
    rows = await OrderLine.filter(order_id=order.id).order_by("position")
    return [(r.listing_id, r.kg, r.total_fen, r.position) for r in rows]  # type: ignore[attr-defined]


class TestAllocation:
    async def test_splits_cheapest_per_kg_first_and_the_oldest_listing_first_on_a_tie(self, db, settings) -> None:
        _, dear_i, dear = await listed(settings, kg=100, price_fen=150, unit_kg=10)  # 15 fen/kg
        _, old_i, old = await listed(settings, kg=20, price_fen=12, unit_kg=1)  # 12 fen/kg, older
        _, new_i, new = await listed(settings, kg=30, price_fen=24, unit_kg=2)  # 12 fen/kg, newer
        order = await market.place_order(settings, await a_buyer(), best(60))
        assert await lines_of(order) == [(old.id, 20, 240, 0), (new.id, 30, 360, 1), (dear.id, 10, 150, 2)]
        assert (order.listing_id, order.seller_holder) == (old.id, old.seller_holder)  # type: ignore[attr-defined]
        assert (order.kg, order.total_fen, order.price_fen, order.price_unit_kg) == (60, 750, 750, 60)
        # One reservation, each line's kg taken from its own listing's issuance.
        reference = market.reference_of(order)
        assert (await Reservation.get(reference=reference)).kg == 60
        for issuance, kg in ((old_i, 20), (new_i, 30), (dear_i, 10)):
            held = await SerialBlock.filter(reservation_ref=reference, issuance_id=issuance.id).values_list(
                "quantity", flat=True
            )
            assert sum(held) == kg  # type: ignore[arg-type]
        assert [await free(i) for i in (old_i, new_i, dear_i)] == [(0, 20, 0), (0, 30, 0), (90, 10, 0)]
        await all_clean()

    async def test_the_offer_shows_the_split_and_the_total_the_order_then_locks(self, db, settings) -> None:
        _, _, dear = await listed(settings, kg=100, price_fen=150, unit_kg=10)
        _, _, cheap = await listed(settings, kg=20, price_fen=12, unit_kg=1)
        # 45 kg: the cheap listing's 20 kg leave 25, not whole tens of the dear one: rounded up to 50 kg.
        offer = await market.cheapest_offer(settings, 45)
        assert (offer.listing, offer.kg, offer.total_fen) == (market.BEST, 50, 690)
        assert [(p.listing, p.kg, p.price_fen, p.price_unit_kg, p.total_fen) for p in offer.parts] == [
            (cheap.public_id, 20, 12, 1, 240),
            (dear.public_id, 30, 150, 10, 450),
        ]
        order = await market.place_order(settings, await a_buyer(), best(offer.kg))
        assert order.total_fen == offer.total_fen
        one = await market.cheapest_offer(settings, 5)  # the cheapest listing alone (now the dear one) has it
        assert (one.listing, one.kg, one.total_fen, len(one.parts)) == (dear.public_id, 10, 150, 1)


class TestAllOrNothing:
    async def test_refuses_more_than_the_catalogue_has_naming_what_is_on_sale_and_writes_nothing(
        self, db, settings
    ) -> None:
        _, a_i, _ = await listed(settings, kg=30, price_fen=10, unit_kg=1)
        _, b_i, _ = await listed(settings, kg=40, price_fen=20, unit_kg=10)
        with pytest.raises(Conflict) as refused:
            await market.place_order(settings, await a_buyer(), best(80))
        assert (refused.value.key, refused.value.params) == (
            "market.not_enough_on_sale",
            {"asked": 80, "available": 70},
        )
        assert refused.value.status_code == 409
        assert await Order.all().count() == 0 and await OrderLine.all().count() == 0
        assert await Reservation.all().count() == 0
        assert [await free(i) for i in (a_i, b_i)] == [(30, 0, 0), (40, 0, 0)]
        await all_clean()

    async def test_a_part_taken_meanwhile_rolls_the_whole_try_back_and_the_next_try_reads_afresh(
        self, db, settings, monkeypatch
    ) -> None:
        _, a_i, a = await listed(settings, kg=30, price_fen=10, unit_kg=1)  # 10 fen/kg
        _, b_i, b = await listed(settings, kg=30, price_fen=20, unit_kg=1)  # 20 fen/kg
        _, c_i, c = await listed(settings, kg=30, price_fen=30, unit_kg=1)  # 30 fen/kg
        real = market.allocate
        tries = []

        async def stale(settings_, kg):  # type: ignore[no-untyped-def]
            plan = await real(settings_, kg)
            if not tries:  # another buyer takes 20 kg of the cheapest after this buyer read the catalogue
                await inventory.reserve(
                    "other:buyer",
                    20,
                    market.now() + timedelta(minutes=5),
                    issuance_public_id=a_i.public_id,
                )
            tries.append([(p.listing.id, p.kg) for p in plan])
            return plan

        monkeypatch.setattr(market, "allocate", stale)
        order = await market.place_order(settings, await a_buyer(), best(50))
        assert tries == [[(a.id, 30), (b.id, 20)], [(a.id, 10), (b.id, 30), (c.id, 10)]]
        assert await lines_of(order) == [(a.id, 10, 100, 0), (b.id, 30, 600, 1), (c.id, 10, 300, 2)]
        assert [await free(i) for i in (a_i, b_i, c_i)] == [(0, 30, 0), (0, 30, 0), (20, 10, 0)]
        assert await Order.all().count() == 1 and await OrderLine.all().count() == 3
        await all_clean()


class TestSplitFulfilment:
    async def test_paid_once_retires_every_line_and_shares_out_per_seller_reconciling(
        self, db, settings, provider
    ) -> None:
        # 999 fen per line at 2000 bps: each line's fee is floor(199.8) = 199, seller 800; one floor over
        # the 1998 fen total would give a 399 fee. Each seller keeps their own remainder fen.
        _, a_i, a = await listed(settings, kg=10, price_fen=999, unit_kg=10)
        _, b_i, b = await listed(settings, kg=20, price_fen=999, unit_kg=10)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, best(20))
        assert await lines_of(order) == [(a.id, 10, 999, 0), (b.id, 10, 999, 1)]
        attempt = await pay(settings, provider, buyer, order)
        assert attempt.status == "paid"
        # The same notification again changes nothing.
        signed = provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no))
        assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        done = await Order.get(id=order.id)
        assert (done.status, done.fee_fen, done.seller_fen) == ("fulfilled", 398, 1600)
        lines = await OrderLine.filter(order_id=order.id).order_by("position")
        assert [(line.fee_fen, line.seller_fen) for line in lines] == [(199, 800), (199, 800)]
        assert (await income(a.seller_holder), await income(b.seller_holder)) == (800, 800)
        shares = await Transfer.filter(reference=market.reference_of(order), reason="market.seller_share").count()
        fees = await Transfer.filter(reference=market.reference_of(order), reason="market.platform_fee").count()
        assert (shares, fees) == (2, 2)
        assert await AuditEvent.filter(action="market.order.fulfilled").count() == 1
        # One certificate for both parts: the blocks of both issuances under one code.
        retired = await Retirement.filter(reservation_ref=market.reference_of(order)).select_related("block")
        assert {r.certificate_code for r in retired} == {done.certificate_code}
        assert sorted((r.block.issuance_id, r.block.quantity) for r in retired) == sorted([(a_i.id, 10), (b_i.id, 10)])
        assert [await free(i) for i in (a_i, b_i)] == [(0, 0, 10), (10, 0, 10)]
        await all_clean()

    async def test_money_verify_names_a_line_whose_share_breaks_the_rule(self, db, settings, provider) -> None:
        await listed(settings, kg=10, price_fen=999, unit_kg=10)
        await listed(settings, kg=20, price_fen=999, unit_kg=10)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, best(20))
        await pay(settings, provider, buyer, order)
        await all_clean()
        # Move a fen between the two lines: the order's sums still add up, the per-line rule does not.
        await OrderLine.filter(order_id=order.id, position=0).update(fee_fen=200, seller_fen=799)
        await OrderLine.filter(order_id=order.id, position=1).update(fee_fen=198, seller_fen=801)
        problems = (await money.verify()).problems
        assert any(order.public_id in p and "line(s)" in p for p in problems), problems


class TestSplitExpiry:
    async def test_expiry_releases_every_line_exactly_once(self, db, settings) -> None:
        _, a_i, _ = await listed(settings, kg=20, price_fen=10, unit_kg=1)
        _, b_i, _ = await listed(settings, kg=20, price_fen=20, unit_kg=1)
        order = await market.place_order(settings, await a_buyer(), best(30))
        assert [await free(i) for i in (a_i, b_i)] == [(0, 20, 0), (10, 10, 0)]
        await lapse(order)
        assert await market.expire_overdue_orders() == 1
        assert await market.expire_overdue_orders() == 0
        assert (await Order.get(id=order.id)).status == "expired"
        assert [await free(i) for i in (a_i, b_i)] == [(20, 0, 0), (20, 0, 0)]
        event = await AuditEvent.get(action="market.order.expired")
        assert event.after["kg_back"] == 30  # type: ignore[index]
        await all_clean()

    async def test_cancel_releases_every_line_and_a_second_cancel_is_refused(self, db, settings, provider) -> None:
        _, a_i, _ = await listed(settings, kg=20, price_fen=10, unit_kg=1)
        _, b_i, _ = await listed(settings, kg=20, price_fen=20, unit_kg=1)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, best(30))
        await market.cancel(provider, buyer, order.public_id)
        with pytest.raises(Conflict) as twice:
            await market.cancel(provider, buyer, order.public_id)
        assert twice.value.key == "market.order_cancelled"
        assert [await free(i) for i in (a_i, b_i)] == [(20, 0, 0), (20, 0, 0)]
        await all_clean()


class TestRace:
    @postgres_only
    async def test_sixty_buyers_racing_for_the_last_kg_over_three_listings_buy_exactly_what_is_there(
        self, db, settings
    ) -> None:
        # 10 + 11 + 14 = 35 kg, asked 7 kg at a time: every sale after the first must split, and exactly
        # five buyers can be served; the other 55 are refused, naming what is left, and nothing oversells.
        issuances = [
            (await listed(settings, kg=kg, price_fen=p, unit_kg=1))[1] for kg, p in ((10, 10), (11, 11), (14, 12))
        ]
        buyers = [await a_buyer() for _ in range(60)]
        results = await asyncio.gather(
            *(market.place_order(settings, b, best(7)) for b in buyers), return_exceptions=True
        )
        placed = [r for r in results if isinstance(r, Order)]
        refused = [r for r in results if not isinstance(r, Order)]
        assert len(placed) == 5, [(getattr(r, "key", r), getattr(r, "params", None)) for r in refused][:5]
        assert {r.params["available"] for r in refused if isinstance(r, Conflict)} <= {0}
        assert all(isinstance(r, Conflict) and r.key == "market.not_enough_on_sale" for r in refused), refused
        assert [await free(i) for i in issuances] == [(0, 10, 0), (0, 11, 0), (0, 14, 0)]
        for order in placed:
            assert sum(kg for _, kg, _, _ in await lines_of(order)) == 7
        # 10 kg cannot be sold in 7s alone: some order took the cheapest's last 3 kg and 4 more from the next.
        assert await OrderLine.all().count() >= 6
        await all_clean()
