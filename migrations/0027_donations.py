"""Donations to campaigns (issue 7 捐资尽责, issue 4 points to a campaign budget): donation,
donation_receipt (捐赠票据 requests), donation_points, donation_tally, with CHECKs."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check(
        "donation_amount_is_trees_times_price",
        "donation",
        "{row}trees > 0 AND {row}fen_per_tree > 0 AND {row}amount_fen = {row}trees * {row}fen_per_tree",
    ),
    Check("donation_status_known", "donation", "{row}status IN ('pending','paid','expired')"),
    Check(
        "donation_receipt_kind_known",
        "donation_receipt",
        "{row}kind IN ('personal','organisation') AND {row}status IN ('requested','exported')",
    ),
    Check("donation_points_positive", "donation_points", "{row}points > 0"),
    Check(
        "donation_tally_nonnegative",
        "donation_tally",
        "{row}trees_donated >= 0 AND {row}donations_paid >= 0 AND {row}points_donated >= 0 AND {row}points_donations >= 0",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0026_tourism")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Donation",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id shown in URLs", max_length=26)),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "donor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="donor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "trees",
                    fields.IntField(description="trees donated, > 0: one tree counts as one tree of 义务植树 duty"),
                ),
                (
                    "fen_per_tree",
                    fields.IntField(description="the campaign's price per tree when the donation was made, fen"),
                ),
                ("amount_fen", fields.BigIntField(description="trees x fen_per_tree, fen, > 0")),
                ("status", fields.CharField(default="pending", description="pending | paid | expired", max_length=12)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="unpaid after this, it can no longer be paid (UTC)",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "paid_at",
                    fields.DatetimeField(
                        null=True,
                        description="when the payment notification took it",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "out_trade_no",
                    fields.CharField(default="", description="the payment attempt that paid it", max_length=32),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "donation",
                "app": "models",
                "indexes": [
                    Index(fields=["donor_id", "status", "paid_at"]),
                    Index(fields=["campaign_id", "status"]),
                    Index(fields=["status", "expires_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A citizen's money donation of a number of trees to a campaign (认种认养 / 捐资尽责).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DonationReceipt",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "donation",
                    fields.OneToOneField(
                        "models.Donation",
                        source_field="donation_id",
                        description="one request per donation",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("kind", fields.CharField(description="personal | organisation", max_length=12)),
                (
                    "title",
                    fields.CharField(description="the donor's name or the organisation's title (抬头)", max_length=100),
                ),
                (
                    "tax_id",
                    fields.CharField(
                        default="",
                        description="税号: unified social credit code (GB 32100-2015), or empty",
                        max_length=20,
                    ),
                ),
                ("email", fields.CharField(description="where the electronic receipt goes", max_length=254)),
                ("status", fields.CharField(default="requested", description="requested | exported", max_length=12)),
                (
                    "exported_at",
                    fields.DatetimeField(
                        null=True, description="when an organiser exported it", auto_now=False, auto_now_add=False
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "donation_receipt",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A donor's request for a 捐赠票据 (donation receipt) for one paid donation, editable until exported.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DonationTally",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "campaign",
                    fields.OneToOneField(
                        "models.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("trees_donated", fields.BigIntField(default=0, description="trees of paid donations")),
                ("donations_paid", fields.IntField(default=0, description="paid money donations")),
                (
                    "points_donated",
                    fields.BigIntField(default=0, description="points given to the campaign's points budget"),
                ),
                ("points_donations", fields.IntField(default=0, description="points donations")),
            ],
            options={
                "table": "donation_tally",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Totals per campaign, moved in the donation's own transaction: the campaign page reads this row.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PointsDonation",
            fields=[
                (
                    "id",
                    fields.UUIDField(
                        primary_key=True,
                        default=uuid4,
                        unique=True,
                        db_index=True,
                        description="derived from (person, Idempotency-Key)",
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "donor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="donor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("points", fields.BigIntField(description="points moved from the wallet to the campaign budget, > 0")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "donation_points",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Points a signed-in person gave to a campaign's points budget, its id is the ledger transfer's id.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
