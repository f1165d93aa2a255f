"""Sign-in migration: why a session was revoked (private, the public chain holds no sign-in history)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0005_notifications")]

    initial = False

    operations = [
        ops.AddField(
            model_name="AuthSession",
            name="revoked_reason",
            field=fields.CharField(
                null=True, description="sign_out | sign_out_everywhere | refresh_reuse | account_deleted", max_length=32
            ),
        ),
    ]
