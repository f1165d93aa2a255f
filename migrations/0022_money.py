"""Payees and payouts, organisations' orders and invoice requests (one invoice per order), with CHECKs."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("money_payout_amount_positive", "money_payout", "{row}amount_fen > 0"),
    Check("money_payout_status_known", "money_payout", "{row}status IN ('requested','processing','paid','failed')"),
    Check("money_payee_kind_known", "money_payee", "{row}kind IN ('bank','wechat')"),
    Check("money_invoice_amount_positive", "money_invoice_request", "{row}amount_fen > 0 AND {row}order_count > 0"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0021_campaigns")]

    initial = False

    operations = [
        ops.CreateModel(
            name="InvoiceRequest",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, max_length=26)),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="requested_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("title", fields.CharField(description="发票抬头", max_length=100)),
                (
                    "tax_id",
                    fields.CharField(description="税号: unified social credit code (GB 32100-2015)", max_length=20),
                ),
                ("email", fields.CharField(description="where the 电子发票 goes", max_length=254)),
                ("amount_fen", fields.BigIntField(description="the covered orders' total_fen, summed")),
                ("order_count", fields.IntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "money_invoice_request",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An organisation's request for a 发票 over some of its paid orders, for the finance team.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="InvoiceOrder",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "invoice",
                    fields.ForeignKeyField(
                        "models.InvoiceRequest",
                        source_field="invoice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "order",
                    fields.OneToOneField(
                        "models.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "money_invoice_order",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An order covered by an invoice request: unique, so an order is invoiced at most once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OrgOrder",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "order",
                    fields.OneToOneField(
                        "models.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "money_org_order",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A market order an organisation's member placed on the organisation's behalf.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Payee",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "holder",
                    fields.CharField(unique=True, description="user:<public id> or org:<public id>", max_length=64),
                ),
                ("kind", fields.CharField(description="bank | wechat", max_length=8)),
                (
                    "account_enc",
                    fields.BinaryField(
                        description="bank card number or WeChat openid, AES-GCM (purpose payee:account)"
                    ),
                ),
                ("name_enc", fields.BinaryField(description="the account holder's name, AES-GCM (purpose payee:name)")),
                (
                    "updated_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="updated_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "money_payee",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Where a seller (user:<id> or org:<id>) is paid: one current payee per holder.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Payout",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(
                        unique=True, description="random, also the provider's out_payout_no", max_length=26
                    ),
                ),
                ("holder", fields.CharField(db_index=True, description="whose seller_income pays it", max_length=64)),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="requested_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount_fen", fields.BigIntField(description="fen paid out, > 0")),
                ("provider", fields.CharField(description="sandbox | …", max_length=16)),
                (
                    "status",
                    fields.CharField(
                        default="requested",
                        db_index=True,
                        description="requested | processing | paid | failed",
                        max_length=10,
                    ),
                ),
                (
                    "payee_kind",
                    fields.CharField(description="bank | wechat, copied from the payee when asked", max_length=8),
                ),
                (
                    "payee_account_enc",
                    fields.BinaryField(description="the payee account when asked, AES-GCM (payee:account)"),
                ),
                ("payee_name_enc", fields.BinaryField(description="the payee name when asked, AES-GCM (payee:name)")),
                (
                    "provider_reference",
                    fields.CharField(default="", description="the provider's id of the payout", max_length=64),
                ),
                (
                    "failure_reason",
                    fields.CharField(default="", description="the provider's reason, when failed", max_length=64),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "money_payout",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A seller's request to be paid `amount_fen` of their payable balance, and what the provider did.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PayoutNotification",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("provider", fields.CharField(max_length=16)),
                ("replay_key", fields.CharField(max_length=128)),
                ("out_payout_no", fields.CharField(db_index=True, max_length=26)),
                ("state", fields.CharField(description="succeeded | failed", max_length=10)),
                ("amount_fen", fields.BigIntField()),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "money_payout_notification",
                "app": "models",
                "unique_together": (("provider", "replay_key"),),
                "pk_attr": "id",
                "table_description": "A verified payout notification, recorded once (a replay fails on the unique key).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SandboxPayout",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("out_payout_no", fields.CharField(unique=True, max_length=26)),
                ("reference", fields.CharField(unique=True, description="the sandbox's own id", max_length=64)),
                ("amount_fen", fields.BigIntField()),
                (
                    "status",
                    fields.CharField(
                        default="processing", description="processing | succeeded | failed", max_length=10
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "money_sandbox_payout",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The sandbox payout provider's own record, as a real provider keeps one on its servers.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
