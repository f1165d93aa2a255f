"""The market's rules: orders reserve and lock, payment fulfils once, expiry releases once, refunds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.exceptions import IntegrityError

from app.core.auth import Role
from app.core.errors import AppError, Conflict
from app.credits.verify import verify as credits_verify
from app.ledger import service as ledger
from app.market import service as market
from app.payments import service as payments
from app.payments.sandbox import SandboxProvider
from app.points import service as points
from models.audit import AuditEvent
from models.credits import CreditSupply, Reservation, Retirement
from models.ledger import Hold, LedgerAccount
from models.market import Listing, Order, OrderLine
from models.payments import PaymentAttempt, PaymentNotification, SandboxTrade
from tests.conftest import postgres_only
from tests.credits.helpers import principal_of
from tests.market.helpers import a_buyer, ask, give_points, lapse, late_notification, listed, pay


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


async def supply(issuance) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    s = await CreditSupply.get(issuance_id=issuance.id)
    return s.tradable - s.buffer, s.reserved, s.retired


async def balance(code: str, owner: str) -> int:
    account = await LedgerAccount.get_or_none(ledger="fen", code=code, owner=owner)
    return account.balance if account else 0


async def all_clean() -> None:
    assert (await credits_verify()).ok
    report = await ledger.verify(full=True)
    assert report.ok, report.problems


class TestListing:
    async def test_only_the_owner_lists_and_one_listing_per_issuance_is_active(self, db, settings) -> None:
        owner, issuance, listing = await listed(settings)
        assert (listing.price_fen, listing.price_unit_kg, listing.status) == (100, 10, "active")
        assert listing.seller_holder == issuance.owner_holder and listing.county_code == issuance.county_code
        stranger, _ = await principal_of(settings, Role.SMALLHOLDER)
        with pytest.raises(AppError) as refused:
            await market.create_listing(stranger, issuance.public_id, 100, 10, "masked")
        assert refused.value.key == "market.not_your_issuance"
        with pytest.raises(Conflict) as twice:
            await market.create_listing(owner, issuance.public_id, 90, 10, "masked")  # type: ignore[arg-type]
        assert twice.value.key == "market.listing_exists"

    async def test_the_database_itself_refuses_a_second_active_listing(self, db, settings) -> None:
        _, issuance, listing = await listed(settings)
        with pytest.raises(IntegrityError):
            await Listing.create(
                public_id="second",
                issuance=issuance,
                seller_holder=listing.seller_holder,
                seller_shown="masked",
                price_fen=1,
                price_unit_kg=1,
                basis="ex_ante",
                county_code="510112",
                created_by_id=listing.created_by_id,  # type: ignore[attr-defined]
            )

    async def test_remaining_is_what_inventory_can_still_sell(self, db, settings) -> None:
        _, _, listing = await listed(settings)
        await market.place_order(settings, await a_buyer(), ask(listing, 30))
        view = await market.view_of(settings, await market.listing_by_public_id(listing.public_id))
        assert view.remaining_kg == 70

    async def test_the_seller_is_masked_by_default(self, db, settings) -> None:
        _, _, listing = await listed(settings)
        view = await market.view_of(settings, await market.listing_by_public_id(listing.public_id))
        assert view.seller.endswith("*") and len(view.seller) >= 2


class TestPlaceOrder:
    async def test_locks_the_price_and_reserves_the_kg_until_it_expires(self, db, settings) -> None:
        _, issuance, listing = await listed(settings, price_fen=100, unit_kg=10)  # ¥1 = 10 kg
        order = await market.place_order(settings, await a_buyer(), ask(listing, 30))
        assert (order.kg, order.total_fen, order.cash_fen, order.status) == (30, 300, 300, "pending")
        await Listing.filter(id=listing.id).update(price_fen=1_000)  # a later change never reaches the order
        assert (await Order.get(id=order.id)).total_fen == 300
        assert await supply(issuance) == (70, 30, 0)
        reservation = await Reservation.get(reference=f"order:{order.public_id}")
        assert reservation.reserved_until == order.expires_at
        assert await AuditEvent.filter(action="market.order.placed", entity_id=order.public_id).count() == 1

    @pytest.mark.parametrize("kg", [0, -10, 15])
    async def test_refuses_kg_that_is_not_a_positive_whole_number_of_units(self, db, settings, kg) -> None:
        _, issuance, listing = await listed(settings)
        with pytest.raises(AppError) as refused:
            await market.place_order(settings, await a_buyer(), ask(listing, kg))
        assert refused.value.status_code == 400
        assert await Order.all().count() == 0 and await supply(issuance) == (100, 0, 0)

    async def test_refuses_a_total_the_ledger_cannot_book_and_names_the_limit(self, db, settings) -> None:
        """Above ledger.MAX_AMOUNT the payment could be taken but never booked, fulfilled or refunded."""
        from app.core.i18n import t

        _, _, listing = await listed(settings, kg=200_000, price_fen=100_000_000, unit_kg=1)
        buyer = await a_buyer()
        with pytest.raises(AppError) as refused:
            await market.place_order(settings, buyer, ask(listing, 10_001))
        assert (refused.value.status_code, refused.value.key) == (400, "market.order_too_large")
        assert await Order.all().count() == 0
        assert "10000000000 元" in t(refused.value.key, "zh", **refused.value.params)
        assert "¥10000000000" in t(refused.value.key, "en", **refused.value.params)
        at_the_limit = await market.place_order(settings, buyer, ask(listing, 10_000))
        assert at_the_limit.total_fen == ledger.MAX_AMOUNT

    async def test_refuses_more_than_is_left_and_writes_nothing(self, db, settings) -> None:
        _, issuance, listing = await listed(settings)
        await market.place_order(settings, await a_buyer(), ask(listing, 90))
        with pytest.raises(Conflict) as refused:
            await market.place_order(settings, await a_buyer(), ask(listing, 20))
        assert (refused.value.key, refused.value.params) == ("market.not_enough", {"asked": 20, "available": 10})
        assert await Order.all().count() == 1 and await supply(issuance) == (10, 90, 0)

    async def test_a_withdrawn_listing_takes_no_more_orders(self, db, settings) -> None:
        owner, _, listing = await listed(settings)
        await market.withdraw_listing(owner, listing.public_id)  # type: ignore[arg-type]
        with pytest.raises(Conflict) as refused:
            await market.place_order(settings, await a_buyer(), ask(listing))
        assert refused.value.key == "market.listing_withdrawn"

    async def test_best_available_takes_the_cheapest_listing_per_kg_then_splits(self, db, settings) -> None:
        _, _, dear = await listed(settings, kg=100, price_fen=150, unit_kg=10)  # 15 fen/kg
        _, _, cheap = await listed(settings, kg=20, price_fen=12, unit_kg=1)  # 12 fen/kg, only 20 kg
        small = await market.place_order(settings, await a_buyer(), ask(cheap, 10, listing="best"))
        assert (small.listing_id, small.total_fen) == (cheap.id, 120)  # type: ignore[attr-defined]
        # 50 kg: the cheap listing's last 10 kg (120 fen), then 40 kg of the dear one (600 fen).
        large = await market.place_order(settings, await a_buyer(), ask(cheap, 50, listing="best"))
        assert (large.listing_id, large.total_fen) == (cheap.id, 720)  # type: ignore[attr-defined]
        parts = await OrderLine.filter(order_id=large.id).order_by("position").values_list("listing_id", "kg")
        assert parts == [(cheap.id, 10), (dear.id, 40)]
        with pytest.raises(Conflict) as refused:
            await market.place_order(settings, await a_buyer(), ask(cheap, 500, listing="best"))
        assert (refused.value.key, refused.value.params) == (
            "market.not_enough_on_sale",
            {"asked": 500, "available": 60},
        )
        with pytest.raises(Conflict) as units:  # 60 kg on sale, but only in units of 10 kg
            await market.place_order(settings, await a_buyer(), ask(cheap, 15, listing="best"))
        assert units.value.key == "market.nothing_fits"

    async def test_a_gift_needs_a_recipient(self, db, settings) -> None:
        _, _, listing = await listed(settings)
        with pytest.raises(AppError) as refused:
            await market.place_order(settings, await a_buyer(), ask(listing, purpose="gift"))
        assert refused.value.key == "market.gift_needs_recipient"


class TestFulfilment:
    async def test_payment_retires_the_kg_in_the_beneficiarys_name_and_shares_out_the_money(
        self, db, settings, provider
    ) -> None:
        _, issuance, listing = await listed(settings, price_fen=999, unit_kg=10)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing, 10, beneficiary_shown="full"))
        attempt = await pay(settings, provider, buyer, order)
        order = await Order.get(id=order.id)
        assert (attempt.status, order.status) == ("paid", "fulfilled")
        retired = await Retirement.filter(reservation_ref=f"order:{order.public_id}")
        assert {r.certificate_code for r in retired} == {order.certificate_code}
        assert {(r.beneficiary, r.purpose, r.beneficiary_shown) for r in retired} == {("成都市民张三", "trip", "full")}
        assert await supply(issuance) == (90, 0, 10)
        # 20 % of 999 fen is 199.8: the fee is floored to 199 and the remaining 800 go to the seller.
        assert (order.fee_fen, order.seller_fen) == (199, 800)
        assert await balance("seller_income", listing.seller_holder) == 800
        assert await balance("platform_fee", "platform") == 199
        assert await balance("clearing", "platform") == 0
        assert await AuditEvent.filter(action="market.order.fulfilled", entity_id=order.public_id).count() == 1
        await all_clean()

    def test_the_fee_is_floored_and_the_remainder_goes_to_the_seller(self) -> None:
        assert market.split(999, 2000) == (199, 800)
        assert market.split(100, 2000) == (20, 80)
        assert market.split(1, 2000) == (0, 1)
        assert market.split(500, 0) == (0, 500) and market.split(500, 10_000) == (500, 0)

    async def test_a_notification_replayed_a_hundred_times_fulfils_once(self, db, settings, provider) -> None:
        _, issuance, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing, 20))
        attempt = await market.pay(settings, provider, buyer, order.public_id)
        signed = await provider.pay(attempt.out_trade_no)
        answers = {(await payments.receive(settings, provider, signed.headers, signed.body))[0] for _ in range(100)}
        assert answers == {204}
        assert await PaymentNotification.all().count() == 1
        assert await Retirement.filter(reservation_ref=f"order:{order.public_id}").count() >= 1
        assert await supply(issuance) == (80, 0, 20)
        assert await AuditEvent.filter(action="market.order.fulfilled").count() == 1
        await all_clean()

    async def test_a_retry_signed_anew_is_recognised_by_its_transaction_and_changes_nothing(
        self, db, settings, provider
    ) -> None:
        _, _, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing))
        attempt = await pay(settings, provider, buyer, order)
        again = provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no))
        assert (await payments.receive(settings, provider, again.headers, again.body))[0] == 204
        assert await PaymentNotification.all().count() == 1
        await all_clean()

    async def test_a_payment_after_expiry_is_refunded_and_never_fulfilled(self, db, settings, provider) -> None:
        _, issuance, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing, 30))
        attempt = await market.pay(settings, provider, buyer, order.public_id)
        await lapse(order)
        late = await late_notification(provider, attempt)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        attempt = await PaymentAttempt.get(id=attempt.id)
        assert (attempt.status, attempt.refund_reason, attempt.out_refund_no) == (
            "refunded",
            "expired",
            "R" + attempt.out_trade_no,
        )
        assert (await SandboxTrade.get(out_trade_no=attempt.out_trade_no)).status == "refunded"
        assert (await Order.get(id=order.id)).status == "pending"  # the sweep will call it expired
        assert await Retirement.all().count() == 0
        assert await balance("clearing", "platform") == 0
        assert await market.expire_overdue_orders() == 1
        assert await supply(issuance) == (100, 0, 0)
        await all_clean()

    async def test_a_second_payment_for_a_paid_order_is_refunded(self, db, settings, provider) -> None:
        _, issuance, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing, 10))
        first = await market.pay(settings, provider, buyer, order.public_id)
        await PaymentAttempt.filter(id=first.id).update(status="closed")  # e.g. the payer's other phone
        second = await market.pay(settings, provider, buyer, order.public_id)
        assert second.out_trade_no != first.out_trade_no
        for attempt in (first, second):
            signed = await provider.pay(attempt.out_trade_no)
            assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        statuses = {a.out_trade_no: a.status for a in await PaymentAttempt.all()}
        assert statuses == {first.out_trade_no: "paid", second.out_trade_no: "refunded"}
        assert (await PaymentAttempt.get(id=second.id)).refund_reason == "paid_twice"
        assert await supply(issuance) == (90, 0, 10)
        assert await balance("clearing", "platform") == 0
        await all_clean()

    async def test_a_fulfilled_payment_is_never_refunded(self, db, settings, provider) -> None:
        _, _, listing = await listed(settings)
        buyer = await a_buyer()
        attempt = await pay(settings, provider, buyer, await market.place_order(settings, buyer, ask(listing)))
        with pytest.raises(Conflict) as refused:
            await payments.refund(settings, provider, attempt)
        assert refused.value.key == "payments.refund_after_retirement"

    async def test_a_cancelled_order_releases_its_kg_and_a_payment_still_arriving_is_refunded(
        self, db, settings, provider
    ) -> None:
        _, issuance, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing, 40))
        attempt = await market.pay(settings, provider, buyer, order.public_id)
        signed = await provider.pay(attempt.out_trade_no)  # paid at the provider a moment before the cancel
        await market.cancel(provider, buyer, order.public_id)
        assert await supply(issuance) == (100, 0, 0)
        assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refunded"
        assert (await Order.get(id=order.id)).status == "cancelled"
        await all_clean()

    async def test_an_expired_order_cannot_be_paid_even_before_the_sweep(self, db, settings, provider) -> None:
        _, _, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing))
        await lapse(order)
        with pytest.raises(Conflict) as refused:
            await market.pay(settings, provider, buyer, order.public_id)
        assert (refused.value.key, refused.value.detail) == ("market.order_expired", {"status": "expired"})


class TestExpiry:
    async def test_the_sweep_expires_an_unpaid_order_once_and_gives_back_its_kg(self, db, settings) -> None:
        _, issuance, listing = await listed(settings)
        order = await market.place_order(settings, await a_buyer(), ask(listing, 50))
        assert await market.expire_overdue_orders() == 0  # not yet
        await lapse(order)
        assert await market.expire_overdue_orders() == 1
        assert await market.expire_overdue_orders() == 0
        assert (await Order.get(id=order.id)).status == "expired"
        assert await supply(issuance) == (100, 0, 0)
        assert await AuditEvent.filter(action="market.order.expired", entity_id=order.public_id).count() == 1
        await all_clean()

    @postgres_only
    async def test_racing_sweeps_expire_and_release_each_order_once(self, db, settings) -> None:
        _, issuance, listing = await listed(settings)
        orders = [await market.place_order(settings, await a_buyer(), ask(listing, 10)) for _ in range(8)]
        for order in orders:
            await lapse(order)
        counts = await asyncio.gather(*(market.expire_overdue_orders() for _ in range(6)))
        assert sum(counts) == 8
        assert await AuditEvent.filter(action="market.order.expired").count() == 8
        assert await supply(issuance) == (100, 0, 0)
        await all_clean()


class TestPoints:
    async def test_points_are_held_at_order_and_posted_once_at_fulfilment(self, db, settings, provider) -> None:
        _, _, listing = await listed(settings, price_fen=100, unit_kg=10)
        buyer = await a_buyer()
        await give_points(buyer, 500)
        order = await market.place_order(settings, buyer, ask(listing, 50, points=300))
        assert (order.total_fen, order.points, order.points_fen, order.cash_fen) == (500, 300, 300, 200)
        assert (await points.balance_of(buyer)).available == 200
        attempt = await pay(settings, provider, buyer, order)
        assert attempt.amount_fen == 200
        hold = await Hold.get(id=order.points_hold_id)
        assert (hold.status, hold.posted_amount) == ("posted", 300)
        wallet = await points.balance_of(buyer)
        assert (wallet.balance, wallet.held) == (200, 0)
        assert await balance("seller_income", listing.seller_holder) == 400  # 80 % of the whole 500 fen
        await all_clean()

    async def test_a_points_hold_lapsing_after_retirement_rolls_the_retirement_back(
        self, db, settings, provider
    ) -> None:
        """points_expired raised after retire() and the order update must undo both (the fulfilment's
        savepoint), else kg are retired for a payment we then refund."""
        _, _, listing = await listed(settings)
        buyer = await a_buyer()
        await give_points(buyer, 50)
        order = await market.place_order(settings, buyer, ask(listing, 10, points=5))
        # The hold lapses between retire() and post_hold() (each step reads its own clock).
        await Hold.filter(id=order.points_hold_id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        attempt = await market.pay(settings, provider, buyer, order.public_id)
        signed = await provider.pay(attempt.out_trade_no)
        assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        attempt = await PaymentAttempt.get(id=attempt.id)
        assert (attempt.status, attempt.refund_reason) == ("refunded", "points_expired")
        assert (await Order.get(id=order.id)).status == "pending"
        assert await Retirement.filter(reservation_ref=market.reference_of(order)).count() == 0
        assert (await Reservation.get(reference=market.reference_of(order))).status == "held"
        await all_clean()

    async def test_the_points_hold_is_voided_once_when_the_order_is_cancelled(self, db, settings, provider) -> None:
        _, _, listing = await listed(settings)
        buyer = await a_buyer()
        await give_points(buyer, 50)
        order = await market.place_order(settings, buyer, ask(listing, 10, points=50))
        await market.cancel(provider, buyer, order.public_id)
        assert (await Hold.get(id=order.points_hold_id)).status == "voided"
        assert (await points.balance_of(buyer)).available == 50
        with pytest.raises(Conflict):
            await market.cancel(provider, buyer, order.public_id)
        await all_clean()

    async def test_an_expired_order_gives_the_points_back(self, db, settings) -> None:
        _, _, listing = await listed(settings)
        buyer = await a_buyer()
        await give_points(buyer, 50)
        order = await market.place_order(settings, buyer, ask(listing, 10, points=50))
        await lapse(order)
        assert await market.expire_overdue_orders() == 1
        assert (await Hold.get(id=order.points_hold_id)).status in {"voided", "expired"}
        assert (await points.balance_of(buyer)).available == 50
        await all_clean()

    async def test_points_never_pay_the_whole_price(self, db, settings) -> None:
        _, _, listing = await listed(settings, price_fen=100, unit_kg=10)
        buyer = await a_buyer()
        await give_points(buyer, 10_000)
        order = await market.place_order(settings, buyer, ask(listing, 10, points=10_000))
        assert (order.points, order.cash_fen) == (99, 1)

    async def test_more_points_than_the_wallet_has_is_refused_and_nothing_is_reserved(self, db, settings) -> None:
        _, issuance, listing = await listed(settings)
        buyer = await a_buyer()
        await give_points(buyer, 10)
        with pytest.raises(Conflict) as refused:
            await market.place_order(settings, buyer, ask(listing, 10, points=50))
        assert refused.value.key == "market.not_enough_points"
        assert await Order.all().count() == 0 and await supply(issuance) == (100, 0, 0)


class TestConcurrency:
    @postgres_only
    async def test_two_hundred_buyers_racing_for_the_last_hundred_kg_buy_exactly_a_hundred(
        self, db, settings, provider
    ) -> None:
        _, issuance, listing = await listed(settings, kg=100, price_fen=10, unit_kg=1)
        buyers = [await a_buyer() for _ in range(200)]

        async def buy(buyer):  # type: ignore[no-untyped-def]
            try:
                order = await market.place_order(settings, buyer, ask(listing, 1))
            except Conflict as refused:
                assert refused.key == "market.not_enough"
                return None
            return await pay(settings, provider, buyer, order)

        paid = [a for a in await asyncio.gather(*(buy(b) for b in buyers)) if a is not None]
        assert len(paid) == 100 and {a.status for a in paid} == {"paid"}
        assert await supply(issuance) == (0, 0, 100)
        assert await Order.filter(status="fulfilled").count() == 100
        assert await balance("clearing", "platform") == 0
        await all_clean()

    @postgres_only
    async def test_concurrent_copies_of_one_notification_fulfil_once(self, db, settings, provider) -> None:
        _, issuance, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing, 10))
        attempt = await market.pay(settings, provider, buyer, order.public_id)
        signed = await provider.pay(attempt.out_trade_no)
        answers = await asyncio.gather(
            *(payments.receive(settings, provider, signed.headers, signed.body) for _ in range(20))
        )
        assert {a[0] for a in answers} == {204}
        assert await AuditEvent.filter(action="market.order.fulfilled").count() == 1
        assert await supply(issuance) == (90, 0, 10)
        await all_clean()

    @postgres_only
    async def test_a_cancel_landing_mid_fulfilment_waits_and_is_refused_never_deadlocks(
        self, db, settings, provider, monkeypatch
    ) -> None:
        """Fulfilment locks the order, then the reservation, as cancel and the sweep do: a cancel landing
        between retire and the order update waits, then answers 409 order_fulfilled (no deadlock, no 500)."""
        from app.credits import inventory

        _, _, listing = await listed(settings)
        buyer = await a_buyer()
        order = await market.place_order(settings, buyer, ask(listing, 10))
        attempt = await market.pay(settings, provider, buyer, order.public_id)
        signed = await provider.pay(attempt.out_trade_no)
        real_retire = inventory.retire

        async def slow_retire(*a, **k):  # type: ignore[no-untyped-def]
            done = await real_retire(*a, **k)
            await asyncio.sleep(0.5)
            return done

        monkeypatch.setattr(inventory, "retire", slow_retire)

        async def cancel_later():  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.2)
            return await market.cancel(provider, buyer, order.public_id)

        notice, cancelled = await asyncio.gather(
            payments.receive(settings, provider, signed.headers, signed.body), cancel_later(), return_exceptions=True
        )
        assert not isinstance(notice, BaseException) and notice[0] == 204, notice
        assert isinstance(cancelled, Conflict) and cancelled.key == "market.order_fulfilled", cancelled
        assert (await PaymentAttempt.get(id=attempt.id)).status == "paid"
        assert (await Order.get(id=order.id)).status == "fulfilled"
        await all_clean()

    @postgres_only
    async def test_cancel_racing_a_payment_notice_never_errors_and_never_leaves_the_payment_pending(
        self, db, settings, provider
    ) -> None:
        _, _, listing = await listed(settings, kg=2000)
        errors: list[str] = []
        for _ in range(30):
            buyer = await a_buyer()
            order = await market.place_order(settings, buyer, ask(listing, 10))
            attempt = await market.pay(settings, provider, buyer, order.public_id)
            signed = await provider.pay(attempt.out_trade_no)
            results = await asyncio.gather(
                market.cancel(provider, buyer, order.public_id),
                payments.receive(settings, provider, signed.headers, signed.body),
                return_exceptions=True,
            )
            for r in results:
                if isinstance(r, BaseException) and not (isinstance(r, AppError) and r.key.startswith("market.order_")):
                    errors.append(f"{type(r).__name__}: {str(r)[:120]}")
            if (await PaymentAttempt.get(id=attempt.id)).status == "pending":
                errors.append(f"attempt left pending, order {(await Order.get(id=order.id)).status}")
        assert not errors, errors
        await all_clean()

    @postgres_only
    async def test_the_sweep_racing_a_notice_at_the_deadline_settles_the_money_once(
        self, db, settings, provider
    ) -> None:
        """The sweep's clock says the order lapsed, the notice's says it has not (two workers)."""
        _, _, listing = await listed(settings, kg=2000)
        errors: list[str] = []
        for _ in range(30):
            buyer = await a_buyer()
            order = await market.place_order(settings, buyer, ask(listing, 10))
            attempt = await market.pay(settings, provider, buyer, order.public_id)
            signed = await provider.pay(attempt.out_trade_no)
            order = await Order.get(id=order.id)
            results = await asyncio.gather(
                market.expire_overdue_orders(at=order.expires_at + timedelta(microseconds=1)),
                payments.receive(settings, provider, signed.headers, signed.body),
                return_exceptions=True,
            )
            errors += [f"{type(r).__name__}: {str(r)[:160]}" for r in results if isinstance(r, BaseException)]
            a, o = await PaymentAttempt.get(id=attempt.id), await Order.get(id=order.id)
            if a.status == "pending":
                errors.append(f"attempt left pending, order {o.status}")
            if o.status == "fulfilled" and a.status != "paid":
                errors.append("fulfilled but not paid")
        assert not errors, errors
        await all_clean()
