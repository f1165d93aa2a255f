"""The audit log table (app/core/audit.py) and what makes it append-only.

A row is written unsealed (seq, prev_hash, hash, sealed_at all null); the sequencer fills those four
in once, and only on a row whose seq is still null. After that the row never changes, and no audit
row is ever deleted: the triggers below refuse both, in either dialect.
"""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, Trigger, apply

# The columns a writer sets; once inserted they never change, sealed or not.
_CONTENT = ("id", "occurred_at", "actor", "action", "entity_type", "entity_id", "before", "after", "request_id")
_PG_CONTENT_CHANGED = " OR ".join(f'NEW."{c}" IS DISTINCT FROM OLD."{c}"' for c in _CONTENT)
_SQLITE_CONTENT_CHANGED = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in _CONTENT)

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_event is append-only: row % cannot be deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.seq IS NOT NULL THEN
        RAISE EXCEPTION 'audit_event row % is sealed (seq %) and cannot change', OLD.id, OLD.seq
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF {_PG_CONTENT_CHANGED} THEN
        RAISE EXCEPTION 'audit_event row % content cannot change, only the sequencer may seal it', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$fn$
"""

CONSTRAINTS = [
    # A row is either wholly unsealed or wholly sealed: no half-written seal, no pre-sealed insert.
    Check(
        "audit_event_seal_complete",
        "audit_event",
        "({row}seq IS NULL AND {row}prev_hash IS NULL AND {row}hash IS NULL AND {row}sealed_at IS NULL)"
        " OR ({row}seq >= 1 AND {row}prev_hash IS NOT NULL AND {row}hash IS NOT NULL AND {row}sealed_at IS NOT NULL)",
    ),
    # The sequencer's work queue: unsealed rows by id (trivially unique, as id is).
    PartialUnique("audit_event_unsealed", "audit_event", "id", "seq IS NULL"),
    Trigger(
        "audit_event_append_only",
        "audit_event",
        postgres_sql=(
            _PG_FUNCTION,
            'CREATE TRIGGER "audit_event_append_only" BEFORE UPDATE OR DELETE ON "audit_event" '
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
        ),
        sqlite_sql=(
            'CREATE TRIGGER "audit_event_sealed_immutable" BEFORE UPDATE ON "audit_event" WHEN OLD.seq IS NOT NULL '
            "BEGIN SELECT RAISE(ABORT, 'audit_event row is sealed and cannot change'); END",
            'CREATE TRIGGER "audit_event_content_immutable" BEFORE UPDATE ON "audit_event" '
            f"WHEN OLD.seq IS NULL AND ({_SQLITE_CONTENT_CHANGED}) "
            "BEGIN SELECT RAISE(ABORT, 'audit_event row content cannot change, only the sequencer may seal it'); END",
            'CREATE TRIGGER "audit_event_no_delete" BEFORE DELETE ON "audit_event" '
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: rows cannot be deleted'); END",
        ),
        sqlite_names=("audit_event_sealed_immutable", "audit_event_content_immutable", "audit_event_no_delete"),
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0002_constraints")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "occurred_at",
                    fields.DatetimeField(
                        description="when the change was written (UTC)", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "actor",
                    fields.CharField(description="user:<public_id>, system:<job> or cli:<command>", max_length=64),
                ),
                ("action", fields.CharField(description="dotted verb, e.g. membership.granted", max_length=64)),
                ("entity_type", fields.CharField(max_length=64)),
                ("entity_id", fields.CharField(max_length=64)),
                (
                    "before",
                    fields.JSONField(
                        null=True,
                        description="the record's relevant fields before the change",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "after",
                    fields.JSONField(
                        null=True,
                        description="the record's relevant fields after the change",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("request_id", fields.CharField(null=True, max_length=64)),
                (
                    "seq",
                    fields.BigIntField(
                        null=True, unique=True, description="position in the chain, from 1, set when sealed"
                    ),
                ),
                (
                    "prev_hash",
                    fields.CharField(null=True, description="hash of the row sealed just before", max_length=64),
                ),
                (
                    "hash",
                    fields.CharField(
                        null=True, description="sha256 over prev_hash and this row's content", max_length=64
                    ),
                ),
                ("sealed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audit_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One state change: who did what to which record, when, before → after.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
