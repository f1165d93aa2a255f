"""Page sign-in: the CSRF-protected phone form, the ms_session cookie, /me, sign-out, and the
development-only SMS outbox that must not exist in production."""

from __future__ import annotations

import hashlib
import re

import httpx

from app.main import create_app
from models.accounts import AuthSession
from tests.conftest import running

PHONE = "13912345678"


def csrf_of(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the form has no CSRF field"
    return match.group(1)


async def open_form(client: httpx.AsyncClient, path: str = "/sign-in") -> str:
    r = await client.get(path)
    assert r.status_code == 200, r.text
    return csrf_of(r.text)


async def sign_in_by_page(client: httpx.AsyncClient, app, phone: str = PHONE) -> httpx.Response:
    token = await open_form(client)
    r = await client.post("/sign-in/send", data={"phone": phone, "next": "/me", "_csrf_token": token})
    assert r.status_code == 200, r.text
    assert 'name="code"' in r.text
    code = app.state.sms.last_to(phone).params[0]
    return await client.post(
        "/sign-in/verify", data={"phone": phone, "code": code, "next": "/me", "_csrf_token": csrf_of(r.text)}
    )


class TestSignInPage:
    async def test_chinese_by_default_and_english_on_request(self, client) -> None:
        r = await client.get("/sign-in")
        assert r.status_code == 200
        assert "获取验证码" in r.text and 'lang="zh-CN"' in r.text
        r = await client.get("/sign-in?lang=en")
        assert "Send code" in r.text and 'action="/sign-in/send?lang=en"' in r.text

    async def test_form_sign_in_sets_a_secure_session_cookie_and_shows_me(self, client, app) -> None:
        r = await sign_in_by_page(client, app)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/me")
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("ms_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
        assert "Secure" not in cookie  # test settings are not production
        value = cookie.split(";", 1)[0].split("=", 1)[1]
        session = await AuthSession.get()
        assert session.kind == "cookie" and session.secret_hash == hashlib.sha256(value.encode()).hexdigest()
        me = await client.get("/me")
        assert me.status_code == 200
        assert "139****5678" in me.text and PHONE not in me.text
        assert "公众" in me.text

    async def test_posting_without_the_csrf_token_is_refused(self, client) -> None:
        await client.get("/sign-in")
        r = await client.post("/sign-in/send", data={"phone": PHONE})
        assert r.status_code == 403
        assert await AuthSession.all().count() == 0

    async def test_an_invalid_phone_renders_the_form_again_with_the_message(self, client) -> None:
        token = await open_form(client)
        r = await client.post(
            "/sign-in/send", data={"phone": "123", "_csrf_token": token}, headers={"Accept": "text/html"}
        )
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("text/html")
        assert "手机号（phone）格式不正确" in r.text
        assert 'value="123"' in r.text

    async def test_a_wrong_code_renders_the_code_step_again(self, client, app) -> None:
        token = await open_form(client)
        r = await client.post("/sign-in/send", data={"phone": PHONE, "_csrf_token": token})
        code = app.state.sms.last_to(PHONE).params[0]
        bad = f"{(int(code) + 1) % 1_000_000:06d}"
        r = await client.post("/sign-in/verify", data={"phone": PHONE, "code": bad, "_csrf_token": csrf_of(r.text)})
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("text/html")
        assert "验证码不正确" in r.text and 'name="code"' in r.text
        assert "ms_session=" not in r.headers.get("set-cookie", "")

    async def test_too_many_sends_render_the_page_with_retry_after(self, client) -> None:
        token = await open_form(client)
        await client.post("/sign-in/send", data={"phone": PHONE, "_csrf_token": token})
        r = await client.post("/sign-in/send", data={"phone": PHONE, "_csrf_token": token})
        assert r.status_code == 429
        assert r.headers["content-type"].startswith("text/html")
        assert "秒后再试" in r.text
        assert int(r.headers["retry-after"]) >= 1

    async def test_next_only_goes_to_local_paths(self, client, app) -> None:
        token = await open_form(client)
        r = await client.post(
            "/sign-in/send", data={"phone": PHONE, "next": "https://evil.example/", "_csrf_token": token}
        )
        code = app.state.sms.last_to(PHONE).params[0]
        r = await client.post(
            "/sign-in/verify",
            data={"phone": PHONE, "code": code, "next": "//evil.example/", "_csrf_token": csrf_of(r.text)},
        )
        assert r.status_code == 303
        assert r.headers["location"].startswith("/me")

    async def test_secure_cookie_in_production(self, settings) -> None:
        # Production refuses sandbox providers at start-up; the cookie flags are what is checked here.
        app = create_app(settings.with_(environment="production"))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t") as c:
                r = await sign_in_by_page(c, app)
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("ms_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie


class TestMePageAndSignOut:
    async def test_me_page_without_a_session_redirects_to_the_form(self, client) -> None:
        r = await client.get("/me")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/sign-in?next=/me")

    async def test_sign_out_revokes_the_cookie_session(self, client, app) -> None:
        await sign_in_by_page(client, app)
        me = await client.get("/me")
        r = await client.post("/sign-out", data={"_csrf_token": csrf_of(me.text)})
        assert r.status_code == 303
        assert (await AuthSession.get()).revoked_at is not None
        assert (await client.get("/me")).status_code == 303

    async def test_a_stolen_cookie_stops_working_after_sign_out(self, client, app) -> None:
        r = await sign_in_by_page(client, app)
        value = r.cookies["ms_session"]
        me = await client.get("/me")
        await client.post("/sign-out", data={"_csrf_token": csrf_of(me.text)})
        again = await client.get("/me", headers={"Cookie": f"ms_session={value}"})
        assert again.status_code == 303

    async def test_sign_out_everywhere_from_the_page(self, client, app) -> None:
        await sign_in_by_page(client, app)
        me = await client.get("/me")
        r = await client.post("/sign-out-all", data={"_csrf_token": csrf_of(me.text)})
        assert r.status_code == 303
        assert await AuthSession.filter(revoked_at=None).count() == 0


class TestDevOutbox:
    async def test_shows_sent_codes_in_development(self, client, app) -> None:
        await client.post("/api/v1/auth/sms/send", json={"phone": PHONE})
        code = app.state.sms.last_to(PHONE).params[0]
        r = await client.get("/dev/sms-outbox")
        assert r.status_code == 200
        assert code in r.text and PHONE in r.text

    async def test_the_code_step_links_to_the_outbox_in_development_only(self, client) -> None:
        token = await open_form(client)
        r = await client.post("/sign-in/send", data={"phone": PHONE, "_csrf_token": token})
        assert 'href="/dev/sms-outbox' in r.text

    async def test_is_404_in_production_and_shows_no_codes(self, settings) -> None:
        app = create_app(settings.with_(environment="production"))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t") as c:
                form = await c.get("/sign-in")
                r = await c.post("/sign-in/send", data={"phone": PHONE, "_csrf_token": csrf_of(form.text)})
                assert r.status_code == 200
                assert "/dev/sms-outbox" not in r.text
                code = app.state.sms.last_to(PHONE).params[0]
                r = await c.get("/dev/sms-outbox")
        assert r.status_code == 404
        assert code not in r.text


class TestRedirectTargets:
    def test_only_plain_local_paths_are_followed_after_sign_in(self) -> None:
        from app.accounts.routes import _local_next

        assert _local_next("/notifications?lang=en") == "/notifications?lang=en"
        for hostile in ("//evil.com", "/\t/evil.com", "/\n/evil.com", "https://evil.com", "/\\evil.com", " /me", None):
            assert _local_next(hostile) == "/me", hostile
