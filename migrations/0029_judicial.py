"""碳汇+司法: restoration cases, the market orders paid toward them, and the retirements and planting logs
that count for them (each UNIQUE, so none counts for two cases), with CHECKs: the kg retired for a case
never exceed the kg owed."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("judicial_case_status_known", "judicial_case", "{row}status IN ('open','fulfilled','closed')"),
    Check(
        "judicial_case_owes_something",
        "judicial_case",
        "{row}kg_owed >= 0 AND {row}trees_owed >= 0 AND {row}kg_owed + {row}trees_owed > 0 "
        "AND {row}tend_years BETWEEN 0 AND 50",
    ),
    Check("judicial_case_paid_within_owed", "judicial_case", "{row}kg_paid >= 0 AND {row}kg_paid <= {row}kg_owed"),
    Check("judicial_case_trees_counted_nonnegative", "judicial_case", "{row}trees_counted >= 0"),
    Check("judicial_case_planting_has_site", "judicial_case", "{row}trees_owed = 0 OR {row}campaign_id IS NOT NULL"),
    Check("judicial_case_order_kg_positive", "judicial_case_order", "{row}kg > 0"),
    Check("judicial_case_retirement_kg_positive", "judicial_case_retirement", "{row}kg > 0"),
    Check("judicial_case_planting_trees_positive", "judicial_case_planting", "{row}trees > 0"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0028_payments_settle")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RestorationCase",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "code",
                    fields.CharField(
                        unique=True, description="random public code of the case page and its voucher", max_length=10
                    ),
                ),
                (
                    "pay_code",
                    fields.CharField(
                        unique=True,
                        description="random code of the defendant's payment link (not shown publicly)",
                        max_length=12,
                    ),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        description="the court",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "case_number",
                    fields.CharField(description="案号, e.g. （2026）川0115刑初123号, unique per court", max_length=64),
                ),
                ("court_name", fields.CharField(description="the court as it signs the judgment", max_length=128)),
                ("cause", fields.CharField(description="案由, e.g. 滥伐林木罪", max_length=200)),
                (
                    "damage_county_code",
                    fields.CharField(description="GB/T 2260 county where the damage was done", max_length=6),
                ),
                (
                    "defendant_name_enc",
                    fields.BinaryField(description="the defendant's name, AES-GCM encrypted (purpose defendant)"),
                ),
                ("kg_owed", fields.BigIntField(description="kg CO2e of sink the defendant must buy and retire, >= 0")),
                (
                    "kg_paid",
                    fields.BigIntField(default=0, description="kg CO2e retired for the case so far, 0..kg_owed"),
                ),
                ("trees_owed", fields.IntField(default=0, description="trees to plant at the campaign site, >= 0")),
                (
                    "trees_counted",
                    fields.IntField(default=0, description="trees in the defendant's approved logs linked to it"),
                ),
                (
                    "tend_years",
                    fields.SmallIntField(default=0, description="years the planted trees must be tended, 0..50"),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        null=True,
                        description="where the trees are planted",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "site_key",
                    fields.CharField(null=True, description="the campaign site key, null for any site", max_length=32),
                ),
                ("deadline", fields.DateField(description="履行期限, Beijing date")),
                (
                    "defendant",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="defendant_id",
                        null=True,
                        description="the account that opened the payment link first and pays and plants for the case",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "separated",
                    fields.BooleanField(
                        default=False,
                        description="损益分离: some kg retired for it come from outside the damage county",
                    ),
                ),
                ("status", fields.CharField(default="open", description="open | fulfilled | closed", max_length=12)),
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
                (
                    "fulfilled_at",
                    fields.DatetimeField(
                        null=True, description="when the last kg or tree came in", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "closed_at",
                    fields.DatetimeField(
                        null=True, description="when the court confirmed closure", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "closed_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="closed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "judicial_case",
                "app": "models",
                "unique_together": (("organisation", "case_number"),),
                "pk_attr": "id",
                "table_description": "A court's ecological restoration order (生态修复) and how far it is fulfilled.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CaseOrder",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "order",
                    fields.OneToOneField(
                        "models.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "case",
                    fields.ForeignKeyField(
                        "models.RestorationCase",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("kg", fields.BigIntField(description="kg CO2e ordered, > 0")),
                ("same_county", fields.BooleanField(description="the listing's county is the damage county")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "judicial_case_order",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A market order the defendant placed toward a case's kg (one case per order).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CasePlanting",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "log",
                    fields.OneToOneField(
                        "models.PlantingLog",
                        source_field="log_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "case",
                    fields.ForeignKeyField(
                        "models.RestorationCase",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("trees", fields.IntField(description="trees of the log, > 0")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "judicial_case_planting",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An approved planting log of the defendant that counts for a case: each log for one case only.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CaseRetirement",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "retirement",
                    fields.OneToOneField(
                        "models.Retirement",
                        source_field="retirement_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "case",
                    fields.ForeignKeyField(
                        "models.RestorationCase",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "order",
                    fields.ForeignKeyField(
                        "models.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("kg", fields.BigIntField(description="kg CO2e in the retired block, > 0")),
                (
                    "county_code",
                    fields.CharField(description="GB/T 2260 county of the issuance's project", max_length=6),
                ),
                ("same_county", fields.BooleanField(description="county_code is the case's damage county")),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "judicial_case_retirement",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A retired block that counts for a case: each retirement for one case only (UNIQUE retirement).",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
