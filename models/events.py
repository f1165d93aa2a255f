"""大型活动碳中和: events an event organiser registers with a footprint estimate, the market orders placed
for them (attendees' travel, the organiser's remainder), and the retirements that count toward them.

The market is not touched: an order's link to an event lives here, keyed by the order. What counts is
`events_retirement`, one row per retired serial block (credits_retirement row), **unique on the
retirement**: a block of serials counts once, for one event, however often it is offered.
"""

from typing import Any

from tortoise import fields, models

from models.accounts import Organisation, User
from models.credits import Retirement
from models.market import Order


class Event(models.Model):
    """A large event (大型活动) and its footprint estimate, computed from the footprint calculator's factors."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(
        max_length=8, unique=True, description="random public code, 8 characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name=False, on_delete=fields.RESTRICT, description="the event organiser"
    )
    name_zh = fields.CharField(max_length=64, description="活动名称")
    name_en = fields.CharField(max_length=128, default="", description="the English name, the Chinese one if empty")
    venue_zh = fields.CharField(max_length=100, description="场馆/地点, as the organiser writes it")
    county_code = fields.CharField(max_length=6, db_index=True, description="GB/T 2260 county-level code of the venue")
    starts_on = fields.DateField(description="first day of the event (Beijing)")
    inputs: dict[str, Any] = fields.JSONField(
        description="the footprint.event inputs as given: {attendees, days, venue_kwh_per_day, hotel_room_nights, "
        "travel: [{mode, count, distance_km}], radiative_forcing}, decimals as strings"
    )
    estimate_kg = fields.CharField(max_length=40, description="the estimate, exact decimal kg CO2e (footprint.event)")
    estimate_offset_kg = fields.BigIntField(description="ceil(estimate_kg): what must be retired to be neutral, > 0")
    factor_set_version = fields.CharField(max_length=16, description="footprint factor set the estimate used")
    factor_set_sha256 = fields.CharField(max_length=64, description="SHA-256 of that factor file")
    active = fields.BooleanField(default=True, description="an inactive event takes no new offsets")
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "events_event"


class EventOrder(models.Model):
    """A market order placed for an event: an attendee's travel offset or the organiser's remainder."""

    id = fields.BigIntField(primary_key=True)
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "models.Order", related_name=False, on_delete=fields.RESTRICT, description="one event per order"
    )
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name=False, on_delete=fields.RESTRICT
    )
    source = fields.CharField(max_length=10, description="attendee | organiser")
    trip: dict[str, Any] | None = fields.JSONField(
        null=True, description="an attendee's travel as footprinted: {mode, distance_km, people, return_trip, ...}"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "events_order"


class EventRetirement(models.Model):
    """A retired serial block counted toward an event: unique on the retirement, so never twice, never for two."""

    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name=False, on_delete=fields.RESTRICT
    )
    retirement: fields.OneToOneRelation[Retirement] = fields.OneToOneField(
        "models.Retirement",
        related_name=False,
        on_delete=fields.RESTRICT,
        description="the retired block, UNIQUE: one block counts once, for one event",
    )
    certificate_code = fields.CharField(max_length=20, db_index=True, description="the retirement's certificate")
    kg = fields.BigIntField(description="kg CO2e of the block (its serial count), > 0")
    source = fields.CharField(max_length=10, description="attendee | organiser")
    order: fields.ForeignKeyNullableRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name=False, null=True, on_delete=fields.RESTRICT, description="the order behind it"
    )
    linked_by = fields.CharField(max_length=64, description="who linked it: system:market (at fulfilment) or user:<id>")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "events_retirement"
        indexes = (("event_id", "source"),)
