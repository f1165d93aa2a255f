"""Public views of the audit chain: its root, and its sealed events for anyone to recompute."""

from __future__ import annotations

from app.audit.schemas import AuditEventOut, AuditEventPage, AuditRoot
from app.core.audit import GENESIS_HASH, canonical_of, iso_utc
from models.audit import AuditEvent

MAX_PAGE = 500


async def root() -> AuditRoot:
    """The head of the chain, with counts that agree with it even while the sequencer runs."""
    head = await AuditEvent.filter(seq__isnull=False).order_by("-seq").first()
    if head is None or head.seq is None:
        return AuditRoot(count=0, last_seq=0, root_hash=GENESIS_HASH, sealed_at=None, unsealed=await _unsealed())
    # Counted up to the head we read, so a round sealing meanwhile cannot make count exceed last_seq.
    count = await AuditEvent.filter(seq__isnull=False, seq__lte=head.seq).count()
    return AuditRoot(
        count=count, last_seq=head.seq, root_hash=str(head.hash), sealed_at=head.sealed_at, unsealed=await _unsealed()
    )


async def _unsealed() -> int:
    return await AuditEvent.filter(seq__isnull=True).count()


def _out(event: AuditEvent) -> AuditEventOut:
    assert event.seq is not None and event.hash is not None and event.prev_hash is not None
    assert event.sealed_at is not None
    return AuditEventOut(
        seq=event.seq,
        occurred_at=iso_utc(event.occurred_at),
        actor=event.actor,
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        before=event.before,
        after=event.after,
        request_id=event.request_id,
        prev_hash=event.prev_hash,
        hash=event.hash,
        sealed_at=event.sealed_at,
        canonical=canonical_of(event).decode("utf-8"),
    )


async def events(after_seq: int = 0, limit: int = 100) -> AuditEventPage:
    """Sealed events with seq > after_seq, in chain order."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = await AuditEvent.filter(seq__gt=after_seq).order_by("seq").limit(limit)
    items = [_out(e) for e in rows]
    return AuditEventPage(events=items, next_after_seq=items[-1].seq if len(items) == limit else None)


async def latest(n: int = 20) -> list[AuditEventOut]:
    """The newest sealed events, newest first."""
    rows = await AuditEvent.filter(seq__isnull=False).order_by("-seq").limit(n)
    return [_out(e) for e in rows]
