"""Linked city carbon account: links, deliveries (the push outbox) and the in-app sandbox city platform."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, apply

CONSTRAINTS = [
    Check("citylink_link_status_known", "citylink_link", "{row}status IN ('linked','unlinked')"),
    Check("citylink_linked_has_token", "citylink_link", "{row}status <> 'linked' OR {row}access_token_enc IS NOT NULL"),
    Check(
        "citylink_unlinked_holds_no_token",
        "citylink_link",
        "{row}status = 'linked' OR ({row}access_token_enc IS NULL AND {row}refresh_token_enc IS NULL)",
    ),
    PartialUnique("citylink_one_live_link_per_user", "citylink_link", "user_id", "status = 'linked'"),
    Check(
        "citylink_delivery_status_known",
        "citylink_delivery",
        "{row}status IN ('pending','sending','delivered','failed','cancelled')",
    ),
    Check("citylink_delivery_attempts_nonnegative", "citylink_delivery", "{row}attempts >= 0"),
    Check(
        "citylink_delivery_sending_has_lease",
        "citylink_delivery",
        "{row}status <> 'sending' OR {row}lease_until IS NOT NULL",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0011_coupons")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CityLink",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(unique=True, description="random id shown in pages and the API", max_length=26),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "provider",
                    fields.CharField(description="the CITY_ACCOUNT_PROVIDER that issued the tokens", max_length=32),
                ),
                (
                    "account_id",
                    fields.CharField(description="the person's account id on the city platform", max_length=128),
                ),
                ("status", fields.CharField(default="linked", description="linked | unlinked", max_length=16)),
                ("scope", fields.CharField(default="", max_length=255)),
                (
                    "access_token_enc",
                    fields.BinaryField(null=True, description="AES-GCM encrypted access token, null once unlinked"),
                ),
                (
                    "refresh_token_enc",
                    fields.BinaryField(
                        null=True,
                        description="AES-GCM encrypted refresh token, null once unlinked or if none was issued",
                    ),
                ),
                (
                    "token_expires_at",
                    fields.DatetimeField(
                        null=True, description="when the access token expires (UTC)", auto_now=False, auto_now_add=False
                    ),
                ),
                ("linked_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("unlinked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "unlink_reason",
                    fields.CharField(null=True, description="user | account_deleted | revoked", max_length=32),
                ),
            ],
            options={
                "table": "citylink_link",
                "app": "models",
                "indexes": [Index(fields=["user_id", "status"])],
                "pk_attr": "id",
                "table_description": "One linking of a person to a city carbon account, from consent until unlink.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CityDelivery",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "link",
                    fields.ForeignKeyField(
                        "models.CityLink",
                        source_field="link_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "event_id",
                    fields.CharField(
                        description="the webhook event id the receiver drops duplicates by, stable across retries",
                        max_length=64,
                    ),
                ),
                (
                    "source_event_id",
                    fields.CharField(description="the publisher's own id of the record", max_length=128),
                ),
                ("kind", fields.CharField(description="planting.approved | credits.retired", max_length=32)),
                (
                    "payload",
                    fields.JSONField(
                        description="the record as published, sent as the body's record",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "occurred_at",
                    fields.DatetimeField(
                        description="when the record was published (UTC)", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "status",
                    fields.CharField(
                        default="pending",
                        description="pending | sending | delivered | failed | cancelled",
                        max_length=16,
                    ),
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
                (
                    "last_status",
                    fields.IntField(null=True, description="HTTP status of the last answer, null if none came"),
                ),
                ("last_error", fields.TextField(null=True, unique=False)),
                ("delivered_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "citylink_delivery",
                "app": "models",
                "unique_together": (("link", "source_event_id", "kind"),),
                "indexes": [Index(fields=["status", "next_attempt_at"]), Index(fields=["link_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "One verified record to push to one link, delivered by the relay at least once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SandboxGrant",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code_hash", fields.CharField(unique=True, description="sha256 hex of the code", max_length=64)),
                ("client_id", fields.CharField(max_length=64)),
                ("redirect_uri", fields.CharField(max_length=512)),
                (
                    "code_challenge",
                    fields.CharField(description="S256 challenge from the authorisation request", max_length=128),
                ),
                ("account_id", fields.CharField(description="the sandbox account that consented", max_length=128)),
                ("scope", fields.CharField(max_length=255)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "used_at",
                    fields.DatetimeField(
                        null=True,
                        description="set by the one exchange that may use it",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "citylink_sandbox_grant",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Sandbox city platform: an authorisation code, single use and short-lived, bound to its PKCE challenge.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SandboxReceipt",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("event_id", fields.CharField(unique=True, description="the sender's event id header", max_length=64)),
                ("account_id", fields.CharField(max_length=128)),
                ("kind", fields.CharField(max_length=32)),
                (
                    "body",
                    fields.JSONField(
                        description="the body of the first delivery",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "deliveries",
                    fields.IntField(default=1, description="how often this event arrived, duplicates included"),
                ),
                ("first_received_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("last_received_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "citylink_sandbox_receipt",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Sandbox city platform: one record received by webhook, counted once however often it arrives.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SandboxToken",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "access_hash",
                    fields.CharField(unique=True, description="sha256 hex of the access token", max_length=64),
                ),
                (
                    "refresh_hash",
                    fields.CharField(unique=True, description="sha256 hex of the refresh token", max_length=64),
                ),
                ("client_id", fields.CharField(max_length=64)),
                ("account_id", fields.CharField(max_length=128)),
                ("scope", fields.CharField(max_length=255)),
                ("access_expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "revoked_at",
                    fields.DatetimeField(
                        null=True,
                        description="set on revocation or when the refresh token is used",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "citylink_sandbox_token",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Sandbox city platform: an access token and its refresh token, stored as hashes.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
