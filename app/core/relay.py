"""The claim / lease / fence loop shared by every at-least-once relay (notifications, city pushes).

A relay delivers rows of a table with the columns `status` (pending | sending | …), `attempts`,
`lease_until`, `next_attempt_at` and `last_error`:
- a short claiming transaction takes due rows (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, the
  same conditional update on SQLite, which runs one process) and moves them to `sending` with a lease
  and `attempts + 1`;
- the delivery happens outside any transaction;
- its outcome is written by a conditional update fenced by the attempt number (`fence`), so a worker
  whose lease ran out cannot overwrite the result of the worker that took the row over;
- a failure goes back to `pending` after `base · 2^(attempts-1)` (capped), or ends `failed` when the
  error says retrying cannot help (`retryable = False`) or the attempts are used up.
Each relay keeps what is its own: how to deliver a row and what a success records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

RowT = TypeVar("RowT", bound=Model)


@dataclass(frozen=True)
class RelayPolicy:
    batch_size: int = 20
    lease_s: float = 300.0
    send_timeout_s: float = 30.0
    max_attempts: int = 8
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 6 * 3600.0

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff_base_s * 2 ** max(attempts - 1, 0), self.backoff_cap_s))


def due(now: datetime) -> Q:
    """Pending and due, or sending with a lease that ran out (its worker died or stalled)."""
    return Q(status="pending", next_attempt_at__lte=now) | Q(status="sending", lease_until__lte=now)


async def claim_due(model: type[RowT], now: datetime, policy: RelayPolicy) -> list[tuple[RowT, int]]:
    """Take up to `batch_size` due rows; returns each row with its attempt number after this claim."""
    claimed: list[tuple[RowT, int]] = []
    lease_until = now + timedelta(seconds=policy.lease_s)
    async with in_transaction() as conn:
        rows = (
            await model.filter(due(now), attempts__lt=policy.max_attempts)
            .order_by("next_attempt_at", "id")
            .limit(policy.batch_size)
            .select_for_update(skip_locked=True)
            .using_db(conn)
        )
        for row in rows:
            attempts: int = row.attempts  # type: ignore[attr-defined]
            # Conditional on what we read: redundant under the PostgreSQL row lock, the guard elsewhere.
            taken = await (
                model.filter(due(now), id=row.pk, attempts=attempts)
                .using_db(conn)
                .update(status="sending", lease_until=lease_until, attempts=attempts + 1)
            )
            if taken:
                claimed.append((row, attempts + 1))
    return claimed


async def expire_exhausted(model: type[Model], now: datetime, policy: RelayPolicy) -> int:
    """A row whose last allowed attempt crashed mid-delivery is failed, not delivered an extra time."""
    return await model.filter(status="sending", lease_until__lte=now, attempts__gte=policy.max_attempts).update(
        status="failed", lease_until=None, last_error="lease expired during the last allowed attempt; delivery unknown"
    )


def fence(model: type[Model], row_id: int, attempts: int) -> QuerySet[Any]:
    """The row as this worker claimed it: an update through it changes nothing once the row moved on."""
    return model.filter(id=row_id, status="sending", attempts=attempts)


@dataclass(frozen=True)
class Failure:
    error: str
    permanent: bool
    outcome: str  # "failed" | "retried"
    recorded: bool  # false when the row had already moved on without us


async def record_failure(
    fenced: QuerySet[Any],
    exc: BaseException,
    attempts: int,
    now: datetime,
    policy: RelayPolicy,
    **extra: Any,
) -> Failure:
    """Write a failed delivery on the row: retry later with backoff, or fail for good. Never lost."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, TimeoutError):
        error = f"delivery timed out after {policy.send_timeout_s} s"
    permanent = getattr(exc, "retryable", True) is False
    if permanent or attempts >= policy.max_attempts:
        done = await fenced.update(status="failed", lease_until=None, last_error=error, **extra)
        return Failure(error, permanent, "failed", bool(done))
    done = await fenced.update(
        status="pending", lease_until=None, last_error=error, next_attempt_at=now + policy.backoff(attempts), **extra
    )
    return Failure(error, permanent, "retried", bool(done))


async def run_forever(
    one_pass: Callable[[], Awaitable[int]], batch_size: int, poll_interval_s: float, log_event: str
) -> None:
    """Run passes until cancelled; a full batch (`one_pass` returns how many it claimed) goes again at once."""
    log = structlog.get_logger("microsink.relay")
    while True:
        try:
            busy = await one_pass() >= batch_size
        except asyncio.CancelledError:
            raise
        except Exception:  # a database hiccup must not end the relay
            log.exception(log_event)
            busy = False
        if not busy:
            await asyncio.sleep(poll_interval_s)
