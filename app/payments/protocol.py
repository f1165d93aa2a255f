"""What the market asks of any way to pay, and what a provider hands back.

Two providers implement this: `sandbox` (the embedded default: a local confirm page and a signed
callback) and `wechatpay` (WeChat Pay API v3 for mini-programs). The market never sees a provider's
wire format: it creates payments, receives verified `PaymentNotice`s, queries, closes and refunds.

Rules every provider keeps:
- money is integer fen, never a float;
- `parse_notification` verifies before it trusts: a forged, tampered, stale (more than 5 minutes
  off), probe (`WECHATPAY/SIGNTEST/…`) or undecryptable notification raises `NotificationRejected`
  and nothing else happens; a notice for another appid or mchid is rejected the same way;
- `out_trade_no` (ours, one per payment attempt) and `out_refund_no` (ours, one per refund) are the
  idempotency keys on the provider's side: creating or refunding twice with the same one is safe.
Replays of a verified notification (the same signature seen twice) and amount checks against the
order are the payments service's job, not the provider's: they need our database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

NoticeKind = Literal["paid", "refund_succeeded", "refund_failed", "refund_closed"]
PaymentState = Literal["pending", "paid", "closed", "refunded", "failed"]
RefundState = Literal["processing", "succeeded", "failed", "closed"]


@dataclass(frozen=True)
class PaymentRequest:
    """One payment attempt for one order."""

    out_trade_no: str  # ours: 6–32 characters of [0-9A-Za-z_-|*], unique per merchant
    amount_fen: int  # > 0
    description: str  # shown to the payer, ≤ 127 characters
    expires_at: datetime  # timezone-aware; the provider refuses payment after it
    notify_url: str  # where the provider posts its notifications (HTTPS in production, no query string)
    payer_openid: str | None = None  # WeChat JSAPI needs the payer's openid for our appid


@dataclass(frozen=True)
class PaymentStart:
    """What the page or the mini-app needs to let the payer pay."""

    provider: str
    out_trade_no: str
    # sandbox: {"confirm_url": …}; wechatpay: the wx.requestPayment object
    # {"appId", "timeStamp", "nonceStr", "package": "prepay_id=…", "signType": "RSA", "paySign"}
    client: dict[str, str]
    provider_reference: str = ""  # wechatpay: the prepay_id


@dataclass(frozen=True)
class PaymentNotice:
    """A verified, decrypted notification."""

    kind: NoticeKind
    notification_id: str  # the provider's id for this notification (the same on every retry)
    out_trade_no: str
    provider_transaction_id: str  # wechatpay: transaction_id
    amount_fen: int  # what the payer paid (paid) or the order total (refunds)
    occurred_at: datetime  # success_time, timezone-aware
    appid: str = ""
    mchid: str = ""
    out_refund_no: str = ""  # refund notices only
    refund_fen: int = 0  # refund notices only
    replay_key: str = ""  # unique per delivery (e.g. the signature): seen twice means replayed
    raw: Mapping[str, Any] = field(default_factory=dict)  # the decrypted resource, for the audit record


@dataclass(frozen=True)
class PaymentStatus:
    """The provider's answer to a query."""

    out_trade_no: str
    state: PaymentState
    provider_transaction_id: str = ""
    amount_fen: int = 0
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class RefundRequest:
    out_trade_no: str
    out_refund_no: str  # ours, the idempotency key of this refund
    refund_fen: int
    total_fen: int  # the original payment's amount
    reason: str  # shown to the payer, ≤ 80 characters
    notify_url: str


@dataclass(frozen=True)
class RefundResult:
    out_refund_no: str
    state: RefundState
    provider_refund_id: str = ""


class NotificationRejected(Exception):
    """A notification that must not be trusted; `reason` is a short code for logs and metrics.

    Reasons: malformed, missing_headers, unknown_serial, bad_signature, signtest_probe,
    stale_timestamp, decrypt_failed, wrong_appid, wrong_mchid, unknown_event.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered with a server error: try again later."""


class ProviderRefused(Exception):
    """The provider answered that it will not do it (e.g. order already closed); `code` is its code."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class PaymentProvider(Protocol):
    name: str

    async def create(self, request: PaymentRequest) -> PaymentStart: ...

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        """Verify and decode; raises NotificationRejected. `headers` keys are lower-case."""
        ...

    def acknowledgement(self, accepted: bool, message: str = "") -> tuple[int, bytes, str]:
        """(status, body, media type) to answer the provider's notification with."""
        ...

    async def query(self, out_trade_no: str) -> PaymentStatus: ...

    async def close(self, out_trade_no: str) -> None: ...

    async def refund(self, request: RefundRequest) -> RefundResult: ...
