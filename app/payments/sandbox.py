"""The sandbox payment provider: the embedded default, a local confirm page and a signed callback.

It keeps the protocol's rules as a real provider would: its own record of each trade (created → paid,
closed or refunded), payment refused after `expires_at`, refunds idempotent by `out_refund_no`, and
notifications signed with HMAC-SHA256 under a key derived from SECRET_KEY over
`timestamp\\nnonce\\nbody\\n`, rejected when forged, tampered, stale (more than 5 minutes off) or
malformed. When the payer presses 支付 the sandbox hands its signed notification to the payments
service's notify entry point (the very function the notify route calls), so sandbox and WeChat Pay
notifications take one code path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.payments.protocol import (
    NotificationRejected,
    PaymentNotice,
    PaymentRequest,
    PaymentStart,
    PaymentStatus,
    ProviderRefused,
    RefundRequest,
    RefundResult,
)
from app.settings import Settings
from models.payments import SandboxTrade

APPID = "sandbox-appid"
MCHID = "sandbox-mchid"
MAX_SKEW_S = 300
_EVENTS = {
    "TRANSACTION.SUCCESS": "paid",
    "REFUND.SUCCESS": "refund_succeeded",
    "REFUND.ABNORMAL": "refund_failed",
    "REFUND.CLOSED": "refund_closed",
}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SignedNotification:
    headers: dict[str, str]
    body: bytes


class SandboxProvider:
    name = "sandbox"
    appid = APPID
    mchid = MCHID

    def __init__(self, settings: Settings) -> None:
        self._key = hashlib.sha256(f"sandbox-payments:{settings.secret_key}".encode()).digest()
        self._base_url = settings.base_url.rstrip("/")

    # --- what the payer's page needs ------------------------------------------------------------
    def page_token(self, out_trade_no: str) -> str:
        """Binds the confirm page's URL to the trade, so nobody pays another trade by editing the URL."""
        return hmac.new(self._key, f"page:{out_trade_no}".encode(), hashlib.sha256).hexdigest()[:32]

    def confirm_path(self, out_trade_no: str) -> str:
        return f"/payments/sandbox/{out_trade_no}?t={self.page_token(out_trade_no)}"

    async def create(self, request: PaymentRequest) -> PaymentStart:
        if request.amount_fen <= 0:
            raise ProviderRefused("PARAM_ERROR", "amount must be positive")
        trade = await SandboxTrade.get_or_none(out_trade_no=request.out_trade_no)
        if trade is None:
            trade, _ = await SandboxTrade.get_or_create(
                out_trade_no=request.out_trade_no,
                defaults={
                    "transaction_id": "SBX" + secrets.token_hex(12),
                    "amount_fen": request.amount_fen,
                    "description": request.description[:127],
                    "notify_url": request.notify_url,
                    "expires_at": request.expires_at,
                },
            )
        if trade.amount_fen != request.amount_fen:
            raise ProviderRefused("OUT_TRADE_NO_USED", "out_trade_no already used for another amount")
        return PaymentStart(
            provider=self.name,
            out_trade_no=request.out_trade_no,
            client={"confirm_url": self._base_url + self.confirm_path(request.out_trade_no)},
            provider_reference=trade.transaction_id,
        )

    # --- the payer's decision ---------------------------------------------------------------------
    async def pay(self, out_trade_no: str, now: datetime | None = None) -> SignedNotification:
        """The payer pressed 支付: the trade is paid once and a signed notification is returned to send."""
        now = now or _now()
        trade = await SandboxTrade.get_or_none(out_trade_no=out_trade_no)
        if trade is None:
            raise ProviderRefused("ORDER_NOT_EXIST")
        if trade.status == "created" and trade.expires_at <= now:
            raise ProviderRefused("ORDER_CLOSED", "the payment time has passed")
        paid = await SandboxTrade.filter(id=trade.id, status="created", expires_at__gt=now).update(
            status="paid", paid_at=now
        )
        trade = await SandboxTrade.get(id=trade.id)
        if not paid and trade.status != "paid":
            raise ProviderRefused("ORDER_CLOSED", f"the trade is {trade.status}")
        return self.notification_for(trade, now=now)

    async def cancel(self, out_trade_no: str) -> None:
        await self.close(out_trade_no)

    def notification_for(
        self,
        trade: SandboxTrade,
        *,
        now: datetime | None = None,
        event: str = "TRANSACTION.SUCCESS",
        amount_fen: int | None = None,
        appid: str = APPID,
        mchid: str = MCHID,
    ) -> SignedNotification:
        """A signed notification of this trade; the keyword arguments let tests build odd ones."""
        now = now or _now()
        resource = {
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.transaction_id,
            "amount_fen": trade.amount_fen if amount_fen is None else amount_fen,
            "success_time": (trade.paid_at or now).isoformat(),
            "appid": appid,
            "mchid": mchid,
            "out_refund_no": trade.out_refund_no,
        }
        body = json.dumps(
            {"id": f"SBXN-{event}-{trade.transaction_id}", "event_type": event, "resource": resource},
            separators=(",", ":"),
        ).encode()
        return SignedNotification(self.sign(body, now=now), body)

    def sign(self, body: bytes, *, now: datetime | None = None, nonce: str | None = None) -> dict[str, str]:
        timestamp = str(int((now or _now()).timestamp()))
        nonce = nonce or secrets.token_hex(16)
        signature = hmac.new(self._key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n", hashlib.sha256).hexdigest()
        return {"sandbox-timestamp": timestamp, "sandbox-nonce": nonce, "sandbox-signature": signature}

    # --- the protocol -----------------------------------------------------------------------------
    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        timestamp, nonce, signature = (
            headers.get("sandbox-timestamp", ""),
            headers.get("sandbox-nonce", ""),
            headers.get("sandbox-signature", ""),
        )
        if not (timestamp and nonce and signature):
            raise NotificationRejected("missing_headers")
        expected = hmac.new(self._key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n", hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise NotificationRejected("bad_signature")
        if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > MAX_SKEW_S:
            raise NotificationRejected("stale_timestamp", timestamp)
        try:
            document: dict[str, Any] = json.loads(body)
            resource: dict[str, Any] = document["resource"]
            kind = _EVENTS.get(document["event_type"])
            if kind is None:
                raise NotificationRejected("unknown_event", str(document["event_type"]))
            amount = resource["amount_fen"]
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise NotificationRejected("malformed", "amount_fen")
            notice = PaymentNotice(
                kind=kind,  # type: ignore[arg-type]
                notification_id=str(document["id"]),
                out_trade_no=str(resource["out_trade_no"]),
                provider_transaction_id=str(resource["transaction_id"]),
                amount_fen=amount,
                occurred_at=datetime.fromisoformat(resource["success_time"]),
                appid=str(resource["appid"]),
                mchid=str(resource["mchid"]),
                out_refund_no=str(resource.get("out_refund_no", "")),
                replay_key=signature,
                raw=resource,
            )
        except NotificationRejected:
            raise
        except (ValueError, KeyError, TypeError) as bad:
            raise NotificationRejected("malformed", str(bad)[:80]) from None
        if notice.appid != APPID:
            raise NotificationRejected("wrong_appid", notice.appid)
        if notice.mchid != MCHID:
            raise NotificationRejected("wrong_mchid", notice.mchid)
        return notice

    def acknowledgement(self, accepted: bool, message: str = "") -> tuple[int, bytes, str]:
        if accepted:
            return 204, b"", "text/plain"
        return 400, json.dumps({"code": "FAIL", "message": message or "rejected"}).encode(), "application/json"

    async def query(self, out_trade_no: str) -> PaymentStatus:
        trade = await SandboxTrade.get_or_none(out_trade_no=out_trade_no)
        if trade is None:
            raise ProviderRefused("ORDER_NOT_EXIST")
        state = {"created": "pending", "paid": "paid", "closed": "closed", "refunded": "refunded"}[trade.status]
        if state == "pending" and trade.expires_at <= _now():
            state = "closed"
        return PaymentStatus(
            out_trade_no=out_trade_no,
            state=state,  # type: ignore[arg-type]
            provider_transaction_id=trade.transaction_id if trade.paid_at else "",
            amount_fen=trade.amount_fen,
            occurred_at=trade.paid_at,
        )

    async def close(self, out_trade_no: str) -> None:
        trade = await SandboxTrade.get_or_none(out_trade_no=out_trade_no)
        if trade is None:
            return
        if not await SandboxTrade.filter(id=trade.id, status="created").update(status="closed"):
            current = await SandboxTrade.get(id=trade.id)
            if current.status in {"paid", "refunded"}:
                raise ProviderRefused("ORDERPAID", "the trade is paid: refund it instead")

    async def refund(self, request: RefundRequest) -> RefundResult:
        trade = await SandboxTrade.get_or_none(out_trade_no=request.out_trade_no)
        if trade is None:
            raise ProviderRefused("RESOURCE_NOT_EXISTS")
        if request.refund_fen != trade.amount_fen or request.total_fen != trade.amount_fen:
            raise ProviderRefused("PARAM_ERROR", "the sandbox refunds whole payments only")
        if await SandboxTrade.filter(id=trade.id, status="paid").update(
            status="refunded", out_refund_no=request.out_refund_no
        ):
            return RefundResult(request.out_refund_no, "succeeded", "SBXR" + trade.transaction_id)
        current = await SandboxTrade.get(id=trade.id)
        if current.status == "refunded" and current.out_refund_no == request.out_refund_no:
            return RefundResult(request.out_refund_no, "succeeded", "SBXR" + trade.transaction_id)  # a replay
        raise ProviderRefused("NOT_ENOUGH", f"the trade is {current.status}")
