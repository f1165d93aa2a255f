"""Report quantities computed by the server: credits_report_estimate links a monitoring report to the parcel
estimates it was computed from (issuance → report → parcel estimates → methodology id, version, hash)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0017_credits")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ReportEstimate",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "report",
                    fields.ForeignKeyField(
                        "models.MonitoringReport",
                        source_field="report_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="estimates",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "parcel",
                    fields.ForeignKeyField(
                        "models.Parcel",
                        source_field="parcel_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "parcel_public_id",
                    fields.CharField(description="the parcel's public id, for the public chain", max_length=26),
                ),
                (
                    "estimate",
                    fields.ForeignKeyField(
                        "models.ParcelEstimate",
                        source_field="estimate_id",
                        description="used at submission",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "approved_estimate",
                    fields.ForeignKeyField(
                        "models.ParcelEstimate",
                        source_field="approved_estimate_id",
                        null=True,
                        description="the row the issuance rests on, set at approval",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("methodology_id", fields.CharField(max_length=32)),
                ("methodology_version", fields.CharField(max_length=16)),
                (
                    "parameter_set_sha256",
                    fields.CharField(description="SHA-256 of the parameter file, hex", max_length=64),
                ),
                (
                    "inputs_sha256",
                    fields.CharField(description="SHA-256 of the parcel geometry and calculator inputs", max_length=64),
                ),
                (
                    "basis",
                    fields.CharField(description="ex_ante or ex_post, as of approval once approved", max_length=8),
                ),
                (
                    "kg_per_year",
                    fields.BigIntField(description="kg CO2e per year, buffer withheld, as the estimate says"),
                ),
                ("buffer_kg_per_year", fields.BigIntField(description="kg CO2e per year for the buffer pool")),
            ],
            options={
                "table": "credits_report_estimate",
                "app": "models",
                "unique_together": (("report", "parcel"),),
                "pk_attr": "id",
                "table_description": "One parcel estimate a monitoring report's quantity was computed from (the traceability link).",
            },
            bases=["Model"],
        ),
    ]
