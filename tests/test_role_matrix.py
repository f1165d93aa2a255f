"""Walk the whole route table × every role: no route may let the wrong role in.

Every route must say who may call it: `opt={"public": True}` or a `requires(...)` guard. For guarded
routes each role (and an anonymous caller) makes a request: roles outside the guard must get 401/403
from the guard, roles inside must get past it (any other answer, e.g. 400 for the empty body).
API routes are called with a bearer token, pages with a session cookie and a valid CSRF token.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from app.accounts import service as accounts
from app.core.auth import SESSION_COOKIE, Role, hash_secret, issue_access_token
from models.accounts import AuthSession, User
from tests.helpers import signed_in

GUARD_REFUSALS = {
    "error.unauthorized",
    "auth.role_required",
    "auth.token_invalid",
    "auth.token_expired",
    "auth.session_revoked",
}
STATIC = re.compile(r"^/static")


def declared_roles(handler: HTTPRouteHandler) -> frozenset[str] | None:
    roles = [g.roles for g in handler.resolve_guards() if hasattr(g, "roles")]
    if not roles:
        return None
    allowed = roles[0]
    for r in roles[1:]:
        allowed &= r  # every guard must pass
    return allowed


def concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        kind = match.group(2) or "str"
        return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}.get(kind, "x")

    return re.sub(r"\{(\w+)(?::(\w+))?\}", value, path)


def route_table(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    rows = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or STATIC.match(route.path):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method in {"HEAD", "OPTIONS"}:
                    continue
                rows.append((method, route.path, handler))
    return rows


def test_every_route_declares_who_may_call_it(app: Litestar) -> None:
    undeclared = [f"{m} {p}" for m, p, h in route_table(app) if declared_roles(h) is None and not h.opt.get("public")]
    assert not undeclared, f"routes with neither opt public nor a requires() guard: {undeclared}"


def test_public_routes_carry_no_role_guard(app: Litestar) -> None:
    both = [f"{m} {p}" for m, p, h in route_table(app) if h.opt.get("public") and declared_roles(h) is not None]
    assert not both, f"routes both public and guarded (which is it?): {both}"


async def _fresh_credentials(user: User | None, settings, api: bool) -> dict[str, str]:
    """A new session for every request: some routes (sign-out, account deletion) end the one they use."""
    if user is None:
        return {}
    secret = secrets.token_urlsafe(16)
    session = await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="token" if api else "cookie",
        secret_hash=hash_secret(secret),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    if api:
        return {"Authorization": f"Bearer {issue_access_token(settings, user.public_id, session.public_id)}"}
    return {"Cookie": f"{SESSION_COOKIE}={secret}"}


async def _csrf(client: httpx.AsyncClient) -> str:
    r = await client.get("/")
    return r.cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: r.value if r else "anonymous")
async def test_guards_let_in_exactly_the_declared_roles(client, app: Litestar, settings, role: Role | None) -> None:
    await accounts.create_organisation("foundation", "矩阵测试组织", None, "test")
    wrong: list[str] = []
    user = None
    if role is not None:
        user, _ = await signed_in(settings, *([role] if role is not Role.CITIZEN else []))
    csrf = await _csrf(client)
    checked = 0
    for method, path, handler in route_table(app):
        allowed = declared_roles(handler)
        if allowed is None:
            continue
        api = path.startswith("/api/")
        if user is not None:
            await User.filter(id=user.id).update(deleted_at=None, is_active=True)  # undo a deletion route
        headers = await _fresh_credentials(user, settings, api)
        if not api and method not in {"GET", "HEAD"}:
            headers["x-csrftoken"] = csrf
            if csrf:
                headers["Cookie"] = "; ".join(filter(None, [headers.get("Cookie"), f"csrftoken={csrf}"]))
        r = await client.request(method, concrete(path), headers=headers, json={} if method != "GET" else None)
        code = None
        if r.headers.get("content-type", "").startswith("application/json"):
            body = r.json()
            code = body.get("code") if isinstance(body, dict) else None
        refused = r.status_code in (401, 403) and code in GUARD_REFUSALS
        # every signed-in user is also a citizen
        should_pass = role is not None and bool({role.value, Role.CITIZEN.value} & allowed)
        if should_pass == refused:
            wrong.append(f"{method} {path}: {r.status_code} {code} (allowed: {sorted(allowed)})")
        checked += 1
    assert checked > 0
    assert not wrong, "\n".join(wrong)


# Issue 8's partner roles each guard only their own domain's routes: a scenic operator cannot reach an
# event organiser's (or a court's) routes and the other way round; the guard walk above proves the
# roles are enforced, this proves which routes each role is declared on.
PARTNER_ROLE_PATHS = {
    Role.SCENIC_OPERATOR.value: ("/api/v1/tourism", "/tourism"),
    Role.EVENT_ORGANISER.value: ("/api/v1/events", "/events/"),
}


@pytest.mark.parametrize("role", sorted(PARTNER_ROLE_PATHS))
def test_a_partner_role_is_declared_only_on_its_own_domains_routes(app: Litestar, role: str) -> None:
    mine = [(m, p) for m, p, h in route_table(app) if role in (declared_roles(h) or frozenset())]
    assert mine, f"no route declares {role}"
    elsewhere = [f"{m} {p}" for m, p in mine if not p.startswith(PARTNER_ROLE_PATHS[role])]
    assert not elsewhere, f"{role} is let into another domain's routes: {elsewhere}"
    others = {r for r in PARTNER_ROLE_PATHS if r != role}
    shared = [f"{m} {p}" for m, p, h in route_table(app) if p.startswith(PARTNER_ROLE_PATHS[role])
              and others & (declared_roles(h) or frozenset())]  # fmt: skip
    assert not shared, f"another partner role is let into {role}'s routes: {shared}"


async def test_an_event_organiser_holds_the_role_only_in_an_organisation_that_fits(db) -> None:
    from app.core.errors import AppError

    user = await User.create(public_id="matrix-event-organiser")
    for kind in ("event_organiser", "company", "foundation"):
        org = await accounts.create_organisation(kind, f"矩阵活动主办方-{kind}", None, "test")
        await accounts.grant_role(user, Role.EVENT_ORGANISER.value, org, actor="test")
    for kind in ("court", "scenic_operator", "verifier_body"):
        org = await accounts.create_organisation(kind, f"矩阵其他组织-{kind}", None, "test")
        with pytest.raises(AppError) as refused:
            await accounts.grant_role(user, Role.EVENT_ORGANISER.value, org, actor="test")
        assert refused.value.key == "accounts.role_wrong_org_kind"
