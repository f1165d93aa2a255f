"""Planting logs and duty certificates (义务植树尽责证书), issue 7.

After checking in on a booking a person logs what they planted (one log per booking); an organiser of
the campaign's organisation approves or rejects it. Approved trees count toward the person's yearly
义务植树 duty (3–5 trees a year) and are shown on one certificate per person per Beijing year.
The per-person, per-day check-in counter that caps check-ins lives here too.
"""

from datetime import date, datetime

from tortoise import fields, models

from models.accounts import User
from models.campaigns import Booking, Campaign


class PlantingLog(models.Model):
    """What a person planted on one checked-in booking, and the organiser's decision on it.

    While `submitted` its owner may edit it; once `rejected` they may correct and resubmit it (back to
    `submitted`, the reason moved to `rejections`) up to PLANTING_MAX_RESUBMISSIONS times; `approved` is final.
    """

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs")
    booking: fields.OneToOneRelation[Booking] = fields.OneToOneField(
        "models.Booking", related_name=False, on_delete=fields.RESTRICT, description="one log per booking"
    )
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name=False, on_delete=fields.RESTRICT, description="the booking's campaign"
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT, description="who planted"
    )
    species = fields.CharField(max_length=64, description="one of the campaign's species keys, e.g. tree.cupressus")
    count = fields.IntField(description="trees (or bamboo culms) planted, 1..PLANTING_MAX_TREES_PER_LOG")
    note = fields.CharField(max_length=500, default="", description="the planter's note, plain text")
    planted_on: date = fields.DateField(description="Beijing date of the check-in: the planting date")
    status = fields.CharField(max_length=16, default="submitted", description="submitted | approved | rejected")
    reject_reason_zh = fields.CharField(max_length=300, null=True, description="why it was rejected (zh)")
    reject_reason_en = fields.CharField(max_length=300, null=True, description="why it was rejected (en), optional")
    reviewed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.RESTRICT, description="the organiser"
    )
    reviewed_at: datetime | None = fields.DatetimeField(null=True, description="when approved or rejected, UTC")
    points_awarded = fields.IntField(default=0, description="points the approval earned (0 if a cap was reached)")
    revision = fields.IntField(
        default=1,
        db_default=1,
        description="1 when written, +1 on each edit, resubmission or photo: a review may name the revision it saw",
    )
    resubmissions = fields.IntField(
        default=0,
        db_default=0,
        description="times the owner corrected and resubmitted it after a rejection, <= PLANTING_MAX_RESUBMISSIONS",
    )
    rejections: list[dict] = fields.JSONField(
        null=True,
        default=list,
        description="earlier rejections, oldest first: [{reason_zh, reason_en, reviewed_by, reviewed_at}]",
    )
    submitted_at: datetime | None = fields.DatetimeField(
        null=True, description="when last submitted or resubmitted, UTC: the review queue's order"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "planting_log"


class DutyCertificate(models.Model):
    """One person's 义务植树 certificate of a Beijing year: trees accumulate as logs are approved.

    `kind` is `duty` (尽责证书: of duty age — men 11–60, women 11–55 — at the date of an approved
    planting) or `honour` (荣誉证书: anybody else, or sex / birth date unknown).
    """

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True, description="random public verification code")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    year = fields.IntField(description="Beijing calendar year of the plantings")
    kind = fields.CharField(max_length=8, description="duty (尽责证书) | honour (荣誉证书)")
    trees = fields.IntField(default=0, description="trees in the person's approved logs of the year")
    campaigns: list[str] = fields.JSONField(default=list, description="slugs of the campaigns planted in")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "planting_certificate"
        unique_together = (("user", "year"),)


class DutyProfile(models.Model):
    """Optional birth date and sex a person gives for the 义务植树 age rule, stored encrypted.

    A resident ID number (accounts, 实名) carries both and takes precedence; without either the person
    gets an honour certificate. Deleted with the account.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    birth_date_enc = fields.BinaryField(null=True, description="birth date YYYY-MM-DD, AES-GCM encrypted")
    sex_enc = fields.BinaryField(null=True, description="m | f, AES-GCM encrypted")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "planting_profile"


class CheckInDay(models.Model):
    """Check-ins one person made on one Beijing day, raised by a conditional update under the cap."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    day: date = fields.DateField(description="Beijing date of the check-ins (the captured time for offline ones)")
    checkins = fields.IntField(default=0, description="check-ins accepted that day, <= CAMPAIGN_CHECKINS_PER_DAY")

    class Meta:
        table = "campaign_checkin_day"
        unique_together = (("user", "day"),)
