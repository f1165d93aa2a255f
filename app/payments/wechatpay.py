"""WeChat Pay API v3 for mini-programs (JSAPI), direct merchant: the `wechatpay` payment provider.

What this adapter trusts, and why:
- every request is signed `WECHATPAY2-SHA256-RSA2048` with the merchant private key over
  `METHOD\\nPATH?QUERY\\ntimestamp\\nnonce\\nbody\\n`, the body being the exact bytes sent;
- every 2xx answer and every notification is verified over `timestamp\\nnonce\\nbody\\n` (the raw
  bytes) with the platform key that `Wechatpay-Serial` names: a WeChat Pay public key
  (`PUB_KEY_ID_…`) or a platform certificate (hex serial). Several keys are held at once because
  WeChat signs with the old and the new key for about a week while a merchant switches;
- a timestamp more than 5 minutes from our clock, a `WECHATPAY/SIGNTEST/` probe, an unknown
  serial, a bad signature, a resource the APIv3 key cannot decrypt (AES-256-GCM with its
  associated data), another appid or mchid, an unknown event: `NotificationRejected(reason)`.

Money stays integer fen. Secrets (private key, APIv3 key) are never logged or put in reprs.
Protocol: https://pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-generation.html
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.payments.protocol import (
    NoticeKind,
    NotificationRejected,
    PaymentNotice,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    PaymentState,
    PaymentStatus,
    ProviderRefused,
    ProviderUnavailable,
    RefundRequest,
    RefundResult,
    RefundState,
)
from app.settings import Settings, SettingsError

log = structlog.get_logger("microsink.payments.wechatpay")

DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
SCHEME = "WECHATPAY2-SHA256-RSA2048"
TOLERANCE_S = 300  # WeChat's rule: refuse signed timestamps more than 5 minutes from our clock
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"
BEIJING = timezone(timedelta(hours=8))
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")

# trade_state of a query → our PaymentState
_TRADE_STATES: dict[str, PaymentState] = {
    "SUCCESS": "paid",
    "REFUND": "refunded",
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "ACCEPT": "pending",
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "failed",
}
# refund status (answer and notification) → our RefundState
_REFUND_STATES: dict[str, RefundState] = {
    "SUCCESS": "succeeded",
    "PROCESSING": "processing",
    "ABNORMAL": "failed",
    "CLOSED": "closed",
}
_EVENTS: dict[str, NoticeKind] = {
    "TRANSACTION.SUCCESS": "paid",
    "REFUND.SUCCESS": "refund_succeeded",
    "REFUND.ABNORMAL": "refund_failed",
    "REFUND.CLOSED": "refund_closed",
}


class UntrustedResponse(ProviderUnavailable):
    """A 2xx answer whose signature did not verify (unknown serial, stale, forged or tampered).

    Nothing in it is used. It is a kind of `ProviderUnavailable` so callers retry later, the same
    as for a network failure; the log says which check failed.
    """


def load_platform_key(pem: bytes, serial: str) -> rsa.RSAPublicKey:
    """A platform verification key from PEM: a WeChat Pay public key (`PUB_KEY_ID_…`) or a platform
    certificate, whose own serial must then be `serial` (hex, as `Wechatpay-Serial` sends it)."""
    key: object
    if b"BEGIN CERTIFICATE" in pem:
        cert = x509.load_pem_x509_certificate(pem)
        if f"{cert.serial_number:X}" != serial.upper().lstrip("0"):
            raise ValueError(f"the certificate's serial is {cert.serial_number:X}, not {serial}")
        key = cert.public_key()
    else:
        key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("a WeChat Pay platform key must be RSA")
    return key


def _canonical_serial(serial: str) -> str:
    # Certificate serials are hex and compared case-insensitively; public key ids are kept as sent.
    return serial if serial.startswith("PUB_KEY_ID_") else serial.upper().lstrip("0")


def _sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def _nonce() -> str:
    return secrets.token_hex(16).upper()


class WeChatPayProvider:
    """The `wechatpay` provider: JSAPI prepay, notifications, query, close and refund."""

    name = "wechatpay"
    in_app_only = True  # JSAPI: wx.requestPayment inside our mini-program, with the payer's openid

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        merchant_private_key: rsa.RSAPrivateKey,
        merchant_serial: str,
        apiv3_key: str,
        platform_keys: Mapping[str, rsa.RSAPublicKey],
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key is 32 ASCII characters")
        if not platform_keys:
            raise ValueError("at least one platform key (WeChat Pay public key or platform certificate) is needed")
        self.mchid = mchid
        self.appid = appid
        self.merchant_serial = merchant_serial
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._key = merchant_private_key
        self._aead = AESGCM(apiv3_key.encode())
        self._platform_keys = {_canonical_serial(s): k for s, k in platform_keys.items()}
        # The serial we ask WeChat to sign answers with: the first one configured (public key mode
        # needs this request header; with certificates WeChat picks its current one anyway).
        self.preferred_serial = next(iter(platform_keys))
        self._transport = transport
        self._http: httpx.AsyncClient | None = None  # one pool: keeps TLS connections to WeChat alive

    def __repr__(self) -> str:  # never the keys
        return f"WeChatPayProvider(mchid={self.mchid!r}, appid={self.appid!r}, base_url={self.base_url!r})"

    @classmethod
    def from_settings(cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> WeChatPayProvider:
        missing = settings.wechatpay_missing()
        if missing:
            raise SettingsError(f"PAYMENT_PROVIDER=wechatpay needs {', '.join(missing)}")
        try:
            key = serialization.load_pem_private_key(Path(settings.wechatpay_private_key_file).read_bytes(), None)
        except (OSError, ValueError, TypeError) as exc:
            raise SettingsError(f"WECHATPAY_PRIVATE_KEY_FILE: {type(exc).__name__}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SettingsError("WECHATPAY_PRIVATE_KEY_FILE must hold an RSA private key")
        platform: dict[str, rsa.RSAPublicKey] = {}
        for serial, path in settings.wechatpay_platform_keys:
            try:
                platform[serial] = load_platform_key(Path(path).read_bytes(), serial)
            except (OSError, ValueError) as exc:
                raise SettingsError(f"WECHATPAY_PLATFORM_KEYS: {serial}: {exc}") from None
        return cls(
            mchid=settings.wechatpay_mchid,
            appid=settings.wechat_appid,
            merchant_private_key=key,
            merchant_serial=settings.wechatpay_cert_serial,
            apiv3_key=settings.wechatpay_apiv3_key,
            platform_keys=platform,
            base_url=settings.wechatpay_base_url,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool (at shutdown)."""
        if self._http is not None:
            await self._http.aclose()

    # --- signatures -----------------------------------------------------------------------------

    def authorization(self, method: str, path_and_query: str, body: bytes, timestamp: int, nonce: str) -> str:
        """The Authorization header for one request (body: the exact bytes sent, b"" for GET)."""
        message = f"{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body.decode()}\n"
        return (
            f'{SCHEME} mchid="{self.mchid}",nonce_str="{nonce}",signature="{_sign(self._key, message)}",'
            f'timestamp="{timestamp}",serial_no="{self.merchant_serial}"'
        )

    def pay_sign(self, time_stamp: str, nonce_str: str, package: str) -> str:
        """paySign for wx.requestPayment: RSA-SHA256 over `appId\\ntimeStamp\\nnonceStr\\npackage\\n`."""
        return _sign(self._key, f"{self.appid}\n{time_stamp}\n{nonce_str}\n{package}\n")

    def _verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> str:
        """Check a WeChat signature over raw `body`; returns the signature; raises NotificationRejected."""
        signature = headers.get("wechatpay-signature", "")
        timestamp = headers.get("wechatpay-timestamp", "")
        nonce = headers.get("wechatpay-nonce", "")
        serial = headers.get("wechatpay-serial", "")
        if not (signature and timestamp and nonce and serial):
            raise NotificationRejected("missing_headers")
        if signature.startswith(SIGNTEST_PREFIX):
            raise NotificationRejected("signtest_probe")
        signature_type = headers.get("wechatpay-signature-type", SCHEME)
        if signature_type != SCHEME:
            raise NotificationRejected("bad_signature", f"signature type {signature_type}")
        if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > TOLERANCE_S:
            raise NotificationRejected("stale_timestamp", timestamp)
        key = self._platform_keys.get(_canonical_serial(serial))
        if key is None:
            raise NotificationRejected("unknown_serial", serial)
        try:
            raw_signature = base64.b64decode(signature, validate=True)
        except binascii.Error:
            raise NotificationRejected("bad_signature", "not base64") from None
        message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
        try:
            key.verify(raw_signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise NotificationRejected("bad_signature") from None
        return signature

    def decrypt(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """Decrypt an `encrypt-resource` (AEAD_AES_256_GCM with the APIv3 key); raises NotificationRejected."""
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise NotificationRejected("decrypt_failed", f"algorithm {resource.get('algorithm')!r}")
        try:
            nonce = str(resource["nonce"]).encode()
            ciphertext = base64.b64decode(str(resource["ciphertext"]), validate=True)
            associated = str(resource.get("associated_data") or "").encode()
            plain = self._aead.decrypt(nonce, ciphertext, associated)
            data = json.loads(plain)
        except (KeyError, ValueError, InvalidTag, binascii.Error):
            raise NotificationRejected("decrypt_failed") from None
        if not isinstance(data, dict):
            raise NotificationRejected("decrypt_failed", "not an object")
        return data

    # --- notifications --------------------------------------------------------------------------

    def parse_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            signature = self._verify(headers, body, now)
        except NotificationRejected as exc:
            log.warning("wechatpay_notification_rejected", reason=exc.reason, detail=exc.detail)
            raise
        try:
            return self._decode(body, signature)
        except NotificationRejected as exc:
            log.warning("wechatpay_notification_rejected", reason=exc.reason, detail=exc.detail)
            raise

    def _decode(self, body: bytes, signature: str) -> PaymentNotice:
        try:
            envelope = json.loads(body)
            event_type = envelope["event_type"]
            notification_id = str(envelope["id"])
            resource = envelope["resource"]
        except (ValueError, KeyError, TypeError):
            raise NotificationRejected("malformed") from None
        kind = _EVENTS.get(event_type) if isinstance(event_type, str) else None
        if kind is None:
            raise NotificationRejected("unknown_event", str(event_type))
        if envelope.get("resource_type", "encrypt-resource") != "encrypt-resource" or not isinstance(resource, dict):
            raise NotificationRejected("malformed", "resource")
        data = self.decrypt(resource)
        if data.get("mchid") != self.mchid:
            raise NotificationRejected("wrong_mchid", str(data.get("mchid")))
        # Payment notices name our appid; refund notices carry no appid at all.
        if kind == "paid" and data.get("appid") != self.appid:
            raise NotificationRejected("wrong_appid", str(data.get("appid")))
        amount = data.get("amount") or {}
        try:
            total = _fen(amount.get("total"))
            if kind == "paid":
                if data.get("trade_state") != "SUCCESS":
                    raise NotificationRejected("malformed", f"trade_state {data.get('trade_state')}")
                refund_fen, out_refund_no = 0, ""
                occurred = _time(data.get("success_time"))
            else:
                expected = {"refund_succeeded": "SUCCESS", "refund_failed": "ABNORMAL", "refund_closed": "CLOSED"}[kind]
                if data.get("refund_status") != expected:
                    raise NotificationRejected("malformed", f"refund_status {data.get('refund_status')}")
                refund_fen, out_refund_no = _fen(amount.get("refund")), str(data["out_refund_no"])
                occurred = _time(data.get("success_time") or envelope.get("create_time"))
            out_trade_no, transaction_id = str(data["out_trade_no"]), str(data["transaction_id"])
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise NotificationRejected("malformed", type(exc).__name__) from None
        return PaymentNotice(
            kind=kind,
            notification_id=notification_id,
            out_trade_no=out_trade_no,
            provider_transaction_id=transaction_id,
            amount_fen=total,
            occurred_at=occurred,
            appid=str(data.get("appid", "")),
            mchid=str(data["mchid"]),
            out_refund_no=out_refund_no,
            refund_fen=refund_fen,
            # WeChat signs each delivery afresh (new timestamp and nonce): one signature, one delivery.
            replay_key="wechatpay:" + hashlib.sha256(signature.encode()).hexdigest(),
            raw=data,
        )

    def acknowledgement(self, accepted: bool, message: str = "") -> tuple[int, bytes, str]:
        if accepted:
            return 204, b"", "application/json"
        body = json.dumps({"code": "FAIL", "message": message or "rejected"}, ensure_ascii=False).encode()
        return 400, body, "application/json"

    # --- API calls ------------------------------------------------------------------------------

    async def _call(self, method: str, path: str, payload: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        """Sign, send, check the answer. Returns (status, decoded JSON or None for 204)."""
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp, nonce = int(time.time()), _nonce()
        headers = {
            "Authorization": self.authorization(method, path, body, timestamp, nonce),
            "Accept": "application/json",
            "User-Agent": "microsink-wechatpay/1",
            "Wechatpay-Serial": self.preferred_serial,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport)
        try:
            response = await self._http.request(method, self.base_url + path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("wechatpay_unreachable", path=path.split("?")[0], error=type(exc).__name__)
            raise ProviderUnavailable(f"WeChat Pay did not answer: {type(exc).__name__}") from None
        if response.status_code >= 500 or response.status_code == 429:
            code, message = _error(response)
            log.warning("wechatpay_unavailable", path=path.split("?")[0], status=response.status_code, code=code)
            raise ProviderUnavailable(f"WeChat Pay answered {response.status_code} {code}: {message}")
        if response.status_code >= 400:
            code, message = _error(response)
            log.info("wechatpay_refused", path=path.split("?")[0], status=response.status_code, code=code)
            raise ProviderRefused(code, message)
        try:
            self._verify({k.lower(): v for k, v in response.headers.items()}, response.content, datetime.now(UTC))
        except NotificationRejected as exc:
            log.error("wechatpay_untrusted_response", path=path.split("?")[0], reason=exc.reason, detail=exc.detail)
            raise UntrustedResponse(f"WeChat Pay answer not trusted: {exc.reason}") from None
        if not response.content:
            return response.status_code, None
        try:
            return response.status_code, response.json()
        except ValueError:
            raise UntrustedResponse("WeChat Pay answer is not JSON") from None

    async def create(self, request: PaymentRequest) -> PaymentStart:
        if isinstance(request.amount_fen, bool) or not isinstance(request.amount_fen, int) or request.amount_fen <= 0:
            raise ValueError("amount_fen must be a positive integer")
        if not OUT_TRADE_NO.match(request.out_trade_no):
            raise ValueError("out_trade_no must be 6–32 characters of [0-9A-Za-z_-|*]")
        if not request.payer_openid:
            raise ValueError("JSAPI needs the payer's openid")
        if request.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        payload = {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": request.description[:127],
            "out_trade_no": request.out_trade_no,
            "time_expire": request.expires_at.astimezone(BEIJING).isoformat(timespec="seconds"),
            "notify_url": request.notify_url,
            "amount": {"total": request.amount_fen, "currency": "CNY"},
            "payer": {"openid": request.payer_openid},
        }
        _, answer = await self._call("POST", "/v3/pay/transactions/jsapi", payload)
        prepay_id = answer.get("prepay_id") if isinstance(answer, dict) else None
        if not isinstance(prepay_id, str) or not prepay_id:
            raise UntrustedResponse("WeChat Pay answered without a prepay_id")
        time_stamp, nonce_str, package = str(int(time.time())), _nonce(), f"prepay_id={prepay_id}"
        client = {
            "appId": self.appid,
            "timeStamp": time_stamp,
            "nonceStr": nonce_str,
            "package": package,
            "signType": "RSA",
            "paySign": self.pay_sign(time_stamp, nonce_str, package),
        }
        return PaymentStart(
            provider=self.name, out_trade_no=request.out_trade_no, client=client, provider_reference=prepay_id
        )

    async def query(self, out_trade_no: str) -> PaymentStatus:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}?mchid={quote(self.mchid, safe='')}"
        _, answer = await self._call("GET", path)
        try:
            state = _TRADE_STATES[answer["trade_state"]]
            if answer.get("mchid") != self.mchid or answer.get("out_trade_no") != out_trade_no:
                raise UntrustedResponse("WeChat Pay answered about another order")
            amount = answer.get("amount") or {}
            return PaymentStatus(
                out_trade_no=out_trade_no,
                state=state,
                provider_transaction_id=str(answer.get("transaction_id", "")),
                amount_fen=_fen(amount.get("total")) if amount else 0,
                occurred_at=_time(answer["success_time"]) if answer.get("success_time") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UntrustedResponse(f"unexpected query answer: {type(exc).__name__}") from None

    async def close(self, out_trade_no: str) -> None:
        try:
            await self._call(
                "POST", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close", {"mchid": self.mchid}
            )
        except ProviderRefused as exc:
            if exc.code != "ORDER_CLOSED":  # closing twice is done, not refused
                raise

    async def refund(self, request: RefundRequest) -> RefundResult:
        for value in (request.refund_fen, request.total_fen):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError("refund_fen and total_fen must be positive integers")
        if request.refund_fen > request.total_fen:
            raise ValueError("cannot refund more than was paid")
        payload: dict[str, Any] = {
            "out_trade_no": request.out_trade_no,
            "out_refund_no": request.out_refund_no,
            "reason": request.reason[:80],
            "amount": {"refund": request.refund_fen, "total": request.total_fen, "currency": "CNY"},
        }
        if request.notify_url:  # optional; WeChat refuses an empty one (PARAM_ERROR): leave it out instead
            payload["notify_url"] = request.notify_url
        _, answer = await self._call("POST", "/v3/refund/domestic/refunds", payload)
        try:
            if answer["out_refund_no"] != request.out_refund_no:
                raise UntrustedResponse("WeChat Pay answered about another refund")
            return RefundResult(
                out_refund_no=request.out_refund_no,
                state=_REFUND_STATES[answer["status"]],
                provider_refund_id=str(answer.get("refund_id", "")),
            )
        except (KeyError, TypeError) as exc:
            raise UntrustedResponse(f"unexpected refund answer: {type(exc).__name__}") from None


def _fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("an amount in fen must be a non-negative integer")
    return value


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("time missing")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("time without offset")
    return parsed


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        data = response.json()
        return str(data.get("code") or f"HTTP_{response.status_code}"), str(data.get("message") or "")
    except (ValueError, AttributeError):
        return f"HTTP_{response.status_code}", ""


def _conforms(provider: WeChatPayProvider) -> PaymentProvider:
    return provider  # mypy checks here that the adapter keeps to the PaymentProvider protocol
