"""One Idempotency-Key mechanism for every mutating endpoint."""

from datetime import UTC, datetime, timedelta

from app.core.auth import Role
from app.core.i18n import t
from app.core.idempotency import _request_hash, _scope_hash
from models.accounts import Organisation
from models.core import IdempotencyRecord
from tests.helpers import signed_in

URL = "/api/v1/admin/organisations"


class TestIdempotencyKey:
    async def test_same_key_and_body_replays_the_first_response_and_creates_once(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "org-1"}
        first = await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        second = await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert await Organisation.all().count() == 1

    async def test_same_key_with_another_body_is_a_409_that_says_so(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "org-2"}
        await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        r = await client.post(
            URL, json={"kind": "court", "name": "另一个法院"}, headers={**headers, "Accept-Language": "en"}
        )
        assert r.status_code == 409
        assert r.json()["code"] == "idempotency.key_reused"
        assert "different request body" in r.json()["message"]
        assert await Organisation.all().count() == 1

    async def test_the_same_json_spaced_or_ordered_differently_is_the_same_body(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "spacing", "Content-Type": "application/json"}
        first = await client.post(URL, content='{"kind":"court","name":"法院"}'.encode(), headers=headers)
        again = await client.post(URL, content='{ "name": "法院",  "kind": "court" }'.encode(), headers=headers)
        assert again.status_code == first.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert await Organisation.all().count() == 1

    async def test_without_a_key_each_request_acts(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        answers = [await client.post(URL, json={"kind": "court", "name": "法院"}, headers=admin) for _ in range(2)]
        # the second request acted again: it met the first one's organisation instead of a replay
        assert [r.status_code for r in answers] == [201, 409]
        assert answers[1].json()["code"] == "accounts.org_exists"

    async def test_keys_belong_to_the_user_who_sent_them(self, client, settings) -> None:
        _, admin1 = await signed_in(settings, Role.PLATFORM_ADMIN)
        _, admin2 = await signed_in(settings, Role.PLATFORM_ADMIN)
        body = {"kind": "court", "name": "法院"}
        await client.post(URL, json=body, headers={**admin1, "Idempotency-Key": "same"})
        r = await client.post(URL, json=body, headers={**admin2, "Idempotency-Key": "same"})
        assert "idempotent-replayed" not in r.headers
        assert r.json()["code"] == "accounts.org_exists"  # admin 2's request ran on its own

    async def test_a_request_still_running_is_a_409_with_retry_after(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "busy"}
        await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        await IdempotencyRecord.filter(key="busy").update(status_code=None, response_body=None)
        r = await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        assert r.status_code == 409
        assert r.json()["code"] == "idempotency.in_progress"
        assert r.headers["retry-after"] == "1"

    async def test_a_claim_abandoned_by_a_crashed_worker_is_taken_over_after_the_lease(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "crashed"}
        await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        await Organisation.all().delete()  # as if the crashed first attempt had rolled back
        await IdempotencyRecord.filter(key="crashed").update(
            status_code=None, response_body=None, created_at=datetime.now(UTC) - timedelta(seconds=61)
        )
        r = await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        assert r.status_code == 201
        assert await Organisation.all().count() == 1

    async def test_stored_responses_are_encrypted_at_rest(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "secret"}
        first = await client.post(URL, json={"kind": "court", "name": "保密法院"}, headers=headers)
        stored = bytes((await IdempotencyRecord.get(key="secret")).response_body)
        assert first.json()["public_id"].encode() not in stored
        assert "保密法院".encode() not in stored
        replay = await client.post(URL, json={"kind": "court", "name": "保密法院"}, headers=headers)
        assert replay.json() == first.json()

    async def test_a_refusal_for_who_you_are_is_not_kept_so_the_key_works_after_signing_in(
        self, client, settings
    ) -> None:
        _, organiser = await signed_in(settings, Role.ORGANISER)
        r = await client.post(URL, json={"kind": "court", "name": "法院"}, headers={"Idempotency-Key": "k1"})
        assert r.status_code == 401
        assert await IdempotencyRecord.filter(key="k1").count() == 0
        r = await client.post(
            URL, json={"kind": "court", "name": "法院"}, headers={**organiser, "Idempotency-Key": "k2"}
        )
        assert r.status_code == 403
        assert await IdempotencyRecord.filter(key="k2").count() == 0

    async def test_an_expired_key_may_be_used_again(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "old"}
        await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        await IdempotencyRecord.filter(key="old").update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        r = await client.post(URL, json={"kind": "court", "name": "另一个法院"}, headers=headers)
        assert r.status_code == 201
        assert await Organisation.all().count() == 2

    async def test_an_error_response_is_replayed_too_so_a_retry_cannot_change_the_outcome(
        self, client, settings
    ) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        headers = {**admin, "Idempotency-Key": "bad"}
        first = await client.post(URL, json={"kind": "club", "name": "x"}, headers=headers)
        second = await client.post(URL, json={"kind": "club", "name": "x"}, headers=headers)
        assert first.status_code == second.status_code == 400
        assert second.headers["idempotent-replayed"] == "true"

    async def test_an_unusable_key_is_a_400(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(URL, json={"kind": "court", "name": "x"}, headers={**admin, "Idempotency-Key": "k" * 300})
        assert r.status_code == 400
        assert r.json()["code"] == "idempotency.bad_key"
        assert await Organisation.all().count() == 0


def _anonymous_claim(settings, path: str, body: bytes, status_code: int | None = None) -> dict:
    """The row an anonymous request from the test client's address would have left on `path` (a claim
    whose removal failed with the database, or another caller behind the same address still running)."""
    scope = {"type": "http", "method": "POST", "path": path, "headers": [], "client": ("127.0.0.1", 123)}
    return {
        "scope": _scope_hash(scope, settings),
        "request_hash": _request_hash(scope, body),
        "status_code": status_code,
        "response_body": None,
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
    }


class TestAnonymousCallerOnAGuardedRoute:
    """No credentials on a route that needs sign-in: always the guard's 401, and the key is not claimed."""

    async def test_the_same_key_reused_anonymously_is_401_both_times_and_nothing_is_stored(
        self, client, settings
    ) -> None:
        headers = {"Idempotency-Key": "anon-1", "Accept-Language": "en"}
        first = await client.post(URL, json={"kind": "court", "name": "法院"}, headers=headers)
        # as if the first claim had stayed (its removal failed): a reuse with another body met it
        await IdempotencyRecord.create(key="anon-1", **_anonymous_claim(settings, URL, b'{"kind":"court","name":"x"}'))
        second = await client.post(URL, json={"kind": "court", "name": "另一个法院"}, headers=headers)
        assert first.status_code == second.status_code == 401
        assert first.json()["code"] == second.json()["code"] == "error.unauthorized"
        assert "sign in" in second.json()["message"].lower()
        assert await IdempotencyRecord.filter(key="anon-1").count() == 1  # only the row we put there
        assert await Organisation.all().count() == 0

    async def test_a_key_in_flight_for_the_same_address_is_still_a_401_in_the_callers_language(
        self, client, settings
    ) -> None:
        body = b'{"kind":"court","name":"\xe6\xb3\x95\xe9\x99\xa2"}'
        await IdempotencyRecord.create(key="anon-busy", **_anonymous_claim(settings, URL, body))
        r = await client.post(
            URL, content=body, headers={"Idempotency-Key": "anon-busy", "Content-Type": "application/json"}
        )
        assert r.status_code == 401
        assert r.json()["code"] == "error.unauthorized"
        assert r.json()["message"] == t("error.unauthorized", "zh")  # no Accept-Language: zh
        assert "retry-after" not in r.headers
        assert await IdempotencyRecord.filter(key="anon-busy", status_code=None).count() == 1  # untouched

    async def test_an_expired_token_is_told_so_not_the_key_state(self, client, settings) -> None:
        await IdempotencyRecord.create(key="anon-old", **_anonymous_claim(settings, URL, b"{}"))
        r = await client.post(
            URL, json={"a": 1}, headers={"Idempotency-Key": "anon-old", "Authorization": "Bearer not-a-token"}
        )
        assert r.status_code == 401
        assert r.json()["code"] == "auth.token_invalid"

    async def test_an_unusable_key_does_not_hide_the_401(self, client) -> None:
        r = await client.post(URL, json={"kind": "court", "name": "x"}, headers={"Idempotency-Key": "k" * 300})
        assert r.status_code == 401
        assert await IdempotencyRecord.all().count() == 0

    async def test_public_routes_keep_their_idempotency_for_anonymous_callers(self, client) -> None:
        headers = {"Idempotency-Key": "sms-1"}
        first = await client.post("/api/v1/auth/sms/send", json={"phone": "13800138000"}, headers=headers)
        again = await client.post("/api/v1/auth/sms/send", json={"phone": "13800138000"}, headers=headers)
        assert first.status_code == again.status_code == 200
        assert again.headers["idempotent-replayed"] == "true"
        other = await client.post("/api/v1/auth/sms/send", json={"phone": "13900139000"}, headers=headers)
        assert other.status_code == 409
        assert other.json()["code"] == "idempotency.key_reused"
