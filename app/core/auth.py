"""Who is asking: access tokens for the mini-app API, cookie sessions for pages, and role guards.

`/api/...` reads only `Authorization: Bearer <access token>`; pages read only the `ms_session` cookie
(and are CSRF-protected). Keeping the two apart means no cookie ever authorises an API call, so the
API needs no CSRF token. Every token names a session row, so revoking the row signs the device out at
once, and the short access-token lifetime bounds what a leaked token can do.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import jwt
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from tortoise.connection import get_connection
from tortoise.expressions import RawSQL

from app.core.db import columns_of, dialect, hydrate
from app.core.errors import Forbidden, Unauthorized
from app.core.i18n import register_messages
from app.settings import Settings
from models.accounts import AuthSession, Membership, User

SESSION_COOKIE = "ms_session"
_ALGORITHM = "HS256"


class Role(StrEnum):
    CITIZEN = "citizen"  # every signed-in user
    SMALLHOLDER = "smallholder"  # 林农/牧民, individual or for a collective / cooperative
    ORGANISER = "organiser"  # foundation staff running campaigns
    VERIFIER = "verifier"
    COURT = "court"
    SCENIC_OPERATOR = "scenic_operator"
    EVENT_ORGANISER = "event_organiser"
    MERCHANT = "merchant"  # a shop or service that takes points coupons
    PLATFORM_ADMIN = "platform_admin"


GRANTABLE_ROLES = tuple(r for r in Role if r is not Role.CITIZEN)


@dataclass
class Principal:
    """The signed-in user of a request, with the roles they hold."""

    user: User
    session: AuthSession
    roles: frozenset[str]
    org_roles: list[tuple[int | None, str]] = field(default_factory=list)

    def has(self, role: str) -> bool:
        return role in self.roles

    def orgs_with(self, role: str) -> set[int]:
        return {org for org, r in self.org_roles if r == role and org is not None}


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def issue_access_token(
    settings: Settings, user_public_id: str, session_public_id: str, now: datetime | None = None
) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": user_public_id,  # the public id: a row id would tell how many users there are
        "sid": session_public_id,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl_s)).timestamp()),
    }
    return jwt.encode(claims, settings.token_key, algorithm=_ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Claims of a valid token; raises jwt.ExpiredSignatureError or jwt.InvalidTokenError."""
    claims = jwt.decode(token, settings.token_key, algorithms=[_ALGORITHM], options={"require": ["exp", "sid", "sub"]})
    if claims.get("typ") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


async def load_principal(session: AuthSession) -> Principal | None:
    user = session.user  # fetched with the session, in one query
    if not user.is_active or user.deleted_at is not None:
        return None
    held = getattr(session, "memberships_held", None)  # read with the session by _active_session
    if held is not None:
        org_roles = _parse_memberships(held)
    else:
        rows = await Membership.filter(user_id=user.id).values_list("organisation_id", "role")
        org_roles = [(org, str(role)) for org, role in rows]
    roles = frozenset({Role.CITIZEN.value, *(role for _, role in org_roles)})
    return Principal(user=user, session=session, roles=roles, org_roles=org_roles)


# The user's memberships as one string, read in the session's own query ("org:role,…", "" for none; a
# platform-wide role has no organisation). Roles are lowercase words and organisation ids integers, so
# neither separator can occur inside an item.
_MEMBERSHIPS_SQL = {
    "postgres": "COALESCE((SELECT string_agg(COALESCE(CAST(m.organisation_id AS TEXT), '') || ':' || m.role, ',') "
    'FROM accounts_membership m WHERE m.user_id = "accounts_session"."user_id"), \'\')',
    "sqlite": "COALESCE((SELECT group_concat(COALESCE(CAST(m.organisation_id AS TEXT), '') || ':' || m.role, ',') "
    'FROM accounts_membership m WHERE m.user_id = "accounts_session"."user_id"), \'\')',
}


def _parse_memberships(held: str) -> list[tuple[int | None, str]]:
    org_roles: list[tuple[int | None, str]] = []
    for item in filter(None, held.split(",")):
        org, _, role = item.partition(":")
        org_roles.append((int(org) if org else None, role))
    return org_roles


# The same query, written once, on PostgreSQL, where every signed-in request runs it: the ORM spends about
# 0.7 ms of CPU building its version each time; this one costs about 0.1 ms to run (`python -m bench.profile`
# shows where a request's CPU goes). The SQLite version below stays the ORM's: one user, no hot path.
_SESSION_SQL_PG = (
    "SELECT {session}, {user}, "
    + _MEMBERSHIPS_SQL["postgres"].replace('"accounts_session"', "s")
    + " AS memberships_held FROM accounts_session s JOIN accounts_user u ON u.id = s.user_id "
    "WHERE s.{lookup} = $1 AND s.kind = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 LIMIT 1"
)
_session_sql: dict[str, str] = {}


