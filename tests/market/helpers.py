"""Shortcuts for market tests: a listed issuance, buyers, and paying through the sandbox."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from app.core.auth import Role
from app.ledger import service as ledger
from app.market import service as market
from app.payments import service as payments
from app.payments.sandbox import SandboxProvider
from app.points import service as points
from app.settings import Settings
from models.accounts import User
from models.credits import Issuance, Reservation, SerialBlock
from models.market import Listing, Order
from models.payments import PaymentAttempt, SandboxTrade
from tests.credits.helpers import approved_project, issue_units, principal_of

_buyers = itertools.count(1)


async def listed(
    settings: Settings, *, kg: int = 100, price_fen: int = 100, unit_kg: int = 10
) -> tuple[object, Issuance, Listing]:
    """A smallholder's issuance of `kg` (plus a buffer share) listed at `price_fen` per `unit_kg` kg."""
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=kg, buffer=kg // 4 or 1)
    listing = await market.create_listing(owner, issuance.public_id, price_fen, unit_kg, "masked")
    return owner, issuance, listing


async def a_buyer() -> User:
    return await User.create(public_id=f"buyer{next(_buyers):08d}{uuid4().hex[:8]}")


def ask(of: Listing, kg: int = 10, **change: object) -> market.OrderAsk:
    values: dict = {"listing": of.public_id, "kg": kg, "purpose": "trip", "beneficiary": "成都市民张三"}  # type: ignore[type-arg]
    return market.OrderAsk(**{**values, **change})


async def pay(settings: Settings, provider: SandboxProvider, buyer: User, order: Order) -> PaymentAttempt:
    """The payer opens the sandbox page and presses 支付; the signed callback goes through `receive`."""
    attempt = await market.pay(settings, provider, buyer, order.public_id)
    signed = await provider.pay(attempt.out_trade_no)
    status, _, _ = await payments.receive(settings, provider, signed.headers, signed.body)
    assert status == 204
    return await PaymentAttempt.get(id=attempt.id)


async def lapse(order: Order) -> None:
    """Move an order's moment into the past, everywhere it is kept, as if its minutes had passed."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    reference = market.reference_of(order)
    await Order.filter(id=order.id).update(expires_at=past)
    await Reservation.filter(reference=reference).update(reserved_until=past)
    await SerialBlock.filter(reservation_ref=reference, status="reserved").update(reserved_until=past)
    from models.ledger import Hold

    if order.points_hold_id:
        await Hold.filter(id=order.points_hold_id).update(expires_at=past)


async def late_notification(provider: SandboxProvider, attempt: PaymentAttempt):  # type: ignore[no-untyped-def]
    """The payer paid at the provider just before it closed, and the notice arrives after the order lapsed."""
    await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).update(status="paid", paid_at=datetime.now(UTC))
    return provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no))


async def give_points(user: User, amount: int) -> None:
    source = await ledger.open_account("points", "platform_issuance", "platform", may_go_negative=True)
    await ledger.transfer(uuid4(), source, await points.wallet_of(user), amount, "test.grant")
