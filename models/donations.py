"""Donations to a campaign: money in lieu of planting (捐资尽责, per tree, paid through the payments
service into the campaign's fund), a 捐赠票据 request per paid donation, points given to a campaign's
points budget, and one tally row per campaign so the campaign page reads totals from one row.

Money is integer fen, points are integer points. A donation is paid once (the payments service's
notification transaction credits the fund and flips the donation by one conditional update).
"""

from datetime import datetime
from uuid import UUID

from tortoise import fields, models

from models.accounts import User
from models.campaigns import Campaign


class Donation(models.Model):
    """A citizen's money donation of a number of trees to a campaign (认种认养 / 捐资尽责)."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs")
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name=False, on_delete=fields.RESTRICT
    )
    donor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    trees = fields.IntField(description="trees donated, > 0: one tree counts as one tree of 义务植树 duty")
    fen_per_tree = fields.IntField(description="the campaign's price per tree when the donation was made, fen")
    amount_fen = fields.BigIntField(description="trees x fen_per_tree, fen, > 0")
    status = fields.CharField(max_length=12, default="pending", description="pending | paid | expired")
    expires_at: datetime = fields.DatetimeField(description="unpaid after this, it can no longer be paid (UTC)")
    paid_at: datetime | None = fields.DatetimeField(null=True, description="when the payment notification took it")
    out_trade_no = fields.CharField(max_length=32, default="", description="the payment attempt that paid it")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "donation"
        indexes = (("donor_id", "status", "paid_at"), ("campaign_id", "status"), ("status", "expires_at"))


class DonationReceipt(models.Model):
    """A donor's request for a 捐赠票据 (donation receipt) for one paid donation, editable until exported."""

    id = fields.BigIntField(primary_key=True)
    donation: fields.OneToOneRelation[Donation] = fields.OneToOneField(
        "models.Donation", related_name=False, on_delete=fields.RESTRICT, description="one request per donation"
    )
    kind = fields.CharField(max_length=12, description="personal | organisation")
    title = fields.CharField(max_length=100, description="the donor's name or the organisation's title (抬头)")
    tax_id = fields.CharField(
        max_length=20, default="", description="税号: unified social credit code (GB 32100-2015), or empty"
    )
    email = fields.CharField(max_length=254, description="where the electronic receipt goes")
    status = fields.CharField(max_length=12, default="requested", description="requested | exported")
    exported_at: datetime | None = fields.DatetimeField(null=True, description="when an organiser exported it")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "donation_receipt"


class PointsDonation(models.Model):
    """Points a signed-in person gave to a campaign's points budget, its id is the ledger transfer's id."""

    id: UUID = fields.UUIDField(primary_key=True, description="derived from (person, Idempotency-Key)")
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name=False, on_delete=fields.RESTRICT
    )
    donor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    points = fields.BigIntField(description="points moved from the wallet to the campaign budget, > 0")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "donation_points"


class DonationTally(models.Model):
    """Totals per campaign, moved in the donation's own transaction: the campaign page reads this row."""

    id = fields.BigIntField(primary_key=True)
    campaign: fields.OneToOneRelation[Campaign] = fields.OneToOneField(
        "models.Campaign", related_name=False, on_delete=fields.RESTRICT
    )
    trees_donated = fields.BigIntField(default=0, description="trees of paid donations")
    donations_paid = fields.IntField(default=0, description="paid money donations")
    points_donated = fields.BigIntField(default=0, description="points given to the campaign's points budget")
    points_donations = fields.IntField(default=0, description="points donations")

    class Meta:
        table = "donation_tally"
