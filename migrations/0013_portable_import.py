"""Portable records from other platforms: claim codes, points moved out, imports and imported entries."""

import functools
from json import dumps, loads
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("portable_move_out_amount_positive", "portable_move_out", "{row}amount > 0"),
    Check("portable_entry_kind_known", "portable_imported_entry", "{row}kind IN ('planting','retirement')"),
    Check("portable_entry_counts_nonnegative", "portable_imported_entry", "{row}trees >= 0 AND {row}kg >= 0"),
    Check(
        "portable_import_points_nonnegative",
        "portable_import",
        "{row}points_credited >= 0 AND {row}moved_out_amount >= 0",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0012_citylink")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PortableClaim",
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
                    "code_hash",
                    fields.CharField(unique=True, description="keyed SHA-256 of the normalised code", max_length=64),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="records exported after this (their issued_at) are refused (UTC)",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "used_at",
                    fields.DatetimeField(
                        null=True,
                        description="when an import used it, set exactly once",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "portable_claim",
                "app": "models",
                "indexes": [Index(fields=["user_id", "used_at", "expires_at"])],
                "pk_attr": "id",
                "table_description": "A one-time code we issued to a person, to be written into a record exported for them elsewhere.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PortableImport",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, max_length=26)),
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
                    "claim",
                    fields.OneToOneField(
                        "models.PortableClaim",
                        source_field="claim_id",
                        description="the claim code it used",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("issuer", fields.CharField(description="the issuing platform's base URL, normalised", max_length=255)),
                (
                    "subject",
                    fields.CharField(description="the person's id at the issuer (blank after erasure)", max_length=128),
                ),
                (
                    "document_sha256",
                    fields.CharField(description="hash of the signed document's canonical form", max_length=64),
                ),
                (
                    "issued_at",
                    fields.DatetimeField(
                        description="when the issuer signed the record (UTC)", auto_now=False, auto_now_add=False
                    ),
                ),
                ("planting_listed", fields.IntField(default=0, description="planting entries in the record")),
                (
                    "planting_new",
                    fields.IntField(default=0, description="of those, counted here for the first time by this import"),
                ),
                ("retirements_listed", fields.IntField(default=0, description="retirement entries in the record")),
                (
                    "retirements_new",
                    fields.IntField(default=0, description="of those, counted here for the first time"),
                ),
                (
                    "moved_out_transfer_id",
                    fields.CharField(
                        null=True,
                        description="the issuer's transfer that took the points out of its wallet",
                        max_length=64,
                    ),
                ),
                (
                    "moved_out_amount",
                    fields.BigIntField(default=0, description="points the issuer moved out, in its points"),
                ),
                (
                    "rate",
                    fields.CharField(
                        default="", description="the points rate applied, as numerator/denominator", max_length=24
                    ),
                ),
                (
                    "points_credited",
                    fields.BigIntField(default=0, description="points this import credited here, >= 0"),
                ),
                (
                    "credit_transfer_id",
                    fields.UUIDField(
                        null=True,
                        unique=True,
                        description="uuid5 of (issuer, moved-out transfer id): set on the one import that redeemed the move-out",
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "portable_import",
                "app": "models",
                "unique_together": (("issuer", "document_sha256"),),
                "pk_attr": "id",
                "table_description": "One signed record from a trusted platform, imported once: what it listed and what it added here.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ImportedEntry",
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
                    "portable_import",
                    fields.ForeignKeyField(
                        "models.PortableImport",
                        source_field="portable_import_id",
                        description="the import that added it",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("issuer", fields.CharField(description="the issuing platform's base URL, normalised", max_length=255)),
                ("kind", fields.CharField(description="planting | retirement", max_length=12)),
                (
                    "entry_id",
                    fields.CharField(description="the entry's id at the issuer, stable across exports", max_length=128),
                ),
                ("occurred_on", fields.DateField(description="planting date or retirement date, Beijing time")),
                ("trees", fields.IntField(default=0, description="trees planted (planting), else 0")),
                ("kg", fields.BigIntField(default=0, description="kg CO2e retired (retirement), else 0")),
                (
                    "details",
                    fields.JSONField(
                        default=dict,
                        description="species, region, campaign, serials, purpose, certificate",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "portable_imported_entry",
                "app": "models",
                "unique_together": (("issuer", "kind", "entry_id"),),
                "indexes": [Index(fields=["user_id", "occurred_on"])],
                "pk_attr": "id",
                "table_description": "A planting or a retirement listed by another platform, counted here once whoever imports it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PortableMoveOut",
            fields=[
                (
                    "id",
                    fields.UUIDField(
                        primary_key=True,
                        default=uuid4,
                        unique=True,
                        db_index=True,
                        description="the ledger transfer from the wallet to the moved-out account",
                    ),
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
                ("audience", fields.CharField(description="base URL of the platform the points go to", max_length=255)),
                (
                    "claim_code",
                    fields.CharField(description="the destination's claim code, as given (not ours)", max_length=32),
                ),
                ("amount", fields.BigIntField(description="points moved out, > 0")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "portable_move_out",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Points a person moved out of their wallet here, to be credited once on another platform.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
