"""碳汇+旅游: scenic spots, the link of a market order to a spot (one per order), and benefit redemptions
(unique per spot and certificate: the insert is the once-only check)."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0025_teams")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ScenicSpot",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "code",
                    fields.CharField(
                        unique=True,
                        description="random public code, 8 characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ",
                        max_length=8,
                    ),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        description="the scenic operator",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name_zh", fields.CharField(description="景区名称", max_length=64)),
                (
                    "name_en",
                    fields.CharField(
                        default="", description="the English name, the Chinese one if empty", max_length=128
                    ),
                ),
                (
                    "county_code",
                    fields.CharField(db_index=True, description="GB/T 2260 county-level code", max_length=6),
                ),
                (
                    "latitude",
                    fields.DecimalField(description="WGS84 degrees north, −90..90", max_digits=9, decimal_places=6),
                ),
                (
                    "longitude",
                    fields.DecimalField(description="WGS84 degrees east, −180..180", max_digits=9, decimal_places=6),
                ),
                (
                    "origins",
                    fields.JSONField(
                        description="origin presets for the trip footprint: [{key, name_zh, name_en, road_km, rail_km, air_km}], one-way km, null where that way does not serve the origin",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "benefit_zh",
                    fields.CharField(description="what a certificate earns here, e.g. 门票优惠 10 元", max_length=100),
                ),
                ("benefit_en", fields.CharField(default="", description="the same in English", max_length=200)),
                (
                    "active",
                    fields.BooleanField(
                        default=True, description="an inactive spot takes no new orders and grants nothing"
                    ),
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
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "tourism_spot",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A scenic spot (景区) a scenic operator registered: its public code is what its QR poster opens.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Redemption",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "spot",
                    fields.ForeignKeyField(
                        "models.ScenicSpot",
                        source_field="spot_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "certificate_code",
                    fields.CharField(description="the certificate the benefit was granted on", max_length=20),
                ),
                (
                    "order",
                    fields.ForeignKeyField(
                        "models.Order",
                        source_field="order_id",
                        description="the order behind the certificate",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("kg", fields.BigIntField(description="kg CO2e the certificate retired")),
                (
                    "granted_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="granted_by_id",
                        description="the operator's staff member",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "tourism_redemption",
                "app": "models",
                "unique_together": (("spot", "certificate_code"),),
                "indexes": [Index(fields=["spot_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "A spot's benefit granted on a certificate: once per certificate per spot (a unique pair).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SpotOrder",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "order",
                    fields.OneToOneField(
                        "models.Order",
                        source_field="order_id",
                        description="one spot per order",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "spot",
                    fields.ForeignKeyField(
                        "models.ScenicSpot",
                        source_field="spot_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "trip",
                    fields.JSONField(
                        description="the trip as footprinted: {origin, origin_name_zh, origin_name_en, mode, distance_km, people, hotel_nights, return_trip, footprint_kg}",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "tourism_spot_order",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A market order placed to offset a trip to a spot: the order's certificate carries the spot and the trip.",
            },
            bases=["Model"],
        ),
    ]
