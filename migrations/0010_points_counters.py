"""Award counters for the earning caps, which never run below zero."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [Check("points_award_counter_nonnegative", "points_award_counter", "{row}awarded >= 0")]


class Migration(migrations.Migration):
    dependencies = [("models", "0009_ledger")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AwardCounter",
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
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "action",
                    fields.CharField(description="the earning rule's action, e.g. checkin.daily", max_length=32),
                ),
                ("period", fields.CharField(description="day:YYYY-MM-DD or year:YYYY, Beijing time", max_length=16)),
                ("awarded", fields.BigIntField(default=0, description="points awarded in the period")),
            ],
            options={
                "table": "points_award_counter",
                "app": "models",
                "unique_together": (("user", "action", "period"),),
                "pk_attr": "id",
                "table_description": "Points awarded to one person for one action in one period (a Beijing-time day or year).",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
