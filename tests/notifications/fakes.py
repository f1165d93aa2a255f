"""Local fake servers for the external notification protocols, each VERIFYING what it receives.

They run on 127.0.0.1 on a free port inside the test's event loop (uvicorn), speak the published
protocols and refuse requests that break them: the WeChat fake checks the access token it issued,
the Tencent fake recomputes the TC3-HMAC-SHA256 signature independently of our client code.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import uvicorn
from litestar import Litestar, Request, get, post


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app on 127.0.0.1:<free port>; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class FakeWechat:
    """cgi-bin/token and cgi-bin/message/subscribe/send, as the WeChat server API documents them."""

    def __init__(self, appid: str = "wx-test-app", secret: str = "wx-test-secret") -> None:
        self.appid, self.secret = appid, secret
        self.tokens: dict[str, float] = {}  # token -> expires (monotonic)
        self.token_requests = 0
        self.sent: list[dict[str, Any]] = []
        self.refused_openids: set[str] = set()
        self.busy_next = 0  # answer errcode -1 (system busy) this many times
        self._ids = itertools.count(1000)

    def expire_tokens(self) -> None:
        """WeChat invalidated every token (e.g. someone else fetched a new one long ago)."""
        self.tokens = {t: 0.0 for t in self.tokens}

    def app(self) -> Litestar:
        fake = self

        @get("/cgi-bin/token", sync_to_thread=False)
        def token(request: Request) -> dict[str, Any]:
            fake.token_requests += 1
            q = request.query_params
            grant_type, appid, secret = q.get("grant_type", ""), q.get("appid", ""), q.get("secret", "")
            if grant_type != "client_credential":
                return {"errcode": 40002, "errmsg": "invalid grant_type"}
            if appid != fake.appid:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if secret != fake.secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            value = f"tok-{next(fake._ids)}"
            fake.tokens[value] = time.monotonic() + 7200
            return {"access_token": value, "expires_in": 7200}

        @post("/cgi-bin/message/subscribe/send", status_code=200)
        async def send(request: Request) -> dict[str, Any]:
            access_token = request.query_params.get("access_token", "")
            expires = fake.tokens.get(access_token)
            if expires is None:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            if expires <= time.monotonic():
                return {"errcode": 42001, "errmsg": "access_token expired"}
            body = json.loads(await request.body())
            if not isinstance(body.get("touser"), str) or not body["touser"]:
                return {"errcode": 40003, "errmsg": "invalid openid"}
            if not isinstance(body.get("template_id"), str) or not body["template_id"]:
                return {"errcode": 40037, "errmsg": "invalid template_id"}
            data = body.get("data")
            if not isinstance(data, dict) or not data:
                return {"errcode": 47003, "errmsg": "argument invalid! data is empty"}
            for key, item in data.items():
                if not (isinstance(item, dict) and set(item) == {"value"} and isinstance(item["value"], str)):
                    return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value invalid"}
                if key.startswith("thing") and len(item["value"]) > 20:
                    return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value too long"}
            if body.get("miniprogram_state", "formal") not in {"developer", "trial", "formal"}:
                return {"errcode": 47003, "errmsg": "invalid miniprogram_state"}
            if fake.busy_next > 0:
                fake.busy_next -= 1
                return {"errcode": -1, "errmsg": "system error"}
            if body["touser"] in fake.refused_openids:
                return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            msgid = next(fake._ids)
            fake.sent.append({**body, "msgid": msgid})
            return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

        return Litestar([token, send], openapi_config=None)


def _tc3_sign(secret_key: str, date: str, string_to_sign: str) -> str:
    """Written from the published steps, deliberately not shared with app/notifications/tencent_sms.py."""
    k_date = hmac.new(("TC3" + secret_key).encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
    k_service = hmac.new(k_date, b"sms", hashlib.sha256).digest()
    k_signing = hmac.new(k_service, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)/tc3_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)


class FakeTencentSms:
    """Tencent Cloud API 3.0 SendSms (2021-01-11), verifying TC3-HMAC-SHA256 on every request."""

    def __init__(
        self, secret_id: str = "AKIDtest", secret_key: str = "tc-test-key", app_id: str = "1400000001"
    ) -> None:
        self.secret_id, self.secret_key, self.app_id = secret_id, secret_key, app_id
        self.requests: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self.blacklisted: set[str] = set()
        self.fail_next = 0  # answer InternalError.Timeout this many times
        self._ids = itertools.count(1)

    def _error(self, code: str, message: str) -> dict[str, Any]:
        self.rejected.append(code)
        return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": f"req-{next(self._ids)}"}}

    def _check_signature(self, request: Request, payload: bytes) -> str | None:
        h = request.headers
        if h.get("x-tc-action") != "SendSms":
            return "InvalidAction"
        if h.get("x-tc-version") != "2021-01-11":
            return "NoSuchVersion"
        if not h.get("x-tc-region"):
            return "MissingParameter"
        try:
            timestamp = int(h.get("x-tc-timestamp", ""))
        except ValueError:
            return "MissingParameter"
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire"
        match = _AUTH.match(h.get("authorization", ""))
        if match is None:
            return "AuthFailure.InvalidAuthorization"
        if match["id"] != self.secret_id:
            return "AuthFailure.SecretIdNotFound"
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        if match["date"] != date or match["service"] != "sms":
            return "AuthFailure.InvalidAuthorization"
        signed = match["signed"].split(";")
        if "content-type" not in signed or "host" not in signed or signed != sorted(signed):
            return "AuthFailure.InvalidAuthorization"
        canonical_headers = "".join(f"{name}:{h.get(name, '').strip().lower()}\n" for name in signed)
        canonical_request = (
            "POST\n/\n\n" + canonical_headers + "\n" + match["signed"] + "\n" + hashlib.sha256(payload).hexdigest()
        )
        string_to_sign = (
            f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
            + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
        )
        if not hmac.compare_digest(_tc3_sign(self.secret_key, date, string_to_sign), match["sig"]):
            return "AuthFailure.SignatureFailure"
        return None

    def app(self) -> Litestar:
        fake = self

        @post("/", status_code=200)
        async def endpoint(request: Request) -> dict[str, Any]:
            payload = await request.body()
            problem = fake._check_signature(request, payload)
            if problem:
                return fake._error(problem, "request refused by the fake")
            body = json.loads(payload)
            fake.requests.append(body)
            if body.get("SmsSdkAppId") != fake.app_id:
                return fake._error("FailedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail")
            if not body.get("SignName") or not body.get("TemplateId"):
                return fake._error("MissingParameter", "SignName and TemplateId are required")
            if fake.fail_next > 0:
                fake.fail_next -= 1
                return fake._error("InternalError.Timeout", "request timed out")
            statuses = []
            for number in body.get("PhoneNumberSet", []):
                if not re.fullmatch(r"\+861\d{10}", number):
                    code, message = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"
                elif number in fake.blacklisted:
                    code, message = "FailedOperation.PhoneNumberInBlacklist", "phone number in blacklist"
                else:
                    code, message = "Ok", "send success"
                statuses.append(
                    {
                        "SerialNo": f"2640:{next(fake._ids)}" if code == "Ok" else "",
                        "PhoneNumber": number,
                        "Fee": 1,
                        "SessionContext": body.get("SessionContext", ""),
                        "Code": code,
                        "Message": message,
                        "IsoCode": "CN",
                    }
                )
            return {"Response": {"SendStatusSet": statuses, "RequestId": f"req-{next(fake._ids)}"}}

        return Litestar([endpoint], openapi_config=None)
