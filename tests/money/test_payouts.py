"""Payouts: a seller is paid at most what they earned, through the provider, exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.core.auth import Role
from app.core.errors import AppError, Conflict, Forbidden
from app.money import payouts
from app.money.protocol import PayoutRequest, PayoutResult, ProviderUnavailable
from app.money.sandbox import SandboxPayoutProvider
from models.audit import AuditEvent
from models.ledger import LedgerAccount
from models.money import Payee, Payout, PayoutNotification
from tests.conftest import postgres_only
from tests.credits.helpers import principal_of
from tests.money.helpers import CARD, all_clean, seller_with_income


async def fen(code: str, owner: str) -> int:
    account = await LedgerAccount.get_or_none(ledger="fen", code=code, owner=owner)
    return account.balance if account else 0


@pytest.fixture
def instant(settings) -> SandboxPayoutProvider:  # type: ignore[no-untyped-def]
    return SandboxPayoutProvider(settings)


@pytest.fixture
def later(settings) -> SandboxPayoutProvider:  # type: ignore[no-untyped-def]
    return SandboxPayoutProvider(settings, instant=False)


async def ready(settings, **sale):  # type: ignore[no-untyped-def]
    owner, holder, order = await seller_with_income(settings, **sale)
    await payouts.set_payee(settings, owner, holder, "bank", CARD, "张三")
    return owner, holder, order


class TestPayee:
    async def test_the_account_is_encrypted_at_rest_and_shown_masked(self, db, settings) -> None:
        owner, holder, _ = await seller_with_income(settings)
        shown = await payouts.set_payee(settings, owner, holder, "bank", "6222 0202 0011 2233 445", "张三")
        assert shown == "银行卡 ****3445"
        stored = await Payee.get(holder=holder)
        assert CARD.encode() not in bytes(stored.account_enc) and "张三".encode() not in bytes(stored.name_enc)
        assert (await payouts.balance_of(settings, owner, holder)).payee == "银行卡 ****3445"
        audit = await AuditEvent.filter(action="money.payee.set").first()
        assert audit is not None and CARD not in str(audit.after) and "****3445" in str(audit.after)

    async def test_bad_accounts_are_refused(self, db, settings) -> None:
        owner, holder, _ = await seller_with_income(settings)
        for kind, account, key in (
            ("bank", "12345", "money.bad_bank_account"),
            ("wechat", "not an openid!", "money.bad_wechat_account"),
            ("alipay", CARD, "money.bad_payee_kind"),
        ):
            with pytest.raises(AppError) as refused:
                await payouts.set_payee(settings, owner, holder, kind, account, "张三")
            assert refused.value.key == key


class TestPayout:
    async def test_the_payable_balance_is_the_seller_share_and_a_payout_moves_it_out_once(
        self, db, settings, instant
    ) -> None:
        owner, holder, order = await ready(settings)
        assert order.seller_fen == 800
        assert (await payouts.balance_of(settings, owner, holder)).payable_fen == 800
        payout = await payouts.request_payout(settings, instant, owner, holder, 500)
        assert payout.status == "paid" and payout.provider_reference.startswith("SBP")
        balance = await payouts.balance_of(settings, owner, holder)
        assert (balance.payable_fen, balance.in_flight_fen, balance.paid_out_fen) == (300, 0, 500)
        assert await fen("payout_provider", "sandbox") == 500
        # Asking the provider again is the same payout, and settling again changes nothing.
        assert (await payouts.submit(settings, instant, payout)).status == "paid"
        assert not await payouts.settle(payout, PayoutResult(payout.public_id, "succeeded"), actor="test")
        assert await fen("payout_provider", "sandbox") == 500
        actions = await AuditEvent.filter(entity_id=payout.public_id).order_by("id").values_list("action", flat=True)
        assert actions == ["money.payout.requested", "money.payout.paid"]
        await all_clean()

    async def test_more_than_available_is_refused_and_nothing_is_written(self, db, settings, instant) -> None:
        owner, holder, _ = await ready(settings)
        with pytest.raises(Conflict) as refused:
            await payouts.request_payout(settings, instant, owner, holder, 801)
        assert refused.value.key == "money.payout_too_much" and refused.value.params["available"] == 800
        assert not await Payout.exists() and await fen("seller_income", holder) == 800
        await payouts.request_payout(settings, instant, owner, holder, 800)
        with pytest.raises(Conflict):
            await payouts.request_payout(settings, instant, owner, holder, 100)
        await all_clean()

    async def test_below_the_minimum_or_not_whole_fen_is_refused(self, db, settings, instant) -> None:
        owner, holder, _ = await ready(settings)
        for amount, key in ((settings.payout_min_fen - 1, "money.below_minimum"), (1.5, "money.bad_amount")):
            with pytest.raises(AppError) as refused:
                await payouts.request_payout(settings, instant, owner, holder, amount)
            assert refused.value.key == key
        assert not await Payout.exists()

    async def test_without_a_payee_nothing_is_paid(self, db, settings, instant) -> None:
        owner, holder, _ = await seller_with_income(settings)
        with pytest.raises(Conflict) as refused:
            await payouts.request_payout(settings, instant, owner, holder, 100)
        assert refused.value.key == "money.no_payee"

    async def test_nobody_else_sees_or_withdraws_a_sellers_income(self, db, settings, instant) -> None:
        _, holder, _ = await ready(settings)
        stranger, _ = await principal_of(settings, Role.SMALLHOLDER)
        with pytest.raises(Forbidden):
            await payouts.request_payout(settings, instant, stranger, holder, 100)
        with pytest.raises(Forbidden):
            await payouts.balance_of(settings, stranger, holder)
        with pytest.raises(Forbidden):
            await payouts.set_payee(settings, stranger, holder, "bank", CARD, "李四")


class TestProviderCallbacks:
    async def test_a_failed_payout_gives_the_money_back_once(self, db, settings, later) -> None:
        owner, holder, _ = await ready(settings)
        payout = await payouts.request_payout(settings, later, owner, holder, 300)
        assert payout.status == "processing"
        balance = await payouts.balance_of(settings, owner, holder)
        assert (balance.payable_fen, balance.in_flight_fen) == (500, 300)
        await all_clean()
        signed = await later.settle(payout.public_id, succeeded=False)
        for _ in range(5):  # the first delivery and four replays
            status, _, _ = await payouts.receive(later, signed.headers, signed.body)
            assert status == 204
        assert (await Payout.get(id=payout.id)).status == "failed"
        assert (await Payout.get(id=payout.id)).failure_reason == "ACCOUNT_FROZEN"
        assert await PayoutNotification.filter(out_payout_no=payout.public_id).count() == 1
        balance = await payouts.balance_of(settings, owner, holder)
        assert (balance.payable_fen, balance.in_flight_fen, balance.paid_out_fen) == (800, 0, 0)
        await all_clean()

    async def test_a_confirmed_payout_leaves_once(self, db, settings, later) -> None:
        owner, holder, _ = await ready(settings)
        payout = await payouts.request_payout(settings, later, owner, holder, 300)
        signed = await later.settle(payout.public_id, succeeded=True)
        await asyncio.gather(*(payouts.receive(later, signed.headers, signed.body) for _ in range(5)))
        assert (await Payout.get(id=payout.id)).status == "paid"
        assert await fen("payout_provider", "sandbox") == 300
        await all_clean()

    async def test_forged_tampered_stale_and_wrong_amount_notifications_change_nothing(
        self, db, settings, later
    ) -> None:
        owner, holder, _ = await ready(settings)
        payout = await payouts.request_payout(settings, later, owner, holder, 300)
        signed = await later.settle(payout.public_id, succeeded=True)
        forged = SandboxPayoutProvider(settings.with_(secret_key="someone-else-s-key"))
        stored = await later.query(payout.public_id)
        from models.money import SandboxPayout

        row = await SandboxPayout.get(out_payout_no=payout.public_id)
        cases = {
            "tampered": (signed.headers, signed.body.replace(b'"amount_fen":300', b'"amount_fen":30')),
            "forged": (forged.notification_for(row).headers, forged.notification_for(row).body),
            "stale": later.notification_for(row, now=datetime.now(UTC) - timedelta(minutes=10)),
            "wrong amount": later.notification_for(row, amount_fen=299),
            "no headers": ({}, signed.body),
        }
        for name, case in cases.items():
            headers, body = case if isinstance(case, tuple) else (case.headers, case.body)
            status, _, _ = await payouts.receive(later, headers, body)
            assert status == 400, name
        assert stored.state == "succeeded"
        assert (await Payout.get(id=payout.id)).status == "processing"
        assert not await PayoutNotification.exists()
        await all_clean()

    async def test_an_unreachable_provider_is_asked_again_by_the_housekeeping_round(
        self, db, settings, instant
    ) -> None:
        class Down(SandboxPayoutProvider):
            async def create(self, request: PayoutRequest) -> PayoutResult:
                raise ProviderUnavailable

        owner, holder, _ = await ready(settings)
        payout = await payouts.request_payout(settings, Down(settings), owner, holder, 300)
        assert payout.status == "requested" and await fen("payout_in_flight", holder) == 300
        await all_clean()
        assert await payouts.retry_payouts(settings, instant) == 1
        assert await payouts.retry_payouts(settings, instant) == 0
        assert (await Payout.get(id=payout.id)).status == "paid"
        await all_clean()

    async def test_processing_payouts_are_settled_by_query(self, db, settings, later) -> None:
        owner, holder, _ = await ready(settings)
        payout = await payouts.request_payout(settings, later, owner, holder, 300)
        assert await payouts.retry_payouts(settings, later) == 0  # still processing at the provider
        await later.settle(payout.public_id, succeeded=True)  # its notification is lost
        assert await payouts.retry_payouts(settings, later) == 1
        assert (await Payout.get(id=payout.id)).status == "paid"
        await all_clean()


@postgres_only
async def test_concurrent_payout_requests_never_take_more_than_available(db, settings, instant) -> None:
    owner, holder, _ = await ready(settings)  # 800 fen payable

    async def ask() -> str:
        try:
            return (await payouts.request_payout(settings, instant, owner, holder, 100)).status
        except Conflict as refused:
            assert refused.key == "money.payout_too_much"
            return "refused"

    outcomes = await asyncio.gather(*(ask() for _ in range(20)))
    assert outcomes.count("paid") == 8 and outcomes.count("refused") == 12
    assert await fen("seller_income", holder) == 0 and await fen("payout_provider", "sandbox") == 800
    await all_clean()


def test_the_minimum_payout_is_at_least_one_fen(settings) -> None:  # type: ignore[no-untyped-def]
    from app.settings import SettingsError

    settings.with_(payout_min_fen=1).check()
    with pytest.raises(SettingsError, match="PAYOUT_MIN_FEN"):
        settings.with_(payout_min_fen=0).check()
