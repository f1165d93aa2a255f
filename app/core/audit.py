"""The tamper-evident audit log: `record()` inside the business transaction; sealing comes after.

Every state change of an order, parcel, issuance, planting log, case, campaign, role or account calls
`record()` in the same transaction as the change, so the change and its record commit or roll back
together. Writers only INSERT; a sequencer later seals rows into the hash chain in commit order, so
no writer ever waits on a shared "last hash" row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from models.audit import AuditEvent


def actor_of(user: Any | None, fallback: str = "system") -> str:
    """'user:<public_id>' for a user, else the fallback (e.g. 'cli:grant-role', 'system:outbox')."""
    if user is not None and getattr(user, "public_id", None):
        return f"user:{user.public_id}"
    return fallback


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
