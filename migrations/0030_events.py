"""大型活动碳中和: events with their footprint estimate, the market orders placed for them, and the retired
blocks counted toward them (events_retirement is UNIQUE on the retirement: one block counts once, for one
event), with CHECKs on sources and kg."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("events_event_estimate_positive", "events_event", "{row}estimate_offset_kg > 0"),
    Check("events_order_source_known", "events_order", "{row}source IN ('attendee','organiser')"),
    Check(
        "events_retirement_counts",
        "events_retirement",
        "{row}kg > 0 AND {row}source IN ('attendee','organiser')",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0029_judicial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Event",
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
                        description="the event organiser",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name_zh", fields.CharField(description="活动名称", max_length=64)),
                (
                    "name_en",
                    fields.CharField(
                        default="", description="the English name, the Chinese one if empty", max_length=128
                    ),
                ),
                ("venue_zh", fields.CharField(description="场馆/地点, as the organiser writes it", max_length=100)),
                (
                    "county_code",
                    fields.CharField(
                        db_index=True, description="GB/T 2260 county-level code of the venue", max_length=6
                    ),
                ),
                ("starts_on", fields.DateField(description="first day of the event (Beijing)")),
                (
                    "inputs",
                    fields.JSONField(
                        description="the footprint.event inputs as given: {attendees, days, venue_kwh_per_day, hotel_room_nights, travel: [{mode, count, distance_km}], radiative_forcing}, decimals as strings",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "estimate_kg",
                    fields.CharField(
                        description="the estimate, exact decimal kg CO2e (footprint.event)", max_length=40
                    ),
                ),
                (
                    "estimate_offset_kg",
                    fields.BigIntField(description="ceil(estimate_kg): what must be retired to be neutral, > 0"),
                ),
                (
                    "factor_set_version",
                    fields.CharField(description="footprint factor set the estimate used", max_length=16),
                ),
                ("factor_set_sha256", fields.CharField(description="SHA-256 of that factor file", max_length=64)),
                ("active", fields.BooleanField(default=True, description="an inactive event takes no new offsets")),
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
                "table": "events_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A large event (大型活动) and its footprint estimate, computed from the footprint calculator's factors.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EventOrder",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "order",
                    fields.OneToOneField(
                        "models.Order",
                        source_field="order_id",
                        description="one event per order",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "event",
                    fields.ForeignKeyField(
                        "models.Event",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("source", fields.CharField(description="attendee | organiser", max_length=10)),
                (
                    "trip",
                    fields.JSONField(
                        null=True,
                        description="an attendee's travel as footprinted: {mode, distance_km, people, return_trip, ...}",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "events_order",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A market order placed for an event: an attendee's travel offset or the organiser's remainder.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EventRetirement",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "event",
                    fields.ForeignKeyField(
                        "models.Event",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "retirement",
                    fields.OneToOneField(
                        "models.Retirement",
                        source_field="retirement_id",
                        description="the retired block, UNIQUE: one block counts once, for one event",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "certificate_code",
                    fields.CharField(db_index=True, description="the retirement's certificate", max_length=20),
                ),
                ("kg", fields.BigIntField(description="kg CO2e of the block (its serial count), > 0")),
                ("source", fields.CharField(description="attendee | organiser", max_length=10)),
                (
                    "order",
                    fields.ForeignKeyField(
                        "models.Order",
                        source_field="order_id",
                        null=True,
                        description="the order behind it",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "linked_by",
                    fields.CharField(
                        description="who linked it: system:market (at fulfilment) or user:<id>", max_length=64
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "events_retirement",
                "app": "models",
                "indexes": [Index(fields=["event_id", "source"])],
                "pk_attr": "id",
                "table_description": "A retired serial block counted toward an event: unique on the retirement, so never twice, never for two.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
