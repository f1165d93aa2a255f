"""The ledger: transfers, two-phase holds and verification, for points today and fen later.

Rules, each kept by the database or by one conditional statement, never by read-then-write:
- every transfer moves a positive integer between two accounts of one ledger, so a ledger sums to 0;
- a wallet (may_go_negative false) never goes below zero, counting what its pending holds reserve;
- a transfer's or hold's id is the caller's idempotency key: the same id with the same request returns
  the first result, with another request it is a conflict;
- a hold is posted (fully or partly), voided or expired exactly once, and never posted after
  `expires_at`; expired holds stop reserving the moment any operation touches their account, and a
  periodic sweep tidies up the rest;
- corrections are new reversing transfers, never edits.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from app.core import housekeeping
from app.core.db import columns_of, dialect, hydrate
from app.core.errors import AppError, Conflict, NotFound
from app.core.i18n import register_messages
from models.ledger import Hold, LedgerAccount, Transfer

LEDGERS = ("points", "fen")
MAX_AMOUNT = 10**12  # far above any real posting, far below BIGINT: an absurd amount is refused, not wrapped
_REASON = re.compile(r"^[a-z][a-z0-9_.]{0,31}$")


class InsufficientBalance(AppError):
    """The debited account would go below zero."""

    status_code = 409


def connection() -> BaseDBAsyncClient:
    return get_connection("default")


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _check_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise AppError("ledger.bad_amount", maximum=MAX_AMOUNT, detail=[{"field": "amount"}])
    return amount


def _check_reason(reason: str, reference: str) -> None:
    if not _REASON.match(reason or ""):
        raise AppError("ledger.bad_reason", reason=reason, detail=[{"field": "reason"}])
    if len(reference) > 128:
        raise AppError("ledger.bad_reference", detail=[{"field": "reference"}])


def _check_pair(debit: LedgerAccount, credit: LedgerAccount) -> None:
    if debit.id == credit.id:
        raise AppError("ledger.same_account")
    if debit.ledger != credit.ledger:
        raise AppError("ledger.mixed_ledgers", debit=debit.ledger, credit=credit.ledger)


async def open_account(ledger: str, code: str, owner: str, *, may_go_negative: bool = False) -> LedgerAccount:
    """The account for (ledger, code, owner), created on first use; safe to call concurrently."""
    return (await open_accounts(ledger, (code, owner, may_go_negative)))[0]


@functools.cache
def _accounts_sql(n: int) -> str:
    either = " OR ".join(f"(a.code = ${2 * i + 2} AND a.owner = ${2 * i + 3})" for i in range(n))
    return f"SELECT {columns_of(LedgerAccount, 'a')} FROM ledger_account a WHERE a.ledger = $1 AND ({either})"


async def open_accounts(ledger: str, *wanted: tuple[str, str, bool]) -> list[LedgerAccount]:
    """`open_account` for several (code, owner, may_go_negative) of one ledger, in `wanted` order.

    One query when they all exist (the usual case: an account is created once in its life).
    """
    if ledger not in LEDGERS:
        raise AppError("ledger.unknown_ledger", ledger=ledger)
    if dialect() == "postgres":  # every posting opens its accounts: a fixed statement, not the ORM's build
        pairs = [value for code, owner, _ in wanted for value in (code, owner)]
        _, rows = await connection().execute_query(_accounts_sql(len(wanted)), [ledger, *pairs])
        found = {(row["code"], row["owner"]): hydrate(LedgerAccount, row) for row in rows}
    else:
        either = Q(*(Q(code=code, owner=owner) for code, owner, _ in wanted), join_type=Q.OR)
        found = {(a.code, a.owner): a for a in await LedgerAccount.filter(Q(ledger=ledger) & either)}
    return [found.get((code, owner)) or await _create_account(ledger, code, owner, neg) for code, owner, neg in wanted]


_CREATE_ACCOUNT_PG = (
    "INSERT INTO ledger_account (ledger, code, owner, balance, held, may_go_negative, created_at) "
    "VALUES ($1, $2, $3, 0, 0, $4, $5) ON CONFLICT (ledger, code, owner) DO NOTHING RETURNING id"
)


async def _create_account(ledger: str, code: str, owner: str, may_go_negative: bool) -> LedgerAccount:
    lookup: dict[str, Any] = {"ledger": ledger, "code": code, "owner": owner}
    if dialect() == "postgres":
        # One statement, no savepoint: a concurrent creator's row is skipped, not an error, and read back.
        now = _now()
        rows = await connection().execute_query_dict(_CREATE_ACCOUNT_PG, [ledger, code, owner, may_go_negative, now])
        if rows:
            # Built from the values just written, not read back (construct: no per-field validation).
            return LedgerAccount.construct(
                _saved_in_db=True,
                id=rows[0]["id"],
                **lookup,
                balance=0,
                held=0,
                may_go_negative=may_go_negative,
                created_at=now,
            )
        return await LedgerAccount.get(**lookup)
    try:
        # A transaction of its own (a savepoint inside the caller's): a concurrent creator's row makes
        # this insert fail without aborting the caller's transaction, and is then read back.
        async with in_transaction():
            return await LedgerAccount.create(**lookup, may_go_negative=may_go_negative)
    except IntegrityError:
        return await LedgerAccount.get(**lookup)


async def _release_expired_holds(account_id: int, now: datetime) -> int:
    """Expire the account's overdue holds, each exactly once, and stop them reserving. Returns how many."""
    overdue = await Hold.filter(debit_id=account_id, status="pending", expires_at__lte=now).values_list("id", "amount")
    expired = 0
    for hold_id, amount in overdue:
        # The status condition makes each expiry happen once, whoever else is sweeping.
        if await Hold.filter(id=hold_id, status="pending").update(status="expired", resolved_at=now):
            await LedgerAccount.filter(id=account_id).update(held=F("held") - amount)
            expired += 1
    return expired


