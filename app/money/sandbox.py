"""The sandbox payout provider: the embedded default, keeping its own record of every payout.

`create` records a `SandboxPayout` once per `out_payout_no` (asking twice is one payout). With
`instant=True` (what the app uses) it pays at once and answers `succeeded`, as a transfer to a
WeChat balance usually does; with `instant=False` it answers `processing` and the outcome comes later
as a notification signed with HMAC-SHA256 under a key derived from SECRET_KEY over
`timestamp\\nnonce\\nbody\\n` (`settle` builds it), rejected when forged, tampered, stale (more than
5 minutes off) or malformed. It moves no real money.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from app.money.protocol import (
    NotificationRejected,
    PayoutNotice,
    PayoutRequest,
    PayoutResult,
    ProviderRefused,
)
from app.settings import Settings
from models.money import SandboxPayout

MAX_SKEW_S = 300


@dataclass(frozen=True)
class SignedNotification:
    headers: dict[str, str]
    body: bytes


class SandboxPayoutProvider:
    name = "sandbox"

    def __init__(self, settings: Settings, *, instant: bool = True) -> None:
        self._key = hashlib.sha256(f"sandbox-payouts:{settings.secret_key}".encode()).digest()
        self.instant = instant

    async def create(self, request: PayoutRequest) -> PayoutResult:
        if request.amount_fen <= 0:
            raise ProviderRefused("PARAM_ERROR", "amount must be positive")
        payout = await SandboxPayout.get_or_none(out_payout_no=request.out_payout_no)
        if payout is None:
            payout, _ = await SandboxPayout.get_or_create(
                out_payout_no=request.out_payout_no,
                defaults={
                    "reference": "SBP" + secrets.token_hex(12),
                    "amount_fen": request.amount_fen,
                    "status": "succeeded" if self.instant else "processing",
                },
            )
        if payout.amount_fen != request.amount_fen:
            raise ProviderRefused("OUT_BATCH_NO_USED", "out_payout_no already used for another amount")
        return self._result(payout)

    async def query(self, out_payout_no: str) -> PayoutResult:
        payout = await SandboxPayout.get_or_none(out_payout_no=out_payout_no)
        if payout is None:
            raise ProviderRefused("NOT_FOUND")
        return self._result(payout)

    def _result(self, payout: SandboxPayout) -> PayoutResult:
        return PayoutResult(
            out_payout_no=payout.out_payout_no,
            state=payout.status,  # type: ignore[arg-type]
            provider_reference=payout.reference,
            amount_fen=payout.amount_fen,
            reason="ACCOUNT_FROZEN" if payout.status == "failed" else "",
        )

    # --- the bank's answer, later ------------------------------------------------------------------
    async def settle(self, out_payout_no: str, *, succeeded: bool, now: datetime | None = None) -> SignedNotification:
        """The payout went through (or the payee's account refused it): recorded once, signed notice returned."""
        payout = await SandboxPayout.get_or_none(out_payout_no=out_payout_no)
        if payout is None:
            raise ProviderRefused("NOT_FOUND")
        state = "succeeded" if succeeded else "failed"
        await SandboxPayout.filter(id=payout.id, status="processing").update(status=state)
        payout = await SandboxPayout.get(id=payout.id)
        return self.notification_for(payout, now=now)

    def notification_for(
        self, payout: SandboxPayout, *, now: datetime | None = None, amount_fen: int | None = None
    ) -> SignedNotification:
        body = json.dumps(
            {
                "id": secrets.token_hex(8),
                "event_type": "PAYOUT.SUCCESS" if payout.status == "succeeded" else "PAYOUT.FAIL",
                "resource": {
                    "out_payout_no": payout.out_payout_no,
                    "reference": payout.reference,
                    "amount_fen": payout.amount_fen if amount_fen is None else amount_fen,
                    "reason": "ACCOUNT_FROZEN" if payout.status == "failed" else "",
                },
            },
            separators=(",", ":"),
        ).encode()
        return self.sign(body, now=now)

    def sign(self, body: bytes, *, now: datetime | None = None) -> SignedNotification:
        timestamp = str(int((now or datetime.now(UTC)).timestamp()))
        nonce = secrets.token_hex(16)
        return SignedNotification(
            headers={
                "sandbox-timestamp": timestamp,
                "sandbox-nonce": nonce,
                "sandbox-signature": self._signature(timestamp, nonce, body),
            },
            body=body,
        )

    def _signature(self, timestamp: str, nonce: str, body: bytes) -> str:
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PayoutNotice:
        lower = {k.lower(): v for k, v in headers.items()}
        timestamp, nonce, signature = (lower.get(f"sandbox-{h}", "") for h in ("timestamp", "nonce", "signature"))
        if not (timestamp and nonce and signature):
            raise NotificationRejected("missing_headers")
        if not hmac.compare_digest(self._signature(timestamp, nonce, body), signature):
            raise NotificationRejected("bad_signature")
        try:
            at = int(timestamp)
        except ValueError:
            raise NotificationRejected("malformed", "timestamp") from None
        if abs(now.timestamp() - at) > MAX_SKEW_S:
            raise NotificationRejected("stale_timestamp")
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            event = envelope["event_type"]
            number, reference, amount = resource["out_payout_no"], resource["reference"], resource["amount_fen"]
        except (ValueError, KeyError, TypeError):
            raise NotificationRejected("malformed") from None
        if event not in ("PAYOUT.SUCCESS", "PAYOUT.FAIL"):
            raise NotificationRejected("unknown_event", str(event)[:32])
        if isinstance(amount, bool) or not isinstance(amount, int) or not isinstance(number, str):
            raise NotificationRejected("malformed", "amount")
        return PayoutNotice(
            out_payout_no=number,
            state="succeeded" if event == "PAYOUT.SUCCESS" else "failed",
            amount_fen=amount,
            provider_reference=str(reference)[:64],
            replay_key="sandbox:" + signature,
            reason=str(resource.get("reason", ""))[:64],
        )

    def acknowledgement(self, accepted: bool, message: str = "") -> tuple[int, bytes, str]:
        if accepted:
            return 204, b"", "text/plain"
        return 400, json.dumps({"code": "FAIL", "message": message}).encode(), "application/json"
