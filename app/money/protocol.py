"""What payouts ask of any payout provider (a bank transfer or WeChat 商家转账 service), and what it hands back.

Rules every provider keeps:
- money is integer fen;
- `out_payout_no` (ours: the payout's public id) is the idempotency key on the provider's side:
  creating twice with the same number is one payout;
- `parse_notification` verifies before it trusts: a forged, tampered, stale or malformed notification
  raises `NotificationRejected` (the payments protocol's) and nothing else happens.
Replays (the same delivery seen twice) and amount checks against the payout are the payouts service's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from app.payments.protocol import NotificationRejected, ProviderRefused, ProviderUnavailable

__all__ = [
    "NotificationRejected",
    "PayoutNotice",
    "PayoutProvider",
    "PayoutRequest",
    "PayoutResult",
    "ProviderRefused",
    "ProviderUnavailable",
]

PayoutState = Literal["processing", "succeeded", "failed"]


@dataclass(frozen=True)
class PayoutRequest:
    out_payout_no: str
    amount_fen: int  # > 0
    payee_kind: str  # bank | wechat
    payee_account: str  # decrypted only for this call, never logged
    payee_name: str
    remark: str  # shown to the payee
    notify_url: str


@dataclass(frozen=True)
class PayoutResult:
    out_payout_no: str
    state: PayoutState
    provider_reference: str = ""
    amount_fen: int = 0
    reason: str = ""  # why it failed, the provider's code


@dataclass(frozen=True)
class PayoutNotice:
    out_payout_no: str
    state: Literal["succeeded", "failed"]
    amount_fen: int
    provider_reference: str
    replay_key: str  # unique per delivery (the signature): seen twice means replayed
    reason: str = ""


class PayoutProvider(Protocol):
    name: str

    async def create(self, request: PayoutRequest) -> PayoutResult:
        """Start (or, for the same out_payout_no, look up) a payout; raises ProviderUnavailable/Refused."""
        ...

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PayoutNotice:
        """Verify and decode; raises NotificationRejected. `headers` keys are lower-case."""
        ...

    def acknowledgement(self, accepted: bool, message: str = "") -> tuple[int, bytes, str]:
        """(status, body, media type) to answer the provider's notification with."""
        ...

    async def query(self, out_payout_no: str) -> PayoutResult: ...
