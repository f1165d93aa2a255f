"""Payments: an attempt the provider reports paid and refunded outside us ends `refunded_elsewhere` (once,
audited with the provider's facts) instead of staying `pending` for ever. The status column grows to 20
(the new value is 18 long) and its CHECK gains the value; SQLite rebuilds the table for the change,
dropping its CHECK triggers and partial index: all of them are written anew (`replace`)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, replace

CONSTRAINTS = [
    Check(
        "payments_attempt_status_known",
        "payments_attempt",
        "{row}status IN ('pending','paid','refund_due','refunded','refund_failed','refunded_by_hand','closed',"
        "'refunded_elsewhere')",
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
    dependencies = [("models", "0033_market_split")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="PaymentAttempt",
            name="status",
            field=fields.CharField(
                default="pending",
                description="pending | paid (fulfilled its subject) | refund_due | refunded | refund_failed "
                "| refunded_by_hand | closed | refunded_elsewhere (paid and refunded outside us: never recorded paid)",
                max_length=20,
            ),
        ),
        replace(CONSTRAINTS),
    ]
