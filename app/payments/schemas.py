"""Response shapes of the payments API."""

from __future__ import annotations

from datetime import datetime

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
