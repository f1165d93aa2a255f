"""`money-verify` reconciles the fen ledger with payments, sales, refunds and payouts, and names each breach."""

from __future__ import annotations

import pytest
from tortoise.expressions import F

from app.market import service as market
from app.money import payouts
from app.money import verify as money
from app.money.sandbox import SandboxPayoutProvider
from app.payments import service as payments
from app.payments.sandbox import SandboxProvider
from models.ledger import Transfer
from models.market import Order, OrderLine
from models.money import Payout
from models.payments import PaymentAttempt
from tests.accounts.test_cli import cli
from tests.market.helpers import a_buyer, ask, lapse, late_notification, listed
from tests.money.helpers import CARD, all_clean, seller_with_income


async def a_busy_market(settings):  # type: ignore[no-untyped-def]
    """A sale (1000 fen: fee 200, seller 800), a late payment refunded, a payout paid and one in flight."""
    owner, holder, sold = await seller_with_income(settings, kg=100)
    provider = SandboxProvider(settings)
    # a late payment on another listing: refunded, never fulfilled
    _, _, other = await listed(settings, kg=100)
    buyer = await a_buyer()
    order = await market.place_order(settings, buyer, ask(other, 10))
    attempt = await market.pay(settings, provider, buyer, order.public_id)
    await lapse(order)
    signed = await late_notification(provider, attempt)
    await payments.receive(settings, provider, signed.headers, signed.body)
    refunded = await payments.refund(settings, provider, await PaymentAttempt.get(id=attempt.id))
    assert refunded.status == "refunded"
    await payouts.set_payee(settings, owner, holder, "bank", CARD, "张三")
    paid = await payouts.request_payout(settings, SandboxPayoutProvider(settings), owner, holder, 300)
    flying = await payouts.request_payout(settings, SandboxPayoutProvider(settings, instant=False), owner, holder, 200)
    return sold, refunded, paid, flying


async def test_a_busy_market_reconciles(db, settings) -> None:
    await a_busy_market(settings)
    await all_clean()
    report = await money.verify()
    assert (report.attempts, report.orders, report.payouts) == (2, 2, 2)


async def test_the_rounding_rule_gives_the_remainder_to_the_seller(db, settings) -> None:
    assert market.split(999, 2000) == (199, 800)
    await a_busy_market(settings)
    sold = await Order.filter(status="fulfilled").first()
    assert sold is not None
    # The same money, split the other way round on the order and its line: the CHECKs (fee + seller =
    # total) still hold, the lines still add up to the order, but the line breaks the rounding rule.
    await Order.filter(id=sold.id).update(fee_fen=F("fee_fen") + 1, seller_fen=F("seller_fen") - 1)
    await OrderLine.filter(order_id=sold.id).update(fee_fen=F("fee_fen") + 1, seller_fen=F("seller_fen") - 1)
    problems = (await money.verify()).problems
    assert any(
        p.startswith(f"order {sold.public_id}")
        and "1 line(s) whose fee or seller share breaks the rule at 2000 bps" in p
        for p in problems
    ), problems


@pytest.mark.parametrize("breach", ["payment", "split", "refund", "payout", "share"])
async def test_each_tampering_is_named(db, settings, breach: str) -> None:
    sold, refunded, _paid, flying = await a_busy_market(settings)
    if breach == "payment":  # the attempt says it took more than clearing received
        attempt = await PaymentAttempt.filter(subject=sold.public_id).first()
        assert attempt is not None
        await PaymentAttempt.filter(id=attempt.id).update(amount_fen=F("amount_fen") + 1)
        expected = f"payment {attempt.out_trade_no}"
    elif breach == "split":  # the ledger paid the seller one fen less than the order says
        await Transfer.filter(reason="market.seller_share", reference=f"order:{sold.public_id}").update(
            amount=F("amount") - 1
        )
        expected = f"order {sold.public_id}"
    elif breach == "refund":  # the refund gave back less than came in
        await Transfer.filter(reason="payment.refunded").update(amount=F("amount") - 1)
        expected = f"refund of payment {refunded.out_trade_no}"
    elif breach == "payout":  # a payout marked paid that never left
        await Payout.filter(id=flying.id).update(status="paid")
        expected = f"payout {flying.public_id}"
    else:  # a share credited to the seller that no order earned
        await Order.filter(id=sold.id).update(seller_fen=F("seller_fen") - 100, fee_fen=F("fee_fen") + 100)
        await OrderLine.filter(order_id=sold.id).update(seller_fen=F("seller_fen") - 100, fee_fen=F("fee_fen") + 100)
        expected = f"seller {sold.seller_holder}"
    problems = (await money.verify()).problems
    assert any(p.startswith(expected) for p in problems), problems
    result = cli(settings, "money-verify")
    assert result.returncode == 1 and "MONEY BROKEN" in result.stdout and expected in result.stdout, result.stdout


async def test_the_command_says_ok_on_a_sound_ledger(db, settings) -> None:
    await a_busy_market(settings)
    result = cli(settings, "money-verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "money OK: 2 payment attempts, 2 orders, 2 payouts" in result.stdout


async def test_a_payment_refunded_elsewhere_never_entered_and_booking_it_is_named(db, settings) -> None:
    """Paid and refunded at the provider while the notice was lost: we never recorded it paid, so the
    fen ledger holds nothing for it, and a `payment.received` for it would be a breach."""
    from datetime import UTC, datetime, timedelta

    from app.ledger import service as ledger
    from models.payments import SandboxTrade

    await a_busy_market(settings)
    provider = SandboxProvider(settings)
    _, _, listing = await listed(settings, kg=100)
    buyer = await a_buyer()
    order = await market.place_order(settings, buyer, ask(listing, 10))
    attempt = await market.pay(settings, provider, buyer, order.public_id)
    await provider.pay(attempt.out_trade_no)  # the notice is lost …
    await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).update(status="refunded")  # … refunded outside
    later = datetime.now(UTC) + payments.RECONCILE_AFTER + timedelta(seconds=1)
    assert await payments.reconcile_pending(settings, provider, at=later) == 1
    assert (await PaymentAttempt.get(id=attempt.id)).status == "refunded_elsewhere"
    await all_clean()
    await ledger.transfer(
        payments.transfer_id("payment", attempt.out_trade_no, "in"),
        await payments.provider_account("sandbox"),
        await payments.clearing_account(),
        attempt.amount_fen,
        "payment.received",
        attempt.out_trade_no,
    )
    problems = (await money.verify()).problems
    assert any(p.startswith(f"payment {attempt.out_trade_no}") for p in problems), problems
