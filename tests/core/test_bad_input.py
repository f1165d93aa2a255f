"""Bad input gets a clear 4xx in the request's language, never a 500 (found by a newcomer's probing)."""

from app.core.auth import Role
from tests.helpers import signed_in

ORGS = "/api/v1/admin/organisations"


class TestBadBodies:
    async def test_bytes_that_are_not_utf8_are_a_400(self, client) -> None:
        r = await client.post(
            "/api/v1/auth/sms/send", content=b'{"phone":"\xff\xfe"}', headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400
        assert r.json()["code"] == "error.bad_encoding"

    async def test_absurdly_nested_json_is_a_400(self, client) -> None:
        body = b'{"phone":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        r = await client.post("/api/v1/auth/sms/send", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        assert r.json()["code"] in {"error.too_deep", "error.validation", "error.bad_json"}

    async def test_malformed_json_says_it_is_not_json(self, client) -> None:
        r = await client.post(
            "/api/v1/auth/sms/send", content=b'{"phone": 138', headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400
        assert r.json()["code"] == "error.bad_json"
        assert "JSON" in r.json()["message"]

    async def test_an_unknown_field_is_named_and_explained_in_chinese(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(ORGS, json={"kind": "court", "name": "x", "foo": 1}, headers=admin)
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "foo"
        assert r.json()["detail"][0]["message"] == "不认识的字段 foo，请删除它"

    async def test_a_missing_body_says_so(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(ORGS, headers=admin)
        assert r.status_code == 400
        assert r.json()["detail"][0]["message"] == "缺少请求体（JSON）"

    async def test_type_problems_are_explained_in_the_requests_language(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(ORGS, json={"kind": 5, "name": "x"}, headers=admin)
        assert r.json()["detail"][0]["message"] == "类型应为 str，实际为 int"
        r = await client.post(ORGS, json={"kind": 5, "name": "x"}, headers={**admin, "Accept-Language": "en"})
        assert r.json()["detail"][0]["message"].startswith("Expected `str`, got `int`")


class TestIdsLongerThanAnyId:
    async def test_a_too_long_public_id_is_simply_not_found(self, client, settings) -> None:
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/memberships", json={"role": "platform_admin", "user": "a" * 27}, headers=admin
        )
        assert r.status_code in (400, 404)
        r = await client.post(f"/api/v1/notifications/{'a' * 40}/read", headers=admin)
        assert r.status_code == 404
