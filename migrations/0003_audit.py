"""The audit log table (app/core/audit.py). Sealing triggers come with the chain work."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_constraints')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('occurred_at', fields.DatetimeField(description='when the change was written (UTC)', auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(description='user:<public_id>, system:<job> or cli:<command>', max_length=64)),
                ('action', fields.CharField(description='dotted verb, e.g. membership.granted', max_length=64)),
                ('entity_type', fields.CharField(max_length=64)),
                ('entity_id', fields.CharField(max_length=64)),
                ('before', fields.JSONField(null=True, description="the record's relevant fields before the change", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, description="the record's relevant fields after the change", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('seq', fields.BigIntField(null=True, unique=True, description='position in the chain, from 1, set when sealed')),
                ('prev_hash', fields.CharField(null=True, description='hash of the row sealed just before', max_length=64)),
                ('hash', fields.CharField(null=True, description="sha256 over prev_hash and this row's content", max_length=64)),
                ('sealed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'audit_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One state change: who did what to which record, when, before → after.'},
            bases=['Model'],
        ),
    ]
