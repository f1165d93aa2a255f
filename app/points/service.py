"""The personal carbon account (碳账户): earning points by the rules, balance, history, export.

Points live in the `points` ledger (app/ledger): a user's wallet is `points/user_wallet/user:<public id>`,
and awards come from `points/platform_issuance/platform`. Earning obeys the caps of
`earning_rules.toml` per person, action, Beijing-time day and year, enforced in the award's own
transaction by conditional updates of `AwardCounter`, so racing requests never over-award.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.connection import get_connection
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.core.errors import AppError, Conflict, Forbidden
from app.core.i18n import BEIJING, register_messages, t
from app.ledger import service as ledger
from app.points.leaderboard import Leaderboard
from app.points.rules import Rule, Rules, load
from models.accounts import User
from models.ledger import Hold, LedgerAccount, Transfer

MAX_UNITS = 10_000
RULES: Rules = load()


@dataclass(frozen=True)
class Balance:
    balance: int
    held: int
    available: int
    holds: list[Hold]


_WALLET = "user_wallet"
_ISSUANCE = ("platform_issuance", "platform", True)  # (code, owner, may go negative)


async def wallet_of(user: User) -> LedgerAccount:
    return await ledger.open_account("points", _WALLET, f"user:{user.public_id}")


async def _wallet_and_issuance(user: User) -> tuple[LedgerAccount, LedgerAccount]:
    """The person's wallet and the platform's issuance account, in one query once both exist."""
    wallet, issuance = await ledger.open_accounts("points", (_WALLET, f"user:{user.public_id}", False), _ISSUANCE)
    return wallet, issuance


def rule_for(action: str, campaign: str | None = None) -> Rule:
    rule = RULES.rule(action, campaign)
    if rule is None:
        raise AppError("points.unknown_action", action=action, actions=", ".join(sorted(RULES.actions)))
    return rule


# Both period counters in one statement: created at the award's points, or raised by them only while the
# period stays within its cap (the conditional update runs under the row lock, so racing awards queue
# on it and never pass a cap together). A counter that would pass its cap is not returned.
_COUNT = (
    "INSERT INTO points_award_counter (user_id, action, period, awarded) VALUES ({1}, {2}, {3}, {5}), "
    "({1}, {2}, {4}, {5}) ON CONFLICT (user_id, action, period) "
    "DO UPDATE SET awarded = points_award_counter.awarded + excluded.awarded "
    "WHERE points_award_counter.awarded + excluded.awarded "
    "<= CASE WHEN points_award_counter.period = {3} THEN CAST({6} AS BIGINT) ELSE CAST({7} AS BIGINT) END RETURNING period"
)


async def _count(user: User, action: str, day: str, year: str, points: int, rule: Rule) -> None:
    """Add `points` to the day's and the year's counters, or refuse (Conflict) past either cap.

    Call inside the award's transaction: a refusal leaves the other counter raised until it rolls back.
    """
    if points > rule.daily_cap:  # a new counter starts at the award's points, unchecked by the update
        raise Conflict("points.daily_cap", cap=rule.daily_cap)
    conn = get_connection("default")
    mark = "$" if conn.capabilities.dialect == "postgres" else "?"
    sql = _COUNT.format(*(f"{mark}{i}" for i in range(8)))
    raised = {row["period"] for row in await conn.execute_query_dict(
        sql, [user.id, action, day, year, points, rule.daily_cap, rule.yearly_cap]
    )}  # fmt: skip
    if day not in raised:
        raise Conflict("points.daily_cap", cap=rule.daily_cap)
    if year not in raised:
        raise Conflict("points.yearly_cap", cap=rule.yearly_cap)


class _AlreadyAwarded(Exception):
    """The award's id is taken: its transaction rolls back and the ledger answers the first award."""


async def earn(
    award_id: UUID,
    user: User,
    action: str,
    *,
    units: int = 1,
    campaign: str | None = None,
    reference: str = "",
    now: datetime | None = None,
    self_service: bool = False,
    leaderboard: Leaderboard | None = None,
) -> Transfer:
    """Award the points `action` × `units` is worth, within the caps. `award_id` makes it idempotent.

    A new award (never a replay) is also added to `leaderboard`, after its transaction committed.
    """
    rule = rule_for(action, campaign)
    if self_service and not rule.self_service:
        raise Forbidden("points.not_self_service", action=action)
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        raise AppError("points.bad_units", maximum=MAX_UNITS, detail=[{"field": "units"}])
    points = rule.points_per_unit * units
    wallet, issuance = await _wallet_and_issuance(user)
    reason = f"earn.{action}"
    local = (now or datetime.now(BEIJING)).astimezone(BEIJING)
    # A replay needs no look-up of its own: the ledger finds its id taken when inserting the transfer,
    # after the caps (or at a cap refusal); the award rolls back and is answered as the first award.
    try:
        day, year = f"day:{local.date().isoformat()}", f"year:{local.year}"
        async with in_transaction():
            try:
                await _count(user, action, day, year, points, rule)
            except Conflict:
                # A copy of this very award may have just taken the last of the cap: then this is its retry.
                if await Transfer.exists(id=award_id):
                    raise _AlreadyAwarded from None
                raise
            awarded = await ledger.transfer_if_new(award_id, issuance, wallet, points, reason, reference)
            if awarded is None:
                raise _AlreadyAwarded
    except _AlreadyAwarded:
        return await ledger.transfer(award_id, issuance, wallet, points, reason, reference)
    if leaderboard is not None:
        # The year the ledger counts it in: the transfer's own time, which can be past midnight already.
        await leaderboard.record(user, wallet.id, awarded.created_at.astimezone(BEIJING).year)
    return awarded


