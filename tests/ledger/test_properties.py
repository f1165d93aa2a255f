"""Random sequences of postings, holds, posts, voids and expiries keep every ledger invariant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import AppError
from app.ledger import service as ledger
from models.ledger import Hold

WALLETS = 3
step = st.one_of(
    st.tuples(st.just("earn"), st.integers(0, WALLETS - 1), st.integers(1, 50)),
    st.tuples(st.just("give"), st.integers(0, WALLETS - 1), st.integers(0, WALLETS - 1), st.integers(1, 60)),
    st.tuples(st.just("hold"), st.integers(0, WALLETS - 1), st.integers(1, 60)),
    st.tuples(st.just("post"), st.integers(0, 10), st.integers(1, 100)),  # percent of the held amount
    st.tuples(st.just("void"), st.integers(0, 10)),
    st.tuples(st.just("expire"), st.integers(0, 10)),
    st.tuples(st.just("replay"), st.integers(0, 10)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=5, max_size=40))
async def test_any_sequence_keeps_the_ledger_verifiable(db, steps) -> None:
    run = uuid4().hex[:8]  # examples share the database: each uses accounts of its own
    issuance = await ledger.open_account("points", "platform_issuance", f"platform:{run}", may_go_negative=True)
    sink = await ledger.open_account("points", "redemption_sink", f"platform:{run}", may_go_negative=True)
    wallets = [await ledger.open_account("points", "user_wallet", f"user:{run}:{i}") for i in range(WALLETS)]
    for wallet in wallets:  # a funded start, so most operations get past the balance check
        await ledger.transfer(uuid4(), issuance, wallet, 100, "planting.approved")
    holds: list = []
    done: list = []  # (id, debit, credit, amount, reason) of transfers made, for replays
    for op in steps:
        try:
            if op[0] == "earn":
                args = (uuid4(), issuance, wallets[op[1]], op[2], "planting.approved")
                await ledger.transfer(*args)
                done.append(args)
            elif op[0] == "give" and op[1] != op[2]:
                args = (uuid4(), wallets[op[1]], wallets[op[2]], op[3], "gift.sent")
                await ledger.transfer(*args)
                done.append(args)
            elif op[0] == "hold":
                expires = datetime.now(UTC) + timedelta(minutes=5)
                holds.append(await ledger.hold(uuid4(), wallets[op[1]], sink, op[2], expires, "purchase.points"))
            elif op[0] == "post" and holds:
                target = holds[op[1] % len(holds)]
                await ledger.post_hold(target.id, uuid4(), amount=max(1, target.amount * op[2] // 100))
            elif op[0] == "void" and holds:
                await ledger.void_hold(holds[op[1] % len(holds)].id)
            elif op[0] == "expire" and holds:
                target = holds[op[1] % len(holds)]
                await Hold.filter(id=target.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
                await ledger.expire_overdue_holds()
            elif op[0] == "replay" and done:
                await ledger.transfer(*done[op[1] % len(done)])  # changes nothing
        except AppError:
            pass  # refused (insufficient, resolved, more than held …): a refusal must leave no trace
        report = await ledger.verify()
        assert report.ok, (op, report.problems)
    for wallet in wallets:
        await wallet.refresh_from_db()
        assert wallet.balance >= 0 and wallet.balance - wallet.held >= 0
