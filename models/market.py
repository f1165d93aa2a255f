"""Market: sellers' listings of issued kg, and buyers' orders that reserve, pay and retire them.

Prices are integers: `price_fen` buys `price_unit_kg` kg (顺昌's ¥1 = 10 kg is price_fen 100 per
price_unit_kg 10), and an order's kg is a whole number of units, so every total is exact fen.
Carbon is integer kg CO2e; points are integers and never shown as kg or tonnes.
"""

from __future__ import annotations

from uuid import UUID

from tortoise import fields, models

from models.accounts import User
from models.credits import Issuance


class Listing(models.Model):
    """A seller's offer of the kg of one issuance at one price: what is left is what inventory can still sell."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs")
    issuance: fields.ForeignKeyRelation[Issuance] = fields.ForeignKeyField(
        "models.Issuance", related_name=False, on_delete=fields.RESTRICT
    )
    seller_holder = fields.CharField(
        max_length=64, description="the issuance's owner: user:<public id> or org:<public id>"
    )
    seller_shown = fields.CharField(
        max_length=10, description="how buyers see the seller: masked (张**) | full | collective (the organisation)"
    )
    price_fen = fields.BigIntField(description="fen for price_unit_kg kg, > 0")
    price_unit_kg = fields.BigIntField(description="kg the price buys, > 0, orders are whole multiples of it")
    basis = fields.CharField(max_length=8, description="ex_ante | ex_post, from the issuance's estimates")
    county_code = fields.CharField(max_length=6, description="GB/T 2260 county of the project")
    status = fields.CharField(max_length=10, default="active", db_index=True, description="active | withdrawn")
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "market_listing"


class Order(models.Model):
    """A buyer's order: kg of one listing reserved until `expires_at`, paid once, retired once."""

    # Since 0034 an order has one or more lines (OrderLine, one per listing) under one reservation and
    # one certificate code. The order-level listing and seller are the first (cheapest) line's, and a
    # split order's price is the whole order's (price_fen = total_fen for price_unit_kg = kg), so the
    # single-listing API keeps working; fee_fen and seller_fen are the sums of the lines'.

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(
        max_length=26, unique=True, description="random, unguessable, the reservation reference is order:<it>"
    )
    buyer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    listing: fields.ForeignKeyRelation[Listing] = fields.ForeignKeyField(
        "models.Listing", related_name=False, on_delete=fields.RESTRICT
    )
    seller_holder = fields.CharField(max_length=64, description="the listing's seller at order time")
    kg = fields.BigIntField(description="kg CO2e ordered, > 0")
    price_fen = fields.BigIntField(description="the listing's price, locked at order time")
    price_unit_kg = fields.BigIntField(description="kg that price bought, locked at order time")
    total_fen = fields.BigIntField(description="kg / price_unit_kg × price_fen = points_fen + cash_fen")
    points = fields.BigIntField(default=0, description="points held toward the price")
    points_fen = fields.BigIntField(default=0, description="fen of the price the points pay")
    cash_fen = fields.BigIntField(description="fen the buyer pays through the provider, > 0")
    fee_bps = fields.IntField(description="platform fee in basis points, locked at order time")
    fee_fen = fields.BigIntField(default=0, description="platform fee, set at fulfilment: floor(total × bps / 10000)")
    seller_fen = fields.BigIntField(default=0, description="seller share, set at fulfilment: total − fee")
    purpose = fields.CharField(max_length=16, description="personal | trip | event | gift | organisation")
    purpose_note = fields.CharField(max_length=100, default="", description="the trip, event or reason, as given")
    gift_recipient = fields.CharField(max_length=64, default="", description="for a gift: whom it is for")
    beneficiary = fields.CharField(max_length=64, description="in whose name the kg are retired")
    beneficiary_shown = fields.CharField(max_length=8, description="full | masked | hidden on the certificate")
    status = fields.CharField(
        max_length=10, default="pending", db_index=True, description="pending | fulfilled | expired | cancelled"
    )
    expires_at = fields.DatetimeField(description="an unpaid order stops holding at this moment, sweep or no sweep")
    points_hold_id: UUID | None = fields.UUIDField(null=True, description="the ledger hold on the points wallet")
    certificate_code = fields.CharField(max_length=20, null=True, description="set once, at fulfilment")
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    lines: fields.ReverseRelation[OrderLine]

    class Meta:
        table = "market_order"
        indexes = (("status", "expires_at"), ("buyer_id", "created_at"))


class OrderLine(models.Model):
    """One listing's part of an order: its kg, seller and locked price, and at fulfilment its own fee and
    seller share. A single-listing order has one line (position 0), and "best" may split over several
    listings, cheapest per kg first. Each line's kg are the order reservation's blocks of its listing's
    issuance (one active listing per issuance, so lines of one order never share an issuance)."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="lines", on_delete=fields.RESTRICT
    )
    position = fields.IntField(description="0, 1, …: the allocation order (cheapest per kg first)")
    listing: fields.ForeignKeyRelation[Listing] = fields.ForeignKeyField(
        "models.Listing", related_name=False, on_delete=fields.RESTRICT
    )
    seller_holder = fields.CharField(max_length=64, db_index=True, description="the listing's seller at order time")
    kg = fields.BigIntField(description="kg CO2e of this listing, > 0, a whole multiple of price_unit_kg")
    price_fen = fields.BigIntField(description="the listing's price, locked at order time")
    price_unit_kg = fields.BigIntField(description="kg that price bought, locked at order time")
    total_fen = fields.BigIntField(description="kg / price_unit_kg × price_fen")
    fee_fen = fields.BigIntField(default=0, description="platform fee, set at fulfilment: floor(total × bps / 10000)")
    seller_fen = fields.BigIntField(default=0, description="this seller's share, set at fulfilment: total − fee")

    class Meta:
        table = "market_order_line"
        unique_together = (("order_id", "position"),)
