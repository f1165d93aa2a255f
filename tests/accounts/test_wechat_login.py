"""WeChat mini-program sign-in: the sandbox provider, and the real code2Session adapter against a
local fake WeChat server that speaks the published protocol (appid/secret/grant_type checks,
single-use codes, errcodes, JSON labelled text/plain)."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import httpx
import pytest
import uvicorn

from app.accounts.wechat import HttpWeChatLogin
from app.core.crypto import decrypt
from app.core.errors import AppError
from app.main import create_app
from models.accounts import AuthSession, User
from models.audit import AuditEvent
from tests.conftest import running

APPID = "wx0123456789abcdef"
SECRET = "fake-app-secret-0123456789abcdef"


class FakeWeChat:
    """GET /sns/jscode2session as api.weixin.qq.com answers it."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, str | None, str]] = {}
        self.used: set[str] = set()
        self.answers: list[int] = []  # errcodes to answer next, in order, before looking at the code
        self.delay_s = 0.0
        self.calls: list[dict[str, str]] = []
        self.raw_body: bytes | None = None
        self.url = ""

    def issue(self, openid: str | None = None, unionid: str | None = None) -> tuple[str, str, str]:
        """A fresh wx.login() code for a user: (code, openid, session_key)."""
        code = secrets.token_hex(16)
        openid = openid or "o" + secrets.token_hex(13)
        session_key = secrets.token_urlsafe(16)
        self.codes[code] = (openid, unionid, session_key)
        return code, openid, session_key

    async def __call__(self, scope, receive, send) -> None:
        assert scope["type"] == "http"
        if scope["method"] != "GET" or scope["path"] != "/sns/jscode2session":
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not found"})
            return
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        self.calls.append(query)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        body = self._answer(query)
        payload = self.raw_body if self.raw_body is not None else json.dumps(body).encode()
        # WeChat labels its JSON as text/plain.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": payload})

    def _answer(self, q: dict[str, str]) -> dict:
        if q.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if q.get("appid") != APPID:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if q.get("secret") != SECRET:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if self.answers:
            errcode = self.answers.pop(0)
            return {
                "errcode": errcode,
                "errmsg": {
                    -1: "system error",
                    45011: "api minute-quota reach limit",
                    40226: "invalid rule user",
                    40029: "invalid code",
                }.get(errcode, "error"),
            }
        code = q.get("js_code", "")
        if code in self.used:
            return {"errcode": 40163, "errmsg": "code been used"}
        if code not in self.codes:
            return {"errcode": 40029, "errmsg": "invalid code"}
        self.used.add(code)
        openid, unionid, session_key = self.codes[code]
        answer = {"session_key": session_key, "openid": openid}
        if unionid:
            answer["unionid"] = unionid
        return answer


@pytest.fixture
async def fake_wechat() -> AsyncIterator[FakeWeChat]:
    fake = FakeWeChat()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fake, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # up to 5 s
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the fake WeChat server did not start"
    try:
        yield fake
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def wx_client(settings, fake_wechat) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    app = create_app(settings.with_(wechat_login_base_url=fake_wechat.url, wechat_appid=APPID, wechat_secret=SECRET))
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            yield c, app


async def wechat(client: httpx.AsyncClient, code: str, **headers: str) -> httpx.Response:
    return await client.post("/api/v1/auth/wechat", json={"code": code}, headers=headers)


class TestSandboxWeChat:
    async def test_same_code_name_gives_the_same_openid_and_returns_tokens(self, client, settings) -> None:
        r = await wechat(client, "sandbox-alice")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer" and body["access_token"] and body["refresh_token"]
        assert body["user"]["wechat_linked"] is True
        assert body["user"]["phone"] is None
        user = await User.get()
        assert user.wechat_openid and user.wechat_openid.startswith("sbx-")
        assert user.wechat_session_key_enc is not None
        decrypt(settings.data_key, bytes(user.wechat_session_key_enc), "wechat_session_key")  # decrypts

    async def test_a_reused_code_is_refused_like_40029(self, client) -> None:
        assert (await wechat(client, "sandbox-bob")).status_code == 200
        r = await wechat(client, "sandbox-bob")
        assert r.status_code == 400
        assert r.json()["code"] == "signin.wechat_code_invalid"
        assert "wx.login()" in r.json()["message"]

    async def test_an_empty_code_is_a_validation_error(self, client) -> None:
        r = await wechat(client, "")
        assert r.status_code == 400
        assert "code" in r.json()["message"]

    async def test_sign_in_is_recorded_privately_not_in_the_public_chain(self, client) -> None:
        await wechat(client, "sandbox-carol")
        user = await User.get()
        session = await AuthSession.get(user_id=user.id)
        assert session.sign_in_method == "wechat" and session.kind == "token"
        # the public chain knows the account exists, not when or how its owner signs in
        assert await AuditEvent.filter(action__icontains="sign").count() == 0


