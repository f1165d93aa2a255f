"""Planting logs may be edited while submitted and corrected and resubmitted after a rejection: a revision
(bumped by each change, so a review can name what it saw), a resubmission counter, the earlier rejections
and the time of the last submission (the review queue's order, backfilled from created_at)."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("planting_log_revision_counts", "planting_log", "{row}revision >= 1 AND {row}resubmissions >= 0"),
]


async def _backfill(_apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]
    await client.execute_script(
        'UPDATE "planting_log" SET "submitted_at" = "created_at", "rejections" = \'[]\' WHERE "submitted_at" IS NULL'
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0030_events")]

    initial = False

    operations = [
        ops.AddField(
            model_name="PlantingLog",
            name="revision",
            field=fields.IntField(
                default=1,
                db_default=1,
                description="1 when written, +1 on each edit, resubmission or photo: a review may name the revision it saw",
            ),
        ),
        ops.AddField(
            model_name="PlantingLog",
            name="resubmissions",
            field=fields.IntField(
                default=0,
                db_default=0,
                description="times the owner corrected and resubmitted it after a rejection, <= PLANTING_MAX_RESUBMISSIONS",
            ),
        ),
        ops.AddField(
            model_name="PlantingLog",
            name="rejections",
            field=fields.JSONField(
                null=True,
                default=list,
                description="earlier rejections, oldest first: [{reason_zh, reason_en, reviewed_by, reviewed_at}]",
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.AddField(
            model_name="PlantingLog",
            name="submitted_at",
            field=fields.DatetimeField(
                null=True,
                auto_now=False,
                auto_now_add=False,
                description="when last submitted or resubmitted, UTC: the review queue's order",
            ),
        ),
        ops.RunPython(_backfill),
        apply(CONSTRAINTS),
    ]
