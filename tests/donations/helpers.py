"""Shortcuts for donation tests: a campaign taking donations, donors, paying through the sandbox."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from app.donations import service as donations
from app.ledger import service as ledger
from app.money.verify import verify as money_verify
from app.payments import service as payments
from app.payments.sandbox import SandboxProvider
from app.points import service as points
from app.settings import Settings
from models.accounts import User
from models.campaigns import Campaign
from models.donations import Donation
from models.ledger import LedgerAccount
from models.payments import PaymentAttempt, SandboxTrade
from tests.campaigns.builders import make_campaign

_donors = itertools.count(1)


async def donate_campaign(**kw: object) -> Campaign:
    """The builders' campaign: modes plant + donate at 30.00 元 per tree, open today."""
    campaign, _, _ = await make_campaign(**kw)  # type: ignore[arg-type]
    return campaign


async def a_donor() -> User:
    return await User.create(public_id=f"donor{next(_donors):08d}{uuid4().hex[:8]}")


async def open_payment(
    settings: Settings, provider: SandboxProvider, donor: User, donation: Donation
) -> PaymentAttempt:
    return await donations.pay(settings, provider, donor, donation.public_id)


async def pay(settings: Settings, provider: SandboxProvider, donor: User, donation: Donation) -> PaymentAttempt:
    """The payer opens the sandbox page and presses 支付; the signed callback goes through `receive`."""
    attempt = await open_payment(settings, provider, donor, donation)
    signed = await provider.pay(attempt.out_trade_no)
    status, _, _ = await payments.receive(settings, provider, signed.headers, signed.body)
    assert status == 204
    return await PaymentAttempt.get(id=attempt.id)


async def lapse(donation: Donation) -> None:
    await Donation.filter(id=donation.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))


async def late_notification(provider: SandboxProvider, attempt: PaymentAttempt):  # type: ignore[no-untyped-def]
    """Paid at the provider just before it closed; the notice arrives after the donation lapsed."""
    await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).update(status="paid", paid_at=datetime.now(UTC))
    return provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no))


async def fund_balance(campaign: Campaign) -> int:
    account = await LedgerAccount.get_or_none(ledger="fen", code="campaign_fund", owner=f"campaign:{campaign.id}")
    return account.balance if account else 0


async def budget_balance(campaign: Campaign) -> int:
    account = await LedgerAccount.get_or_none(ledger="points", code="campaign_budget", owner=f"campaign:{campaign.id}")
    return account.balance if account else 0


async def give_points(user: User, amount: int) -> None:
    source = await ledger.open_account("points", "platform_issuance", "platform", may_go_negative=True)
    await ledger.transfer(uuid4(), source, await points.wallet_of(user), amount, "test.grant")


async def all_clean() -> None:
    """The ledger consistent with itself, and the fen ledger with the payments (money-verify)."""
    report = await ledger.verify(full=True)
    assert report.ok, report.problems
    money = await money_verify()
    assert money.ok, money.problems
    from app.donations.verify import verify as donations_verify

    mine = await donations_verify()
    assert mine.ok, mine.problems


async def organiser_of(settings: Settings, campaign: Campaign):  # type: ignore[no-untyped-def]
    """A member holding the organiser role in the campaign's organisation: (principal, auth headers)."""
    from app.core.auth import Role, load_principal
    from models.accounts import AuthSession, Organisation
    from tests.helpers import signed_in

    org = await Organisation.get(id=campaign.organisation_id)  # type: ignore[attr-defined]
    user, headers = await signed_in(settings, Role.ORGANISER, org=org)
    session = await AuthSession.filter(user_id=user.id).select_related("user").order_by("-id").first()
    assert session is not None
    return await load_principal(session), headers
