"""Tencent Cloud SMS (API 3.0, SendSms, version 2021-01-11) behind the `SmsProvider` protocol.

Requests are signed with TC3-HMAC-SHA256 exactly as published
(https://cloud.tencent.com/document/api/382/52072, "签名方法 v3"):

    CanonicalRequest = POST \\n / \\n "" \\n canonical headers \\n signed headers \\n hex(sha256(payload))
    StringToSign     = TC3-HMAC-SHA256 \\n timestamp \\n {date}/sms/tc3_request \\n hex(sha256(CanonicalRequest))
    key              = HMAC(HMAC(HMAC("TC3" + SecretKey, date), "sms"), "tc3_request")
    Authorization    = TC3-HMAC-SHA256 Credential={SecretId}/{date}/sms/tc3_request,
                       SignedHeaders=content-type;host;x-tc-action, Signature=hex(HMAC(key, StringToSign))

`date` is the UTC date of `X-TC-Timestamp`. `SessionContext` carries the caller's reference (the
outbox row id) and comes back in the delivery receipts, so a duplicate send can be traced.
Selected with SMS_PROVIDER=tencent and SMS_BASE_URL / SMS_SECRET_ID / SMS_SECRET_KEY / SMS_APP_ID /
SMS_SIGN_NAME.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.notifications.sms import SmsSendError, register_sms_provider
from app.settings import Settings

SERVICE = "sms"
ACTION = "SendSms"
VERSION = "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"

# Per-number or request error codes that no retry can fix (the number, template or signature is
# wrong, or the number opted out). Everything else (rate limits, internal errors, network) may pass later.
PERMANENT = {
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.PhoneNumberOnBlacklist",
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "FailedOperation.ContainSensitiveWord",
    "InvalidParameterValue.TemplateParameterFormatError",
    "InvalidParameterValue.TemplateParameterLengthLimit",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
}


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def canonical_headers(headers: dict[str, str], signed: str) -> str:
    """`name:value\\n` for each signed header, names and values lower-cased and trimmed."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return "".join(f"{name}:{lowered[name].strip().lower()}\n" for name in signed.split(";"))


def tc3_signature(
    secret_key: str,
    *,
    timestamp: int,
    payload: bytes,
    headers: dict[str, str],
    signed_headers: str = SIGNED_HEADERS,
    service: str = SERVICE,
    method: str = "POST",
    uri: str = "/",
    query: str = "",
) -> str:
    """The hex TC3-HMAC-SHA256 signature of one request (shared with the test fake, which recomputes it)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_request = "\n".join(
        [
            method,
            uri,
            query,
            canonical_headers(headers, signed_headers),
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            str(timestamp),
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def e164_cn(phone: str) -> str:
    digits = phone.strip().removeprefix("+")
    return "+" + (digits if digits.startswith("86") and len(digits) == 13 else "86" + digits)


class TencentSms:
    """SendSms to one number; returns the SerialNo Tencent gives the message."""

    def __init__(
        self,
        base_url: str,
        secret_id: str,
        secret_key: str,
        app_id: str,
        sign_name: str,
        *,
        region: str = "ap-guangzhou",
        timeout_s: float = 10.0,
        clock: Any = time.time,
    ) -> None:
        self.url = (base_url or "https://sms.tencentcloudapi.com").rstrip("/") + "/"
        self.host = urlsplit(self.url).netloc
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.app_id = app_id
        self.sign_name = sign_name
        self.region = region
        self._clock = clock
        self._http = httpx.AsyncClient(timeout=timeout_s)

    @classmethod
    def from_settings(cls, settings: Settings) -> TencentSms:
        return cls(
            settings.sms_base_url,
            settings.sms_secret_id,
            settings.sms_secret_key,
            settings.sms_app_id,
            settings.sms_sign_name,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def signed_request(self, payload: bytes, timestamp: int) -> dict[str, str]:
        """The headers of a SendSms request for this payload, Authorization included."""
        headers = {"Content-Type": CONTENT_TYPE, "Host": self.host, "X-TC-Action": ACTION}
        signature = tc3_signature(self.secret_key, timestamp=timestamp, payload=payload, headers=headers)
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        headers.update(
            {
                "X-TC-Version": VERSION,
                "X-TC-Timestamp": str(timestamp),
                "X-TC-Region": self.region,
                "Authorization": (
                    f"{ALGORITHM} Credential={self.secret_id}/{date}/{SERVICE}/tc3_request, "
                    f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
                ),
            }
        )
        return headers

    async def send(
        self, phone: str, template_id: str, params: Sequence[str], *, session_context: str | None = None
    ) -> str:
        body: dict[str, Any] = {
            "PhoneNumberSet": [e164_cn(phone)],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": [str(p) for p in params],
        }
        if session_context:
            body["SessionContext"] = session_context[:512]
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers = self.signed_request(payload, int(self._clock()))
        try:
            response = await self._http.post(self.url, content=payload, headers=headers)
            answer = response.json().get("Response") or {}
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise SmsSendError(f"tencent: {type(exc).__name__}: {exc}") from exc
        if error := answer.get("Error"):
            code = str(error.get("Code", ""))
            raise SmsSendError(f"tencent: {code} {error.get('Message', '')}".strip(), retryable=code not in PERMANENT)
        statuses = answer.get("SendStatusSet") or []
        if not statuses:
            raise SmsSendError(f"tencent: no SendStatusSet (RequestId {answer.get('RequestId')})")
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code != "Ok":
            raise SmsSendError(f"tencent: {code} {status.get('Message', '')}".strip(), retryable=code not in PERMANENT)
        return str(status.get("SerialNo") or answer.get("RequestId"))


register_sms_provider("tencent", TencentSms.from_settings)