async def _take(account: LedgerAccount, amount: int, *, reserve: bool) -> None:
    """Debit `amount` (or reserve it, for a hold) in one conditional update; fails rather than overdraw."""
    affordable = Q(may_go_negative=True) | Q(balance__gte=F("held") + amount)
    change = {"held": F("held") + amount} if reserve else {"balance": F("balance") - amount}
    if not await LedgerAccount.filter(Q(id=account.id) & affordable).update(**change):
        raise InsufficientBalance("ledger.insufficient", amount=amount)


async def _credit(account: LedgerAccount, amount: int) -> None:
    await LedgerAccount.filter(id=account.id).update(balance=F("balance") + amount)


async def _replayed(model: type[Transfer] | type[Hold], key: UUID, request_hash: str) -> Transfer | Hold | None:
    existing = await model.get_or_none(id=key)
    if existing is None:
        return None
    if existing.request_hash != request_hash:
        raise Conflict("ledger.id_reused")
    return existing


async def _after_lost_race(
    model: type[Transfer] | type[Hold], key: UUID, request_hash: str, lost: IntegrityError
) -> Transfer | Hold:
    """A concurrent request with the same id inserted first: answer as its replay (or its conflict)."""
    if done := await _replayed(model, key, request_hash):
        return done
    raise lost


async def transfer(
    transfer_id: UUID,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount: int,
    reason: str,
    reference: str = "",
    *,
    known_new: bool = False,
) -> Transfer:
    """Move `amount` from `debit` to `credit` at once. Replaying the same id returns the first transfer.

    `known_new`: the caller has just looked `transfer_id` up inside its own transaction and found no
    transfer, so the replay look-up is skipped; a concurrent insert of the same id still fails on the
    primary key and is answered as its replay (or its conflict), as without the flag.
    """
    request_hash = _check_transfer(debit, credit, amount, reason, reference)
    if not known_new and (done := await _replayed(Transfer, transfer_id, request_hash)):
        return done  # type: ignore[return-value]
    if debit.may_go_negative and dialect() == "postgres":
        if moved := await _transfer_unrefusable(transfer_id, debit, credit, amount, reason, reference, request_hash):
            return moved
        return await _after_lost_race(Transfer, transfer_id, request_hash, IntegrityError(transfer_id))  # type: ignore[return-value]
    try:
        async with in_transaction():
            now = _now()
            # Touch the two rows in id order, so opposite transfers cannot deadlock each other; the
            # debit's overdue holds are released just before it is debited.
            if credit.id < debit.id:
                await _credit(credit, amount)
            await _release_expired_holds(debit.id, now)
            await _take(debit, amount, reserve=False)
            if credit.id > debit.id:
                await _credit(credit, amount)
            return await Transfer.create(
                id=transfer_id,
                ledger=debit.ledger,
                debit_id=debit.id,
                credit_id=credit.id,
                amount=amount,
                reason=reason,
                reference=reference,
                request_hash=request_hash,
            )
    except IntegrityError as lost:
        return await _after_lost_race(Transfer, transfer_id, request_hash, lost)  # type: ignore[return-value]


