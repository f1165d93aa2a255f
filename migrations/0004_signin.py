"""Placeholder kept in the chain; its owner fills in the operations."""

from tortoise import migrations


class Migration(migrations.Migration):
    dependencies = [("models", "0003_audit")]

    operations: list = []
