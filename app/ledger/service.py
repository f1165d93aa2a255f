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

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from app.core import housekeeping
from app.core.errors import AppError, Conflict, NotFound
from app.core.i18n import register_messages
from models.ledger import Hold, LedgerAccount, Transfer

LEDGERS = ("points", "fen")
MAX_AMOUNT = 10**12  # far above any real posting, far below BIGINT: an absurd amount is refused, not wrapped
_REASON = re.compile(r"^[a-z][a-z0-9_.]{0,31}$")


class InsufficientBalance(AppError):
    """The debited account would go below zero."""

    status_code = 409


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
    if ledger not in LEDGERS:
        raise AppError("ledger.unknown_ledger", ledger=ledger)
    lookup: dict[str, Any] = {"ledger": ledger, "code": code, "owner": owner}
    if account := await LedgerAccount.get_or_none(**lookup):
        return account
    try:
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


async def transfer(
    transfer_id: UUID,
    debit: LedgerAccount,
    credit: LedgerAccount,
    amount: int,
    reason: str,
    reference: str = "",
) -> Transfer:
    """Move `amount` from `debit` to `credit` at once. Replaying the same id returns the first transfer."""
    _check_amount(amount)
    _check_reason(reason, reference)
    _check_pair(debit, credit)
    request_hash = _hash("transfer", debit.id, credit.id, amount, reason, reference)
    if done := await _replayed(Transfer, transfer_id, request_hash):
        return done  # type: ignore[return-value]
    try:
        async with in_transaction():
            now = _now()
            await _release_expired_holds(debit.id, now)
            # Lock the two rows in id order, so opposite transfers cannot deadlock each other.
            if credit.id < debit.id:
                await _credit(credit, amount)
                await _take(debit, amount, reserve=False)
            else:
                await _take(debit, amount, reserve=False)
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
    except IntegrityError:
        # A concurrent request with the same id won: answer as its replay (or its conflict).
        if done := await _replayed(Transfer, transfer_id, request_hash):
            return done  # type: ignore[return-value]
        raise


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
    if expires_at <= _now():
        raise AppError("ledger.hold_in_the_past")
    request_hash = _hash("hold", debit.id, credit.id, amount, reason, reference, expires_at.isoformat())
    if done := await _replayed(Hold, hold_id, request_hash):
        return done  # type: ignore[return-value]
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
    except IntegrityError:
        if done := await _replayed(Hold, hold_id, request_hash):
            return done  # type: ignore[return-value]
        raise


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


async def verify() -> VerifyReport:
    """Check every ledger invariant from the stored rows, with SQL aggregates rather than Python loops."""
    report = VerifyReport(accounts=await LedgerAccount.all().count(), transfers=await Transfer.all().count())
    debits = dict(await Transfer.all().annotate(s=Sum("amount")).group_by("debit_id").values_list("debit_id", "s"))
    credits = dict(await Transfer.all().annotate(s=Sum("amount")).group_by("credit_id").values_list("credit_id", "s"))
    held = dict(
        await Hold.filter(status="pending").annotate(s=Sum("amount")).group_by("debit_id").values_list("debit_id", "s")
    )
    rows = await LedgerAccount.all().values_list("id", "ledger", "code", "owner", "balance", "held", "may_go_negative")
    for ledger in LEDGERS:
        total = sum(int(balance) for _, row_ledger, _, _, balance, _, _ in rows if row_ledger == ledger)
        if total != 0:
            report.problems.append(f"ledger {ledger}: balances sum to {total}, not 0")
    for account_id, ledger, code, owner, balance, held_now, may_go_negative in rows:
        name = f"account {account_id} ({ledger}/{code}/{owner})"
        expected = int(credits.get(account_id) or 0) - int(debits.get(account_id) or 0)
        if balance != expected:
            report.problems.append(f"{name}: stored balance {balance} but its transfers sum to {expected}")
        if held_now != int(held.get(account_id) or 0):
            report.problems.append(
                f"{name}: holds {held_now} but its pending holds sum to {int(held.get(account_id) or 0)}"
            )
        if not may_go_negative and (balance < 0 or balance - held_now < 0):
            report.problems.append(f"{name}: a wallet below zero (balance {balance}, held {held_now})")
    posted = await Hold.filter(status="posted").values_list("id", "posted_amount")
    moved = dict(await Transfer.filter(hold_id__isnull=False).values_list("hold_id", "amount"))
    for hold_id, posted_amount in posted:
        if moved.get(hold_id) != posted_amount:
            report.problems.append(
                f"hold {hold_id}: posted {posted_amount} but its transfer moved {moved.get(hold_id)}"
            )
    return report


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
