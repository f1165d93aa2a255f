"""Double-entry ledgers in integers: points now, money in fen later, one mechanism.

Every movement is a `Transfer` from one account to another of the same ledger, so the balances of a
ledger always sum to zero. Sources (platform issuance, a campaign's funding) may go negative; user
wallets never do. Balances are materialised on the account in the same transaction as the transfer
and can be recomputed from the transfers (`ledger-verify`).
"""

from tortoise import fields, models


class LedgerAccount(models.Model):
    """One balance in one ledger, owned by a user, a campaign, an organisation or the platform."""

    id = fields.BigIntField(primary_key=True)
    ledger = fields.CharField(max_length=16, description="points | fen")
    code = fields.CharField(
        max_length=32,
        description="what the account is for: user_wallet, campaign_budget, platform_issuance, redemption_sink, expiry, correction …",
    )
    owner = fields.CharField(
        max_length=64, description="user:<public id>, campaign:<slug>, org:<public id> or platform"
    )
    balance = fields.BigIntField(default=0, description="posted balance, in the ledger's unit")
    held = fields.BigIntField(default=0, description="sum of the pending holds that debit this account")
    may_go_negative = fields.BooleanField(
        default=False, description="true only for sources such as platform issuance, never for a user's wallet"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_account"
        unique_together = (("ledger", "code", "owner"),)


class Transfer(models.Model):
    """An immutable movement whose id is the caller's idempotency key. Corrections are new transfers."""

    id = fields.UUIDField(primary_key=True)
    ledger = fields.CharField(max_length=16)
    debit: fields.ForeignKeyRelation[LedgerAccount] = fields.ForeignKeyField(
        "models.LedgerAccount",
        related_name=False,
        on_delete=fields.RESTRICT,
        description="the account the amount leaves",
    )
    credit: fields.ForeignKeyRelation[LedgerAccount] = fields.ForeignKeyField(
        "models.LedgerAccount",
        related_name=False,
        on_delete=fields.RESTRICT,
        description="the account the amount arrives in",
    )
    amount = fields.BigIntField(description="in the ledger's unit, > 0")
    reason = fields.CharField(max_length=32, description="reason code, e.g. planting.approved, purchase.points")
    reference = fields.CharField(max_length=128, default="", description="what caused it: a planting log, an order …")
    request_hash = fields.CharField(
        max_length=64, description="sha256 of the request, to tell a replay from a conflict"
    )
    hold_id = fields.UUIDField(null=True, unique=True, description="the hold this transfer posted, if any")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_transfer"
        indexes = (("debit_id", "created_at"), ("credit_id", "created_at"))


class Hold(models.Model):
    """A two-phase transfer: reserved now, then posted (fully or partly), voided or expired, exactly once."""

    id = fields.UUIDField(primary_key=True)
    ledger = fields.CharField(max_length=16)
    debit: fields.ForeignKeyRelation[LedgerAccount] = fields.ForeignKeyField(
        "models.LedgerAccount", related_name=False, on_delete=fields.RESTRICT
    )
    credit: fields.ForeignKeyRelation[LedgerAccount] = fields.ForeignKeyField(
        "models.LedgerAccount", related_name=False, on_delete=fields.RESTRICT
    )
    amount = fields.BigIntField(description="reserved amount, > 0")
    status = fields.CharField(max_length=8, default="pending", description="pending | posted | voided | expired")
    posted_amount = fields.BigIntField(null=True, description="what was finally moved, when posted")
    reason = fields.CharField(max_length=32)
    reference = fields.CharField(max_length=128, default="")
    request_hash = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField(description="after this it can no longer be posted (UTC)")
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ledger_hold"
        indexes = (("debit_id", "status", "expires_at"),)