async def transfer_if_new(
    transfer_id: UUID, debit: LedgerAccount, credit: LedgerAccount, amount: int, reason: str, reference: str = ""
) -> Transfer | None:
    """`transfer`, inside the caller's transaction, for a caller that must know whether `transfer_id` is
    new: None when a transfer with that id exists already (then nothing was changed, and `transfer`
    answers it as a replay or a conflict), else the new transfer."""
    request_hash = _check_transfer(debit, credit, amount, reason, reference)
    if debit.may_go_negative and dialect() == "postgres":
        return await _transfer_unrefusable(transfer_id, debit, credit, amount, reason, reference, request_hash)
    if await Transfer.exists(id=transfer_id):
        return None
    return await transfer(transfer_id, debit, credit, amount, reason, reference, known_new=True)


def _check_transfer(debit: LedgerAccount, credit: LedgerAccount, amount: int, reason: str, reference: str) -> str:
    """Refuse a malformed transfer; the hash that tells its replay from a reuse of its id."""
    _check_amount(amount)
    _check_reason(reason, reference)
    _check_pair(debit, credit)
    return _hash("transfer", debit.id, credit.id, amount, reason, reference)


# A debit that may go negative cannot refuse a transfer, so no savepoint is needed: the insert claims
# the id first (a taken id skips the insert and changes nothing; a concurrent insert of the same id is
# waited for), then one update moves both balances, after locking the two rows in id order so that
# opposite transfers cannot deadlock. FOR NO KEY UPDATE, the lock an UPDATE takes anyway: FOR UPDATE
# would conflict with the KEY SHARE locks that concurrent transfers' foreign-key checks hold on the
# same accounts until they commit, and deadlock with them. Expired holds on such an account reserve nothing any check reads;
# the periodic sweep releases them.
_INSERT_TRANSFER_PG = (
    "INSERT INTO ledger_transfer (id, ledger, debit_id, credit_id, amount, reason, reference, request_hash, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING RETURNING id"
)
_MOVE_PG = (
    "UPDATE ledger_account SET balance = balance + CASE WHEN id = $1 THEN -$3::bigint ELSE $3::bigint END "
    "WHERE id IN (SELECT id FROM ledger_account WHERE id IN ($1, $2) ORDER BY id FOR NO KEY UPDATE)"
)


async def _transfer_unrefusable(
    transfer_id: UUID,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount: int,
    reason: str,
    reference: str,
    request_hash: str,
) -> Transfer | None:
    """PostgreSQL: insert the transfer and move both balances in two statements; None if the id is taken."""
    now = _now()
    values = [transfer_id, debit.ledger, debit.id, credit.id, amount, reason, reference, request_hash, now]
    async with _transaction() as conn:
        if not await conn.execute_query_dict(_INSERT_TRANSFER_PG, values):
            return None
        await conn.execute_query(_MOVE_PG, [debit.id, credit.id, amount])
    return Transfer.construct(  # from the values just written, not read back
        _saved_in_db=True,
        id=transfer_id,
        ledger=debit.ledger,
        debit_id=debit.id,
        credit_id=credit.id,
        amount=amount,
        reason=reason,
        reference=reference,
        request_hash=request_hash,
        hold_id=None,
        created_at=now,
    )


@asynccontextmanager
async def _transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """The caller's transaction if there is one (no savepoint), else a new one."""
    conn = connection()
    if isinstance(conn, TransactionalDBClient):
        yield conn
    else:
        async with in_transaction() as tx:
            yield tx


