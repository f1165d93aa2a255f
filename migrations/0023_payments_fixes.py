"""Payments fixes: a refund the provider reports failed or closed ends in `refund_failed` (terminal, for
an operator) instead of being asked again for ever; the status column widens to 16 for it.

On SQLite the column change rebuilds the table, which drops its CHECK triggers and partial index: all
of payments_attempt's hand-written constraints are written anew after it (`replace`)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, replace

CONSTRAINTS = [
    Check(
        "payments_attempt_status_known",
        "payments_attempt",
        "{row}status IN ('pending','paid','refund_due','refunded','refund_failed','closed')",
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
    dependencies = [("models", "0022_money")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="PaymentAttempt",
            name="status",
            field=fields.CharField(
                default="pending",
                description="pending | paid (fulfilled its subject) | refund_due | refunded | refund_failed | closed",
                max_length=16,
            ),
        ),
        replace(CONSTRAINTS),
    ]
