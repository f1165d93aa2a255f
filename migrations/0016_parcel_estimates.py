"""Parcel estimates: one row per computed estimate (methodology id, version, parameter hash, kg, the full
estimate), at most one current per parcel, and the parcel's methodology facts and estimate problem."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, apply

CONSTRAINTS = [
    Check("registry_estimate_basis_known", "registry_parcel_estimate", "{row}basis IN ('ex_ante','ex_post')"),
    Check(
        "registry_estimate_kg_nonnegative",
        "registry_parcel_estimate",
        "{row}kg_per_year >= 0 AND {row}buffer_kg_per_year >= 0",
    ),
    Check(
        "registry_estimate_occasion_known",
        "registry_parcel_estimate",
        "{row}occasion IN ('added','edited','measured','submitted','approved')",
    ),
    PartialUnique("registry_estimate_one_current", "registry_parcel_estimate", "parcel_id", "current = TRUE"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0015_user_district")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ParcelEstimate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "parcel",
                    fields.ForeignKeyField(
                        "models.Parcel",
                        source_field="parcel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="estimates",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("methodology_id", fields.CharField(description="e.g. SC-LCP-AFF", max_length=32)),
                ("methodology_version", fields.CharField(description="calculator release, e.g. 0.1.0", max_length=16)),
                (
                    "parameter_set_version",
                    fields.CharField(description="parameter file version, e.g. 0.1.1", max_length=16),
                ),
                (
                    "parameter_set_sha256",
                    fields.CharField(description="SHA-256 of the parameter file bytes, hex", max_length=64),
                ),
                (
                    "basis",
                    fields.CharField(description="ex_ante (expected) or ex_post (verified measurements)", max_length=8),
                ),
                ("method", fields.CharField(description="the calculator's method, e.g. growth_rate", max_length=48)),
                ("kg_per_year", fields.BigIntField(description="kg CO2e per year, floored, buffer withheld")),
                ("buffer_kg_per_year", fields.BigIntField(description="kg CO2e per year withheld for the buffer pool")),
                (
                    "held_for_review",
                    fields.BooleanField(
                        default=False,
                        description="a measured increment above the plausibility trigger, kg not shown until reviewed",
                    ),
                ),
                ("accounting_year", fields.SmallIntField(description="calendar year the stand age was counted for")),
                (
                    "inputs_sha256",
                    fields.CharField(
                        description="SHA-256 of the canonical JSON of the parcel geometry and the calculator inputs",
                        max_length=64,
                    ),
                ),
                (
                    "occasion",
                    fields.CharField(description="added | edited | measured | submitted | approved", max_length=16),
                ),
                (
                    "estimate",
                    fields.JSONField(
                        description="the full app.methodology Estimate as JSON",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("current", fields.BooleanField(default=True, description="describes the parcel as it stands now")),
                ("computed_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "registry_parcel_estimate",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One annual-removal estimate of a parcel, with everything needed to trace and recompute it.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Parcel",
            name="estimate_problem",
            field=fields.JSONField(
                null=True,
                description="why no estimate could be made for the parcel as it stands, as {code, params, detail}, else null",
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.AddField(
            model_name="Parcel",
            name="methodology_facts",
            field=fields.JSONField(
                null=True,
                default=dict,
                description="the project methodology's own inputs that are not parcel fields, e.g. non_forest_years_before (null counts as none)",
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        apply(CONSTRAINTS),
    ]