async def hold(
    hold_id: UUID,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount: int,
    expires_at: datetime,
    reason: str,
    reference: str = "",
) -> Hold:
    """Reserve `amount` on `debit` until `expires_at`; nothing moves until the hold is posted."""
    _check_amount(amount)
    _check_reason(reason, reference)
    _check_pair(debit, credit)
    request_hash = _hash("hold", debit.id, credit.id, amount, reason, reference, expires_at.isoformat())
    if done := await _replayed(Hold, hold_id, request_hash):
        return done  # type: ignore[return-value]  # a replay, even after the hold expired
    if expires_at <= _now():
        raise AppError("ledger.hold_in_the_past")
    try:
        async with in_transaction():
            await _release_expired_holds(debit.id, _now())
            await _take(debit, amount, reserve=True)
            return await Hold.create(
                id=hold_id,
                ledger=debit.ledger,
                debit_id=debit.id,
                credit_id=credit.id,
                amount=amount,
                reason=reason,
                reference=reference,
                request_hash=request_hash,
                expires_at=expires_at,
            )
    except IntegrityError as lost:
        return await _after_lost_race(Hold, hold_id, request_hash, lost)  # type: ignore[return-value]


async def _pending_hold(hold_id: UUID) -> Hold:
    found = await Hold.get_or_none(id=hold_id)
    if found is None:
        raise NotFound("ledger.hold_not_found")
    return found


def _why_not_pending(found: Hold, now: datetime) -> AppError:
    if found.status == "pending" and found.expires_at <= now:
        return Conflict("ledger.hold_expired")
    return Conflict("ledger.hold_resolved", status=found.status)


async def post_hold(hold_id: UUID, transfer_id: UUID, amount: int | None = None) -> Transfer:
    """Move the held amount (or part of it; the rest is released) as transfer `transfer_id`, once."""
    found = await _pending_hold(hold_id)
    posted = found.amount if amount is None else _check_amount(amount)
    if posted > found.amount:
        raise AppError("ledger.post_more_than_held", amount=posted, held=found.amount)
    request_hash = _hash("post", hold_id, posted)
    if done := await _replayed(Transfer, transfer_id, request_hash):
        return done  # type: ignore[return-value]
    now = _now()
    try:
        return await _post_claimed(found, hold_id, transfer_id, posted, request_hash, now)
    except IntegrityError as lost:
        return await _after_lost_race(Transfer, transfer_id, request_hash, lost)  # type: ignore[return-value]


async def _post_claimed(
    found: Hold, hold_id: UUID, transfer_id: UUID, posted: int, request_hash: str, now: datetime
) -> Transfer:
    async with in_transaction():
        # The one conditional update that makes posting happen once, and never after expiry.
        claimed = await Hold.filter(id=hold_id, status="pending", expires_at__gt=now).update(
            status="posted", posted_amount=posted, resolved_at=now
        )
        if not claimed:
            if done := await _replayed(Transfer, transfer_id, request_hash):
                return done  # type: ignore[return-value]  # a concurrent replay posted it
            raise _why_not_pending(await _pending_hold(hold_id), now)
        # The hold reserved the full amount: debiting what is posted and releasing the reservation
        # keeps balance - held unchanged or larger, so this cannot overdraw.
        await LedgerAccount.filter(id=found.debit_id).update(  # type: ignore[attr-defined]
            balance=F("balance") - posted, held=F("held") - found.amount
        )
        await LedgerAccount.filter(id=found.credit_id).update(balance=F("balance") + posted)  # type: ignore[attr-defined]
        return await Transfer.create(
            id=transfer_id,
            ledger=found.ledger,
            debit_id=found.debit_id,  # type: ignore[attr-defined]
            credit_id=found.credit_id,  # type: ignore[attr-defined]
            amount=posted,
            reason=found.reason,
            reference=found.reference,
            request_hash=request_hash,
            hold_id=hold_id,
        )


