"""Credits: monitoring reports, issuances, supply rows, serial blocks, reservations, retirements, loss events."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

_BLOCK_STATUSES = "('tradable','reserved','retired','cancelled','superseded')"

CONSTRAINTS = [
    Check(
        "credits_report_status_known",
        "credits_monitoring_report",
        "{row}status IN ('submitted','under_review','approved','returned')",
    ),
    Check("credits_report_period_ordered", "credits_monitoring_report", "{row}period_start <= {row}period_end"),
    Check(
        "credits_report_quantities",
        "credits_monitoring_report",
        "{row}kg_issued > 0 AND {row}buffer_kg >= 0",
    ),
    Check(
        "credits_issuance_quantities",
        "credits_issuance",
        "{row}owner_kg > 0 AND {row}buffer_kg >= 0 AND {row}quantity = {row}owner_kg + {row}buffer_kg",
    ),
    Check(
        "credits_issuance_serial_range",
        "credits_issuance",
        "{row}serial_start >= 1 AND {row}serial_end - {row}serial_start + 1 = {row}quantity",
    ),
    Check(
        "credits_supply_adds_up",
        "credits_supply",
        "{row}tradable + {row}reserved + {row}retired + {row}cancelled = {row}issued",
    ),
    Check(
        "credits_supply_nonnegative",
        "credits_supply",
        "{row}tradable >= 0 AND {row}reserved >= 0 AND {row}retired >= 0 AND {row}cancelled >= 0",
    ),
    Check(
        "credits_supply_buffer_within_tradable", "credits_supply", "{row}buffer >= 0 AND {row}buffer <= {row}tradable"
    ),
    Check("credits_block_status_known", "credits_serial_block", f"{{row}}status IN {_BLOCK_STATUSES}"),
    Check(
        "credits_block_quantity",
        "credits_serial_block",
        "{row}serial_start >= 1 AND {row}quantity = {row}serial_end - {row}serial_start + 1",
    ),
    Check(
        "credits_block_reserved_has_reservation",
        "credits_serial_block",
        "{row}status <> 'reserved' OR ({row}reservation_ref IS NOT NULL AND {row}reserved_until IS NOT NULL)",
    ),
    Check(
        "credits_block_tradable_is_free",
        "credits_serial_block",
        "{row}status <> 'tradable' OR ({row}reservation_ref IS NULL AND {row}reserved_until IS NULL)",
    ),
    Check(
        "credits_block_buffer_never_sold",
        "credits_serial_block",
        "{row}holder <> 'buffer_pool' OR {row}status IN ('tradable','cancelled','superseded')",
    ),
    Check(
        "credits_reservation_status_known",
        "credits_reservation",
        "{row}status IN ('held','released','expired','retired')",
    ),
    Check("credits_reservation_kg_positive", "credits_reservation", "{row}kg > 0"),
    Check(
        "credits_retirement_shown_known",
        "credits_retirement",
        "{row}beneficiary_shown IN ('full','masked','hidden')",
    ),
    Check(
        "credits_retirement_purpose_known",
        "credits_retirement",
        "{row}purpose IN ('trip','event','court_case','planting','offset','other')",
    ),
    Check(
        "credits_loss_cause_known",
        "credits_loss_event",
        "{row}cause IN ('fire','pests','land_conversion','felling','other')",
    ),
    Check(
        "credits_loss_adds_up",
        "credits_loss_event",
        "{row}loss_kg > 0 AND {row}cancelled_unsold_kg >= 0 AND {row}buffer_drawn_kg >= 0"
        " AND {row}loss_kg = {row}cancelled_unsold_kg + {row}buffer_drawn_kg",
    ),
    Check("credits_serial_counter_positive", "credits_serial_counter", "{row}next_serial >= 1"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0016_parcel_estimates")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LossEvent",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, max_length=26)),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "parcel_public_ids",
                    fields.JSONField(
                        default=list,
                        description="the parcels hit, empty for the whole project",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "cause",
                    fields.CharField(description="fire | pests | land_conversion | felling | other", max_length=16),
                ),
                ("occurred_on", fields.DateField()),
                ("loss_kg", fields.BigIntField(description="issued kg CO2e no longer on the ground")),
                (
                    "cancelled_unsold_kg",
                    fields.BigIntField(description="of the loss, unsold units of the project cancelled"),
                ),
                (
                    "buffer_drawn_kg",
                    fields.BigIntField(description="of the loss, buffer-pool units cancelled for units sold"),
                ),
                ("note", fields.TextField(default="", unique=False)),
                (
                    "recorded_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="recorded_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "credits_loss_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A reversal: carbon lost on a project (fire, pests, land conversion), made good by cancelling units.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MonitoringReport",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id shown in URLs", max_length=26)),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "parcel_public_ids",
                    fields.JSONField(
                        default=list,
                        description="public ids of the project parcels it covers",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("period_start", fields.DateField(description="first day of the monitoring period (inclusive)")),
                ("period_end", fields.DateField(description="last day of the monitoring period (inclusive)")),
                (
                    "evidence",
                    fields.JSONField(
                        default=list,
                        description='evidence items as [{"kind": "photo", "ref": "sha256 or URL", "note": ""}]',
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "measured_values",
                    fields.JSONField(
                        default=dict,
                        description="what was measured, as the calculator's inputs",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("methodology_id", fields.CharField(description="e.g. SC-LCP-AFF", max_length=32)),
                ("methodology_version", fields.CharField(description="semantic version, e.g. 0.1.0", max_length=16)),
                ("parameter_sha256", fields.CharField(description="SHA-256 of the parameter file, hex", max_length=64)),
                ("kg_issued", fields.BigIntField(description="kg CO2e for the owner, floored, buffer withheld")),
                ("buffer_kg", fields.BigIntField(description="kg CO2e withheld for the buffer pool")),
                (
                    "estimate",
                    fields.JSONField(
                        default=dict,
                        description="the calculator's whole estimate record, as submitted",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "status",
                    fields.CharField(
                        default="submitted",
                        db_index=True,
                        description="submitted | under_review | approved | returned",
                        max_length=16,
                    ),
                ),
                (
                    "return_reasons",
                    fields.JSONField(
                        default=list,
                        description="reason codes of a return, e.g. evidence_missing",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "return_note",
                    fields.TextField(default="", description="the verifier's note on a return", unique=False),
                ),
                (
                    "submitted_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="submitted_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "verifier",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="verifier_id",
                        null=True,
                        description="who reviewed it",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("submitted_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("review_started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "decided_at",
                    fields.DatetimeField(
                        null=True, description="when it was approved or returned", auto_now=False, auto_now_add=False
                    ),
                ),
            ],
            options={
                "table": "credits_monitoring_report",
                "app": "models",
                "indexes": [Index(fields=["project_id", "status"])],
                "pk_attr": "id",
                "table_description": "A smallholder's report of one monitoring period of a project, reviewed by a verifier.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Issuance",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(unique=True, description="random id shown in URLs and serials", max_length=26),
                ),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "monitoring_report",
                    fields.OneToOneField(
                        "models.MonitoringReport",
                        source_field="monitoring_report_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "origin_key",
                    fields.CharField(
                        unique=True,
                        description="project and monitoring period: one period is never issued twice",
                        max_length=128,
                    ),
                ),
                ("vintage", fields.SmallIntField(description="calendar year of the end of the monitoring period")),
                ("period_start", fields.DateField()),
                ("period_end", fields.DateField()),
                ("class_code", fields.CharField(description="credit class of the methodology, e.g. AFF", max_length=8)),
                ("county_code", fields.CharField(description="GB/T 2260 county code of the project", max_length=6)),
                ("methodology_id", fields.CharField(max_length=32)),
                ("methodology_version", fields.CharField(max_length=16)),
                ("parameter_sha256", fields.CharField(description="SHA-256 of the parameter file, hex", max_length=64)),
                (
                    "parcel_public_ids",
                    fields.JSONField(
                        default=list,
                        description="public ids of the parcels behind the units",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("quantity", fields.BigIntField(description="kg CO2e issued in all = owner_kg + buffer_kg")),
                ("owner_kg", fields.BigIntField(description="kg CO2e issued to the owner (the net share)")),
                ("buffer_kg", fields.BigIntField(description="kg CO2e issued to the buffer pool")),
                ("serial_start", fields.BigIntField(description="first serial number (inclusive)")),
                ("serial_end", fields.BigIntField(description="last serial number (inclusive)")),
                ("owner_holder", fields.CharField(description="user:<public id> or org:<public id>", max_length=64)),
                (
                    "issued_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="issued_by_id",
                        description="the approving verifier",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "credits_issuance",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The units created from one approved monitoring report: one vintage, one serial range.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CreditSupply",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "issuance",
                    fields.OneToOneField(
                        "models.Issuance",
                        source_field="issuance_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="supply",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("issued", fields.BigIntField(description="kg CO2e")),
                ("tradable", fields.BigIntField(description="kg CO2e in tradable blocks, buffer-pool blocks included")),
                ("reserved", fields.BigIntField(default=0, description="kg CO2e in reserved blocks")),
                ("retired", fields.BigIntField(default=0, description="kg CO2e in retired blocks")),
                ("cancelled", fields.BigIntField(default=0, description="kg CO2e in cancelled blocks")),
                (
                    "buffer",
                    fields.BigIntField(
                        default=0, description="of the tradable kg, those held by the buffer pool (never sold)"
                    ),
                ),
                (
                    "updated_at",
                    fields.DatetimeField(
                        description="touched by every inventory change (the row lock)",
                        auto_now=True,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "credits_supply",
                "app": "models",
                "pk_attr": "id",
                "table_description": "How many units of one issuance are in each state: tradable + reserved + retired + cancelled = issued.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Reservation",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "reference",
                    fields.CharField(unique=True, description="the caller's key, e.g. order:<id>", max_length=64),
                ),
                ("kg", fields.BigIntField(description="kg CO2e reserved")),
                (
                    "reserved_until",
                    fields.DatetimeField(
                        description="it stops holding at this moment, sweep or no sweep",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "status",
                    fields.CharField(
                        default="held", db_index=True, description="held | released | expired | retired", max_length=10
                    ),
                ),
                (
                    "request_hash",
                    fields.CharField(description="what was asked, to tell a replay from a reuse", max_length=64),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "credits_reservation",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Units held for a caller's reference (a market order) until a moment: retired, released or expired once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SerialBlock",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "issuance",
                    fields.ForeignKeyField(
                        "models.Issuance",
                        source_field="issuance_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("serial_start", fields.BigIntField(description="first serial (inclusive)")),
                ("serial_end", fields.BigIntField(description="last serial (inclusive)")),
                ("quantity", fields.BigIntField(description="serial_end - serial_start + 1, kg CO2e")),
                (
                    "display",
                    fields.CharField(
                        unique=True,
                        description="{class}-{county}-{project}-{vintage}-{start}-{end}, derived at creation, never parsed",
                        max_length=96,
                    ),
                ),
                (
                    "status",
                    fields.CharField(
                        description="tradable | reserved | retired | cancelled | superseded", max_length=12
                    ),
                ),
                (
                    "holder",
                    fields.CharField(description="user:<public id>, org:<public id> or buffer_pool", max_length=64),
                ),
                (
                    "parent",
                    fields.ForeignKeyField(
                        "models.SerialBlock",
                        source_field="parent_id",
                        null=True,
                        description="the split block",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reservation_ref",
                    fields.CharField(
                        null=True, db_index=True, description="the reservation holding or retiring it", max_length=64
                    ),
                ),
                (
                    "reserved_until",
                    fields.DatetimeField(
                        null=True,
                        description="a reservation stops holding at this moment",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "credits_serial_block",
                "app": "models",
                "indexes": [
                    Index(fields=["issuance_id", "status", "serial_start"]),
                    Index(fields=["status", "reserved_until"]),
                ],
                "pk_attr": "id",
                "table_description": "Consecutive serials [serial_start, serial_end] of one issuance in one state with one holder.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Retirement",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "block",
                    fields.OneToOneField(
                        "models.SerialBlock",
                        source_field="block_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="retirement",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reservation_ref",
                    fields.CharField(db_index=True, description="the reservation it came from", max_length=64),
                ),
                ("beneficiary", fields.CharField(description="in whose name, as given", max_length=128)),
                (
                    "beneficiary_shown",
                    fields.CharField(description="full | masked | hidden on public pages", max_length=8),
                ),
                (
                    "purpose",
                    fields.CharField(
                        description="trip | event | court_case | planting | offset | other", max_length=16
                    ),
                ),
                (
                    "purpose_reference",
                    fields.CharField(
                        default="", description="the trip, event, 案号 or planting year it offsets", max_length=128
                    ),
                ),
                (
                    "certificate_code",
                    fields.CharField(
                        db_index=True,
                        description="random, unguessable, shared by the blocks of one retirement",
                        max_length=20,
                    ),
                ),
                (
                    "reversal",
                    fields.ForeignKeyField(
                        "models.LossEvent",
                        source_field="reversal_id",
                        null=True,
                        description="a loss on the land behind it, made good from the buffer pool",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("retired_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "credits_retirement",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A retired block: for whom, for what, and the public certificate code that shows it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SerialCounter",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "project",
                    fields.OneToOneField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("next_serial", fields.BigIntField(default=1)),
            ],
            options={
                "table": "credits_serial_counter",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The next free serial of a project, and the lock that serialises its issuances.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
