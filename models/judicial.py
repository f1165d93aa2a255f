"""碳汇+司法: restoration cases a court orders (buy kg of sink, plant trees at a campaign site and tend them),
the market orders a defendant pays toward a case, the retirements and planting logs that fulfil it.

The market, credits and planting tables are not touched: each link lives here, keyed by the other
domain's row with a UNIQUE, so one order, one retirement or one planting log counts for one case only.
"""

from datetime import date

from tortoise import fields, models

from models.accounts import Organisation, User
from models.campaigns import Campaign
from models.credits import Retirement
from models.market import Order
from models.planting import PlantingLog


class RestorationCase(models.Model):
    """A court's ecological restoration order (生态修复) and how far it is fulfilled."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(
        max_length=10, unique=True, description="random public code of the case page and its voucher"
    )
    pay_code = fields.CharField(
        max_length=12, unique=True, description="random code of the defendant's payment link (not shown publicly)"
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name=False, on_delete=fields.RESTRICT, description="the court"
    )
    case_number = fields.CharField(max_length=64, description="案号, e.g. （2026）川0115刑初123号, unique per court")
    court_name = fields.CharField(max_length=128, description="the court as it signs the judgment")
    cause = fields.CharField(max_length=200, description="案由, e.g. 滥伐林木罪")
    damage_county_code = fields.CharField(max_length=6, description="GB/T 2260 county where the damage was done")
    defendant_name_enc = fields.BinaryField(description="the defendant's name, AES-GCM encrypted (purpose defendant)")
    kg_owed = fields.BigIntField(description="kg CO2e of sink the defendant must buy and retire, >= 0")
    kg_paid = fields.BigIntField(default=0, description="kg CO2e retired for the case so far, 0..kg_owed")
    trees_owed = fields.IntField(default=0, description="trees to plant at the campaign site, >= 0")
    trees_counted = fields.IntField(default=0, description="trees in the defendant's approved logs linked to it")
    tend_years = fields.SmallIntField(default=0, description="years the planted trees must be tended, 0..50")
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign",
        related_name=False,
        null=True,
        on_delete=fields.RESTRICT,
        description="where the trees are planted",
    )
    site_key = fields.CharField(max_length=32, null=True, description="the campaign site key, null for any site")
    deadline: date = fields.DateField(description="履行期限, Beijing date")
    defendant: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name=False,
        null=True,
        on_delete=fields.RESTRICT,
        description="the account that opened the payment link first and pays and plants for the case",
    )
    separated = fields.BooleanField(
        default=False, description="损益分离: some kg retired for it come from outside the damage county"
    )
    status = fields.CharField(max_length=12, default="open", description="open | fulfilled | closed")
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    fulfilled_at = fields.DatetimeField(null=True, description="when the last kg or tree came in")
    closed_at = fields.DatetimeField(null=True, description="when the court confirmed closure")
    closed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    tending_from: date | None = fields.DateField(
        null=True, description="管护 starts: the planting date of the log that completed the trees owed (Beijing)"
    )
    deadline_reminded_at = fields.DatetimeField(
        null=True, description="when the defendant was reminded of the deadline (once)"
    )

    class Meta:
        table = "judicial_case"
        unique_together = (("organisation", "case_number"),)


class CaseOrder(models.Model):
    """A market order the defendant placed toward a case's kg (one case per order)."""

    id = fields.BigIntField(primary_key=True)
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "models.Order", related_name=False, on_delete=fields.RESTRICT
    )
    case: fields.ForeignKeyRelation[RestorationCase] = fields.ForeignKeyField(
        "models.RestorationCase", related_name=False, on_delete=fields.RESTRICT
    )
    kg = fields.BigIntField(description="kg CO2e ordered, > 0")
    same_county = fields.BooleanField(description="the listing's county is the damage county")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "judicial_case_order"


class CaseRetirement(models.Model):
    """A retired block that counts for a case: each retirement for one case only (UNIQUE retirement)."""

    id = fields.BigIntField(primary_key=True)
    retirement: fields.OneToOneRelation[Retirement] = fields.OneToOneField(
        "models.Retirement", related_name=False, on_delete=fields.RESTRICT
    )
    case: fields.ForeignKeyRelation[RestorationCase] = fields.ForeignKeyField(
        "models.RestorationCase", related_name=False, on_delete=fields.RESTRICT
    )
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name=False, on_delete=fields.RESTRICT
    )
    kg = fields.BigIntField(description="kg CO2e in the retired block, > 0")
    county_code = fields.CharField(max_length=6, description="GB/T 2260 county of the issuance's project")
    same_county = fields.BooleanField(description="county_code is the case's damage county")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "judicial_case_retirement"


class CasePlanting(models.Model):
    """An approved planting log of the defendant that counts for a case: each log for one case only."""

    id = fields.BigIntField(primary_key=True)
    log: fields.OneToOneRelation[PlantingLog] = fields.OneToOneField(
        "models.PlantingLog", related_name=False, on_delete=fields.RESTRICT
    )
    case: fields.ForeignKeyRelation[RestorationCase] = fields.ForeignKeyField(
        "models.RestorationCase", related_name=False, on_delete=fields.RESTRICT
    )
    trees = fields.IntField(description="trees of the log, > 0")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "judicial_case_planting"


class CaseTending(models.Model):
    """One yearly tending check (管护年度检查) of a case with trees.

    The defendant files a 管护报告 (a photo of the trees, and a note) for year N between `opens_on` and
    `due_on`. The court (or the campaign's organiser) accepts it (done, final) or rejects it with a reason (the
    report is cleared and may be filed again). Unreported after `due_on` it is overdue (judged in SQL by date,
    never by a job). One row per case and year, written when the trees are complete."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[RestorationCase] = fields.ForeignKeyField(
        "models.RestorationCase", related_name=False, on_delete=fields.RESTRICT
    )
    year = fields.SmallIntField(description="1..tend_years: the tending year this check closes")
    opens_on: date = fields.DateField(description="first Beijing day a report for the year is taken")
    due_on: date = fields.DateField(
        description="last Beijing day before the check is overdue: tending_from + year years"
    )
    reported_at = fields.DatetimeField(null=True, description="when the first photo of the year's report came in")
    reported_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    note = fields.CharField(max_length=300, default="", description="the defendant's words on the tending")
    reminded_at = fields.DatetimeField(null=True, description="when the defendant was reminded of it (once)")
    accepted_at = fields.DatetimeField(
        null=True,
        description="when the court or the campaign's organiser accepted the report (final: the year is done)",
    )
    reviewed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    rejected_at = fields.DatetimeField(null=True, description="when the last report was rejected (it was cleared)")
    rejection_reason = fields.CharField(
        max_length=300, default="", description="why the last report was rejected, shown to the defendant"
    )
    rejections = fields.SmallIntField(default=0, description="how many reports of the year were rejected")

    class Meta:
        table = "judicial_case_tending"
        unique_together = (("case", "year"),)
