"""The OpenAPI spec documents the real error shape and the statuses the shared layers answer."""


async def spec(client) -> dict:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    return r.json()


class TestErrorDocumentation:
    async def test_errors_use_the_one_shape(self, client) -> None:
        doc = await spec(client)
        assert doc["components"]["schemas"]["Error"]["required"] == ["code", "message", "detail"]
        for path, item in doc["paths"].items():
            for method, operation in item.items():
                for status, response in operation["responses"].items():
                    if int(status) >= 400:
                        schema = response["content"]["application/json"]["schema"]
                        assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"

    async def test_guarded_routes_document_401_and_403_and_mutations_409(self, client) -> None:
        operation = (await spec(client))["paths"]["/api/v1/admin/organisations"]["post"]
        assert {"400", "401", "403", "409"} <= set(operation["responses"])

    async def test_public_routes_need_no_token_and_others_do(self, client) -> None:
        doc = await spec(client)
        assert doc["paths"]["/api/v1/audit/root"]["get"]["security"] == []
        assert doc["paths"]["/api/v1/auth/sms/send"]["post"]["security"] in ([], [{}])
        assert "security" not in doc["paths"]["/api/v1/me/export"]["get"]  # the global bearer requirement
        assert doc["security"] == [{"BearerToken": []}]

    async def test_a_validation_error_matches_what_the_spec_promises(self, client, settings) -> None:
        from app.core.auth import Role
        from tests.helpers import signed_in

        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        body = (await client.post("/api/v1/admin/organisations", json={"kind": 1}, headers=admin)).json()
        assert set(body) == {"code", "message", "detail"}

    async def test_mutations_declare_the_idempotency_key_header(self, client) -> None:
        operation = (await spec(client))["paths"]["/api/v1/admin/organisations"]["post"]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])

    async def test_the_schema_page_loads_nothing_from_elsewhere(self, client) -> None:
        r = await client.get("/schema")
        assert r.status_code == 200
        assert "http" not in r.headers["content-type"] and "<script" not in r.text
