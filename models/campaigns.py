"""Planting campaigns: a campaign (from a file in campaigns/ or the organiser API), its sites on the
ground, the time slots people book at each site, the bookings and the one check-in per booking.

Progress is kept in counters on the campaign row, changed in the same transaction as the booking or
check-in that moves them, so the campaign page reads one row however many people took part.
Locations are WGS84 longitude/latitude (GCJ-02 from the mini-app is converted on input).
"""

from datetime import date, datetime

from tortoise import fields, models

from models.accounts import Organisation, User


class Campaign(models.Model):
    """A planting campaign run by one organiser organisation, upserted by its slug."""

    id = fields.BigIntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True, description="stable name in URLs and files, [a-z0-9-]")
    title_zh = fields.CharField(max_length=128)
    title_en = fields.CharField(max_length=160)
    story_zh = fields.TextField(description="story of the campaign, plain text paragraphs (zh)")
    story_en = fields.TextField(description="story of the campaign, plain text paragraphs (en)")
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name=False, on_delete=fields.RESTRICT, description="the organiser"
    )
    starts_on: date = fields.DateField(description="first day of the campaign (Beijing time)")
    ends_on: date = fields.DateField(description="last day of the campaign (Beijing time), >= starts_on")
    goal_trees = fields.IntField(null=True, description="trees to plant, > 0, or null for no tree goal")
    goal_kg = fields.BigIntField(null=True, description="kg CO2e of removals to reach, > 0, or null")
    goal_fen = fields.BigIntField(null=True, description="money to raise in fen, > 0, or null")
    modes: list[str] = fields.JSONField(
        default=list, description='participation modes, subset of ["plant", "donate", "tend", "volunteer"]'
    )
    donation_fen_per_tree = fields.IntField(null=True, description="price of one tree in fen (认种认养), when donate")
    species: list[str] = fields.JSONField(
        default=list, description='species keys of the methodology parameters, e.g. ["tree.cupressus", "bamboo.moso"]'
    )
    is_demo = fields.BooleanField(default=False, description="demo data: slug demo-…, titles carry 【演示】")
    source_file = fields.CharField(max_length=128, null=True, description="campaigns/<file>.toml, null if from the API")
    file_sha256 = fields.CharField(
        max_length=64, null=True, description="SHA-256 of the campaign file (or canonical API body) last synced"
    )
    # Counters, never COUNT(*): changed in the booking / check-in transaction (docs/campaigns.md).
    bookings_count = fields.IntField(default=0, description="bookings currently held (booked or checked in)")
    checkins_count = fields.IntField(default=0, description="check-ins accepted")
    trees_planted = fields.IntField(default=0, description="trees in approved planting logs (planting issue)")
    kg_removed = fields.BigIntField(default=0, description="kg CO2e credited to the campaign (later issues)")
    fen_raised = fields.BigIntField(default=0, description="donations received, fen (later issues)")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "campaign"


class Site(models.Model):
    """A place where people plant: a point, a county and the rules of its check-in."""

    id = fields.BigIntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="sites", on_delete=fields.RESTRICT
    )
    key = fields.CharField(max_length=32, description="name of the site in the campaign file, [a-z0-9-]")
    name_zh = fields.CharField(max_length=128)
    name_en = fields.CharField(max_length=160)
    lon = fields.FloatField(description="check-in point longitude, WGS84 decimal degrees")
    lat = fields.FloatField(description="check-in point latitude, WGS84 decimal degrees")
    county_code = fields.CharField(max_length=6, description="GB/T 2260 county-level code")
    checkin_radius_m = fields.IntField(description="accepted distance from the check-in point, metres, > 0")
    checkin_opens_min = fields.IntField(description="check-in opens this many minutes before a slot starts, >= 0")
    checkin_closes_min = fields.IntField(description="check-in closes this many minutes after a slot ends, >= 0")

    class Meta:
        table = "campaign_site"
        unique_together = (("campaign", "key"),)


class Slot(models.Model):
    """A time at a site with a number of places, booked moves only by conditional updates."""

    id = fields.BigIntField(primary_key=True)
    site: fields.ForeignKeyRelation[Site] = fields.ForeignKeyField(
        "models.Site", related_name="slots", on_delete=fields.RESTRICT
    )
    starts_at: datetime = fields.DatetimeField(description="UTC")
    ends_at: datetime = fields.DatetimeField(description="UTC, after starts_at")
    capacity = fields.IntField(description="places, > 0")
    booked = fields.IntField(default=0, description="places taken, 0 <= booked <= capacity")

    class Meta:
        table = "campaign_slot"
        unique_together = (("site", "starts_at"),)


class Booking(models.Model):
    """A place held by one person in one slot, cancelled rows stay (a new booking reuses the row)."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs")
    slot: fields.ForeignKeyRelation[Slot] = fields.ForeignKeyField(
        "models.Slot", related_name=False, on_delete=fields.RESTRICT
    )
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name=False, on_delete=fields.RESTRICT, description="the campaign of the slot"
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    status = fields.CharField(max_length=16, default="booked", description="booked | cancelled | checked_in")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "campaign_booking"
        unique_together = (("slot", "user"),)


class CheckIn(models.Model):
    """The one accepted check-in of a booking: where and when the phone was, and how it came in."""

    id = fields.BigIntField(primary_key=True)
    booking: fields.OneToOneRelation[Booking] = fields.OneToOneField(
        "models.Booking", related_name=False, on_delete=fields.RESTRICT
    )
    token_step = fields.BigIntField(
        description="time step of the QR token scanned (unix seconds divided by the step length)"
    )
    captured_at: datetime = fields.DatetimeField(description="when the phone scanned (now for online check-ins), UTC")
    lon = fields.FloatField(null=True, description="phone longitude, WGS84 (null once the account is deleted)")
    lat = fields.FloatField(null=True, description="phone latitude, WGS84 (null once the account is deleted)")
    coordinate_system = fields.CharField(max_length=8, description="as submitted: wgs84 | gcj02")
    distance_m = fields.IntField(description="geodesic metres from the check-in point of the site, >= 0")
    offline = fields.BooleanField(description="captured offline and submitted later")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "campaign_checkin"
