"""WeChat mini-program login (code2Session): exchange a `wx.login()` code for openid/unionid.

Two adapters behind one protocol, chosen by `settings.wechat_login_base_url`:

- "sandbox" (embedded default): in-app, no network. The openid is derived from the code, so
  `sandbox-alice` always signs in the same user; a code works once, as on WeChat.
- a base URL (production: https://api.weixin.qq.com): GET {base}/sns/jscode2session with the app's
  appid and secret. WeChat answers JSON, often labelled text/plain, with `errcode` on failure.

WeChat's answers become our errors here, once: a used or invalid code is the user's to retry
(400), rate limiting is 429, a blocked high-risk user 403, "busy" is retried once then 503, and
anything else from WeChat is 502 (its fault) or 503 (cannot reach it).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import structlog

from app.core.cache import WindowCounters
from app.core.errors import AppError, Forbidden, TooManyRequests
from app.core.i18n import register_messages
from app.settings import Settings

log = structlog.get_logger("microsink.wechat")

CODE_INVALID = 40029
CODE_USED = 40163  # WeChat sends this for a code that was already exchanged
RATE_LIMITED = 45011
HIGH_RISK_USER = 40226
BUSY = -1

_SANDBOX_CODE_TTL_S = 5 * 60  # wx.login() codes live five minutes


@dataclass(frozen=True)
class WeChatIdentity:
    """What code2Session tells us; `session_key` must never leave the server."""

    openid: str
    unionid: str | None
    session_key: str

    def __repr__(self) -> str:  # keep session_key out of logs and tracebacks
        return f"WeChatIdentity(openid={self.openid!r}, unionid={self.unionid!r}, session_key=***)"


class WeChatUnavailable(AppError):
    """WeChat could not be reached, timed out or stayed busy: worth retrying later."""

    status_code = 503


class WeChatFailed(AppError):
    """WeChat answered with an error we cannot act on, or with something unreadable."""

    status_code = 502


class WeChatLogin(Protocol):
    async def code2session(self, code: str) -> WeChatIdentity: ...


class SandboxWeChatLogin:
    """An in-app stand-in for code2Session: deterministic openid per code, each code usable once.

    Used codes are remembered in the shared window counters, so with Redis every worker refuses a
    code another worker already accepted.
    """

    def __init__(self, settings: Settings, counters: WindowCounters) -> None:
        self._appid = settings.wechat_appid
        self._counters = counters

    async def code2session(self, code: str) -> WeChatIdentity:
        code = code.strip()
        if not code or len(code) > 128 or not code.isprintable():
            raise AppError("signin.wechat_code_invalid", errcode=CODE_INVALID)
        digest = hashlib.sha256(f"{self._appid}:{code}".encode()).hexdigest()
        hit = await self._counters.hit(f"wechat-sandbox-code:{digest}", 1, _SANDBOX_CODE_TTL_S)
        if not hit.allowed:
            raise AppError("signin.wechat_code_invalid", errcode=CODE_INVALID)
        return WeChatIdentity(
            openid=f"sbx-{digest[:24]}",
            unionid=f"sbxu-{digest[24:48]}",
            session_key=base64.b64encode(secrets.token_bytes(16)).decode(),
        )


class HttpWeChatLogin:
    """code2Session over HTTPS (httpx), speaking WeChat's published protocol."""

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        *,
        timeout_s: float = 5.0,
        busy_backoff_s: float = 0.3,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + "/sns/jscode2session"
        self._appid = appid
        self._secret = secret
        self._timeout = timeout_s
        self._busy_backoff_s = busy_backoff_s
        self._transport = transport

    async def code2session(self, code: str) -> WeChatIdentity:
        code = code.strip()
        if not code or len(code) > 128 or not code.isprintable():
            raise AppError("signin.wechat_code_invalid", errcode=CODE_INVALID)
        body = await self._call(code)
        if body.get("errcode") == BUSY:
            # WeChat asks to retry: once, after a short pause, then give up with 503.
            await asyncio.sleep(self._busy_backoff_s)
            body = await self._call(code)
            if body.get("errcode") == BUSY:
                raise WeChatUnavailable("signin.wechat_busy")
        return self._identity(body)

    async def _call(self, code: str) -> dict[str, Any]:
        params = {"appid": self._appid, "secret": self._secret, "js_code": code, "grant_type": "authorization_code"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as client:
                response = await client.get(self._url, params=params)
        except httpx.TimeoutException as exc:
            log.warning("wechat_login_timeout", error=type(exc).__name__)
            raise WeChatUnavailable("signin.wechat_unreachable") from exc
        except httpx.HTTPError as exc:
            log.warning("wechat_login_unreachable", error=type(exc).__name__)
            raise WeChatUnavailable("signin.wechat_unreachable") from exc
        if response.status_code >= 500:
            log.warning("wechat_login_http_error", status=response.status_code)
            raise WeChatUnavailable("signin.wechat_unreachable")
        try:
            # WeChat labels its JSON text/plain (or nothing): parse the bytes whatever the Content-Type says.
            body = json.loads(response.content)
        except ValueError:
            body = None
        if not isinstance(body, dict) or response.status_code != 200:
            log.warning(
                "wechat_login_bad_answer",
                status=response.status_code,
                content_type=response.headers.get("content-type"),
            )
            raise WeChatFailed("signin.wechat_bad_answer")
        return body

    def _identity(self, body: dict[str, Any]) -> WeChatIdentity:
        errcode = body.get("errcode") or 0
        if errcode in (CODE_INVALID, CODE_USED):
            raise AppError("signin.wechat_code_invalid", errcode=errcode)
        if errcode == RATE_LIMITED:
            raise TooManyRequests("signin.wechat_rate_limited", retry_after=60)
        if errcode == HIGH_RISK_USER:
            raise Forbidden("signin.wechat_user_blocked")
        if errcode != 0:
            log.warning("wechat_login_error", errcode=errcode, errmsg=str(body.get("errmsg", ""))[:200])
            raise WeChatFailed("signin.wechat_error", errcode=errcode)
        openid, session_key = body.get("openid"), body.get("session_key")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str) or not session_key:
            log.warning("wechat_login_incomplete_answer", keys=sorted(body))
            raise WeChatFailed("signin.wechat_bad_answer")
        unionid = body.get("unionid")
        return WeChatIdentity(
            openid=openid, unionid=unionid if isinstance(unionid, str) and unionid else None, session_key=session_key
        )


