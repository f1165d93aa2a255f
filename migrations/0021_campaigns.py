"""Planting campaigns (campaign, campaign_site, campaign_slot, campaign_booking, campaign_checkin) with
CHECKs on goals, dates, counters, site rules, slot capacity (booked never above capacity, capacity > 0)
and the known booking statuses."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("campaign_dates_ordered", "campaign", "{row}ends_on >= {row}starts_on"),
    Check(
        "campaign_goals_positive",
        "campaign",
        "({row}goal_trees IS NULL OR {row}goal_trees > 0) AND ({row}goal_kg IS NULL OR {row}goal_kg > 0) "
        "AND ({row}goal_fen IS NULL OR {row}goal_fen > 0)",
    ),
    Check(
        "campaign_counters_nonnegative",
        "campaign",
        "{row}bookings_count >= 0 AND {row}checkins_count >= 0 AND {row}trees_planted >= 0 "
        "AND {row}kg_removed >= 0 AND {row}fen_raised >= 0",
    ),
    Check(
        "campaign_donation_price_positive",
        "campaign",
        "{row}donation_fen_per_tree IS NULL OR {row}donation_fen_per_tree > 0",
    ),
    Check(
        "campaign_site_rules_sane",
        "campaign_site",
        "{row}checkin_radius_m > 0 AND {row}checkin_opens_min >= 0 AND {row}checkin_closes_min >= 0 "
        "AND {row}lat BETWEEN -90 AND 90 AND {row}lon BETWEEN -180 AND 180",
    ),
    Check("campaign_slot_capacity_positive", "campaign_slot", "{row}capacity > 0"),
    Check("campaign_slot_booked_within_capacity", "campaign_slot", "{row}booked >= 0 AND {row}booked <= {row}capacity"),
    Check("campaign_slot_times_ordered", "campaign_slot", "{row}ends_at > {row}starts_at"),
    Check("campaign_booking_status_known", "campaign_booking", "{row}status IN ('booked','cancelled','checked_in')"),
    Check(
        "campaign_checkin_sane",
        "campaign_checkin",
        "{row}distance_m >= 0 AND {row}coordinate_system IN ('wgs84','gcj02')",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0020_parcel_photos")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Campaign",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "slug",
                    fields.CharField(
                        unique=True, description="stable name in URLs and files, [a-z0-9-]", max_length=64
                    ),
                ),
                ("title_zh", fields.CharField(max_length=128)),
                ("title_en", fields.CharField(max_length=160)),
                (
                    "story_zh",
                    fields.TextField(description="story of the campaign, plain text paragraphs (zh)", unique=False),
                ),
                (
                    "story_en",
                    fields.TextField(description="story of the campaign, plain text paragraphs (en)", unique=False),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        description="the organiser",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("starts_on", fields.DateField(description="first day of the campaign (Beijing time)")),
                ("ends_on", fields.DateField(description="last day of the campaign (Beijing time), >= starts_on")),
                ("goal_trees", fields.IntField(null=True, description="trees to plant, > 0, or null for no tree goal")),
                ("goal_kg", fields.BigIntField(null=True, description="kg CO2e of removals to reach, > 0, or null")),
                ("goal_fen", fields.BigIntField(null=True, description="money to raise in fen, > 0, or null")),
                (
                    "modes",
                    fields.JSONField(
                        default=list,
                        description='participation modes, subset of ["plant", "donate", "tend", "volunteer"]',
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "donation_fen_per_tree",
                    fields.IntField(null=True, description="price of one tree in fen (认种认养), when donate"),
                ),
                (
                    "species",
                    fields.JSONField(
                        default=list,
                        description='species keys of the methodology parameters, e.g. ["tree.cupressus", "bamboo.moso"]',
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "is_demo",
                    fields.BooleanField(default=False, description="demo data: slug demo-…, titles carry 【演示】"),
                ),
                (
                    "source_file",
                    fields.CharField(
                        null=True, description="campaigns/<file>.toml, null if from the API", max_length=128
                    ),
                ),
                (
                    "file_sha256",
                    fields.CharField(
                        null=True,
                        description="SHA-256 of the campaign file (or canonical API body) last synced",
                        max_length=64,
                    ),
                ),
                (
                    "bookings_count",
                    fields.IntField(default=0, description="bookings currently held (booked or checked in)"),
                ),
                ("checkins_count", fields.IntField(default=0, description="check-ins accepted")),
                (
                    "trees_planted",
                    fields.IntField(default=0, description="trees in approved planting logs (planting issue)"),
                ),
                (
                    "kg_removed",
                    fields.BigIntField(default=0, description="kg CO2e credited to the campaign (later issues)"),
                ),
                ("fen_raised", fields.BigIntField(default=0, description="donations received, fen (later issues)")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "campaign",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A planting campaign run by one organiser organisation, upserted by its slug.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Site",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sites",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "key",
                    fields.CharField(description="name of the site in the campaign file, [a-z0-9-]", max_length=32),
                ),
                ("name_zh", fields.CharField(max_length=128)),
                ("name_en", fields.CharField(max_length=160)),
                ("lon", fields.FloatField(description="check-in point longitude, WGS84 decimal degrees")),
                ("lat", fields.FloatField(description="check-in point latitude, WGS84 decimal degrees")),
                ("county_code", fields.CharField(description="GB/T 2260 county-level code", max_length=6)),
                (
                    "checkin_radius_m",
                    fields.IntField(description="accepted distance from the check-in point, metres, > 0"),
                ),
                (
                    "checkin_opens_min",
                    fields.IntField(description="check-in opens this many minutes before a slot starts, >= 0"),
                ),
                (
                    "checkin_closes_min",
                    fields.IntField(description="check-in closes this many minutes after a slot ends, >= 0"),
                ),
            ],
            options={
                "table": "campaign_site",
                "app": "models",
                "unique_together": (("campaign", "key"),),
                "pk_attr": "id",
                "table_description": "A place where people plant: a point, a county and the rules of its check-in.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Slot",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "site",
                    fields.ForeignKeyField(
                        "models.Site",
                        source_field="site_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="slots",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("starts_at", fields.DatetimeField(description="UTC", auto_now=False, auto_now_add=False)),
                (
                    "ends_at",
                    fields.DatetimeField(description="UTC, after starts_at", auto_now=False, auto_now_add=False),
                ),
                ("capacity", fields.IntField(description="places, > 0")),
                ("booked", fields.IntField(default=0, description="places taken, 0 <= booked <= capacity")),
            ],
            options={
                "table": "campaign_slot",
                "app": "models",
                "unique_together": (("site", "starts_at"),),
                "pk_attr": "id",
                "table_description": "A time at a site with a number of places, booked moves only by conditional updates.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Booking",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id shown in URLs", max_length=26)),
                (
                    "slot",
                    fields.ForeignKeyField(
                        "models.Slot",
                        source_field="slot_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        description="the campaign of the slot",
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
                    "status",
                    fields.CharField(default="booked", description="booked | cancelled | checked_in", max_length=16),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "campaign_booking",
                "app": "models",
                "unique_together": (("slot", "user"),),
                "pk_attr": "id",
                "table_description": "A place held by one person in one slot, cancelled rows stay (a new booking reuses the row).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CheckIn",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "booking",
                    fields.OneToOneField(
                        "models.Booking",
                        source_field="booking_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "token_step",
                    fields.BigIntField(
                        description="time step of the QR token scanned (unix seconds divided by the step length)"
                    ),
                ),
                (
                    "captured_at",
                    fields.DatetimeField(
                        description="when the phone scanned (now for online check-ins), UTC",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "lon",
                    fields.FloatField(
                        null=True, description="phone longitude, WGS84 (null once the account is deleted)"
                    ),
                ),
                (
                    "lat",
                    fields.FloatField(
                        null=True, description="phone latitude, WGS84 (null once the account is deleted)"
                    ),
                ),
                ("coordinate_system", fields.CharField(description="as submitted: wgs84 | gcj02", max_length=8)),
                (
                    "distance_m",
                    fields.IntField(description="geodesic metres from the check-in point of the site, >= 0"),
                ),
                ("offline", fields.BooleanField(description="captured offline and submitted later")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "campaign_checkin",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The one accepted check-in of a booking: where and when the phone was, and how it came in.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
