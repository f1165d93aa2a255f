"""Users choose a district (GB/T 2260 county-level code) for district leaderboards."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0014_registry")]

    initial = False

    operations = [
        ops.AddField(
            model_name="User",
            name="district_code",
            field=fields.CharField(
                null=True,
                db_index=True,
                description="GB/T 2260 county-level code the person chose, for district leaderboards",
                max_length=6,
            ),
        ),
    ]