async def _active_session_pg(field: str, value: str, kind: str) -> AuthSession | None:
    sql = _session_sql.get(field)
    if sql is None:
        sql = _session_sql[field] = _SESSION_SQL_PG.format(
            session=columns_of(AuthSession, "s"), user=columns_of(User, "u", "u__"), lookup=field
        )
    _, rows = await get_connection("default").execute_query(sql, [value, kind, datetime.now(UTC)])
    if not rows:
        return None
    session = hydrate(AuthSession, rows[0])
    object.__setattr__(session, "_user", hydrate(User, rows[0], "u__"))  # as select_related("user") sets it
    object.__setattr__(session, "memberships_held", rows[0]["memberships_held"])
    return session


async def _active_session(kind: str, field: Literal["public_id", "secret_hash"], value: str) -> AuthSession | None:
    """The live session of `kind` whose `field` is `value`, with its user and the user's memberships: one
    query per signed-in request."""
    if dialect() == "postgres":
        return await _active_session_pg(field, value, kind)
    memberships = RawSQL(_MEMBERSHIPS_SQL["sqlite"])
    return (
        await AuthSession.filter(revoked_at=None, expires_at__gt=datetime.now(UTC), kind=kind, **{field: value})
        .select_related("user")
        .annotate(memberships_held=memberships)
        .first()
    )


class AuthMiddleware(ASGIMiddleware):
    """Puts the request's Principal (or None) in scope["principal"]; guards decide what that allows."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["principal"] = None  # type: ignore[typeddict-unknown-key]
        state = scope.setdefault("state", {})
        headers = dict(scope["headers"])
        session: AuthSession | None = None
        if scope["path"].startswith("/api/"):
            auth = headers.get(b"authorization", b"").decode("latin-1")
            if auth[:7].lower() == "bearer ":
                try:
                    claims = decode_access_token(self.settings, auth[7:].strip())
                    session = await _active_session("token", "public_id", claims["sid"])
                    if session is None:
                        state["auth_error"] = "auth.session_revoked"
                except jwt.ExpiredSignatureError:
                    state["auth_error"] = "auth.token_expired"
                except jwt.InvalidTokenError:
                    state["auth_error"] = "auth.token_invalid"
        else:
            cookie = _read_cookie(headers.get(b"cookie", b"").decode("latin-1"), SESSION_COOKIE)
            if cookie:
                session = await _active_session("cookie", "secret_hash", hash_secret(cookie))
        if session is not None:
            scope["principal"] = await load_principal(session)  # type: ignore[typeddict-unknown-key]
        await next_app(scope, receive, send)


def _read_cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def principal_of(connection: ASGIConnection) -> Principal | None:
    return connection.scope.get("principal")  # type: ignore[return-value]


def require_principal(connection: ASGIConnection) -> Principal:
    principal = principal_of(connection)
    if principal is None:
        raise Unauthorized(connection.scope.get("state", {}).get("auth_error") or "error.unauthorized")
    return principal


def requires(*roles: Role) -> Any:
    """A guard letting in users holding any of `roles` (Role.CITIZEN: any signed-in user).

    The guard carries its roles as `.roles` so the role-matrix test can read the route table.
    """
    allowed = frozenset(r.value for r in roles)

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = require_principal(connection)
        if not (principal.roles & allowed):
            raise Forbidden("auth.role_required", roles="、".join(sorted(allowed)))

    guard.roles = allowed  # type: ignore[attr-defined]
    return guard


def needs_sign_in(scope: Any) -> bool:
    """Whether the route this request was routed to refuses a caller who is not signed in: every
    `requires` guard does (Role.CITIZEN included). Middleware runs inside the route's stack, after
    routing, so the handler is in the scope; its resolved guards are computed once and kept."""
    handler = scope.get("route_handler")
    return handler is not None and any(hasattr(g, "roles") for g in handler.resolve_guards())


register_messages(
    {
        "auth.token_expired": {
            "zh": "登录已过期，请刷新令牌或重新登录",
            "en": "Your sign-in has expired; refresh the token or sign in again",
        },
        "auth.token_invalid": {"zh": "登录凭证无效，请重新登录", "en": "Invalid credentials; please sign in again"},
        "auth.session_revoked": {"zh": "您已退出登录，请重新登录", "en": "You have signed out; please sign in again"},
        "auth.role_required": {"zh": "此操作需要以下角色之一：{roles}", "en": "This needs one of these roles: {roles}"},
    }
)
