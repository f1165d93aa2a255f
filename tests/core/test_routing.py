"""OPTIONS answers the whole Allow list of a path, however its handlers were registered (litestar#4169)."""

from __future__ import annotations

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute


class TestOptions:
    async def test_a_path_served_by_two_handlers_lists_both_methods(self, client: httpx.AsyncClient) -> None:
        r = await client.options("/api/v1/me")
        assert r.status_code == 204
        assert set(r.headers["allow"].split(", ")) == {"GET", "PATCH", "OPTIONS"}

    async def test_every_path_without_parameters_lists_exactly_its_methods(
        self, client: httpx.AsyncClient, app: Litestar
    ) -> None:
        checked = 0
        for route in app.routes:
            if not isinstance(route, HTTPRoute) or "{" in route.path or route.path.startswith("/static"):
                continue
            r = await client.options(route.path)
            assert r.status_code == 204, route.path
            assert set(r.headers["allow"].split(", ")) == set(route.methods), route.path
            checked += 1
        assert checked > 50