async def void_hold(hold_id: UUID) -> Hold:
    """Release a pending hold without moving anything; voiding twice is refused."""
    now = _now()
    async with in_transaction():
        found = await _pending_hold(hold_id)
        if not await Hold.filter(id=hold_id, status="pending", expires_at__gt=now).update(
            status="voided", resolved_at=now
        ):
            raise _why_not_pending(await _pending_hold(hold_id), now)
        await LedgerAccount.filter(id=found.debit_id).update(held=F("held") - found.amount)  # type: ignore[attr-defined]
    return await _pending_hold(hold_id)


async def expire_overdue_holds(now: datetime | None = None) -> int:
    """The periodic tidy-up: expire every overdue hold (each exactly once). Returns how many."""
    now = now or _now()
    accounts = await Hold.filter(status="pending", expires_at__lte=now).distinct().values_list("debit_id", flat=True)
    expired = 0
    for account_id in accounts:
        async with in_transaction():
            expired += await _release_expired_holds(cast(int, account_id), now)
    return expired


housekeeping.register("ledger.expire_overdue_holds", expire_overdue_holds)


@dataclass
class VerifyReport:
    """What `verify` found; `ok` when nothing."""

    accounts: int = 0
    transfers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# Weights for the one-scan balance check: w1(id) = id and w2(id) = id² mod a prime. If every stored
# balance equals the sum of its transfers, then Σ balance·w = Σ amount·(w(credit) − w(debit)) for both.
# With the per-ledger zero sum (w0 = 1) this catches any wrong balance in one or two accounts for
# certain, and more only unless the errors cancel under all three weightings; any mismatch (or
# `full=True`) runs the exact per-account comparison, which names the accounts. Products stay within
# 64 bits for amounts ≤ MAX_AMOUNT and ids below about nine million.
_W2 = "(({col} * {col}) % 1000003)"
_TRANSFER_SCAN = (
    "SELECT COUNT(*) AS n, COALESCE(SUM(amount * (credit_id - debit_id)), 0) AS w1, "
    f"COALESCE(SUM(amount * ({_W2.format(col='credit_id')} - {_W2.format(col='debit_id')})), 0) AS w2 "
    "FROM ledger_transfer"
)
_ACCOUNT_SCAN = (
    "SELECT ledger, COUNT(*) AS n, COALESCE(SUM(balance), 0) AS total, COALESCE(SUM(balance * id), 0) AS w1, "
    f"COALESCE(SUM(balance * {_W2.format(col='id')}), 0) AS w2 FROM ledger_account GROUP BY ledger"
)
_NEGATIVE_WALLETS = (
    "SELECT id, ledger, code, owner, balance, held FROM ledger_account "
    "WHERE NOT may_go_negative AND (balance < 0 OR balance - held < 0) ORDER BY id LIMIT 50"
)
_HELD_MISMATCH = (
    "SELECT a.id, a.ledger, a.code, a.owner, a.held, COALESCE(h.s, 0) AS pending FROM ledger_account a "
    "LEFT JOIN (SELECT debit_id, SUM(amount) AS s FROM ledger_hold WHERE status = 'pending' GROUP BY debit_id) h "
    "ON h.debit_id = a.id WHERE a.held <> COALESCE(h.s, 0) ORDER BY a.id LIMIT 50"
)
_POSTED_MISMATCH = (
    "SELECT h.id, h.posted_amount, t.amount FROM ledger_hold h LEFT JOIN ledger_transfer t ON t.hold_id = h.id "
    "WHERE h.status = 'posted' AND (t.amount IS NULL OR t.amount <> h.posted_amount) LIMIT 50"
)


