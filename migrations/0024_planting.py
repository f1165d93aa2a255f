"""Planting logs (one per booking), duty certificates (one per person per Beijing year), the optional
encrypted birth date / sex for the 义务植树 age rule, and the per-person, per-day check-in counter, with
CHECKs on the log's status, count and rejection reason, the certificate's kind and trees, and the
check-in counter."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("planting_log_status_known", "planting_log", "{row}status IN ('submitted','approved','rejected')"),
    Check("planting_log_count_positive", "planting_log", "{row}count > 0 AND {row}points_awarded >= 0"),
    Check(
        "planting_log_rejection_has_reason",
        "planting_log",
        "{row}status <> 'rejected' OR ({row}reject_reason_zh IS NOT NULL AND {row}reject_reason_zh <> '')",
    ),
    Check("planting_certificate_kind_known", "planting_certificate", "{row}kind IN ('duty','honour')"),
    Check("planting_certificate_trees_nonnegative", "planting_certificate", "{row}trees >= 0"),
    Check("campaign_checkin_day_nonnegative", "campaign_checkin_day", "{row}checkins >= 0"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0023_payments_fixes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CheckInDay",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
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
                    "day",
                    fields.DateField(description="Beijing date of the check-ins (the captured time for offline ones)"),
                ),
                (
                    "checkins",
                    fields.IntField(default=0, description="check-ins accepted that day, <= CAMPAIGN_CHECKINS_PER_DAY"),
                ),
            ],
            options={
                "table": "campaign_checkin_day",
                "app": "models",
                "unique_together": (("user", "day"),),
                "pk_attr": "id",
                "table_description": "Check-ins one person made on one Beijing day, raised by a conditional update under the cap.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DutyCertificate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, description="random public verification code", max_length=32)),
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
                ("year", fields.IntField(description="Beijing calendar year of the plantings")),
                ("kind", fields.CharField(description="duty (尽责证书) | honour (荣誉证书)", max_length=8)),
                ("trees", fields.IntField(default=0, description="trees in the person's approved logs of the year")),
                (
                    "campaigns",
                    fields.JSONField(
                        default=list,
                        description="slugs of the campaigns planted in",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "planting_certificate",
                "app": "models",
                "unique_together": (("user", "year"),),
                "pk_attr": "id",
                "table_description": "One person's 义务植树 certificate of a Beijing year: trees accumulate as logs are approved.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DutyProfile",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "user",
                    fields.OneToOneField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "birth_date_enc",
                    fields.BinaryField(null=True, description="birth date YYYY-MM-DD, AES-GCM encrypted"),
                ),
                ("sex_enc", fields.BinaryField(null=True, description="m | f, AES-GCM encrypted")),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "planting_profile",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Optional birth date and sex a person gives for the 义务植树 age rule, stored encrypted.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PlantingLog",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id shown in URLs", max_length=26)),
                (
                    "booking",
                    fields.OneToOneField(
                        "models.Booking",
                        source_field="booking_id",
                        description="one log per booking",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        description="the booking's campaign",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        description="who planted",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "species",
                    fields.CharField(
                        description="one of the campaign's species keys, e.g. tree.cupressus", max_length=64
                    ),
                ),
                (
                    "count",
                    fields.IntField(description="trees (or bamboo culms) planted, 1..PLANTING_MAX_TREES_PER_LOG"),
                ),
                ("note", fields.CharField(default="", description="the planter's note, plain text", max_length=500)),
                ("planted_on", fields.DateField(description="Beijing date of the check-in: the planting date")),
                (
                    "status",
                    fields.CharField(default="submitted", description="submitted | approved | rejected", max_length=16),
                ),
                (
                    "reject_reason_zh",
                    fields.CharField(null=True, description="why it was rejected (zh)", max_length=300),
                ),
                (
                    "reject_reason_en",
                    fields.CharField(null=True, description="why it was rejected (en), optional", max_length=300),
                ),
                (
                    "reviewed_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="reviewed_by_id",
                        null=True,
                        description="the organiser",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reviewed_at",
                    fields.DatetimeField(
                        null=True, description="when approved or rejected, UTC", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "points_awarded",
                    fields.IntField(default=0, description="points the approval earned (0 if a cap was reached)"),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "planting_log",
                "app": "models",
                "pk_attr": "id",
                "table_description": "What a person planted on one checked-in booking, and the organiser's decision on it.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
