"""OPTIONS answers the whole Allow list of a path, however its handlers were registered (litestar#4169)."""

from __future__ import annotations

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from app.core.auth import GRANTABLE_ROLES
from app.settings import Settings
from tests.helpers import signed_in


class TestOptions:
    async def test_a_path_served_by_two_handlers_lists_both_methods(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        _, headers = await signed_in(settings)
        r = await client.options("/api/v1/me", headers=headers)
        assert r.status_code == 204
        assert set(r.headers["allow"].split(", ")) == {"GET", "PATCH", "OPTIONS"}

    async def test_every_api_path_without_parameters_lists_exactly_its_methods(
        self, client: httpx.AsyncClient, app: Litestar, settings: Settings
    ) -> None:
        # OPTIONS shares its path's guards, so it is asked by someone holding every role.
        _, headers = await signed_in(settings, *GRANTABLE_ROLES)
        checked = 0
        for route in app.routes:
            if not isinstance(route, HTTPRoute) or "{" in route.path or not route.path.startswith("/api/"):
                continue
            r = await client.options(route.path, headers=headers)
            assert r.status_code == 204, route.path
            assert set(r.headers["allow"].split(", ")) == set(route.methods), route.path
            checked += 1
        assert checked > 40