async def verify(*, full: bool = False) -> VerifyReport:
    """Check every ledger invariant from the stored rows: one pass over the transfers, small queries
    over accounts and holds, and the exact per-account comparison when anything disagrees."""
    conn = Tortoise.get_connection("default")
    scan = (await conn.execute_query_dict(_TRANSFER_SCAN))[0]
    per_ledger = await conn.execute_query_dict(_ACCOUNT_SCAN)
    report = VerifyReport(accounts=sum(int(r["n"]) for r in per_ledger), transfers=int(scan["n"]))
    for row in per_ledger:
        if int(row["total"]) != 0:
            report.problems.append(f"ledger {row['ledger']}: balances sum to {int(row['total'])}, not 0")
    weighted = (sum(int(r["w1"]) for r in per_ledger), sum(int(r["w2"]) for r in per_ledger))
    if full or weighted != (int(scan["w1"]), int(scan["w2"])) or report.problems:
        report.problems += await _balances_not_matching_transfers()
    for r in await conn.execute_query_dict(_NEGATIVE_WALLETS):
        name = f"account {r['id']} ({r['ledger']}/{r['code']}/{r['owner']})"
        report.problems.append(f"{name}: a wallet below zero (balance {r['balance']}, held {r['held']})")
    for r in await conn.execute_query_dict(_HELD_MISMATCH):
        name = f"account {r['id']} ({r['ledger']}/{r['code']}/{r['owner']})"
        report.problems.append(f"{name}: holds {r['held']} but its pending holds sum to {r['pending']}")
    for r in await conn.execute_query_dict(_POSTED_MISMATCH):
        report.problems.append(f"hold {r['id']}: posted {r['posted_amount']} but its transfer moved {r['amount']}")
    return report


async def _balances_not_matching_transfers() -> list[str]:
    """The exact, slower comparison: every account's stored balance against the sum of its transfers."""
    debits = dict(await Transfer.all().annotate(s=Sum("amount")).group_by("debit_id").values_list("debit_id", "s"))
    credits = dict(await Transfer.all().annotate(s=Sum("amount")).group_by("credit_id").values_list("credit_id", "s"))
    problems = []
    for account_id, ledger, code, owner, balance in (
        await LedgerAccount.all().order_by("id").values_list("id", "ledger", "code", "owner", "balance")
    ):
        expected = int(credits.get(account_id) or 0) - int(debits.get(account_id) or 0)
        if balance != expected:
            name = f"account {account_id} ({ledger}/{code}/{owner})"
            problems.append(f"{name}: stored balance {balance} but its transfers sum to {expected}")
    return problems


register_messages(
    {
        "ledger.bad_amount": {
            "zh": "数额（amount）须为 1 到 {maximum} 之间的整数",
            "en": "amount must be a whole number from 1 to {maximum}",
        },
        "ledger.bad_reason": {
            "zh": "原因代码 {reason} 无效：须为小写字母开头、不超过 32 位的代码，如 planting.approved",
            "en": "Reason code {reason} is invalid: use up to 32 lowercase characters, e.g. planting.approved",
        },
        "ledger.bad_reference": {
            "zh": "关联编号（reference）最多 128 个字符",
            "en": "reference: at most 128 characters",
        },
        "ledger.same_account": {
            "zh": "转出与转入不能是同一个账户",
            "en": "Debit and credit must be different accounts",
        },
        "ledger.mixed_ledgers": {
            "zh": "不能在不同账本之间转账（{debit} → {credit}）",
            "en": "Cannot move between ledgers ({debit} → {credit})",
        },
        "ledger.unknown_ledger": {"zh": "未知的账本 {ledger}", "en": "Unknown ledger {ledger}"},
        "ledger.insufficient": {
            "zh": "余额不足：可用余额少于 {amount}",
            "en": "Insufficient balance: less than {amount} available",
        },
        "ledger.id_reused": {
            "zh": "此编号已用于另一笔内容不同的记账；新的记账请使用新编号",
            "en": "This id was already used for a different posting; use a new id for a new posting",
        },
        "ledger.hold_in_the_past": {"zh": "冻结的到期时间必须在将来", "en": "A hold must expire in the future"},
        "ledger.hold_not_found": {"zh": "找不到这笔冻结", "en": "No such hold"},
        "ledger.hold_expired": {
            "zh": "这笔冻结已过期，不能再入账",
            "en": "This hold has expired and can no longer be posted",
        },
        "ledger.hold_resolved": {
            "zh": "这笔冻结已处理（{status}），不能重复操作",
            "en": "This hold is already {status} and cannot change again",
        },
        "ledger.post_more_than_held": {
            "zh": "入账数额 {amount} 超过了冻结数额 {held}",
            "en": "Cannot post {amount}: only {held} is held",
        },
    }
)
