"""Ledger tables, with the invariants the database itself enforces (see app/ledger/service.py)."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("ledger_account_ledger_known", "ledger_account", "{row}ledger IN ('points','fen')"),
    Check("ledger_account_held_nonnegative", "ledger_account", "{row}held >= 0"),
    # A wallet never goes below zero, counting what its pending holds have reserved.
    Check(
        "ledger_account_never_negative",
        "ledger_account",
        "{row}may_go_negative OR ({row}balance >= 0 AND {row}balance - {row}held >= 0)",
    ),
    Check("ledger_transfer_amount_positive", "ledger_transfer", "{row}amount > 0"),
    Check("ledger_transfer_two_accounts", "ledger_transfer", "{row}debit_id <> {row}credit_id"),
    Check("ledger_hold_amount_positive", "ledger_hold", "{row}amount > 0"),
    Check("ledger_hold_status_known", "ledger_hold", "{row}status IN ('pending','posted','voided','expired')"),
    Check(
        "ledger_hold_posted_amount",
        "ledger_hold",
        "({row}status = 'posted' AND {row}posted_amount > 0 AND {row}posted_amount <= {row}amount)"
        " OR ({row}status <> 'posted' AND {row}posted_amount IS NULL)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0008_organisation_unique_name")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LedgerAccount",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("ledger", fields.CharField(description="points | fen", max_length=16)),
                (
                    "code",
                    fields.CharField(
                        description="what the account is for: user_wallet, campaign_budget, platform_issuance, redemption_sink, expiry, correction …",
                        max_length=32,
                    ),
                ),
                (
                    "owner",
                    fields.CharField(
                        description="user:<public id>, campaign:<slug>, org:<public id> or platform", max_length=64
                    ),
                ),
                ("balance", fields.BigIntField(default=0, description="posted balance, in the ledger's unit")),
                ("held", fields.BigIntField(default=0, description="sum of the pending holds that debit this account")),
                (
                    "may_go_negative",
                    fields.BooleanField(
                        default=False,
                        description="true only for sources such as platform issuance, never for a user's wallet",
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "ledger_account",
                "app": "models",
                "unique_together": (("ledger", "code", "owner"),),
                "pk_attr": "id",
                "table_description": "One balance in one ledger, owned by a user, a campaign, an organisation or the platform.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Hold",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("ledger", fields.CharField(max_length=16)),
                (
                    "debit",
                    fields.ForeignKeyField(
                        "models.LedgerAccount",
                        source_field="debit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "credit",
                    fields.ForeignKeyField(
                        "models.LedgerAccount",
                        source_field="credit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.BigIntField(description="reserved amount, > 0")),
                (
                    "status",
                    fields.CharField(
                        default="pending", description="pending | posted | voided | expired", max_length=8
                    ),
                ),
                ("posted_amount", fields.BigIntField(null=True, description="what was finally moved, when posted")),
                ("reason", fields.CharField(max_length=32)),
                ("reference", fields.CharField(default="", max_length=128)),
                ("request_hash", fields.CharField(max_length=64)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="after this it can no longer be posted (UTC)", auto_now=False, auto_now_add=False
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "ledger_hold",
                "app": "models",
                "indexes": [Index(fields=["debit_id", "status", "expires_at"])],
                "pk_attr": "id",
                "table_description": "A two-phase transfer: reserved now, then posted (fully or partly), voided or expired, exactly once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Transfer",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("ledger", fields.CharField(max_length=16)),
                (
                    "debit",
                    fields.ForeignKeyField(
                        "models.LedgerAccount",
                        source_field="debit_id",
                        description="the account the amount leaves",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "credit",
                    fields.ForeignKeyField(
                        "models.LedgerAccount",
                        source_field="credit_id",
                        description="the account the amount arrives in",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount", fields.BigIntField(description="in the ledger's unit, > 0")),
                (
                    "reason",
                    fields.CharField(description="reason code, e.g. planting.approved, purchase.points", max_length=32),
                ),
                (
                    "reference",
                    fields.CharField(
                        default="", description="what caused it: a planting log, an order …", max_length=128
                    ),
                ),
                (
                    "request_hash",
                    fields.CharField(
                        description="sha256 of the request, to tell a replay from a conflict", max_length=64
                    ),
                ),
                (
                    "hold_id",
                    fields.UUIDField(null=True, unique=True, description="the hold this transfer posted, if any"),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "ledger_transfer",
                "app": "models",
                "indexes": [Index(fields=["debit_id", "created_at"]), Index(fields=["credit_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "An immutable movement whose id is the caller's idempotency key. Corrections are new transfers.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
