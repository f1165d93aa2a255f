"""The ledger's rules, each as a scenario: transfers, replays, wallets never negative, holds, verify."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from tortoise import Tortoise

from app.core.errors import AppError, Conflict
from app.ledger import service as ledger
from app.ledger.service import InsufficientBalance
from models.ledger import Hold, LedgerAccount, Transfer
from tests.conftest import postgres_only


async def accounts(start: int = 100) -> tuple[LedgerAccount, LedgerAccount, LedgerAccount]:
    """Platform issuance (a source), and two wallets; the first wallet is funded with `start` points."""
    issuance = await ledger.open_account("points", "platform_issuance", "platform", may_go_negative=True)
    alice = await ledger.open_account("points", "user_wallet", "user:alice")
    bob = await ledger.open_account("points", "user_wallet", "user:bob")
    if start:
        await ledger.transfer(uuid4(), issuance, alice, start, "planting.approved", "log:1")
    return issuance, alice, bob


async def balance(account: LedgerAccount) -> tuple[int, int]:
    fresh = await LedgerAccount.get(id=account.id)
    return fresh.balance, fresh.held


def later(minutes: int = 10) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


class TestTransfer:
    async def test_moves_points_and_keeps_the_sum_zero(self, db) -> None:
        issuance, alice, bob = await accounts(100)
        await ledger.transfer(uuid4(), alice, bob, 30, "gift.sent")
        assert [await balance(a) for a in (issuance, alice, bob)] == [(-100, 0), (70, 0), (30, 0)]
        assert (await ledger.verify()).ok

    async def test_replay_with_the_same_id_returns_the_first_transfer(self, db) -> None:
        _, alice, bob = await accounts(100)
        key = uuid4()
        first = await ledger.transfer(key, alice, bob, 30, "gift.sent", "ref")
        again = await ledger.transfer(key, alice, bob, 30, "gift.sent", "ref")
        assert again.id == first.id
        assert await balance(bob) == (30, 0)

    async def test_reused_id_with_another_body_is_a_conflict(self, db) -> None:
        _, alice, bob = await accounts(100)
        key = uuid4()
        await ledger.transfer(key, alice, bob, 30, "gift.sent")
        with pytest.raises(Conflict) as refused:
            await ledger.transfer(key, alice, bob, 31, "gift.sent")
        assert refused.value.key == "ledger.id_reused"
        assert await balance(bob) == (30, 0)

    async def test_refuses_to_take_a_wallet_below_zero_and_posts_nothing(self, db) -> None:
        _, alice, bob = await accounts(10)
        with pytest.raises(InsufficientBalance):
            await ledger.transfer(uuid4(), alice, bob, 11, "gift.sent")
        assert await balance(alice) == (10, 0) and await balance(bob) == (0, 0)
        assert await Transfer.filter(debit_id=alice.id).count() == 0

    @pytest.mark.parametrize("amount", [0, -1, 10**13, True, 1.5, "5"])
    async def test_refuses_amounts_that_are_not_sane_whole_numbers(self, db, amount) -> None:
        _, alice, bob = await accounts(100)
        with pytest.raises(AppError) as refused:
            await ledger.transfer(uuid4(), alice, bob, amount, "gift.sent")
        assert refused.value.key == "ledger.bad_amount"

    async def test_refuses_unknown_looking_reasons_one_account_and_mixed_ledgers(self, db) -> None:
        _, alice, bob = await accounts(100)
        fen = await ledger.open_account("fen", "user_wallet", "user:alice")
        for call, key in (
            (ledger.transfer(uuid4(), alice, bob, 1, "Bad Reason!"), "ledger.bad_reason"),
            (ledger.transfer(uuid4(), alice, alice, 1, "gift.sent"), "ledger.same_account"),
            (ledger.transfer(uuid4(), alice, fen, 1, "gift.sent"), "ledger.mixed_ledgers"),
        ):
            with pytest.raises(AppError) as refused:
                await call
            assert refused.value.key == key

    async def test_a_correction_is_a_new_reversing_transfer(self, db) -> None:
        _, alice, bob = await accounts(100)
        wrong = await ledger.transfer(uuid4(), alice, bob, 40, "gift.sent")
        await ledger.transfer(uuid4(), bob, alice, wrong.amount, "correction.reversal", f"transfer:{wrong.id}")
        assert await balance(alice) == (100, 0) and await Transfer.all().count() == 3


class TestHolds:
    async def test_a_hold_reserves_without_moving(self, db) -> None:
        _, alice, bob = await accounts(100)
        await ledger.hold(uuid4(), alice, bob, 60, later(), "purchase.points")
        assert await balance(alice) == (100, 60)
        with pytest.raises(InsufficientBalance):
            await ledger.transfer(uuid4(), alice, bob, 41, "gift.sent")  # only 40 is available
        assert (await ledger.verify()).ok

    async def test_posting_part_moves_that_part_and_releases_the_rest(self, db) -> None:
        _, alice, bob = await accounts(100)
        h = await ledger.hold(uuid4(), alice, bob, 60, later(), "purchase.points")
        t = await ledger.post_hold(h.id, uuid4(), amount=25)
        assert t.amount == 25 and t.hold_id == h.id
        assert await balance(alice) == (75, 0) and await balance(bob) == (25, 0)
        assert (await Hold.get(id=h.id)).status == "posted"
        assert (await ledger.verify()).ok

    async def test_a_hold_is_posted_once(self, db) -> None:
        _, alice, bob = await accounts(100)
        h = await ledger.hold(uuid4(), alice, bob, 60, later(), "purchase.points")
        post_id = uuid4()
        first = await ledger.post_hold(h.id, post_id)
        assert (await ledger.post_hold(h.id, post_id)).id == first.id  # a replay
        with pytest.raises(Conflict) as refused:
            await ledger.post_hold(h.id, uuid4())  # a second, different posting
        assert refused.value.key == "ledger.hold_resolved"
        assert await balance(bob) == (60, 0)

    async def test_void_releases_and_cannot_be_repeated_or_followed_by_a_post(self, db) -> None:
        _, alice, bob = await accounts(100)
        h = await ledger.hold(uuid4(), alice, bob, 60, later(), "purchase.points")
        await ledger.void_hold(h.id)
        assert await balance(alice) == (100, 0)
        for again in (ledger.void_hold(h.id), ledger.post_hold(h.id, uuid4())):
            with pytest.raises(Conflict):
                await again
        assert (await ledger.verify()).ok

    async def test_an_expired_hold_cannot_be_posted_even_before_the_sweep(self, db) -> None:
        _, alice, bob = await accounts(100)
        h = await ledger.hold(uuid4(), alice, bob, 60, later(), "purchase.points")
        await Hold.filter(id=h.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        with pytest.raises(Conflict) as refused:
            await ledger.post_hold(h.id, uuid4())
        assert refused.value.key == "ledger.hold_expired"
        assert await balance(bob) == (0, 0)

    async def test_an_expired_hold_stops_reserving_as_soon_as_the_wallet_is_used(self, db) -> None:
        _, alice, bob = await accounts(100)
        h = await ledger.hold(uuid4(), alice, bob, 60, later(), "purchase.points")
        await Hold.filter(id=h.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        await ledger.transfer(uuid4(), alice, bob, 100, "gift.sent")  # possible only once the hold is released
        assert (await Hold.get(id=h.id)).status == "expired"
        assert (await ledger.verify()).ok

    async def test_the_sweep_expires_each_hold_exactly_once(self, db) -> None:
        _, alice, bob = await accounts(100)
        for _ in range(3):
            await ledger.hold(uuid4(), alice, bob, 10, later(), "purchase.points")
        past = datetime.now(UTC) + timedelta(hours=1)
        counts = await asyncio.gather(*(ledger.expire_overdue_holds(past) for _ in range(4)))
        assert await Hold.filter(status="expired").count() == 3
        assert sum(counts) == 3  # four concurrent sweeps between them expired each hold once
        assert await balance(alice) == (100, 0)
        assert (await ledger.verify()).ok

    async def test_a_hold_cannot_reserve_more_than_is_available(self, db) -> None:
        _, alice, bob = await accounts(50)
        await ledger.hold(uuid4(), alice, bob, 30, later(), "purchase.points")
        with pytest.raises(InsufficientBalance):
            await ledger.hold(uuid4(), alice, bob, 21, later(), "purchase.points")


class TestVerify:
    async def test_a_tampered_balance_is_named(self, db) -> None:
        _, alice, bob = await accounts(100)
        await ledger.transfer(uuid4(), alice, bob, 30, "gift.sent")
        await LedgerAccount.filter(id=bob.id).update(balance=31)
        report = await ledger.verify()
        assert not report.ok
        assert any(f"account {bob.id}" in p and "31" in p for p in report.problems)
        assert any("sum to 1, not 0" in p for p in report.problems)

    async def test_balances_tampered_so_the_ledger_still_sums_to_zero_are_named(self, db) -> None:
        issuance, alice, bob = await accounts(100)
        await ledger.transfer(uuid4(), alice, bob, 30, "gift.sent")
        await LedgerAccount.filter(id=alice.id).update(balance=65)  # 70 → 65
        await LedgerAccount.filter(id=bob.id).update(balance=35)  # 30 → 35: still zero-sum
        report = await ledger.verify()
        named = " ".join(report.problems)
        assert f"account {alice.id}" in named and f"account {bob.id}" in named
        assert f"account {issuance.id}" not in named

    async def test_the_full_pass_agrees_on_a_sound_ledger(self, db) -> None:
        _, alice, bob = await accounts(100)
        await ledger.transfer(uuid4(), alice, bob, 30, "gift.sent")
        assert (await ledger.verify(full=True)).ok

    async def test_the_database_itself_refuses_a_negative_wallet(self, db) -> None:
        from tortoise.exceptions import IntegrityError

        _, alice, _ = await accounts(10)
        with pytest.raises(IntegrityError):
            await LedgerAccount.filter(id=alice.id).update(balance=-1)


class TestUnderConcurrency:
    async def test_the_same_id_sent_ten_times_at_once_posts_once(self, db) -> None:
        _, alice, bob = await accounts(100)
        key = uuid4()
        results = await asyncio.gather(*(ledger.transfer(key, alice, bob, 7, "gift.sent") for _ in range(10)))
        assert {r.id for r in results} == {key}
        assert await balance(bob) == (7, 0)

    @postgres_only
    async def test_racing_sweeps_expire_each_hold_once(self, db) -> None:
        issuance = await ledger.open_account("points", "platform_issuance", "platform", may_go_negative=True)
        wallets = [await ledger.open_account("points", "user_wallet", f"user:w{i}") for i in range(10)]
        for wallet in wallets:
            await ledger.transfer(uuid4(), issuance, wallet, 100, "planting.approved")
            for _ in range(3):
                await ledger.hold(uuid4(), wallet, issuance, 10, later(), "purchase.points")
        past = datetime.now(UTC) + timedelta(hours=1)
        counts = await asyncio.gather(*(ledger.expire_overdue_holds(past) for _ in range(8)), return_exceptions=True)
        assert all(isinstance(c, int) for c in counts), counts
        assert sum(counts) == 30  # type: ignore[arg-type]
        assert (await ledger.verify()).ok

    @postgres_only
    async def test_a_hundred_parallel_spends_take_exactly_what_is_affordable(self, db) -> None:
        _, alice, bob = await accounts(50)

        async def spend() -> bool:
            try:
                await ledger.transfer(uuid4(), alice, bob, 1, "gift.sent")
                return True
            except InsufficientBalance:
                return False

        outcomes = await asyncio.gather(*(spend() for _ in range(120)))
        assert sum(outcomes) == 50
        assert await balance(alice) == (0, 0)
        report = await ledger.verify()
        assert report.ok, report.problems
        conn = Tortoise.get_connection("default")
        assert conn.capabilities.dialect == "postgres"
