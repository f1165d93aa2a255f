"""Merchant coupons, and the merchant role in the role CHECK."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply, replace

ROLES = "('smallholder','organiser','verifier','court','scenic_operator','event_organiser','merchant','platform_admin')"

REPLACED = [Check("membership_role_known", "accounts_membership", f"{{row}}role IN {ROLES}")]

CONSTRAINTS = [
    *REPLACED,
    Check("coupon_offer_price_positive", "coupons_offer", "{row}points_price > 0"),
    Check("coupon_offer_stock_nonnegative", "coupons_offer", "{row}stock >= 0"),
    Check("coupon_status_known", "coupons_coupon", "{row}status IN ('issued','redeemed')"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0010_points_counters")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CouponOffer",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, max_length=26)),
                (
                    "merchant",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="merchant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("title_zh", fields.CharField(max_length=64)),
                ("title_en", fields.CharField(max_length=64)),
                ("points_price", fields.IntField(description="points per coupon, > 0")),
                ("stock", fields.IntField(description="coupons left, never below 0")),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "coupons_offer",
                "app": "models",
                "pk_attr": "id",
                "table_description": "What a merchant offers for points, and how many are left.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Coupon",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, description="random, unguessable", max_length=16)),
                (
                    "offer",
                    fields.ForeignKeyField(
                        "models.CouponOffer",
                        source_field="offer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "transfer_id",
                    fields.UUIDField(unique=True, description="the points transfer that paid for it (the buyer's key)"),
                ),
                ("status", fields.CharField(default="issued", description="issued | redeemed", max_length=8)),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("redeemed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "redeemed_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="redeemed_by_id",
                        null=True,
                        description="the merchant staff member who scanned it",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "coupons_coupon",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One bought coupon: a random code shown as a QR that the merchant redeems once.",
            },
            bases=["Model"],
        ),
        replace(REPLACED),
        apply(CONSTRAINTS[len(REPLACED) :]),
    ]
