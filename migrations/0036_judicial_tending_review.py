"""碳汇+司法 tending review: the court (or the campaign's organiser) accepts a 管护报告 (`accepted_at`, final)
or rejects it with a reason (the report is cleared, `rejected_at`, `rejection_reason`, `rejections` + 1);
an accepted year must have a report (CHECK)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check(
        "judicial_case_tending_accepted_reported",
        "judicial_case_tending",
        "{row}accepted_at IS NULL OR {row}reported_at IS NOT NULL",
    ),
    Check("judicial_case_tending_rejections", "judicial_case_tending", "{row}rejections >= 0"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0035_judicial_tending")]

    initial = False

    operations = [
        ops.AddField(
            model_name="CaseTending",
            name="accepted_at",
            field=fields.DatetimeField(
                null=True,
                description="when the court or the campaign's organiser accepted the report (final: the year is done)",
                auto_now=False,
                auto_now_add=False,
            ),
        ),
        ops.AddField(
            model_name="CaseTending",
            name="reviewed_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="reviewed_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name=False,
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AddField(
            model_name="CaseTending",
            name="rejected_at",
            field=fields.DatetimeField(
                null=True,
                description="when the last report was rejected (it was cleared)",
                auto_now=False,
                auto_now_add=False,
            ),
        ),
        ops.AddField(
            model_name="CaseTending",
            name="rejection_reason",
            field=fields.CharField(
                default="", description="why the last report was rejected, shown to the defendant", max_length=300
            ),
        ),
        ops.AddField(
            model_name="CaseTending",
            name="rejections",
            field=fields.SmallIntField(default=0, description="how many reports of the year were rejected"),
        ),
        apply(CONSTRAINTS),
    ]
