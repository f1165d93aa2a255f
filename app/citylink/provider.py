"""The city carbon-account platform protocol (docs/city-account.md), our client for it, and the signature.

A `CityAccountProvider` builds the authorisation URL (OAuth2 code flow with PKCE S256), exchanges a
code and refreshes tokens at the token endpoint, revokes a token, and pushes one signed record.
`OAuth2CityAccount` speaks that protocol over HTTP; the embedded default `sandbox` is the very same
client pointed at the sandbox city platform served by this app (app/citylink/sandbox.py), reached
in-process, so embedded mode has a real counterparty. `CITY_ACCOUNT_PROVIDER` chooses: `sandbox`,
`oauth2` (a city platform at CITY_ACCOUNT_BASE_URL) or `off`; production refuses `sandbox`.

Push signature: `X-MicroSink-Signature: v1=<hex HMAC-SHA256(webhook secret, "<timestamp>." + body)>`
with the Unix timestamp in `X-MicroSink-Timestamp` and the event id (stable across retries) in
`X-MicroSink-Event-Id`; the receiver drops an event id it has seen and refuses stale timestamps.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, urlencode

import httpx

from app.settings import Settings, SettingsError

SCOPE = "records.push"
SIGNATURE_HEADER = "X-MicroSink-Signature"
TIMESTAMP_HEADER = "X-MicroSink-Timestamp"
EVENT_ID_HEADER = "X-MicroSink-Event-Id"
TOLERANCE_S = 300  # a receiver refuses timestamps further than this from its clock

# Paths of the sandbox city platform inside this app (the authorise page is a page, the rest API).
SANDBOX_AUTHORIZE_PATH = "/sandbox/city-account/authorize"
SANDBOX_API_PATH = "/api/v1/sandbox/city-account"
CALLBACK_PATH = "/me/city-account/callback"


class CityAccountError(Exception):
    """The city platform refused or could not be reached.

    `retryable` says whether trying later may help; `oauth_error` carries an OAuth2 error code
    (e.g. invalid_grant) and `status` the HTTP status, when the platform answered.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool = True,
        status: int | None = None,
        oauth_error: str | None = None,
        token_rejected: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.oauth_error = oauth_error
        self.token_rejected = token_rejected  # 401 invalid_token on a push: refresh and try again


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scope: str
    account_id: str


