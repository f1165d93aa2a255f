"""Sign-in by SMS code: the code table (models/signin.py) and its constraints."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, apply

CONSTRAINTS = [
    Check("sms_code_attempts_range", "signin_sms_code", "{row}attempts >= 0"),
    # At most one live code per phone: sending a new code supersedes the old one in the same
    # transaction, so two concurrent sends cannot both leave a working code behind.
    PartialUnique(
        "sms_code_one_live_per_phone", "signin_sms_code", "phone_index", "used_at IS NULL AND superseded_at IS NULL"
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0003_audit")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SmsCode",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "phone_index",
                    fields.CharField(db_index=True, description="HMAC blind index of the phone number", max_length=64),
                ),
                (
                    "code_hash",
                    fields.CharField(
                        description="HMAC-SHA256 of the code, keyed and bound to phone_index", max_length=64
                    ),
                ),
                (
                    "attempts",
                    fields.IntField(default=0, description="wrong codes tried so far, at most the configured maximum"),
                ),
                (
                    "provider_message_id",
                    fields.CharField(null=True, description="id the SMS provider gave the message", max_length=64),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="after this the code is refused (UTC)", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "used_at",
                    fields.DatetimeField(
                        null=True, description="set when the code signed someone in", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "superseded_at",
                    fields.DatetimeField(
                        null=True,
                        description="set when a newer code was sent to the same phone",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "signin_sms_code",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A 6-digit sign-in code sent to one phone number: single use, short-lived, locked after wrong tries.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
