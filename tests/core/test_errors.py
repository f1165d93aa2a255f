"""One error shape, Chinese by default, English on request, no stack traces."""


class TestErrorShape:
    async def test_unknown_path_is_404_in_chinese_by_default(self, client) -> None:
        r = await client.get("/api/v1/nothing-here")
        assert r.status_code == 404
        assert r.json() == {"code": "error.not_found", "message": "找不到您请求的内容", "detail": None}

    async def test_accept_language_english_gives_english(self, client) -> None:
        r = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
        assert r.json()["message"] == "Not found"

    async def test_chinese_preferred_over_english_by_q_value(self, client) -> None:
        r = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "en;q=0.3, zh-CN;q=0.9"})
        assert r.json()["message"] == "找不到您请求的内容"


class TestErrorPages:
    async def test_a_browser_gets_an_html_error_page_in_its_language(self, client) -> None:
        r = await client.get("/no-such-page", headers={"Accept": "text/html"})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "找不到您请求的内容" in r.text and "返回首页" in r.text
        r = await client.get("/no-such-page?lang=en", headers={"Accept": "text/html"})
        assert "Back to the home page" in r.text

    async def test_the_api_answers_json_even_to_a_browser(self, client) -> None:
        r = await client.get("/api/v1/nothing", headers={"Accept": "text/html"})
        assert r.headers["content-type"].startswith("application/json")


class TestValidationErrors:
    async def test_a_wrong_type_names_the_field_in_chinese_and_english(self, client, settings) -> None:
        from app.core.auth import Role
        from tests.helpers import signed_in

        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post("/api/v1/admin/organisations", json={"kind": 5, "name": "x"}, headers=admin)
        assert r.status_code == 400
        body = r.json()
        assert body["code"] == "error.validation"
        assert body["message"] == "请求参数有误：kind"
        assert body["detail"][0]["field"] == "kind"
        r = await client.post(
            "/api/v1/admin/organisations", json={"kind": 5, "name": "x"}, headers={**admin, "Accept-Language": "en"}
        )
        assert r.json()["message"] == "Invalid request: kind"

    async def test_malformed_json_is_a_400_not_a_500(self, client, settings) -> None:
        from app.core.auth import Role
        from tests.helpers import signed_in

        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/organisations", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
        )
        assert r.status_code == 400
        assert "Traceback" not in r.text


class TestInternalErrors:
    async def test_an_unexpected_exception_is_a_500_with_the_request_id_and_no_trace(self, settings) -> None:
        import httpx
        from litestar import get

        from app.main import create_app
        from tests.conftest import running

        @get("/api/v1/boom", opt={"public": True})
        async def boom() -> None:
            raise RuntimeError("secret internals /etc/passwd")

        app = create_app(settings)
        app.register(boom)
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                r = await c.get("/api/v1/boom", headers={"X-Request-ID": "req-42"})
        assert r.status_code == 500
        body = r.json()
        assert body["code"] == "error.internal"
        assert "req-42" in body["message"]
        assert "secret internals" not in r.text and "Traceback" not in r.text


class TestMissingField:
    async def test_a_missing_required_field_is_named_in_the_message(self, client, settings) -> None:
        from app.core.auth import Role
        from tests.helpers import signed_in

        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post("/api/v1/admin/organisations", json={"name": "x"}, headers=admin)
        assert r.status_code == 400
        assert r.json()["message"] == "请求参数有误：kind"
        assert r.json()["detail"][0]["field"] == "kind"
