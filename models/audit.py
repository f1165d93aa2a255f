"""The append-only audit log, sealed into a hash chain after commit (see app/core/audit.py)."""

from typing import Any

from tortoise import fields, models


class AuditEvent(models.Model):
    """One state change: who did what to which record, when, before → after.

    Written in the same transaction as the change. `seq`, `prev_hash` and `hash` stay null until the
    sequencer seals the row into the chain in commit order; a sealed row never changes.
    """

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField(description="when the change was written (UTC)")
    actor = fields.CharField(max_length=64, description="user:<public_id>, system:<job> or cli:<command>")
    action = fields.CharField(max_length=64, description="dotted verb, e.g. membership.granted")
    entity_type = fields.CharField(max_length=64)
    entity_id = fields.CharField(max_length=64)
    before: dict[str, Any] | None = fields.JSONField(
        null=True, description="the record's relevant fields before the change"
    )
    after: dict[str, Any] | None = fields.JSONField(
        null=True, description="the record's relevant fields after the change"
    )
    request_id = fields.CharField(max_length=64, null=True)
    seq = fields.BigIntField(null=True, unique=True, description="position in the chain, from 1, set when sealed")
    prev_hash = fields.CharField(max_length=64, null=True, description="hash of the row sealed just before")
    hash = fields.CharField(max_length=64, null=True, description="sha256 over prev_hash and this row's content")
    sealed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "audit_event"
