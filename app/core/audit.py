"""The tamper-evident audit log: `record()` inside the business transaction; sealing comes after.

Every state change of an order, parcel, issuance, planting log, case, campaign, role or account calls
`record()` in the same transaction as the change, so the change and its record commit or roll back
together. Writers only INSERT; a sequencer later seals rows into the hash chain in commit order, so
no writer ever waits on a shared "last hash" row.

The chain (as transparency logs do it): row `seq` n carries `prev_hash` = the hash of row n-1 (64
zeros for n = 1) and `hash` = sha256 of `canonical(row)`, a sorted-key compact UTF-8 JSON of seq,
prev_hash, occurred_at, actor, action, entity_type, entity_id, before, after and request_id. Anyone
holding the rows can recompute every hash; anyone holding a published root hash can tell whether
history was rewritten. Database triggers (migrations/0003_audit.py) refuse any change to a sealed
row and any delete.

Commit order: the sequencer seals the rows it can see. A row whose transaction commits late (a
lower id committed after a higher id was sealed) is simply unsealed at the next round and gets the
next seq: rows are sealed in the order they became visible, never skipped, never re-ordered.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from models.audit import AuditEvent

log = structlog.get_logger("microsink.audit")

GENESIS_HASH = "0" * 64
SEAL_BATCH = 500  # rows per round: bounds one sealing transaction
VERIFY_BATCH = 2000
# Key of the PostgreSQL transaction-level advisory lock that admits one sequencer at a time across
# every worker process ("ms_audit" in ASCII, fits a signed bigint).
SEQUENCER_LOCK_KEY = int.from_bytes(b"ms_audit", "big")


def actor_of(user: Any | None, fallback: str = "system") -> str:
    """'user:<public_id>' for a user, else the fallback (e.g. 'cli:grant-role', 'system:outbox')."""
    if user is not None and getattr(user, "public_id", None):
        return f"user:{user.public_id}"
    return fallback


# The chain is public and can never be edited: `before` / `after` must hold no personal data (no
# phone, name or ID, not even masked), or an account deletion could not erase it. Use public ids.
async def record(
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; call it inside the transaction that makes the change."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return await AuditEvent.create(
        occurred_at=datetime.now(UTC),
        actor=actor[:64],
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        request_id=request_id,
    )


# --- the chain --------------------------------------------------------------------------------


def iso_utc(value: datetime) -> str:
    """One spelling of a moment: UTC, microseconds, 'Z' (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    seq: int,
    prev_hash: str,
    occurred_at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any,
    after: Any,
    request_id: str | None,
) -> bytes:
    """The exact bytes a row's hash covers (sorted keys, no spaces, UTF-8, non-ASCII unescaped)."""
    document = {
        "seq": seq,
        "prev_hash": prev_hash,
        "occurred_at": iso_utc(occurred_at),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "request_id": request_id,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def canonical_of(event: AuditEvent, *, seq: int | None = None, prev_hash: str | None = None) -> bytes:
    """`canonical` of a stored row, as sealed (or as it would be sealed at `seq` after `prev_hash`)."""
    return canonical(
        seq=event.seq if seq is None else seq,  # type: ignore[arg-type]
        prev_hash=event.prev_hash if prev_hash is None else prev_hash,  # type: ignore[arg-type]
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        before=event.before,
        after=event.after,
        request_id=event.request_id,
    )


def chain_hash(canonical_bytes: bytes) -> str:
    return hashlib.sha256(canonical_bytes).hexdigest()


# --- the sequencer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealResult:
    sealed: int  # rows sealed this round
    last_seq: int  # the chain's head after the round (0: empty)
    skipped: bool = False  # another sequencer held the lock; nothing was done


# SQLite runs one process, so an asyncio lock is the whole story there; one lock per event loop
# because an asyncio.Lock belongs to the loop it first waits in.
_LOCAL_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _local_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _LOCAL_LOCKS.get(loop)
    if lock is None:
        lock = _LOCAL_LOCKS[loop] = asyncio.Lock()
    return lock


async def seal(batch_size: int = SEAL_BATCH) -> SealResult:
    """One sealing round: append up to `batch_size` visible unsealed rows to the chain, by id.

    Only one sequencer runs at a time: on PostgreSQL the round takes a transaction-level advisory
    lock (a busy lock means another worker is sealing, and this round skips); on SQLite, which runs
    one process, an asyncio lock. The round is one transaction: it commits whole or not at all.
    """
    lock = _local_lock()
    if lock.locked():
        return SealResult(0, 0, skipped=True)
    async with lock:
        async with in_transaction() as conn:
            dialect = conn.capabilities.dialect
            if dialect == "postgres":
                rows = await conn.execute_query_dict("SELECT pg_try_advisory_xact_lock($1) AS ok", [SEQUENCER_LOCK_KEY])
                if not rows[0]["ok"]:
                    return SealResult(0, 0, skipped=True)
            else:
                # Take SQLite's write lock before reading, so another process sealing at the same time
                # waits (busy_timeout) instead of failing on a stale read snapshot (STACK.md §1).
                await conn.execute_query("UPDATE audit_event SET seq = seq WHERE 0")
            return await _seal_round(conn, dialect, batch_size)


async def _seal_round(conn: BaseDBAsyncClient, dialect: str, batch_size: int) -> SealResult:
    head = await AuditEvent.filter(seq__isnull=False).order_by("-seq").using_db(conn).first()
    last_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    pending = await AuditEvent.filter(seq__isnull=True).order_by("id").limit(batch_size).using_db(conn)
    if not pending:
        return SealResult(0, last_seq or 0)
    sealed_at = datetime.now(UTC)
    ids, seqs, prevs, hashes = [], [], [], []
    for event in pending:
        last_seq += 1
        digest = chain_hash(canonical_of(event, seq=last_seq, prev_hash=prev_hash))
        ids.append(event.id)
        seqs.append(last_seq)
        prevs.append(prev_hash)
        hashes.append(digest)
        prev_hash = digest
    if dialect == "postgres":
        updated, _ = await conn.execute_query(
            "UPDATE audit_event AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, sealed_at = $5 "
            "FROM unnest($1::bigint[], $2::bigint[], $3::varchar[], $4::varchar[]) AS v(id, seq, prev_hash, hash) "
            "WHERE a.id = v.id AND a.seq IS NULL",
            [ids, seqs, prevs, hashes, sealed_at],
        )
    else:
        updated = 0
        for values in zip(seqs, prevs, hashes, ids, strict=True):
            n, _ = await conn.execute_query(
                "UPDATE audit_event SET seq = ?, prev_hash = ?, hash = ?, sealed_at = ? WHERE id = ? AND seq IS NULL",
                [values[0], values[1], values[2], sealed_at, values[3]],
            )
            updated += n
    if updated != len(pending):
        # Impossible while we hold the lock; refuse to commit a chain with a hole rather than guess.
        raise RuntimeError(f"audit sequencer sealed {updated} of {len(pending)} rows; round rolled back")
    return SealResult(len(pending), last_seq)


async def seal_all(batch_size: int = SEAL_BATCH) -> int:
    """Seal rounds until nothing visible is left unsealed (or another sequencer holds the lock)."""
    total = 0
    while True:
        result = await seal(batch_size)
        total += result.sealed
        if result.skipped or result.sealed < batch_size:
            return total


async def run_sequencer(interval_s: float) -> None:
    """The background loop: a round every `interval_s` seconds until cancelled."""
    while True:
        try:
            await seal_all()
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round rolls back whole; the next one tries again
            log.exception("audit_seal_failed")
        await asyncio.sleep(interval_s)


@asynccontextmanager
async def sequencer_running(interval_s: float, enabled: bool = True) -> AsyncIterator[None]:
    """Runs `run_sequencer` beside the app while the context is open; cancels it cleanly on exit."""
    if not enabled:
        yield
        return
    task = asyncio.create_task(run_sequencer(interval_s), name="audit-sequencer")
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first sealed row at which the chain does not hold."""

    seq: int
    id: int
    kind: str  # "seq_gap" | "prev_hash_mismatch" | "content_hash_mismatch"
    expected: str
    found: str

    def describe(self) -> str:
        what = {
            "seq_gap": "sequence gap: a sealed row is missing before this one",
            "prev_hash_mismatch": "prev_hash link broken: it does not equal the previous row's hash",
            "content_hash_mismatch": "content hash mismatch: the row's content or hash was changed after sealing",
        }[self.kind]
        return f"seq {self.seq} (id {self.id}): {what}; expected {self.expected}, found {self.found}"


@dataclass(frozen=True)
class VerifyReport:
    sealed: int
    unsealed: int
    last_seq: int
    root_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


async def verify(batch_size: int = VERIFY_BATCH) -> VerifyReport:
    """Recompute the chain from seq 1 and report the first row where it breaks, if any."""
    expected_seq, prev_hash = 1, GENESIS_HASH
    first_break: ChainBreak | None = None
    after = 0
    while first_break is None:
        rows = await AuditEvent.filter(seq__gt=after).order_by("seq").limit(batch_size)
        if not rows:
            break
        for event in rows:
            assert event.seq is not None
            if event.seq != expected_seq:
                first_break = ChainBreak(event.seq, event.id, "seq_gap", str(expected_seq), str(event.seq))
            elif event.prev_hash != prev_hash:
                first_break = ChainBreak(event.seq, event.id, "prev_hash_mismatch", prev_hash, str(event.prev_hash))
            else:
                digest = chain_hash(canonical_of(event))
                if digest != event.hash:
                    first_break = ChainBreak(event.seq, event.id, "content_hash_mismatch", digest, str(event.hash))
            if first_break is not None:
                break
            prev_hash, expected_seq = event.hash, expected_seq + 1  # type: ignore[assignment]
        after = rows[-1].seq  # type: ignore[assignment]
    total_sealed = await AuditEvent.filter(seq__isnull=False).count()
    unsealed = await AuditEvent.filter(seq__isnull=True).count()
    head = await AuditEvent.filter(seq__isnull=False).order_by("-seq").first()
    return VerifyReport(
        sealed=total_sealed,
        unsealed=unsealed,
        last_seq=head.seq if head and head.seq else 0,
        root_hash=head.hash if head and head.hash else GENESIS_HASH,
        first_break=first_break,
    )
