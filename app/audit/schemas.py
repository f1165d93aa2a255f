"""What the public audit API returns: the chain's root and its sealed events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AuditRoot(msgspec.Struct):
    """The chain's head: publish `root_hash` with `last_seq`; anyone can later check history against it."""

    count: int  # sealed events up to last_seq
    last_seq: int  # 0 while the chain is empty
    root_hash: str  # hash of the event at last_seq (64 zeros while empty)
    sealed_at: datetime | None  # when the event at last_seq was sealed
    unsealed: int  # events written but not yet sealed


class AuditEventOut(msgspec.Struct):
    """One sealed event. sha256(canonical, UTF-8) == hash, and prev_hash == the previous event's hash."""

    seq: int
    occurred_at: str  # UTC, microseconds, as it appears in `canonical`
    actor: str  # pseudonymous: user:<public_id>, system:<job> or cli:<command>
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any
    request_id: str | None
    prev_hash: str
    hash: str
    sealed_at: datetime
    canonical: str  # the exact text the hash covers


class AuditEventPage(msgspec.Struct):
    events: list[AuditEventOut]
    next_after_seq: int | None  # pass as after_seq for the next page; null at the end
