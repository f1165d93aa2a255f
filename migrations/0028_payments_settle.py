"""Payments: a refund the provider would not pay (`refund_failed`) that an operator paid back by other
means ends `refunded_by_hand`, with the way and the reference in the audit chain; the status CHECK
gains that value. The column is already 16 wide, but the field's description changes and SQLite rebuilds
the table for it, dropping its CHECK triggers and partial index: all of them are written anew (`replace`)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, replace

CONSTRAINTS = [
    Check(
        "payments_attempt_status_known",
        "payments_attempt",
        "{row}status IN ('pending','paid','refund_due','refunded','refund_failed','refunded_by_hand','closed')",
    ),
    Check("payments_attempt_amount_positive", "payments_attempt", "{row}amount_fen > 0"),
    PartialUnique(
        "payments_attempt_provider_transaction_once",
        "payments_attempt",
        "provider, provider_transaction_id",
        "provider_transaction_id <> ''",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0027_donations")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="PaymentAttempt",
            name="status",
            field=fields.CharField(
                default="pending",
                description="pending | paid (fulfilled its subject) | refund_due | refunded | refund_failed "
                "| refunded_by_hand | closed",
                max_length=16,
            ),
        ),
        replace(CONSTRAINTS),
    ]
