"""Response shapes of the payments API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec


class FailedRefundOut(msgspec.Struct):
    """A payment the provider would not give back (REFUND.ABNORMAL / CLOSED): an operator pays it back."""

    out_trade_no: str
    out_refund_no: str
    provider: str
    purpose: str
    subject: str
    amount_fen: int
    refund_reason: str
    paid_at: datetime | None
    created_at: datetime


class RefundedElsewhereOut(msgspec.Struct):
    """A payment the provider reported paid and refunded outside us: never fulfilled, no money booked."""

    out_trade_no: str
    provider: str
    provider_transaction_id: str
    purpose: str
    subject: str
    amount_fen: int
    created_at: datetime


class SettleByHandIn(msgspec.Struct, forbid_unknown_fields=True):
    """How an operator paid a failed refund back outside the provider."""

    way: Annotated[
        str, msgspec.Meta(max_length=32, description="bank_transfer | cash | wechat_transfer | alipay_transfer | other")
    ]
    reference: Annotated[str, msgspec.Meta(max_length=64, description="e.g. the bank transfer's serial number")]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class SettledOut(msgspec.Struct):
    out_trade_no: str
    status: str  # refunded_by_hand
    amount_fen: int
    refunded_at: datetime | None
