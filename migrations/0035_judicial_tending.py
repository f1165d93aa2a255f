"""碳汇+司法 tending (管护): when a case's trees are complete its tending starts (`tending_from`, the planting
date of the log that completed them) and one check per tending year is written (`judicial_case_tending`),
due on each anniversary; reminders are sent once (`deadline_reminded_at`, `reminded_at`)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check(
        "judicial_case_tending_dates",
        "judicial_case_tending",
        "{row}year BETWEEN 1 AND 50 AND {row}opens_on <= {row}due_on",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0034_payments_refunded_elsewhere")]

    initial = False

    operations = [
        ops.AddField(
            model_name="RestorationCase",
            name="tending_from",
            field=fields.DateField(
                null=True,
                description="管护 starts: the planting date of the log that completed the trees owed (Beijing)",
            ),
        ),
        ops.AddField(
            model_name="RestorationCase",
            name="deadline_reminded_at",
            field=fields.DatetimeField(
                null=True,
                description="when the defendant was reminded of the deadline (once)",
                auto_now=False,
                auto_now_add=False,
            ),
        ),
        ops.CreateModel(
            name="CaseTending",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "case",
                    fields.ForeignKeyField(
                        "models.RestorationCase",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("year", fields.SmallIntField(description="1..tend_years: the tending year this check closes")),
                ("opens_on", fields.DateField(description="first Beijing day a report for the year is taken")),
                (
                    "due_on",
                    fields.DateField(
                        description="last Beijing day before the check is overdue: tending_from + year years"
                    ),
                ),
                (
                    "reported_at",
                    fields.DatetimeField(
                        null=True,
                        description="when the first photo of the year's report came in",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "reported_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="reported_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "note",
                    fields.CharField(default="", description="the defendant's words on the tending", max_length=300),
                ),
                (
                    "reminded_at",
                    fields.DatetimeField(
                        null=True,
                        description="when the defendant was reminded of it (once)",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "judicial_case_tending",
                "app": "models",
                "unique_together": (("case", "year"),),
                "pk_attr": "id",
                "table_description": "One yearly tending check (管护年度检查) of a case with trees.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
