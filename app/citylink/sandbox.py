"""The sandbox city platform: the counterparty the embedded default links to and pushes to.

It implements the platform side of docs/city-account.md for real (only its accounts are made up):
one registered client, an authorise page where the person consents, a token endpoint with client
authentication, single-use authorisation codes that expire after `CODE_TTL_S` and must match their
PKCE S256 challenge and redirect URI, rotating refresh tokens, RFC 7009 revocation, and a records
receiver that checks the signature, the timestamp and the bearer token and counts each event id once.
Nothing here trusts our own client code: it checks what arrives as a city platform would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import msgspec
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from app.citylink.provider import SCOPE, SignatureError, pkce_challenge, sandbox_credentials, verify_signature
from app.settings import Settings
from models.citylink import SandboxGrant, SandboxReceipt, SandboxToken

CODE_TTL_S = 60
ACCESS_TTL_S = 2 * 3600
KINDS = ("planting.approved", "credits.retired")


class OAuthError(Exception):
    """An OAuth2 error response (RFC 6749 §5.2): `error` code, a description, the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class ReceiverError(Exception):
    """A push the receiver refuses; `status` is what it answers."""

    def __init__(self, error: str, status: int, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class AuthoriseRequest:
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str
    scope: str


def check_authorise_request(settings: Settings, params: Mapping[str, str]) -> AuthoriseRequest:
    """Validate an authorisation request. Raises OAuthError; status 400 means the client or redirect URI is
    wrong (shown to the person, never redirected: RFC 6749 §4.1.2.1), 302 means redirect with the error."""
    creds = sandbox_credentials(settings)
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id != creds["client_id"]:
        raise OAuthError("invalid_client", "unknown client_id", 400)
    if redirect_uri != creds["redirect_uri"]:
        raise OAuthError("invalid_request", "redirect_uri is not the one registered for this client", 400)
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "only response_type=code is supported", 302)
    if params.get("code_challenge_method") != "S256" or not 43 <= len(params.get("code_challenge", "")) <= 128:
        raise OAuthError("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256", 302)
    scope = params.get("scope") or SCOPE
    if scope != SCOPE:
        raise OAuthError("invalid_scope", f"only {SCOPE} is offered", 302)
    return AuthoriseRequest(client_id, redirect_uri, params.get("state", ""), params["code_challenge"], scope)


def new_account_id() -> str:
    return "CD" + "".join(secrets.choice("0123456789") for _ in range(10))


async def grant(request: AuthoriseRequest, account_id: str) -> str:
    """The person consented: a single-use code, valid CODE_TTL_S seconds."""
    code = secrets.token_urlsafe(32)
    await SandboxGrant.create(
        code_hash=_hash(code),
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        code_challenge=request.code_challenge,
        account_id=account_id,
        scope=request.scope,
        expires_at=datetime.now(UTC) + timedelta(seconds=CODE_TTL_S),
    )
    return code


def _client_of(settings: Settings, authorization: str, form: Mapping[str, str]) -> str:
    """Client authentication: HTTP Basic (RFC 6749 §2.3.1) or client_secret_post; the secret must match."""
    creds = sandbox_credentials(settings)
    client_id = secret = ""
    if authorization[:6].lower() == "basic ":
        try:
            raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
        cid, _, sec = raw.partition(":")
        client_id, secret = unquote(cid), unquote(sec)
    elif form.get("client_id"):
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if client_id != creds["client_id"] or not hmac.compare_digest(secret, creds["client_secret"]):
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return client_id


async def _issue(client_id: str, account_id: str, scope: str) -> dict[str, Any]:
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await SandboxToken.create(
        access_hash=_hash(access),
        refresh_hash=_hash(refresh),
        client_id=client_id,
        account_id=account_id,
        scope=scope,
        access_expires_at=datetime.now(UTC) + timedelta(seconds=ACCESS_TTL_S),
    )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_TTL_S,
        "refresh_token": refresh,
        "scope": scope,
        "account_id": account_id,
    }


