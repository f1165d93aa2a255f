"""Operations endpoints: liveness, readiness, metrics, OpenAPI."""

import httpx


class TestHealth:
    async def test_healthz_says_ok(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/healthz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok"}

    async def test_readyz_checks_the_database_and_redis_when_configured(self, client, settings) -> None:
        r = await client.get("/readyz")
        assert r.status_code == 200
        checks = r.json()["checks"]
        assert checks["database"] == "ok"
        assert ("redis" in checks) == (settings.redis_url is not None)

    async def test_readyz_is_503_and_names_the_database_when_it_cannot_answer(self, settings) -> None:
        from app.main import create_app
        from tests.conftest import running

        unreachable = (
            "postgres://postgres@127.0.0.1:1/none" if not settings.is_sqlite else "sqlite:///nonexistent-dir/x.sqlite3"
        )
        app = create_app(settings.with_(database_url=unreachable))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                r = await c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["database"].startswith("error")

    async def test_probes_get_no_csrf_cookie_but_pages_still_do(self, client) -> None:
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert "set-cookie" not in (await client.get(probe)).headers, probe
        assert "csrftoken=" in (await client.get("/")).headers.get("set-cookie", "")

    async def test_metrics_are_prometheus_text(self, client) -> None:
        await client.get("/healthz")
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert "microsink_requests_total" in r.text

    async def test_every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(self, client) -> None:
        r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123"
        r = await client.get("/healthz", headers={"X-Request-ID": "bad id\n with spaces"})
        assert r.headers["x-request-id"] != "bad id\n with spaces"
        assert len(r.headers["x-request-id"]) == 32

    async def test_openapi_is_served_at_schema(self, client) -> None:
        r = await client.get("/schema/openapi.json")
        assert r.status_code == 200
        assert r.json()["openapi"].startswith("3.1")


class TestHomeLinks:
    async def test_every_link_on_the_home_page_answers(self, client) -> None:
        import re

        home = await client.get("/")
        assert home.status_code == 200
        links = set(re.findall(r'href="(/[^"]*)"', home.text))
        assert {"/campaigns?lang=zh", "/registry?lang=zh", "/verify?lang=zh"} <= links
        for link in links:
            r = await client.get(link)
            assert r.status_code in (200, 303), f"{link}: {r.status_code}"
