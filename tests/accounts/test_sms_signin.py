"""Phone + SMS code sign-in: codes are hashed, short-lived, single use, locked after wrong tries,
and sending is rate limited per phone and per client address (shared across workers on Redis)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from app.core.crypto import blind_index
from app.main import create_app
from models.accounts import AuthSession, User
from models.audit import AuditEvent
from models.signin import SmsCode
from tests.conftest import redis_only, running

PHONE = "13800138000"


def last_code(app, phone: str = PHONE) -> str:
    sent = app.state.sms.last_to(phone)
    assert sent is not None, "the sandbox provider sent nothing to this phone"
    return sent.params[0]


async def send(client: httpx.AsyncClient, phone: str = PHONE) -> httpx.Response:
    return await client.post("/api/v1/auth/sms/send", json={"phone": phone})


async def login(client: httpx.AsyncClient, code: str, phone: str = PHONE) -> httpx.Response:
    return await client.post("/api/v1/auth/sms/login", json={"phone": phone, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class TestSendCode:
    async def test_sends_six_digits_and_stores_only_a_keyed_hash(self, client, app, settings) -> None:
        r = await send(client, "+86 138-0013-8000")
        assert r.status_code == 200, r.text
        assert r.json() == {"phone": "138****8000", "expires_in": 300, "resend_after": 60}
        code = last_code(app)
        assert len(code) == 6 and code.isdigit()
        rows = await SmsCode.all()
        assert len(rows) == 1
        row = rows[0]
        assert row.phone_index == blind_index(settings.blind_index_key, PHONE, "phone")
        assert code not in row.code_hash and PHONE not in row.phone_index
        assert row.provider_message_id and row.provider_message_id.startswith("sandbox-")
        assert abs((row.expires_at - datetime.now(UTC)).total_seconds() - 300) < 5

    async def test_invalid_phone_is_400_naming_the_field(self, client) -> None:
        r = await send(client, "12345")
        assert r.status_code == 400
        body = r.json()
        assert body["code"] == "accounts.invalid_phone"
        assert "phone" in body["message"]
        assert body["detail"][0]["field"] == "phone"
        r = await client.post("/api/v1/auth/sms/send", json={"phone": "12345"}, headers={"Accept-Language": "en"})
        assert r.json()["message"].startswith("phone:")

    async def test_missing_phone_is_a_validation_error_naming_the_field(self, client) -> None:
        r = await client.post("/api/v1/auth/sms/send", json={})
        assert r.status_code == 400
        assert r.json()["detail"][0] == {"field": "phone", "source": "body", "message": "缺少必填字段 phone"}

    async def test_a_new_code_supersedes_the_previous_one(self, settings) -> None:
        fast = settings.with_(sms_per_phone_per_minute=5)  # allow a second send within the minute
        fast_app = create_app(fast)
        async with running(fast_app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fast_app), base_url="http://t") as c:
                assert (await send(c)).status_code == 200
                first = last_code(fast_app)
                assert (await send(c)).status_code == 200
                second = last_code(fast_app)
                if first != second:  # one chance in a million that they are equal
                    r = await login(c, first)
                    assert r.status_code == 400
                    assert r.json()["code"] == "signin.code_wrong"
                r = await login(c, second)
                assert r.status_code == 200, r.text

    async def test_provider_failure_is_503_and_does_not_use_up_the_limit(self, client, app) -> None:
        class Broken:
            async def send(self, phone, template_id, params):
                raise RuntimeError("provider down")

        sandbox = app.state.sms
        app.state.sms = Broken()
        r = await send(client)
        assert r.status_code == 503
        assert r.json()["code"] == "signin.sms_send_failed"
        assert await SmsCode.all().count() == 0
        app.state.sms = sandbox
        r = await send(client)  # the failed attempt did not count against the per-minute limit
        assert r.status_code == 200, r.text


class TestSmsLogin:
    async def test_right_code_signs_in_creates_the_user_and_returns_tokens(self, client, app) -> None:
        await send(client)
        r = await login(client, last_code(app))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 15 * 60
        assert body["access_token"] and body["refresh_token"]
        assert body["user"]["phone"] == "138****8000"
        assert body["user"]["roles"] == [{"role": "citizen", "organisation": None}]
        assert await User.all().count() == 1
        session = await AuthSession.get()
        assert session.kind == "token" and session.sign_in_method == "sms"
        assert body["refresh_token"] not in session.secret_hash
        assert await AuditEvent.filter(action="user.created", entity_id=body["user"]["public_id"]).count() == 1

    async def test_second_sign_in_finds_the_same_user(self, client, app) -> None:
        await send(client)
        first = (await login(client, last_code(app))).json()["user"]["public_id"]
        await app.state.counters.undo(f"sms:phone-minute:{(await SmsCode.first()).phone_index}")
        assert (await send(client)).status_code == 200
        second = (await login(client, last_code(app))).json()["user"]["public_id"]
        assert first == second
        assert await User.all().count() == 1

    async def test_a_code_works_only_once(self, client, app) -> None:
        await send(client)
        code = last_code(app)
        assert (await login(client, code)).status_code == 200
        r = await login(client, code)
        assert r.status_code == 400
        assert r.json()["code"] == "signin.code_used"

    async def test_an_expired_code_is_refused(self, client, app) -> None:
        await send(client)
        await SmsCode.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        r = await login(client, last_code(app))
        assert r.status_code == 400
        assert r.json()["code"] == "signin.code_expired"
        assert await AuthSession.all().count() == 0

    async def test_a_code_one_second_before_expiry_still_works(self, client, app) -> None:
        await send(client)
        await SmsCode.all().update(expires_at=datetime.now(UTC) + timedelta(seconds=2))
        assert (await login(client, last_code(app))).status_code == 200

    async def test_wrong_code_says_how_many_tries_are_left(self, client, app) -> None:
        await send(client)
        r = await login(client, wrong(last_code(app)))
        assert r.status_code == 400
        assert r.json()["code"] == "signin.code_wrong"
        assert "4" in r.json()["message"]

    async def test_five_wrong_tries_lock_the_code_even_against_the_right_one(self, client, app) -> None:
        await send(client)
        code = last_code(app)
        for i in range(4):
            r = await login(client, wrong(code))
            assert r.json()["code"] == "signin.code_wrong", i
        r = await login(client, wrong(code))
        assert r.json()["code"] == "signin.code_locked"
        r = await login(client, code)
        assert r.status_code == 400
        assert r.json()["code"] == "signin.code_locked"
        assert (await SmsCode.get()).attempts == 5
        assert await AuthSession.all().count() == 0

    async def test_without_a_code_requested_it_says_to_request_one(self, client) -> None:
        r = await login(client, "123456")
        assert r.status_code == 400
        assert r.json()["code"] == "signin.code_not_requested"

    async def test_a_malformed_code_is_400_naming_the_field(self, client, app) -> None:
        await send(client)
        r = await login(client, "12ab")
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "code"

    async def test_a_code_for_one_phone_does_not_work_for_another(self, client, app) -> None:
        await send(client)
        r = await login(client, last_code(app), phone="13900139000")
        assert r.status_code == 400
        assert r.json()["code"] == "signin.code_not_requested"


class TestSendLimits:
    async def test_one_code_per_phone_per_minute_with_retry_after(self, client) -> None:
        assert (await send(client)).status_code == 200
        r = await send(client)
        assert r.status_code == 429
        assert r.json()["code"] == "signin.sms_too_soon"
        retry_after = int(r.headers["retry-after"])
        assert 1 <= retry_after <= 60
        assert f"{retry_after} 秒" in r.json()["message"]
        assert (await send(client, "13900139000")).status_code == 200  # another phone is not affected

    async def test_ten_codes_per_phone_per_day(self, client, app) -> None:
        counters = app.state.counters
        index = None
        for i in range(10):
            r = await send(client)
            assert r.status_code == 200, (i, r.text)
            index = index or (await SmsCode.first()).phone_index
            await counters.undo(f"sms:phone-minute:{index}")  # skip the minute wait, keep the day count
        r = await send(client)
        assert r.status_code == 429
        assert r.json()["code"] == "signin.sms_daily_limit"
        assert int(r.headers["retry-after"]) > 23 * 3600

    async def test_per_client_address_per_hour(self, settings) -> None:
        app = create_app(settings.with_(sms_per_ip_per_hour=3))
        async with running(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5000)), base_url="http://t"
            ) as c:
                for n in range(3):
                    assert (await send(c, f"1390013900{n}")).status_code == 200
                r = await send(c, "13900139009")
                assert r.status_code == 429
                assert r.json()["code"] == "signin.sms_ip_limit"
                assert int(r.headers["retry-after"]) > 3500
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, client=("198.51.100.1", 5000)), base_url="http://t"
            ) as other:
                assert (await send(other, "13900139009")).status_code == 200

    async def test_a_refused_send_does_not_count_against_the_other_limits(self, settings) -> None:
        app = create_app(settings.with_(sms_per_ip_per_hour=2))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                assert (await send(c)).status_code == 200
                for _ in range(3):  # refused by the per-phone minute limit: must not eat the IP allowance
                    assert (await send(c)).status_code == 429
                assert (await send(c, "13900139000")).status_code == 200

    async def test_english_message_says_when_to_retry(self, client) -> None:
        await send(client)
        r = await client.post("/api/v1/auth/sms/send", json={"phone": PHONE}, headers={"Accept-Language": "en"})
        assert r.status_code == 429
        assert f"try again in {r.headers['retry-after']} seconds" in r.json()["message"]

    @redis_only
    async def test_limits_are_shared_by_two_app_instances_on_redis(self, settings) -> None:
        first, second = create_app(settings), create_app(settings)
        # Only one app may own the ORM's global context (STACK.md); the second serves requests with it.
        async with running(first):
            try:
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://a") as a:
                    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://b") as b:
                        assert (await send(a)).status_code == 200
                        r = await send(b)
                        assert r.status_code == 429, "the second worker did not see the first worker's send"
                        assert r.json()["code"] == "signin.sms_too_soon"
            finally:
                await second.state.redis.aclose()


class TestUnderConcurrency:
    async def test_parallel_sends_leave_exactly_one_live_code(self, settings) -> None:
        app = create_app(settings.with_(sms_per_phone_per_minute=50))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                answers = await asyncio.gather(*(send(c) for _ in range(8)))
                assert {r.status_code for r in answers} <= {200, 429}
                assert any(r.status_code == 200 for r in answers)
                live = await SmsCode.filter(used_at=None, superseded_at=None)
                assert len(live) == 1
                # Exactly one of the codes that went out is the live one, and it signs in.
                sent = {m.params[0] for m in app.state.sms.outbox()}
                key = settings.blind_index_key
                matching = [
                    x for x in sent if blind_index(key, f"{live[0].phone_index}:{x}", "sms_code") == live[0].code_hash
                ]
                assert len(matching) == 1
                assert (await login(c, matching[0])).status_code == 200

    async def test_the_right_code_sent_in_parallel_signs_in_once(self, client, app) -> None:
        await send(client)
        code = last_code(app)
        answers = await asyncio.gather(*(login(client, code) for _ in range(6)))
        assert sorted(r.status_code for r in answers) == [200] + [400] * 5
        assert await AuthSession.all().count() == 1

    async def test_parallel_wrong_codes_never_count_past_the_maximum(self, client, app) -> None:
        await send(client)
        code = last_code(app)
        answers = await asyncio.gather(*(login(client, wrong(code)) for _ in range(12)))
        assert all(r.status_code == 400 for r in answers)
        assert (await SmsCode.get()).attempts == 5
        assert (await login(client, code)).json()["code"] == "signin.code_locked"

    async def test_a_burst_of_guesses_gets_no_more_than_five_comparisons(self, client, app) -> None:
        """Counting before comparing: the right code arriving after five parallel wrong ones is refused."""
        await send(client)
        code = last_code(app)

        async def right_after_a_moment() -> httpx.Response:
            await asyncio.sleep(0.3)
            return await login(client, code)

        answers = await asyncio.gather(*(login(client, wrong(code)) for _ in range(5)), right_after_a_moment())
        assert answers[-1].json()["code"] == "signin.code_locked"
        assert await AuthSession.all().count() == 0