class TestRealAdapterAgainstFakeWeChat:
    async def test_happy_path_signs_in_and_keeps_session_key_encrypted_and_private(
        self, wx_client, fake_wechat, settings
    ) -> None:
        client, _ = wx_client
        code, openid, session_key = fake_wechat.issue(unionid="union-1")
        r = await wechat(client, code)
        assert r.status_code == 200, r.text
        assert session_key not in r.text and "session_key" not in r.text
        assert fake_wechat.calls[-1] == {
            "appid": APPID,
            "secret": SECRET,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        user = await User.get(wechat_openid=openid)
        assert user.wechat_unionid == "union-1"
        blob = bytes(user.wechat_session_key_enc)
        assert session_key.encode() not in blob
        assert decrypt(settings.data_key, blob, "wechat_session_key") == session_key
        # Nor does any later response reveal it.
        token = r.json()["access_token"]
        for path in ("/api/v1/me",):
            assert session_key not in (await client.get(path, headers={"Authorization": f"Bearer {token}"})).text
        refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]})
        assert refreshed.status_code == 200 and session_key not in refreshed.text

    async def test_signing_in_again_finds_the_same_user_and_updates_the_session_key(
        self, wx_client, fake_wechat, settings
    ) -> None:
        client, _ = wx_client
        code1, openid, _ = fake_wechat.issue()
        code2 = secrets.token_hex(16)
        fake_wechat.codes[code2] = (openid, None, "second-key")
        first = (await wechat(client, code1)).json()["user"]["public_id"]
        second = (await wechat(client, code2)).json()["user"]["public_id"]
        assert first == second
        user = await User.get(wechat_openid=openid)
        assert decrypt(settings.data_key, bytes(user.wechat_session_key_enc), "wechat_session_key") == "second-key"

    async def test_unknown_code_40029_is_400(self, wx_client) -> None:
        client, _ = wx_client
        r = await wechat(client, "not-a-real-code")
        assert r.status_code == 400
        assert r.json()["code"] == "signin.wechat_code_invalid"
        assert "40029" in r.json()["message"]

    async def test_used_code_is_400_and_opens_no_second_session(self, wx_client, fake_wechat) -> None:
        client, _ = wx_client
        code, _, _ = fake_wechat.issue()
        assert (await wechat(client, code)).status_code == 200
        r = await wechat(client, code)
        assert r.status_code == 400
        assert r.json()["code"] == "signin.wechat_code_invalid"
        assert await AuthSession.all().count() == 1

    async def test_rate_limited_45011_is_429_with_retry_after(self, wx_client, fake_wechat) -> None:
        client, _ = wx_client
        fake_wechat.answers = [45011]
        r = await wechat(client, fake_wechat.issue()[0])
        assert r.status_code == 429
        assert r.json()["code"] == "signin.wechat_rate_limited"
        assert r.headers["retry-after"] == "60"

    async def test_high_risk_user_40226_is_403(self, wx_client, fake_wechat) -> None:
        client, _ = wx_client
        fake_wechat.answers = [40226]
        r = await wechat(client, fake_wechat.issue()[0], **{"Accept-Language": "en"})
        assert r.status_code == 403
        assert r.json()["code"] == "signin.wechat_user_blocked"
        assert "phone number" in r.json()["message"]

    async def test_busy_once_is_retried_and_succeeds(self, wx_client, fake_wechat) -> None:
        client, _ = wx_client
        fake_wechat.answers = [-1]
        code, _, _ = fake_wechat.issue()
        r = await wechat(client, code)
        assert r.status_code == 200, r.text
        assert len(fake_wechat.calls) == 2

    async def test_busy_twice_is_503(self, wx_client, fake_wechat) -> None:
        client, _ = wx_client
        fake_wechat.answers = [-1, -1]
        r = await wechat(client, fake_wechat.issue()[0])
        assert r.status_code == 503
        assert r.json()["code"] == "signin.wechat_busy"
        assert len(fake_wechat.calls) == 2

    async def test_other_errcodes_are_502_with_the_errcode(self, settings, fake_wechat) -> None:
        app = create_app(
            settings.with_(wechat_login_base_url=fake_wechat.url, wechat_appid=APPID, wechat_secret="wrong")
        )
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                r = await wechat(c, fake_wechat.issue()[0])
        assert r.status_code == 502
        assert r.json()["code"] == "signin.wechat_error"
        assert "40125" in r.json()["message"]

    async def test_answer_that_is_not_json_is_502(self, wx_client, fake_wechat) -> None:
        client, _ = wx_client
        fake_wechat.raw_body = b"<html>gateway error</html>"
        r = await wechat(client, fake_wechat.issue()[0])
        assert r.status_code == 502
        assert r.json()["code"] == "signin.wechat_bad_answer"

    async def test_timeout_is_503(self, fake_wechat) -> None:
        fake_wechat.delay_s = 1.0
        adapter = HttpWeChatLogin(fake_wechat.url, APPID, SECRET, timeout_s=0.2)
        with pytest.raises(AppError) as caught:
            await adapter.code2session(fake_wechat.issue()[0])
        assert caught.value.status_code == 503
        assert caught.value.key == "signin.wechat_unreachable"

    async def test_unreachable_server_is_503(self) -> None:
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        adapter = HttpWeChatLogin(f"http://127.0.0.1:{port}", APPID, SECRET, timeout_s=1)
        with pytest.raises(AppError) as caught:
            await adapter.code2session("any-code")
        assert caught.value.status_code == 503

    async def test_grant_type_and_credentials_are_sent_as_the_protocol_requires(self, fake_wechat) -> None:
        adapter = HttpWeChatLogin(fake_wechat.url, APPID, SECRET)
        code, openid, session_key = fake_wechat.issue()
        identity = await adapter.code2session(code)
        assert (identity.openid, identity.session_key, identity.unionid) == (openid, session_key, None)
        assert session_key not in repr(identity)