async def earn_unless_capped(
    award_id: UUID, user: User, action: str, *, units: int = 1, campaign: str | None = None, reference: str = ""
) -> Transfer | None:
    """`earn` for awards that ride on another change (a check-in, an approved planting log), called
    inside that change's transaction: a reached daily or yearly cap gives no points (None) and leaves
    the change standing. The award's own savepoint rolls back; a replay of `award_id` returns the first.
    The caller adds a new award to the leaderboard after its transaction committed."""
    try:
        return await earn(award_id, user, action, units=units, campaign=campaign, reference=reference)
    except Conflict as exc:
        if exc.key in ("points.daily_cap", "points.yearly_cap"):
            return None
        raise


async def balance_of(user: User) -> Balance:
    wallet = await wallet_of(user)
    holds = await Hold.filter(debit_id=wallet.id, status="pending").order_by("expires_at")
    return Balance(balance=wallet.balance, held=wallet.held, available=wallet.balance - wallet.held, holds=holds)


def _movements(wallet: LedgerAccount) -> QuerySet[Transfer]:
    """Every transfer into or out of the wallet."""
    return Transfer.filter(Q(debit_id=wallet.id) | Q(credit_id=wallet.id))


@dataclass(frozen=True)
class HistoryLine:
    id: UUID
    at: datetime
    amount: int  # + in, - out
    reason: str
    label: str
    reference: str


def reason_label(reason: str, lang: str) -> str:
    """A person's words for a reason code: the earning rule's label, or the message catalogue's."""
    if reason.startswith("earn.") and (rule := RULES.actions.get(reason[5:])):
        return rule.label.get(lang) or rule.label["zh"]
    key = f"points.reason.{reason}"
    text = t(key, lang)
    return reason if text == key else text


async def history(user: User, lang: str, *, page: int = 1, page_size: int = 50) -> list[HistoryLine]:
    wallet = await wallet_of(user)
    rows = await _movements(wallet).order_by("-created_at", "-id").offset((page - 1) * page_size).limit(page_size)
    return [_line(row, wallet.id, lang) for row in rows]


def _line(row: Transfer, wallet_id: int, lang: str) -> HistoryLine:
    amount = row.amount if row.credit_id == wallet_id else -row.amount  # type: ignore[attr-defined]
    return HistoryLine(row.id, row.created_at, amount, row.reason, reason_label(row.reason, lang), row.reference)


@dataclass(frozen=True)
class YearSummary:
    year: int
    earned: int
    spent: int
    by_action: dict[str, int]  # earning rule action → points earned this year


async def year_summary(user: User, year: int | None = None) -> YearSummary:
    """Points earned and spent in a Beijing-time year, and what earned them."""
    year = year or datetime.now(BEIJING).year
    start = datetime(year, 1, 1, tzinfo=BEIJING)
    end = datetime(year + 1, 1, 1, tzinfo=BEIJING)
    wallet = await wallet_of(user)
    rows = (
        await _movements(wallet)
        .filter(created_at__gte=start, created_at__lt=end)
        .values_list("credit_id", "amount", "reason")
    )
    earned = spent = 0
    by_action: dict[str, int] = {}
    for credit_id, amount, reason in rows:
        if credit_id == wallet.id:
            earned += amount
            if reason.startswith("earn."):
                by_action[reason[5:]] = by_action.get(reason[5:], 0) + amount
        else:
            spent += amount
    return YearSummary(year=year, earned=earned, spent=spent, by_action=by_action)


async def history_csv(user: User, lang: str) -> str:
    """Every movement, oldest first, with a running balance whose last value is the wallet's balance."""
    wallet = await wallet_of(user)
    rows = await _movements(wallet).order_by("created_at", "id")
    out = io.StringIO()
    writer = csv.writer(out)
    headers: dict[str, list[Any]] = {
        "zh": ["时间", "变动", "余额", "原因", "原因代码", "关联", "编号"],
        "en": ["time", "change", "balance", "reason", "reason code", "reference", "id"],
    }
    writer.writerow(headers.get(lang, headers["zh"]))
    running = 0
    for row in rows:
        line = _line(row, wallet.id, lang)
        running += line.amount
        writer.writerow(
            [
                line.at.astimezone(BEIJING).isoformat(),
                line.amount,
                running,
                line.label,
                line.reason,
                line.reference,
                line.id,
            ]
        )
    return out.getvalue()


register_messages(
    {
        "points.no_district": {
            "zh": "您还没有选择所在区县：请先在个人资料里填写区县代码（district_code，例如 510112）",
            "en": "You have not chosen a district yet: set district_code in your profile first (e.g. 510112)",
        },
        "points.unknown_action": {
            "zh": "没有名为 {action} 的积分规则；可用的有：{actions}",
            "en": "No earning rule named {action}; the rules are: {actions}",
        },
        "points.not_self_service": {
            "zh": "{action} 的积分由组织者或系统发放，不能自行申请",
            "en": "Points for {action} are awarded by an organiser or the system, not on request",
        },
        "points.bad_units": {"zh": "数量（units）须为 1 到 {maximum} 之间的整数", "en": "units must be 1 to {maximum}"},
        "points.daily_cap": {
            "zh": "今天这项行为的积分已达上限（{cap} 分），明天再来吧",
            "en": "Today's cap for this action ({cap} points) is reached; come back tomorrow",
        },
        "points.yearly_cap": {
            "zh": "今年这项行为的积分已达上限（{cap} 分）",
            "en": "This year's cap for this action ({cap} points) is reached",
        },
        "points.reason.gift.sent": {"zh": "赠送积分", "en": "Points given"},
        "points.reason.purchase.points": {"zh": "积分抵扣购买碳汇", "en": "Points toward a sink-credit purchase"},
        "points.reason.correction.reversal": {"zh": "更正（冲销）", "en": "Correction (reversal)"},
    }
)