def wechat_login_for(settings: Settings, counters: WindowCounters) -> WeChatLogin:
    if settings.wechat_login_base_url == "sandbox":
        return SandboxWeChatLogin(settings, counters)
    return HttpWeChatLogin(settings.wechat_login_base_url, settings.wechat_appid, settings.wechat_secret)


register_messages(
    {
        "signin.wechat_code_invalid": {
            "zh": "微信登录凭证无效或已使用（错误码 {errcode}），请重新调用 wx.login() 获取新的 code 再登录",
            "en": "The WeChat login code is invalid or already used (errcode {errcode}); call wx.login() for a new code and sign in again",
        },
        "signin.wechat_rate_limited": {
            "zh": "微信登录过于频繁，请 1 分钟后再试",
            "en": "Too many WeChat sign-ins; try again in a minute",
        },
        "signin.wechat_user_blocked": {
            "zh": "微信判定此账号存在安全风险，已拒绝登录；请改用手机号验证码登录，或联系微信客服",
            "en": "WeChat flagged this account as high-risk and refused the sign-in; sign in with your phone number instead, or contact WeChat support",
        },
        "signin.wechat_busy": {
            "zh": "微信服务繁忙，请稍后再试",
            "en": "WeChat is busy; please try again shortly",
        },
        "signin.wechat_unreachable": {
            "zh": "暂时无法连接微信登录服务，请稍后再试",
            "en": "The WeChat sign-in service cannot be reached right now; please try again later",
        },
        "signin.wechat_error": {
            "zh": "微信登录失败（错误码 {errcode}），请稍后再试或改用手机号登录",
            "en": "WeChat sign-in failed (errcode {errcode}); try again later or sign in with your phone number",
        },
        "signin.wechat_bad_answer": {
            "zh": "微信登录服务返回了无法识别的结果，请稍后再试",
            "en": "The WeChat sign-in service gave an answer we could not read; please try again later",
        },
    }
)
