"""A local fake WeChat Pay API v3 server (direct merchant, JSAPI), built from the published protocol.

It is served over real loopback HTTP (uvicorn in a thread, so the synchronous `wechatpayv3`
client can call it too) and written apart from app/payments/wechatpay.py on purpose: it shares no
signing or encryption code with the adapter it tests.

What it does like WeChat:
- checks every request's `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,
  timestamp=…,serial_no=…` against the merchant's public key over `METHOD\\nPATH?QUERY\\ntimestamp\\n
  nonce\\nbody\\n` (raw path and raw body), refusing with 401 SIGN_ERROR;
- answers jsapi prepay, query by out_trade_no, close, refund and refund query, remembering orders
  and refunds, with the business errors of the documentation (ORDER_NOT_EXIST, ORDERPAID, …);
- signs every answer with a platform key: the one the request's `Wechatpay-Serial` names when it
  knows it (public key mode), else its current one;
- builds signed notifications whose resource is AES-256-GCM-encrypted with the APIv3 key.
Knobs for failure paths: `script` (answer these statuses first), `tamper_next`, `signing_serial`.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets
import socket
import string
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from app.payments.protocol import PaymentRequest
from app.payments.wechatpay import WeChatPayProvider, load_platform_key

BEIJING = timezone(timedelta(hours=8))
MCHID = "1900000109"
NOTIFY = "https://microsink.example/api/v1/payments/notify/wechatpay"
APPID = "wx8888888888888888"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(key: rsa.RSAPrivateKey, serial: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (fake)")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass
class PlatformKey:
    serial: str  # PUB_KEY_ID_… (public key mode) or the certificate's hex serial
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate | None = None  # platform certificate mode

    @property
    def pem(self) -> bytes:
        """What the merchant downloads and configures: the public key, or the certificate."""
        if self.certificate is not None:
            return self.certificate.public_bytes(serialization.Encoding.PEM)
        return public_pem(self.key)


@dataclass
class Keys:
    """Locally generated key material: a merchant, three platform keys, an APIv3 key."""

    merchant: rsa.RSAPrivateKey
    merchant_serial: str
    public_key: PlatformKey  # the WeChat Pay public key (new merchants)
    certificate: PlatformKey  # a platform certificate (legacy merchants, before the switch)
    stranger: PlatformKey  # a key nobody configured (unknown serial)
    apiv3_key: str
    mchid: str = MCHID
    appid: str = APPID

    @classmethod
    def generate(cls) -> Keys:
        cert_key, cert_serial = _rsa(), secrets.randbits(150) | (1 << 150)
        return cls(
            merchant=_rsa(),
            merchant_serial=secrets.token_hex(20).upper(),
            public_key=PlatformKey(f"PUB_KEY_ID_0119{secrets.randbelow(10**28):028d}", _rsa()),
            certificate=PlatformKey(f"{cert_serial:X}", cert_key, _certificate(cert_key, cert_serial)),
            stranger=PlatformKey(f"PUB_KEY_ID_0119{secrets.randbelow(10**28):028d}", _rsa()),
            apiv3_key=secrets.token_hex(16),
        )


def _b64sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def _beijing(moment: datetime) -> str:
    return moment.astimezone(BEIJING).isoformat(timespec="seconds")


def _nonce(n: int = 32) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


@dataclass
class Order:
    appid: str
    mchid: str
    description: str
    out_trade_no: str
    notify_url: str
    total: int
    openid: str
    time_expire: str
    prepay_id: str
    request: dict[str, Any]
    trade_state: str = "NOTPAY"
    transaction_id: str = ""
    success_time: str = ""


@dataclass
class Refund:
    refund_id: str
    out_refund_no: str
    out_trade_no: str
    transaction_id: str
    total: int
    refund: int
    reason: str
    notify_url: str
    create_time: str
    status: str = "PROCESSING"
    success_time: str = ""


@dataclass
class FakeWeChatPay:
    keys: Keys
    platform: list[PlatformKey] = field(default_factory=list)  # the keys WeChat signs with
    orders: dict[str, Order] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    script: list[tuple[int, str]] = field(default_factory=list)  # (status, code) to answer first
    tamper_next: bool = False  # change one byte of the next answer after signing it
    signing_serial: str | None = None  # force this platform key for answers
    clock_skew_s: int = 0  # the fake's clock runs this far ahead (negative: behind) of ours
    seen: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)

    def __post_init__(self) -> None:
        if not self.platform:
            self.platform = [self.keys.public_key]

    # --- the merchant's signature, checked as WeChat does ---------------------------------------

    def _check_authorization(self, method: str, target: str, headers: dict[str, str], body: bytes) -> str | None:
        """None when the request is signed by our merchant; else why not."""
        value = headers.get("authorization", "")
        scheme, _, params = value.partition(" ")
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            return "unknown authorization scheme"
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        if fields.get("mchid") != self.keys.mchid:
            return "mchid does not match"
        if fields.get("serial_no", "").upper() != self.keys.merchant_serial:
            return "unknown merchant certificate serial"
        timestamp, nonce = fields.get("timestamp", ""), fields.get("nonce_str", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300 or not nonce:
            return "timestamp or nonce invalid"
        message = b"\n".join([method.encode(), target.encode(), timestamp.encode(), nonce.encode(), body]) + b"\n"
        try:
            signature = base64.b64decode(fields.get("signature", ""), validate=True)
            self.keys.merchant.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "signature does not verify"
        return None

    # --- answers ----------------------------------------------------------------------------------

    def _signed(self, status: int, payload: Any, requested_serial: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        by_serial = {k.serial: k for k in self.platform}
        key = by_serial.get(self.signing_serial or "") or by_serial.get(requested_serial) or self.platform[-1]
        timestamp, nonce = str(int(time.time()) + self.clock_skew_s), _nonce()
        signature = _b64sign(key.key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n")
        if self.tamper_next:
            self.tamper_next = False
            body = body.replace(b'"', b"'", 1) if body else b" "
        headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"request-id", uuid.uuid4().hex.encode()),
            (b"wechatpay-nonce", nonce.encode()),
            (b"wechatpay-signature", signature.encode()),
            (b"wechatpay-timestamp", timestamp.encode()),
            (b"wechatpay-serial", key.serial.encode()),
            (b"wechatpay-signature-type", b"WECHATPAY2-SHA256-RSA2048"),
        ]
        return status, headers, body

    @staticmethod
    def _error(status: int, code: str, message: str = "") -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        body = json.dumps({"code": code, "message": message or code}, ensure_ascii=False).encode()
        return status, [(b"content-type", b"application/json; charset=utf-8")], body

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, Any]:
        path, _, query = target.partition("?")
        why = self._check_authorization(method, target, headers, body)
        if why is not None:
            return self._error(401, "SIGN_ERROR", why)
        if self.script:
            status, code = self.script.pop(0)
            return self._error(status, code)
        requested = headers.get("wechatpay-serial", "")
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return self._error(400, "PARAM_ERROR", "body is not JSON")
        if method == "POST" and path == "/v3/pay/transactions/jsapi":
            return self._jsapi(data, requested)
        if m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path):
            if method == "GET":
                if query != f"mchid={self.keys.mchid}":
                    return self._error(400, "PARAM_ERROR", "mchid")
                order = self.orders.get(m.group(1))
                if order is None:
                    return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
                return self._signed(200, self.transaction(order), requested)
        if (m := re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)) and method == "POST":
            return self._close(m.group(1), data, requested)
        if path == "/v3/refund/domestic/refunds" and method == "POST":
            return self._refund(data, requested)
        if (m := re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)) and method == "GET":
            found = self.refunds.get(m.group(1))
            if found is None:
                return self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return self._signed(200, self.refund_answer(found), requested)
        if path == "/v3/certificates" and method == "GET":
            return self._signed(200, {"data": [self._certificate_entry(k) for k in self.platform if k.certificate]}, "")
        return self._error(404, "NOT_FOUND", f"{method} {path}")

    def _certificate_entry(self, platform: PlatformKey) -> dict[str, Any]:
        """A platform certificate as /v3/certificates lists it: PEM sealed with the APIv3 key."""
        assert platform.certificate is not None
        nonce = _nonce(12)
        sealed = AESGCM(self.keys.apiv3_key.encode()).encrypt(nonce.encode(), platform.pem, b"certificate")
        return {
            "serial_no": platform.serial,
            "effective_time": _beijing(platform.certificate.not_valid_before_utc),
            "expire_time": _beijing(platform.certificate.not_valid_after_utc),
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": base64.b64encode(sealed).decode(),
            },
        }

    def _jsapi(self, data: dict[str, Any], requested: str) -> Any:
        amount, payer = data.get("amount") or {}, data.get("payer") or {}
        if data.get("mchid") != self.keys.mchid:
            return self._error(400, "MCH_NOT_EXISTS", "商户号不存在")
        if data.get("appid") != self.keys.appid:
            return self._error(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        problems = [
            not (isinstance(data.get("description"), str) and 1 <= len(data["description"]) <= 127),
            not re.fullmatch(r"[0-9A-Za-z_\-|*]{6,32}", str(data.get("out_trade_no", ""))),
            not _notify_url_ok(data.get("notify_url")),
            type(amount.get("total")) is not int or amount["total"] <= 0,
            amount.get("currency", "CNY") != "CNY",
            not payer.get("openid"),
        ]
        if any(problems):
            return self._error(400, "PARAM_ERROR", "参数错误")
        expire = data.get("time_expire")
        if expire is not None:
            try:
                if datetime.fromisoformat(expire) <= datetime.now(UTC):
                    return self._error(400, "INVALID_REQUEST", "time_expire 已过")
            except (TypeError, ValueError):
                return self._error(400, "PARAM_ERROR", "time_expire 格式错误")
        existing = self.orders.get(data["out_trade_no"])
        if existing is not None:
            if existing.trade_state == "SUCCESS":
                return self._error(400, "ORDERPAID", "该订单已支付")
            if existing.trade_state == "CLOSED":
                return self._error(400, "ORDER_CLOSED", "该订单已关闭")
            if existing.request != data:
                return self._error(403, "OUT_TRADE_NO_USED", "商户订单号重复")
            return self._signed(200, {"prepay_id": existing.prepay_id}, requested)
        order = Order(
            appid=data["appid"],
            mchid=data["mchid"],
            description=data["description"],
            out_trade_no=data["out_trade_no"],
            notify_url=data["notify_url"],
            total=amount["total"],
            openid=payer["openid"],
            time_expire=expire or "",
            prepay_id=f"wx{datetime.now(BEIJING):%d%H%M%S}{secrets.token_hex(12)}",
            request=data,
        )
        self.orders[order.out_trade_no] = order
        return self._signed(200, {"prepay_id": order.prepay_id}, requested)

    def _close(self, out_trade_no: str, data: dict[str, Any], requested: str) -> Any:
        if data.get("mchid") != self.keys.mchid:
            return self._error(400, "PARAM_ERROR", "mchid")
        order = self.orders.get(out_trade_no)
        if order is None:
            return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
        if order.trade_state in {"SUCCESS", "REFUND"}:
            return self._error(400, "ORDERPAID", "订单已支付")
        order.trade_state = "CLOSED"
        return self._signed(204, None, requested)

    def _refund(self, data: dict[str, Any], requested: str) -> Any:
        amount = data.get("amount") or {}
        order = self.orders.get(str(data.get("out_trade_no")))
        if order is None:
            return self._error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if order.trade_state not in {"SUCCESS", "REFUND"}:
            return self._error(400, "INVALID_REQUEST", "订单未支付")
        if (
            not re.fullmatch(r"[0-9A-Za-z_\-|*@]{1,64}", str(data.get("out_refund_no", "")))
            or type(amount.get("refund")) is not int
            or amount["refund"] <= 0
            or amount.get("total") != order.total
            or amount.get("currency") != "CNY"
            # optional, but when sent it must be an https URL without a query: "" is a PARAM_ERROR
            or ("notify_url" in data and not _notify_url_ok(data["notify_url"]))
        ):
            return self._error(400, "PARAM_ERROR", "参数错误")
        existing = self.refunds.get(data["out_refund_no"])
        if existing is not None:  # out_refund_no is the idempotency key
            if (existing.out_trade_no, existing.refund) != (order.out_trade_no, amount["refund"]):
                return self._error(400, "INVALID_REQUEST", "退款单号重复")
            return self._signed(200, self.refund_answer(existing), requested)
        refunded = sum(r.refund for r in self.refunds.values() if r.out_trade_no == order.out_trade_no)
        if refunded + amount["refund"] > order.total:
            return self._error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        found = Refund(
            refund_id=f"5030{secrets.randbelow(10**25):025d}",
            out_refund_no=data["out_refund_no"],
            out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id,
            total=order.total,
            refund=amount["refund"],
            reason=str(data.get("reason", "")),
            notify_url=str(data.get("notify_url", "")),
            create_time=_beijing(datetime.now(UTC)),
        )
        self.refunds[found.out_refund_no] = found
        order.trade_state = "REFUND"
        return self._signed(200, self.refund_answer(found), requested)

    # --- resources as WeChat describes them ---------------------------------------------------------

    def transaction(self, order: Order) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "appid": order.appid,
            "mchid": order.mchid,
            "out_trade_no": order.out_trade_no,
            "trade_state": order.trade_state,
            "trade_state_desc": {"NOTPAY": "订单未支付", "SUCCESS": "支付成功", "CLOSED": "订单已关闭"}.get(
                order.trade_state, order.trade_state
            ),
            "amount": {"total": order.total, "currency": "CNY"},
            "payer": {"openid": order.openid},
        }
        if order.transaction_id:
            answer |= {
                "transaction_id": order.transaction_id,
                "trade_type": "JSAPI",
                "bank_type": "OTHERS",
                "attach": "",
                "success_time": order.success_time,
            }
            answer["amount"] |= {"payer_total": order.total, "payer_currency": "CNY"}
        return answer

    def refund_answer(self, found: Refund) -> dict[str, Any]:
        answer = {
            "refund_id": found.refund_id,
            "out_refund_no": found.out_refund_no,
            "transaction_id": found.transaction_id,
            "out_trade_no": found.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": found.create_time,
            "status": found.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": found.total,
                "refund": found.refund,
                "payer_total": found.total,
                "payer_refund": found.refund,
                "settlement_refund": found.refund,
                "settlement_total": found.total,
                "discount_refund": 0,
                "currency": "CNY",
            },
        }
        if found.success_time:
            answer["success_time"] = found.success_time
        return answer

    # --- what happens outside the API: the payer pays, a refund settles -------------------------------

    def pay(self, out_trade_no: str) -> tuple[dict[str, str], bytes]:
        """The payer paid in the mini-program: the order succeeds; returns the notification to post."""
        order = self.orders[out_trade_no]
        order.trade_state = "SUCCESS"
        order.transaction_id = f"4200{secrets.randbelow(10**24):024d}"
        order.success_time = _beijing(datetime.now(UTC))
        return self.payment_notification(out_trade_no)

    def payment_resource(self, out_trade_no: str) -> dict[str, Any]:
        order = self.orders[out_trade_no]
        return self.transaction(order)

    def payment_notification(self, out_trade_no: str, **kw: Any) -> tuple[dict[str, str], bytes]:
        return self.notification("TRANSACTION.SUCCESS", self.payment_resource(out_trade_no), summary="支付成功", **kw)

    def settle_refund(self, out_refund_no: str, status: str = "SUCCESS", **kw: Any) -> tuple[dict[str, str], bytes]:
        """The refund reached SUCCESS, ABNORMAL or CLOSED; returns the REFUND.<status> notification."""
        found = self.refunds[out_refund_no]
        found.status = status
        if status == "SUCCESS":
            found.success_time = _beijing(datetime.now(UTC))
        resource: dict[str, Any] = {
            "mchid": self.keys.mchid,
            "out_trade_no": found.out_trade_no,
            "transaction_id": found.transaction_id,
            "out_refund_no": found.out_refund_no,
            "refund_id": found.refund_id,
            "refund_status": status,
            "user_received_account": "支付用户零钱",
            "amount": {
                "total": found.total,
                "refund": found.refund,
                "payer_total": found.total,
                "payer_refund": found.refund,
            },
        }
        if found.success_time:
            resource["success_time"] = found.success_time
        summary = {"SUCCESS": "退款成功", "ABNORMAL": "退款异常", "CLOSED": "退款关闭"}[status]
        kw.setdefault("original_type", "refund")
        kw.setdefault("associated_data", "refund")
        return self.notification(f"REFUND.{status}", resource, summary=summary, **kw)

    def notification(
        self,
        event_type: str,
        resource: dict[str, Any],
        *,
        summary: str = "",
        original_type: str = "transaction",
        associated_data: str = "transaction",
        platform: PlatformKey | None = None,
        timestamp: int | None = None,
        apiv3_key: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed notification: headers (as WeChat spells them) and the exact body bytes."""
        nonce = _nonce(12)
        plain = json.dumps(resource, ensure_ascii=False).encode()
        key = (apiv3_key or self.keys.apiv3_key).encode()
        ciphertext = AESGCM(key).encrypt(nonce.encode(), plain, associated_data.encode())
        envelope = {
            "id": str(uuid.uuid4()),
            "create_time": _beijing(datetime.now(UTC)),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated_data,
                "nonce": nonce,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False).encode()
        return self.sign_notification(body, platform=platform, timestamp=timestamp), body

    def sign_notification(
        self, body: bytes, *, platform: PlatformKey | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        key = platform or self.platform[-1]
        ts, nonce = str(int(time.time()) if timestamp is None else timestamp), _nonce()
        return {
            "Wechatpay-Signature": _b64sign(key.key, f"{ts}\n{nonce}\n".encode() + body + b"\n"),
            "Wechatpay-Timestamp": ts,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": key.serial,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    # --- ASGI ---------------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        target = scope.get("raw_path", scope["path"].encode()).decode()
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode()
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        status, response_headers, response_body = self.handle(scope["method"], target, headers, body)
        self.seen.append((scope["method"], target.split("?")[0], status))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": response_body})


@contextmanager
def serving(fake: FakeWeChatPay) -> Iterator[str]:
    """Serve the fake on 127.0.0.1:<free port> in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake, lifespan="off", log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-wechatpay", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the fake WeChat Pay server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@functools.cache
def session_keys() -> Keys:
    """One set of generated keys per test process (RSA generation is the slow part)."""
    return Keys.generate()


def adapter(keys: Keys, base_url: str, *platform: PlatformKey, **kw: Any) -> WeChatPayProvider:
    """Our adapter as a merchant configured with `platform` keys (default: the WeChat Pay public key)."""
    chosen = platform or (keys.public_key,)
    return WeChatPayProvider(
        mchid=keys.mchid,
        appid=keys.appid,
        merchant_private_key=keys.merchant,
        merchant_serial=keys.merchant_serial,
        apiv3_key=keys.apiv3_key,
        platform_keys={p.serial: load_platform_key(p.pem, p.serial) for p in chosen},
        base_url=base_url,
        **kw,
    )


@dataclass
class World:
    keys: Keys
    fake: FakeWeChatPay
    url: str
    provider: WeChatPayProvider
    opened: list[WeChatPayProvider] = field(default_factory=list)

    def adapter(self, *platform: PlatformKey, **kw: Any) -> WeChatPayProvider:
        """Another merchant configuration against the same fake, closed with the world."""
        made = adapter(self.keys, self.url, *platform, **kw)
        self.opened.append(made)
        return made


@asynccontextmanager
async def wechat_world() -> AsyncIterator[World]:
    """A fresh fake WeChat Pay on loopback and our adapter pointed at it (public key mode)."""
    keys = session_keys()
    fake = FakeWeChatPay(keys)
    with serving(fake) as url:
        world = World(keys, fake, url, adapter(keys, url))
        world.opened.append(world.provider)
        try:
            yield world
        finally:
            for provider in world.opened:
                await provider.aclose()


def payment_request(out_trade_no: str = "MS20261206ORDER0001", amount_fen: int = 1000, **kw: object) -> PaymentRequest:
    """A payment attempt as the payments service would make it (values overridable)."""
    values: dict[str, object] = {
        "out_trade_no": out_trade_no,
        "amount_fen": amount_fen,
        "description": "微碳汇-顺昌毛竹林 100 kg",
        "expires_at": datetime.now(UTC) + timedelta(minutes=15),
        "notify_url": NOTIFY,
        "payer_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    }
    return PaymentRequest(**(values | kw))  # type: ignore[arg-type]


def _notify_url_ok(url: object) -> bool:
    return isinstance(url, str) and url.startswith("https://") and "?" not in url


def wechatpay_environment(directory: Path) -> dict[str, str]:
    """A complete WeChat Pay environment (PAYMENT_PROVIDER=wechatpay) with its key files written to
    `directory`, as an operator sets it: what a production configuration needs to start."""
    keys = session_keys()
    (directory / "apiclient_key.pem").write_bytes(private_pem(keys.merchant))
    (directory / "pub_key.pem").write_bytes(keys.public_key.pem)
    (directory / "platform_cert.pem").write_bytes(keys.certificate.pem)
    return {
        "PAYMENT_PROVIDER": "wechatpay",
        "BASE_URL": "https://microsink.example",  # WeChat posts notifications to https only
        "WECHAT_APPID": keys.appid,
        "WECHATPAY_MCHID": keys.mchid,
        "WECHATPAY_PRIVATE_KEY_FILE": str(directory / "apiclient_key.pem"),
        "WECHATPAY_CERT_SERIAL": keys.merchant_serial,
        "WECHATPAY_APIV3_KEY": keys.apiv3_key,
        "WECHATPAY_PLATFORM_KEYS": (
            f"{keys.public_key.serial}={directory / 'pub_key.pem'}, "
            f"{keys.certificate.serial}={directory / 'platform_cert.pem'}"
        ),
    }
