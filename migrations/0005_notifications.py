"""Notifications: the inbox, the outbox the relay delivers, and per-kind channel preferences."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("outbox_status_known", "notifications_outbox", "{row}status IN ('pending','sending','sent','failed')"),
    Check("outbox_channel_known", "notifications_outbox", "{row}channel IN ('wechat','sms')"),
    Check("outbox_attempts_nonnegative", "notifications_outbox", "{row}attempts >= 0"),
    # A row being sent always has a lease, or a crashed worker's row could never be taken over.
    Check(
        "outbox_sending_has_lease", "notifications_outbox", "{row}status <> 'sending' OR {row}lease_until IS NOT NULL"
    ),
    Check("notification_preference_channel_known", "notifications_preference", "{row}channel IN ('wechat','sms')"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0004_signin")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Notification",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id used in URLs", max_length=26)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(description="registered kind, e.g. account.role_granted", max_length=64)),
                (
                    "params",
                    fields.JSONField(
                        description="the parameters the title and body were rendered from",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("title_zh", fields.CharField(max_length=128)),
                ("title_en", fields.CharField(max_length=128)),
                ("body_zh", fields.TextField(unique=False)),
                ("body_en", fields.TextField(unique=False)),
                (
                    "dedupe_key",
                    fields.CharField(
                        unique=True,
                        description="the caller's key, so a replayed caller writes nothing twice",
                        max_length=128,
                    ),
                ),
                (
                    "read_at",
                    fields.DatetimeField(
                        null=True,
                        description="when the user read it, null while unread",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "notifications_inbox",
                "app": "models",
                "indexes": [Index(fields=["user_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "One message in a user's in-app inbox, rendered in Chinese and English when it was written.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="NotificationPreference",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notification_preferences",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(max_length=64)),
                ("channel", fields.CharField(description="wechat | sms", max_length=16)),
                ("enabled", fields.BooleanField()),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "notifications_preference",
                "app": "models",
                "unique_together": (("user", "kind", "channel"),),
                "pk_attr": "id",
                "table_description": "A user's choice for one kind on one external channel (without a row the kind's default holds).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OutboxMessage",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "notification",
                    fields.ForeignKeyField(
                        "models.Notification",
                        source_field="notification_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("channel", fields.CharField(description="wechat (subscription message) | sms", max_length=16)),
                (
                    "payload",
                    fields.JSONField(
                        description="what to send: template id and its data, rendered at notify time",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "status",
                    fields.CharField(default="pending", description="pending | sending | sent | failed", max_length=16),
                ),
                ("attempts", fields.IntField(default=0, description="claims so far, a crashed claim included")),
                (
                    "next_attempt_at",
                    fields.DatetimeField(
                        description="not claimed before this time (UTC)", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "lease_until",
                    fields.DatetimeField(
                        null=True,
                        description="while sending: another worker may take it after this",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("last_error", fields.TextField(null=True, unique=False)),
                (
                    "provider_message_id",
                    fields.CharField(null=True, description="the provider's id for the sent message", max_length=128),
                ),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "notifications_outbox",
                "app": "models",
                "unique_together": (("notification", "channel"),),
                "indexes": [Index(fields=["status", "next_attempt_at"])],
                "pk_attr": "id",
                "table_description": "One delivery of a notification to an external channel, sent by the relay at least once.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
