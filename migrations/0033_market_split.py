"""An order may split over several listings: one market_order_line per listing (its kg, seller, locked
price, and at fulfilment its own fee and seller share). Every existing order becomes one line, position
0, with the order's own listing, seller, price and (if fulfilled) fee and share."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check(
        "market_order_line_adds_up",
        "market_order_line",
        "{row}kg > 0 AND {row}price_fen > 0 AND {row}price_unit_kg > 0 AND {row}position >= 0 "
        "AND {row}total_fen = ({row}kg / {row}price_unit_kg) * {row}price_fen AND {row}fee_fen >= 0 "
        "AND {row}seller_fen >= 0 AND ({row}fee_fen + {row}seller_fen = 0 OR {row}fee_fen + {row}seller_fen = {row}total_fen)",
    ),
]


async def _backfill(_apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]
    await client.execute_script(
        'INSERT INTO "market_order_line" ("order_id", "position", "listing_id", "seller_holder", "kg", "price_fen", '
        '"price_unit_kg", "total_fen", "fee_fen", "seller_fen") '
        'SELECT "id", 0, "listing_id", "seller_holder", "kg", "price_fen", "price_unit_kg", "total_fen", "fee_fen", '
        '"seller_fen" FROM "market_order" ORDER BY "id"'
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0032_photo_near_duplicates")]

    initial = False

    operations = [
        ops.CreateModel(
            name="OrderLine",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "order",
                    fields.ForeignKeyField(
                        "models.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("position", fields.IntField(description="0, 1, …: the allocation order (cheapest per kg first)")),
                (
                    "listing",
                    fields.ForeignKeyField(
                        "models.Listing",
                        source_field="listing_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "seller_holder",
                    fields.CharField(db_index=True, description="the listing's seller at order time", max_length=64),
                ),
                (
                    "kg",
                    fields.BigIntField(description="kg CO2e of this listing, > 0, a whole multiple of price_unit_kg"),
                ),
                ("price_fen", fields.BigIntField(description="the listing's price, locked at order time")),
                ("price_unit_kg", fields.BigIntField(description="kg that price bought, locked at order time")),
                ("total_fen", fields.BigIntField(description="kg / price_unit_kg × price_fen")),
                (
                    "fee_fen",
                    fields.BigIntField(
                        default=0, description="platform fee, set at fulfilment: floor(total × bps / 10000)"
                    ),
                ),
                (
                    "seller_fen",
                    fields.BigIntField(default=0, description="this seller's share, set at fulfilment: total − fee"),
                ),
            ],
            options={
                "table": "market_order_line",
                "app": "models",
                "unique_together": (("order_id", "position"),),
                "pk_attr": "id",
                "table_description": "One listing's part of an order: its kg, seller and locked price, and at "
                "fulfilment its own fee and",
            },
            bases=["Model"],
        ),
        ops.RunPython(_backfill),
        apply(CONSTRAINTS),
    ]
