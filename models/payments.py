"""Payments: one attempt per (subject, out_trade_no), the verified notifications that moved it, and the
sandbox provider's own record of what the payer did.

Money is integer fen. A notification is recorded once: a replay (the same delivery seen again) or a
retry (the same provider transaction and kind) fails on a unique key and changes nothing.
"""

from typing import Any

from tortoise import fields, models


class PaymentAttempt(models.Model):
    """One try at paying for one subject (a market order), under our own out_trade_no."""

    id = fields.BigIntField(primary_key=True)
    out_trade_no = fields.CharField(max_length=32, unique=True, description="ours, sent to the provider")
    provider = fields.CharField(max_length=16, description="sandbox | wechatpay")
    purpose = fields.CharField(max_length=32, description="what pays: market.order")
    subject = fields.CharField(max_length=64, db_index=True, description="the public id of what is paid for")
    amount_fen = fields.BigIntField(description="fen asked of the payer, > 0")
    description = fields.CharField(max_length=127, description="shown to the payer")
    appid = fields.CharField(max_length=64, default="", description="the provider appid notifications must name")
    mchid = fields.CharField(max_length=64, default="", description="the merchant id notifications must name")
    status = fields.CharField(
        max_length=20,
        default="pending",
        description="pending | paid (fulfilled its subject) | refund_due | refunded | refund_failed "
        "| refunded_by_hand | closed | refunded_elsewhere (paid and refunded outside us: never recorded paid)",
    )
    provider_transaction_id = fields.CharField(max_length=64, default="", description="the provider's id once paid")
    client: dict[str, Any] = fields.JSONField(default=dict, description="what the payer's page or app needs")
    expires_at = fields.DatetimeField(description="the provider refuses payment after it")
    paid_at = fields.DatetimeField(null=True)
    refund_reason = fields.CharField(max_length=32, default="", description="why it is refunded: expired, paid_twice …")
    out_refund_no = fields.CharField(max_length=64, default="", description="ours, derived from out_trade_no")
    refunded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payments_attempt"


class PaymentNotification(models.Model):
    """A verified provider notification, recorded once, with what it caused."""

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharField(max_length=16)
    kind = fields.CharField(max_length=20, description="paid | refund_succeeded | refund_failed | refund_closed")
    notification_id = fields.CharField(max_length=64, description="the provider's id of the notification")
    replay_key = fields.CharField(max_length=128, description="unique per delivery: seen twice means replayed")
    out_trade_no = fields.CharField(max_length=32, db_index=True)
    provider_transaction_id = fields.CharField(max_length=64)
    amount_fen = fields.BigIntField(description="fen the provider says were paid")
    outcome = fields.CharField(max_length=16, description="fulfilled | refund_due | refund | noted")
    resource: dict[str, Any] = fields.JSONField(
        default=dict, description="the decrypted resource, as the provider sent it"
    )
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payments_notification"
        unique_together = (("provider", "replay_key"), ("provider", "kind", "provider_transaction_id"))


class SandboxTrade(models.Model):
    """The sandbox provider's side of a payment: what a real provider would keep on its servers."""

    id = fields.BigIntField(primary_key=True)
    out_trade_no = fields.CharField(max_length=32, unique=True)
    transaction_id = fields.CharField(max_length=64, unique=True, description="the sandbox's own id")
    amount_fen = fields.BigIntField()
    description = fields.CharField(max_length=127)
    notify_url = fields.CharField(max_length=255)
    status = fields.CharField(max_length=10, default="created", description="created | paid | closed | refunded")
    expires_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    out_refund_no = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payments_sandbox_trade"