async def token(settings: Settings, authorization: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The token endpoint (RFC 6749 §4.1.3, §6, RFC 7636 §4.6). Raises OAuthError."""
    client_id = _client_of(settings, authorization, form)
    grant_type = form.get("grant_type", "")
    now = datetime.now(UTC)
    if grant_type == "authorization_code":
        code, verifier = form.get("code", ""), form.get("code_verifier", "")
        if not code or not verifier:
            raise OAuthError("invalid_request", "code and code_verifier are required")
        row = await SandboxGrant.get_or_none(code_hash=_hash(code))
        if row is None or row.client_id != client_id:
            raise OAuthError("invalid_grant", "unknown authorization code")
        if row.used_at is not None:
            # A replayed code may mean it was stolen: revoke what it bought (RFC 6749 §4.1.2).
            await SandboxToken.filter(account_id=row.account_id, created_at__gte=row.used_at, revoked_at=None).update(
                revoked_at=now
            )
            raise OAuthError("invalid_grant", "authorization code already used")
        if row.expires_at <= now:
            raise OAuthError("invalid_grant", "authorization code expired")
        if form.get("redirect_uri", "") != row.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        if not hmac.compare_digest(pkce_challenge(verifier), row.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge (PKCE S256)")
        # Single use, decided by one conditional update: of two racing exchanges only one gets the tokens.
        if not await SandboxGrant.filter(id=row.id, used_at=None).update(used_at=now):
            raise OAuthError("invalid_grant", "authorization code already used")
        return await _issue(client_id, row.account_id, row.scope)
    if grant_type == "refresh_token":
        old = await SandboxToken.get_or_none(refresh_hash=_hash(form.get("refresh_token", "")), client_id=client_id)
        if old is None or old.revoked_at is not None:
            raise OAuthError("invalid_grant", "unknown or revoked refresh token")
        # Rotation: the old pair dies with this use; a second use of it is refused.
        if not await SandboxToken.filter(id=old.id, revoked_at=None).update(revoked_at=now):
            raise OAuthError("invalid_grant", "refresh token already used")
        return await _issue(client_id, old.account_id, old.scope)
    raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")


async def revoke(settings: Settings, authorization: str, form: Mapping[str, str]) -> None:
    """RFC 7009: revoke the pair an access or refresh token belongs to; unknown tokens are not an error."""
    client_id = _client_of(settings, authorization, form)
    value = _hash(form.get("token", ""))
    await (
        SandboxToken.filter(client_id=client_id, revoked_at=None)
        .filter(access_hash=value)
        .update(revoked_at=datetime.now(UTC))
    )
    await (
        SandboxToken.filter(client_id=client_id, revoked_at=None)
        .filter(refresh_hash=value)
        .update(revoked_at=datetime.now(UTC))
    )


class RecordBody(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    kind: str
    occurred_at: str
    account_id: str
    record: dict[str, Any]


async def receive(settings: Settings, headers: Mapping[str, str], body: bytes) -> tuple[bool, SandboxReceipt]:
    """The records receiver. Returns (first time, receipt); raises ReceiverError for a refused push."""
    now = datetime.now(UTC)
    try:
        event_id = verify_signature(sandbox_credentials(settings)["webhook_secret"], headers, body, now.timestamp())
    except SignatureError as exc:
        raise ReceiverError(exc.reason, 400 if exc.reason == "stale_timestamp" else 401) from None
    authorization = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    if authorization[:7].lower() != "bearer ":
        raise ReceiverError("invalid_token", 401, "a bearer token is required")
    holder = await SandboxToken.get_or_none(access_hash=_hash(authorization[7:].strip()))
    if holder is None or holder.revoked_at is not None or holder.access_expires_at <= now:
        raise ReceiverError("invalid_token", 401, "the access token is unknown, revoked or expired")
    try:
        document = msgspec.json.decode(body, type=RecordBody)
    except msgspec.DecodeError as exc:
        raise ReceiverError("invalid_body", 400, str(exc)) from None
    if document.id != event_id:
        raise ReceiverError("invalid_body", 400, "body id differs from the event id header")
    if document.account_id != holder.account_id:
        raise ReceiverError("wrong_account", 403, "the token does not belong to this account")
    if document.kind not in KINDS:
        raise ReceiverError("unknown_kind", 422, f"kind must be one of {', '.join(KINDS)}")
    existing = await SandboxReceipt.get_or_none(event_id=event_id)
    if existing is None:
        try:
            created = await SandboxReceipt.create(
                event_id=event_id, account_id=holder.account_id, kind=document.kind, body=msgspec.to_builtins(document)
            )
            return True, created
        except IntegrityError:  # a concurrent duplicate won the insert
            existing = await SandboxReceipt.get(event_id=event_id)
    await SandboxReceipt.filter(id=existing.id).update(deliveries=F("deliveries") + 1)
    return False, existing
