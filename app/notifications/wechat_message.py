"""WeChat mini-program subscription messages (订阅消息): the protocol, the real client and the sandbox.

Real API (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html):
`POST {base}/cgi-bin/message/subscribe/send?access_token=…` with
`{touser, template_id, page, data: {key: {value}}, miniprogram_state, lang}`, answered by
`{errcode, errmsg}`. The access token comes from `GET {base}/cgi-bin/token?grant_type=client_credential
&appid=…&secret=…` (`{access_token, expires_in}`) and is cached until shortly before it expires, in a
Litestar store (Redis when configured, so every worker shares one token instead of each fetching its
own and invalidating the others'). errcode 40001/42001 (token invalid or expired) refreshes the
token and retries once; 43101 (the user refused or cancelled the subscription) and the other
"this can never succeed" codes fail permanently; anything else may succeed later.

The API takes no client reference, so a message sent twice (see outbox.py) cannot be told apart on
WeChat's side; our outbox row id is in the relay's logs next to the returned msgid.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import httpx
import structlog
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from app.settings import Settings

log = structlog.get_logger("microsink.wechat_message")

TOKEN_INVALID = {40001, 42001}  # invalid credential / access_token expired
# The user refused or cancelled the subscription, bad openid, bad template id, bad data, bad page:
# sending the same message again can never succeed.
PERMANENT = {43101, 40003, 40037, 47003, 41030}


class WechatSendError(Exception):
    """WeChat did not accept the message; `retryable` says whether trying later may help."""

    def __init__(self, reason: str, *, retryable: bool = True, errcode: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.errcode = errcode


@runtime_checkable
class WechatMessenger(Protocol):
    async def send(
        self, openid: str, template_id: str, page: str, data: dict[str, str], lang: str = "zh_CN"
    ) -> str | None:
        """Send one subscription message; return WeChat's msgid if it gives one. Raises WechatSendError."""
        ...


@dataclass(frozen=True)
class SentWechatMessage:
    openid: str
    template_id: str
    page: str
    data: dict[str, str]
    lang: str
    message_id: str
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class SandboxWechatMessenger:
    """Sends nothing: keeps the last messages in memory (the embedded default)."""

    def __init__(self, keep: int = 100) -> None:
        self._sent: deque[SentWechatMessage] = deque(maxlen=keep)
        self._ids = itertools.count(1)

    async def send(
        self, openid: str, template_id: str, page: str, data: dict[str, str], lang: str = "zh_CN"
    ) -> str | None:
        message = SentWechatMessage(openid, template_id, page, dict(data), lang, f"sandbox-wx-{next(self._ids)}")
        self._sent.append(message)
        return message.message_id

    def sent(self) -> list[SentWechatMessage]:
        return list(self._sent)


class WechatSubscribeMessenger:
    """The real client; `base_url` is https://api.weixin.qq.com in production, a fake in tests."""

    _EARLY_S = 300  # refresh this long before WeChat says the token expires

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        *,
        store: Store | None = None,
        miniprogram_state: str = "formal",
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.miniprogram_state = miniprogram_state
        self._store = store or MemoryStore()
        self._key = f"wechat-access-token:{appid}"
        self._lock = asyncio.Lock()
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None) -> WechatSubscribeMessenger:
        return cls(
            settings.wechat_message_base_url,
            settings.wechat_appid,
            settings.wechat_secret,
            store=store,
            miniprogram_state="formal" if settings.is_production else "developer",
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _token(self, *, refresh_from: str | None = None) -> str:
        """The cached token, or a new one; `refresh_from` names a token WeChat just rejected."""
        cached = await self._store.get(self._key)
        if cached is not None and cached.decode() != refresh_from:
            return cached.decode()
        async with self._lock:
            cached = await self._store.get(self._key)  # someone may have refreshed while we waited
            if cached is not None and cached.decode() != refresh_from:
                return cached.decode()
            body = await self._get_json(
                "/cgi-bin/token", {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
            )
            token = body.get("access_token")
            if not token:
                errcode = int(body.get("errcode") or -1)
                # A wrong appid/secret stays wrong until someone fixes the settings; the row retries with backoff.
                raise WechatSendError(f"token: {errcode} {body.get('errmsg', '')}".strip(), errcode=errcode)
            expires_in = int(body.get("expires_in") or 7200)
            await self._store.set(self._key, token, expires_in=max(expires_in - self._EARLY_S, 60))
            return str(token)

    async def _get_json(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.get(self.base_url + path, params=query)
            return response.json()  # WeChat answers JSON whatever the Content-Type
        except (httpx.HTTPError, ValueError) as exc:
            raise WechatSendError(f"{path}: {type(exc).__name__}: {exc}") from exc

    async def send(
        self, openid: str, template_id: str, page: str, data: dict[str, str], lang: str = "zh_CN"
    ) -> str | None:
        body = {
            "touser": openid,
            "template_id": template_id,
            "page": page,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": self.miniprogram_state,
            "lang": lang,
        }
        token = await self._token()
        for attempt in range(2):
            started = time.monotonic()
            try:
                response = await self._http.post(
                    f"{self.base_url}/cgi-bin/message/subscribe/send", params={"access_token": token}, json=body
                )
                answer = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise WechatSendError(f"send: {type(exc).__name__}: {exc}") from exc
            errcode = int(answer.get("errcode") or 0)
            log.debug("wechat_send", errcode=errcode, ms=int((time.monotonic() - started) * 1000))
            if errcode == 0:
                msgid = answer.get("msgid")
                return str(msgid) if msgid is not None else None
            if errcode in TOKEN_INVALID and attempt == 0:
                token = await self._token(refresh_from=token)
                continue
            raise WechatSendError(
                f"{errcode} {answer.get('errmsg', '')}".strip(), retryable=errcode not in PERMANENT, errcode=errcode
            )
        raise AssertionError("unreachable")


def wechat_messenger_for(settings: Settings, store: Store | None = None) -> WechatMessenger:
    if settings.wechat_message_base_url == "sandbox":
        return SandboxWechatMessenger()
    return WechatSubscribeMessenger.from_settings(settings, store)
