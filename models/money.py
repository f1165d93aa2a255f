"""Money beyond the market's sale: sellers' payees and payouts, organisations' orders and invoice requests.

Money is integer fen. Payee account numbers are personal data: AES-GCM encrypted at rest
(`app.core.crypto`), shown masked. A payout moves fen seller_income → payout_in_flight when it is asked
for, then → payout_provider when the provider confirms or back when it fails, each exactly once.
"""

from tortoise import fields, models

from models.accounts import Organisation, User
from models.market import Order


class Payee(models.Model):
    """Where a seller (user:<id> or org:<id>) is paid: one current payee per holder."""

    id = fields.BigIntField(primary_key=True)
    holder = fields.CharField(max_length=64, unique=True, description="user:<public id> or org:<public id>")
    kind = fields.CharField(max_length=8, description="bank | wechat")
    account_enc = fields.BinaryField(description="bank card number or WeChat openid, AES-GCM (purpose payee:account)")
    name_enc = fields.BinaryField(description="the account holder's name, AES-GCM (purpose payee:name)")
    updated_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "money_payee"


class Payout(models.Model):
    """A seller's request to be paid `amount_fen` of their payable balance, and what the provider did."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random, also the provider's out_payout_no")
    holder = fields.CharField(max_length=64, db_index=True, description="whose seller_income pays it")
    requested_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    amount_fen = fields.BigIntField(description="fen paid out, > 0")
    provider = fields.CharField(max_length=16, description="sandbox | …")
    status = fields.CharField(
        max_length=10, default="requested", db_index=True, description="requested | processing | paid | failed"
    )
    payee_kind = fields.CharField(max_length=8, description="bank | wechat, copied from the payee when asked")
    payee_account_enc = fields.BinaryField(description="the payee account when asked, AES-GCM (payee:account)")
    payee_name_enc = fields.BinaryField(description="the payee name when asked, AES-GCM (payee:name)")
    provider_reference = fields.CharField(max_length=64, default="", description="the provider's id of the payout")
    failure_reason = fields.CharField(max_length=64, default="", description="the provider's reason, when failed")
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "money_payout"


class PayoutNotification(models.Model):
    """A verified payout notification, recorded once (a replay fails on the unique key)."""

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharField(max_length=16)
    replay_key = fields.CharField(max_length=128)
    out_payout_no = fields.CharField(max_length=26, db_index=True)
    state = fields.CharField(max_length=10, description="succeeded | failed")
    amount_fen = fields.BigIntField()
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "money_payout_notification"
        unique_together = (("provider", "replay_key"),)


class SandboxPayout(models.Model):
    """The sandbox payout provider's own record, as a real provider keeps one on its servers."""

    id = fields.BigIntField(primary_key=True)
    out_payout_no = fields.CharField(max_length=26, unique=True)
    reference = fields.CharField(max_length=64, unique=True, description="the sandbox's own id")
    amount_fen = fields.BigIntField()
    status = fields.CharField(max_length=10, default="processing", description="processing | succeeded | failed")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "money_sandbox_payout"


class OrgOrder(models.Model):
    """A market order an organisation's member placed on the organisation's behalf."""

    id = fields.BigIntField(primary_key=True)
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "models.Order", related_name=False, on_delete=fields.RESTRICT
    )
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name=False, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "money_org_order"


class InvoiceRequest(models.Model):
    """An organisation's request for a 发票 over some of its paid orders, for the finance team."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name=False, on_delete=fields.RESTRICT
    )
    requested_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    title = fields.CharField(max_length=100, description="发票抬头")
    tax_id = fields.CharField(max_length=20, description="税号: unified social credit code (GB 32100-2015)")
    email = fields.CharField(max_length=254, description="where the 电子发票 goes")
    amount_fen = fields.BigIntField(description="the covered orders' total_fen, summed")
    order_count = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "money_invoice_request"


class InvoiceOrder(models.Model):
    """An order covered by an invoice request: unique, so an order is invoiced at most once."""

    id = fields.BigIntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[InvoiceRequest] = fields.ForeignKeyField(
        "models.InvoiceRequest", related_name=False, on_delete=fields.RESTRICT
    )
    order: fields.OneToOneRelation[Order] = fields.OneToOneField(
        "models.Order", related_name=False, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "money_invoice_order"
