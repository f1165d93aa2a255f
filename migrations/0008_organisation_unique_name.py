"""Organisations: one of each kind and name (a second copy is nearly always a mistake)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint


class Migration(migrations.Migration):
    dependencies = [("models", "0007_audit_no_truncate")]

    initial = False

    operations = [
        ops.AddConstraint(
            model_name="Organisation",
            constraint=UniqueConstraint(fields=("kind", "name"), name=None),
        ),
    ]
