"""碳汇+旅游: scenic spots registered by scenic operators, the market orders their visitors place to
offset a trip there, and the benefit (e.g. a ticket discount) each certificate earns once per spot.

The market is not touched: an order's link to a spot lives here, keyed by the order (one row per
order), so a certificate (the order's `certificate_code`) finds its spot and trip through it.
"""

from typing import Any

from tortoise import fields, models

from models.accounts import Organisation, User
from models.market import Order


class ScenicSpot(models.Model):
    """A scenic spot (景区) a scenic operator registered: its public code is what its QR poster opens."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(
        max_length=8, unique=True, description="random public code, 8 characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name=False, on_delete=fields.RESTRICT, description="the scenic operator"
    )
    name_zh = fields.CharField(max_length=64, description="景区名称")
    name_en = fields.CharField(max_length=128, default="", description="the English name, the Chinese one if empty")
    county_code = fields.CharField(max_length=6, db_index=True, description="GB/T 2260 county-level code")
    latitude = fields.DecimalField(max_digits=9, decimal_places=6, description="WGS84 degrees north, −90..90")
    longitude = fields.DecimalField(max_digits=9, decimal_places=6, description="WGS84 degrees east, −180..180")
    origins: list[dict[str, Any]] = fields.JSONField(
        description="origin presets for the trip footprint: [{key, name_zh, name_en, road_km, rail_km, air_km}], "
        "one-way km, null where that way does not serve the origin"
    )
    benefit_zh = fields.CharField(max_length=100, description="what a certificate earns here, e.g. 门票优惠 10 元")
    benefit_en = fields.CharField(max_length=200, default="", description="the same in English")
    active = fields.BooleanField(default=True, description="an inactive spot takes no new orders and grants nothing")
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tourism_spot"


class SpotOrder(models.Model):
    """A market order placed to offset a trip to a spot: the order's certificate carries the spot and the trip."""

    id = fields.BigIntField(primary_key=True)
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "models.Order", related_name=False, on_delete=fields.RESTRICT, description="one spot per order"
    )
    spot: fields.ForeignKeyRelation[ScenicSpot] = fields.ForeignKeyField(
        "models.ScenicSpot", related_name=False, on_delete=fields.RESTRICT
    )
    trip: dict[str, Any] = fields.JSONField(
        description="the trip as footprinted: {origin, origin_name_zh, origin_name_en, mode, distance_km, people, "
        "hotel_nights, return_trip, footprint_kg}"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tourism_spot_order"


class Redemption(models.Model):
    """A spot's benefit granted on a certificate: once per certificate per spot (a unique pair)."""

    id = fields.BigIntField(primary_key=True)
    spot: fields.ForeignKeyRelation[ScenicSpot] = fields.ForeignKeyField(
        "models.ScenicSpot", related_name=False, on_delete=fields.RESTRICT
    )
    certificate_code = fields.CharField(max_length=20, description="the certificate the benefit was granted on")
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name=False, on_delete=fields.RESTRICT, description="the order behind the certificate"
    )
    kg = fields.BigIntField(description="kg CO2e the certificate retired")
    granted_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT, description="the operator's staff member"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tourism_redemption"
        unique_together = (("spot", "certificate_code"),)
        indexes = (("spot_id", "created_at"),)
