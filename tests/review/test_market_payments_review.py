"""Review of the market and payments merge (10cec29): each test names a failure we could ship.

Tests that pass verify a property the review wanted to be sure of; tests marked as failing show a bug.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core import housekeeping
from app.core.errors import AppError
from app.credits.verify import verify as credits_verify
from app.ledger import service as ledger
from app.market import service as market
from app.payments import service as payments
from app.payments.protocol import RefundRequest, RefundResult
from app.payments.sandbox import SandboxProvider
from models.credits import Reservation, Retirement
from models.ledger import Hold
from models.market import Order
from models.payments import PaymentAttempt, SandboxTrade
from tests.market.helpers import a_buyer, ask, give_points, lapse, late_notification, listed
from tests.payments.fake_wechatpay import adapter, session_keys


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


async def all_clean() -> None:
    assert (await credits_verify()).ok
    report = await ledger.verify(full=True)
    assert report.ok, report.problems


class RecordingSandbox(SandboxProvider):
    """The sandbox, remembering every refund request it was sent."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.refunds: list[RefundRequest] = []

    async def refund(self, request: RefundRequest) -> RefundResult:
        self.refunds.append(request)
        return await super().refund(request)


async def test_points_hold_lapsing_after_retirement_rolls_the_retirement_back(db, settings, provider) -> None:
    """Verified property: NotFulfillable raised after retire() and the order update (points_expired)
    must undo both (savepoint), else kg are retired for a payment we then refund."""
    _, issuance, listing = await listed(settings)
    buyer = await a_buyer()
    await give_points(buyer, 50)
    order = await market.place_order(settings, buyer, ask(listing, 10, points=5))
    # The points hold lapses between retire() and post_hold() (the three steps each read their own clock).
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


async def test_a_crash_after_the_provider_refunded_is_settled_once_by_the_retry(db, settings, monkeypatch) -> None:
    """Verified property: the process dies after the provider accepted the refund and before we booked
    it; the housekeeping retry asks again with the same out_refund_no and books it exactly once."""
    provider = RecordingSandbox(settings)
    _, _, listing = await listed(settings)
    buyer = await a_buyer()
    order = await market.place_order(settings, buyer, ask(listing))
    attempt = await market.pay(settings, provider, buyer, order.public_id)
    await lapse(order)
    late = await late_notification(provider, attempt)
    real = payments._settle_refund

    async def crash(*a, **k):  # type: ignore[no-untyped-def]
        raise SystemExit("killed")

    monkeypatch.setattr(payments, "_settle_refund", crash)
    with pytest.raises(SystemExit):
        await payments.receive(settings, provider, late.headers, late.body)
    monkeypatch.setattr(payments, "_settle_refund", real)
    assert (await SandboxTrade.get(out_trade_no=attempt.out_trade_no)).status == "refunded"
    assert (await PaymentAttempt.get(id=attempt.id)).status == "refund_due"
    assert await payments.retry_refunds(settings, provider) == 1
    assert await payments.retry_refunds(settings, provider) == 0
    assert (await PaymentAttempt.get(id=attempt.id)).status == "refunded"
    assert {r.out_refund_no for r in provider.refunds} == {"R" + attempt.out_trade_no}
    await all_clean()
