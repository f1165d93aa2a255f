"""Merchant coupons bought with points: offers with stock, and one-time coupon codes."""

from tortoise import fields, models

from models.accounts import Organisation, User


class CouponOffer(models.Model):
    """What a merchant offers for points, and how many are left."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True)
    merchant: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name=False, on_delete=fields.RESTRICT
    )
    title_zh = fields.CharField(max_length=64)
    title_en = fields.CharField(max_length=64)
    points_price = fields.IntField(description="points per coupon, > 0")
    stock = fields.IntField(description="coupons left, never below 0")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "coupons_offer"


class Coupon(models.Model):
    """One bought coupon: a random code shown as a QR that the merchant redeems once."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True, description="random, unguessable")
    offer: fields.ForeignKeyRelation[CouponOffer] = fields.ForeignKeyField(
        "models.CouponOffer", related_name=False, on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    transfer_id = fields.UUIDField(unique=True, description="the points transfer that paid for it (the buyer's key)")
    status = fields.CharField(max_length=8, default="issued", description="issued | redeemed")
    issued_at = fields.DatetimeField(auto_now_add=True)
    redeemed_at = fields.DatetimeField(null=True)
    redeemed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name=False,
        null=True,
        on_delete=fields.SET_NULL,
        description="the merchant staff member who scanned it",
    )

    class Meta:
        table = "coupons_coupon"
