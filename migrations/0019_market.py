"""Market and payments: listings, orders, payment attempts, notifications and the sandbox's trades."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, PartialUnique, apply

CONSTRAINTS = [
    Check("market_listing_status_known", "market_listing", "{row}status IN ('active','withdrawn')"),
    Check("market_listing_shown_known", "market_listing", "{row}seller_shown IN ('masked','full','collective')"),
    Check("market_listing_price_positive", "market_listing", "{row}price_fen > 0 AND {row}price_unit_kg > 0"),
    PartialUnique("market_listing_one_active_per_issuance", "market_listing", "issuance_id", "status = 'active'"),
    Check("market_order_status_known", "market_order", "{row}status IN ('pending','fulfilled','expired','cancelled')"),
    Check(
        "market_order_purpose_known",
        "market_order",
        "{row}purpose IN ('personal','trip','event','gift','organisation')",
    ),
    Check("market_order_kg_positive", "market_order", "{row}kg > 0"),
    Check(
        "market_order_total_adds_up",
        "market_order",
        "{row}total_fen = {row}points_fen + {row}cash_fen AND {row}cash_fen > 0 AND {row}points_fen >= 0 "
        "AND {row}points >= 0",
    ),
    Check(
        "market_order_split_adds_up",
        "market_order",
        "{row}fee_bps BETWEEN 0 AND 10000 AND {row}fee_fen >= 0 AND {row}seller_fen >= 0 "
        "AND ({row}status <> 'fulfilled' OR {row}fee_fen + {row}seller_fen = {row}total_fen)",
    ),
    Check(
        "market_order_fulfilled_has_certificate",
        "market_order",
        "{row}status <> 'fulfilled' OR {row}certificate_code IS NOT NULL",
    ),
    Check(
        "payments_attempt_status_known",
        "payments_attempt",
        "{row}status IN ('pending','paid','refund_due','refunded','closed')",
    ),
    Check("payments_attempt_amount_positive", "payments_attempt", "{row}amount_fen > 0"),
    PartialUnique(
        "payments_attempt_provider_transaction_once",
        "payments_attempt",
        "provider, provider_transaction_id",
        "provider_transaction_id <> ''",
    ),
    Check(
        "payments_sandbox_status_known",
        "payments_sandbox_trade",
        "{row}status IN ('created','paid','closed','refunded')",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0018_report_quantities")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Listing",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id shown in URLs", max_length=26)),
                (
                    "issuance",
                    fields.ForeignKeyField(
                        "models.Issuance",
                        source_field="issuance_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "seller_holder",
                    fields.CharField(
                        description="the issuance's owner: user:<public id> or org:<public id>", max_length=64
                    ),
                ),
                (
                    "seller_shown",
                    fields.CharField(
                        description="how buyers see the seller: masked (张**) | full | collective (the organisation)",
                        max_length=10,
                    ),
                ),
                ("price_fen", fields.BigIntField(description="fen for price_unit_kg kg, > 0")),
                (
                    "price_unit_kg",
                    fields.BigIntField(description="kg the price buys, > 0, orders are whole multiples of it"),
                ),
                (
                    "basis",
                    fields.CharField(description="ex_ante | ex_post, from the issuance's estimates", max_length=8),
                ),
                ("county_code", fields.CharField(description="GB/T 2260 county of the project", max_length=6)),
                (
                    "status",
                    fields.CharField(default="active", db_index=True, description="active | withdrawn", max_length=10),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("withdrawn_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "market_listing",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A seller's offer of the kg of one issuance at one price: what is left is what inventory can still sell.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Order",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(
                        unique=True,
                        description="random, unguessable, the reservation reference is order:<it>",
                        max_length=26,
                    ),
                ),
                (
                    "buyer",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="buyer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "listing",
                    fields.ForeignKeyField(
                        "models.Listing",
                        source_field="listing_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("seller_holder", fields.CharField(description="the listing's seller at order time", max_length=64)),
                ("kg", fields.BigIntField(description="kg CO2e ordered, > 0")),
                ("price_fen", fields.BigIntField(description="the listing's price, locked at order time")),
                ("price_unit_kg", fields.BigIntField(description="kg that price bought, locked at order time")),
                ("total_fen", fields.BigIntField(description="kg / price_unit_kg × price_fen = points_fen + cash_fen")),
                ("points", fields.BigIntField(default=0, description="points held toward the price")),
                ("points_fen", fields.BigIntField(default=0, description="fen of the price the points pay")),
                ("cash_fen", fields.BigIntField(description="fen the buyer pays through the provider, > 0")),
                ("fee_bps", fields.IntField(description="platform fee in basis points, locked at order time")),
                (
                    "fee_fen",
                    fields.BigIntField(
                        default=0, description="platform fee, set at fulfilment: floor(total × bps / 10000)"
                    ),
                ),
                (
                    "seller_fen",
                    fields.BigIntField(default=0, description="seller share, set at fulfilment: total − fee"),
                ),
                (
                    "purpose",
                    fields.CharField(description="personal | trip | event | gift | organisation", max_length=16),
                ),
                (
                    "purpose_note",
                    fields.CharField(default="", description="the trip, event or reason, as given", max_length=100),
                ),
                (
                    "gift_recipient",
                    fields.CharField(default="", description="for a gift: whom it is for", max_length=64),
                ),
                ("beneficiary", fields.CharField(description="in whose name the kg are retired", max_length=64)),
                (
                    "beneficiary_shown",
                    fields.CharField(description="full | masked | hidden on the certificate", max_length=8),
                ),
                (
                    "status",
                    fields.CharField(
                        default="pending",
                        db_index=True,
                        description="pending | fulfilled | expired | cancelled",
                        max_length=10,
                    ),
                ),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="an unpaid order stops holding at this moment, sweep or no sweep",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("points_hold_id", fields.UUIDField(null=True, description="the ledger hold on the points wallet")),
                ("certificate_code", fields.CharField(null=True, description="set once, at fulfilment", max_length=20)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "market_order",
                "app": "models",
                "indexes": [Index(fields=["status", "expires_at"]), Index(fields=["buyer_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "A buyer's order: kg of one listing reserved until `expires_at`, paid once, retired once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PaymentAttempt",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "out_trade_no",
                    fields.CharField(unique=True, description="ours, sent to the provider", max_length=32),
                ),
                ("provider", fields.CharField(description="sandbox | wechatpay", max_length=16)),
                ("purpose", fields.CharField(description="what pays: market.order", max_length=32)),
                (
                    "subject",
                    fields.CharField(db_index=True, description="the public id of what is paid for", max_length=64),
                ),
                ("amount_fen", fields.BigIntField(description="fen asked of the payer, > 0")),
                ("description", fields.CharField(description="shown to the payer", max_length=127)),
                (
                    "appid",
                    fields.CharField(
                        default="", description="the provider appid notifications must name", max_length=64
                    ),
                ),
                (
                    "mchid",
                    fields.CharField(default="", description="the merchant id notifications must name", max_length=64),
                ),
                (
                    "status",
                    fields.CharField(
                        default="pending",
                        description="pending | paid (fulfilled its subject) | refund_due | refunded | closed",
                        max_length=12,
                    ),
                ),
                (
                    "provider_transaction_id",
                    fields.CharField(default="", description="the provider's id once paid", max_length=64),
                ),
                (
                    "client",
                    fields.JSONField(
                        default=dict,
                        description="what the payer's page or app needs",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="the provider refuses payment after it", auto_now=False, auto_now_add=False
                    ),
                ),
                ("paid_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "refund_reason",
                    fields.CharField(
                        default="", description="why it is refunded: expired, paid_twice …", max_length=32
                    ),
                ),
                (
                    "out_refund_no",
                    fields.CharField(default="", description="ours, derived from out_trade_no", max_length=64),
                ),
                ("refunded_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "payments_attempt",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One try at paying for one subject (a market order), under our own out_trade_no.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PaymentNotification",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("provider", fields.CharField(max_length=16)),
                (
                    "kind",
                    fields.CharField(
                        description="paid | refund_succeeded | refund_failed | refund_closed", max_length=20
                    ),
                ),
                (
                    "notification_id",
                    fields.CharField(description="the provider's id of the notification", max_length=64),
                ),
                (
                    "replay_key",
                    fields.CharField(description="unique per delivery: seen twice means replayed", max_length=128),
                ),
                ("out_trade_no", fields.CharField(db_index=True, max_length=32)),
                ("provider_transaction_id", fields.CharField(max_length=64)),
                ("amount_fen", fields.BigIntField(description="fen the provider says were paid")),
                ("outcome", fields.CharField(description="fulfilled | refund_due | refund | noted", max_length=16)),
                (
                    "resource",
                    fields.JSONField(
                        default=dict,
                        description="the decrypted resource, as the provider sent it",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "payments_notification",
                "app": "models",
                "unique_together": (("provider", "replay_key"), ("provider", "kind", "provider_transaction_id")),
                "pk_attr": "id",
                "table_description": "A verified provider notification, recorded once, with what it caused.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SandboxTrade",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("out_trade_no", fields.CharField(unique=True, max_length=32)),
                ("transaction_id", fields.CharField(unique=True, description="the sandbox's own id", max_length=64)),
                ("amount_fen", fields.BigIntField()),
                ("description", fields.CharField(max_length=127)),
                ("notify_url", fields.CharField(max_length=255)),
                (
                    "status",
                    fields.CharField(
                        default="created", description="created | paid | closed | refunded", max_length=10
                    ),
                ),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("paid_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("out_refund_no", fields.CharField(default="", max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "payments_sandbox_trade",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The sandbox provider's side of a payment: what a real provider would keep on its servers.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
