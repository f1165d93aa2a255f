"""Mini-app tokens: short-lived access token naming a session, rotating refresh token whose reuse
revokes the session, logout that stops the access token at once, logout everywhere, and /me."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx

from app.accounts import service as accounts
from app.core.auth import issue_access_token
from models.accounts import AuthSession, User


async def sign_in(client: httpx.AsyncClient, name: str = "sandbox-alice") -> dict:
    r = await client.post("/api/v1/auth/wechat", json={"code": name})
    assert r.status_code == 200, r.text
    return r.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


class TestRefresh:
    async def test_rotates_the_refresh_token_and_keeps_only_hashes(self, client) -> None:
        first = await sign_in(client)
        r = await refresh(client, first["refresh_token"])
        assert r.status_code == 200, r.text
        second = r.json()
        assert second["refresh_token"] != first["refresh_token"]
        session = await AuthSession.get()
        assert session.secret_hash == hashlib.sha256(second["refresh_token"].encode()).hexdigest()
        assert session.previous_secret_hash == hashlib.sha256(first["refresh_token"].encode()).hexdigest()
        assert (await client.get("/api/v1/me", headers=bearer(second["access_token"]))).status_code == 200
        # The new refresh token rotates again.
        assert (await refresh(client, second["refresh_token"])).status_code == 200

    async def test_reusing_a_rotated_refresh_token_revokes_the_session(self, client) -> None:
        first = await sign_in(client)
        second = (await refresh(client, first["refresh_token"])).json()
        r = await refresh(client, first["refresh_token"])  # the thief (or the victim) replays the old one
        assert r.status_code == 401
        assert r.json()["code"] == "signin.refresh_reused"
        session = await AuthSession.get()
        assert session.revoked_at is not None
        # Both the current refresh token and the current access token stop working.
        assert (await refresh(client, second["refresh_token"])).status_code == 401
        me = await client.get("/api/v1/me", headers=bearer(second["access_token"]))
        assert me.status_code == 401
        assert me.json()["code"] == "auth.session_revoked"
        assert session.revoked_reason == "refresh_reuse"

    async def test_unknown_refresh_token_is_401(self, client) -> None:
        r = await refresh(client, "not-a-token")
        assert r.status_code == 401
        assert r.json()["code"] == "signin.refresh_invalid"

    async def test_expired_session_cannot_refresh(self, client) -> None:
        tokens = await sign_in(client)
        await AuthSession.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        r = await refresh(client, tokens["refresh_token"])
        assert r.status_code == 401
        assert r.json()["code"] == "signin.refresh_expired"

    async def test_a_disabled_account_cannot_refresh(self, client) -> None:
        tokens = await sign_in(client)
        await User.all().update(is_active=False)
        r = await refresh(client, tokens["refresh_token"])
        assert r.status_code == 403


class TestLogout:
    async def test_logout_stops_the_access_token_immediately(self, client) -> None:
        tokens = await sign_in(client)
        headers = bearer(tokens["access_token"])
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
        r = await client.post("/api/v1/auth/logout", headers=headers)
        assert r.status_code == 200
        me = await client.get("/api/v1/me", headers=headers)
        assert me.status_code == 401
        assert me.json()["code"] == "auth.session_revoked"
        assert (await refresh(client, tokens["refresh_token"])).status_code == 401

    async def test_logout_only_signs_out_this_device(self, client) -> None:
        phone = await sign_in(client, "sandbox-dave")
        user = await User.get()
        other = await AuthSession.create(
            public_id="b" * 32,
            user=user,
            kind="token",
            secret_hash="c" * 64,
            sign_in_method="wechat",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        await client.post("/api/v1/auth/logout", headers=bearer(phone["access_token"]))
        assert await AuthSession.filter(revoked_at=None).count() == 1
        await other.refresh_from_db()
        assert other.revoked_at is None

    async def test_logout_all_revokes_every_session_and_says_why(self, client) -> None:
        first = await sign_in(client, "sandbox-erin")
        user = await User.get()
        # A second device of the same user (a browser).
        other = await AuthSession.create(
            public_id="d" * 32,
            user=user,
            kind="cookie",
            secret_hash="e" * 64,
            sign_in_method="sms",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        r = await client.post("/api/v1/auth/logout-all", headers=bearer(first["access_token"]))
        assert r.status_code == 200
        assert r.json() == {"sessions_revoked": 2}
        assert await AuthSession.filter(revoked_at=None).count() == 0
        await other.refresh_from_db()
        assert other.revoked_at is not None
        assert (await client.get("/api/v1/me", headers=bearer(first["access_token"]))).status_code == 401
        assert set(await AuthSession.all().values_list("revoked_reason", flat=True)) == {"sign_out_everywhere"}

    async def test_logout_needs_a_token(self, client) -> None:
        r = await client.post("/api/v1/auth/logout")
        assert r.status_code == 401


class TestMe:
    async def test_shows_masked_phone_and_roles(self, client, app) -> None:
        await client.post("/api/v1/auth/sms/send", json={"phone": "13812341234"})
        code = app.state.sms.last_to("13812341234").params[0]
        tokens = (await client.post("/api/v1/auth/sms/login", json={"phone": "13812341234", "code": code})).json()
        user = await User.get()
        org = await accounts.create_organisation("foundation", "绿化基金会", None, "test")
        await accounts.grant_role(user, "organiser", org, "test")
        r = await client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
        assert r.status_code == 200
        body = r.json()
        assert body["phone"] == "138****1234"
        assert "13812341234" not in r.text
        assert {"role": "citizen", "organisation": None} in body["roles"]
        assert {"role": "organiser", "organisation": {"public_id": org.public_id, "name": "绿化基金会"}} in body[
            "roles"
        ]

    async def test_without_a_token_is_401(self, client) -> None:
        r = await client.get("/api/v1/me")
        assert r.status_code == 401

    async def test_an_expired_access_token_is_401_saying_so(self, client, settings) -> None:
        await sign_in(client)
        session = await AuthSession.get()
        user = await User.get()
        old = issue_access_token(
            settings, user.public_id, session.public_id, now=datetime.now(UTC) - timedelta(hours=1)
        )
        r = await client.get("/api/v1/me", headers=bearer(old))
        assert r.status_code == 401
        assert r.json()["code"] == "auth.token_expired"

    async def test_the_cookie_does_not_authorise_the_api(self, client, settings) -> None:
        await sign_in(client)
        user = await User.get()
        await AuthSession.create(
            public_id="f" * 32,
            user=user,
            kind="cookie",
            secret_hash=hashlib.sha256(b"cookie-secret").hexdigest(),
            sign_in_method="sms",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
        r = await client.get("/api/v1/me", headers={"Cookie": "ms_session=cookie-secret"})
        assert r.status_code == 401