@runtime_checkable
class CityAccountProvider(Protocol):
    name: str
    redirect_uri: str

    def authorization_url(self, *, state: str, code_challenge: str, scope: str = SCOPE) -> str:
        """Where to send the person to consent (authorisation request, RFC 6749 §4.1.1 + RFC 7636)."""
        ...

    async def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorisation code for tokens; raises CityAccountError."""
        ...

    async def refresh(self, refresh_token: str) -> TokenSet:
        """A fresh access token (and maybe a rotated refresh token); raises CityAccountError."""
        ...

    async def revoke(self, token: str) -> None:
        """Revoke a token (RFC 7009); raises CityAccountError."""
        ...

    async def push(self, access_token: str, event_id: str, body: bytes, timestamp: int) -> int:
        """Deliver one signed record; returns the 2xx status or raises CityAccountError."""
        ...


def pkce_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


class SignatureError(Exception):
    """A push the receiver must refuse: `reason` is missing_signature, stale_timestamp or bad_signature."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_signature(
    secret: str, headers: Mapping[str, str], body: bytes, now: float, tolerance_s: int = TOLERANCE_S
) -> str:
    """Check a push as a receiver must; returns its event id. Compares in constant time."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    raw_ts = lowered.get(TIMESTAMP_HEADER.lower(), "")
    event_id = lowered.get(EVENT_ID_HEADER.lower(), "")
    if not signature or not raw_ts.isdigit() or not event_id:
        raise SignatureError("missing_signature")
    if abs(now - int(raw_ts)) > tolerance_s:
        raise SignatureError("stale_timestamp")
    expected = sign(secret, int(raw_ts), body)
    # Several v1= values may be sent while a secret is being rotated; one match is enough.
    candidates = [part.strip() for part in signature.split(",")]
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("bad_signature")
    return event_id


def canonical_body(document: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same record always gives the same bytes (and signature)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _basic_auth(client_id: str, client_secret: str) -> str:
    # RFC 6749 §2.3.1: each part form-urlencoded before the Basic encoding.
    raw = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class InAppTransport(httpx.AsyncBaseTransport):
    """Reaches an ASGI app in this process, as a separate request with a context of its own.

    The in-app request must not see the caller's context variables (its request id, an open ORM
    transaction), so it runs in a task started with an empty context.
    """

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app, client=("127.0.0.1", 0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        task = asyncio.create_task(self._inner.handle_async_request(request), context=contextvars.Context())
        return await task


class OAuth2CityAccount:
    """Our client for a city platform speaking docs/city-account.md."""

    def __init__(
        self,
        *,
        name: str,
        authorize_url: str,
        api_base_url: str,
        client_id: str,
        client_secret: str,
        webhook_secret: str,
        redirect_uri: str,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.authorize_endpoint = authorize_url
        self.token_url = api_base_url.rstrip("/") + "/oauth/token"
        self.revoke_url = api_base_url.rstrip("/") + "/oauth/revoke"
        self.records_url = api_base_url.rstrip("/") + "/records"
        self.client_id = client_id
        self._client_secret = client_secret
        self._webhook_secret = webhook_secret
        self.redirect_uri = redirect_uri
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    def authorization_url(self, *, state: str, code_challenge: str, scope: str = SCOPE) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.authorize_endpoint}?{urlencode(query)}"

    async def _token_request(self, form: dict[str, str]) -> TokenSet:
        headers = {"Authorization": _basic_auth(self.client_id, self._client_secret), "Accept": "application/json"}
        try:
            response = await self._http.post(self.token_url, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise CityAccountError(f"token endpoint unreachable: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            error = body.get("error") if isinstance(body, dict) else None
            description = body.get("error_description", "") if isinstance(body, dict) else ""
            retryable = response.status_code >= 500 or response.status_code in (408, 429)
            raise CityAccountError(
                f"token endpoint: {response.status_code} {error or ''} {description}".strip(),
                retryable=retryable,
                status=response.status_code,
                oauth_error=error,
            )
        if str(body.get("token_type", "")).lower() != "bearer":
            raise CityAccountError(f"unsupported token_type {body.get('token_type')!r}", retryable=False)
        expires_in = int(body.get("expires_in") or 3600)
        return TokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
            scope=str(body.get("scope") or form.get("scope") or SCOPE),
            account_id=str(body.get("account_id") or ""),
        )

    async def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        tokens = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        if not tokens.account_id:
            raise CityAccountError("the token response names no account_id", retryable=False)
        return tokens

    async def refresh(self, refresh_token: str) -> TokenSet:
        return await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, token: str) -> None:
        headers = {"Authorization": _basic_auth(self.client_id, self._client_secret)}
        try:
            response = await self._http.post(self.revoke_url, data={"token": token}, headers=headers)
        except httpx.HTTPError as exc:
            raise CityAccountError(f"revocation endpoint unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise CityAccountError(f"revocation endpoint: {response.status_code}", status=response.status_code)

    async def push(self, access_token: str, event_id: str, body: bytes, timestamp: int) -> int:
        headers = {
            "Authorization": f"Bearer {access_token}",
            "Content-Type": "application/json; charset=utf-8",
            EVENT_ID_HEADER: event_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._webhook_secret, timestamp, body),
        }
        try:
            response = await self._http.post(self.records_url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise CityAccountError("push timed out") from exc
        except httpx.HTTPError as exc:
            raise CityAccountError(f"push failed: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return status
        text = response.text[:300]
        if status == 401 and "invalid_token" in response.headers.get("www-authenticate", ""):
            raise CityAccountError(f"push: 401 {text}", status=status, token_rejected=True, retryable=True)
        # 408 and 429 say "later"; every other 4xx says this request will never be accepted.
        retryable = status >= 500 or status in (408, 429)
        raise CityAccountError(f"push: {status} {text}", status=status, retryable=retryable)


def sandbox_credentials(settings: Settings) -> dict[str, str]:
    """The sandbox city platform's one registered client (both sides read it here)."""

    def derived(purpose: str) -> str:
        return hashlib.sha256(f"citylink-sandbox:{purpose}:{settings.secret_key}".encode()).hexdigest()

    return {
        "client_id": "microsink-sandbox",
        "client_secret": derived("client-secret"),
        "webhook_secret": derived("webhook-secret"),
        "redirect_uri": settings.base_url.rstrip("/") + CALLBACK_PATH,
    }


ProviderFactory = Callable[[Settings, Any], CityAccountProvider]


def _sandbox(settings: Settings, app: Any) -> CityAccountProvider:
    creds = sandbox_credentials(settings)
    base = settings.base_url.rstrip("/")
    return OAuth2CityAccount(
        name="sandbox",
        authorize_url=base + SANDBOX_AUTHORIZE_PATH,
        api_base_url=base + SANDBOX_API_PATH,
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        webhook_secret=creds["webhook_secret"],
        redirect_uri=creds["redirect_uri"],
        transport=InAppTransport(app) if app is not None else None,
    )


def _oauth2(settings: Settings, app: Any) -> CityAccountProvider:
    base = settings.city_account_base_url.rstrip("/")
    return OAuth2CityAccount(
        name="oauth2",
        authorize_url=base + "/oauth/authorize",
        api_base_url=base,
        client_id=settings.city_account_client_id,
        client_secret=settings.city_account_client_secret,
        webhook_secret=settings.city_account_webhook_secret,
        redirect_uri=settings.base_url.rstrip("/") + CALLBACK_PATH,
    )


_FACTORIES: dict[str, ProviderFactory] = {"sandbox": _sandbox, "oauth2": _oauth2}


def register_city_account_provider(name: str, factory: ProviderFactory) -> None:
    _FACTORIES[name] = factory


def city_account_provider_for(settings: Settings, app: Any = None) -> CityAccountProvider | None:
    """The provider the settings name, or None for `off`. `app` lets the sandbox reach itself in-process."""
    name = settings.city_account_provider
    if name == "off":
        return None
    factory = _FACTORIES.get(name)
    if factory is None:
        known = ", ".join(sorted([*_FACTORIES, "off"]))
        raise SettingsError(f"CITY_ACCOUNT_PROVIDER {name!r} is not known here; known: {known}")
    return factory(settings, app)
