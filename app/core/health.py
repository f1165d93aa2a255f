"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

from litestar import Controller, Request, Response, get
from tortoise import Tortoise


class HealthController(Controller):
    tags = ["operations"]
    opt = {"public": True}
    include_in_schema = True

    @get("/healthz", summary="The process is up")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", summary="The database (and Redis, when configured) answer")
    async def readyz(self, request: Request) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        try:
            conn = Tortoise.get_connection("default")
            await asyncio.wait_for(conn.execute_query("SELECT 1"), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks["database"] = f"error: {type(exc).__name__}"
        redis = request.app.state.redis
        if redis is not None:
            try:
                await asyncio.wait_for(redis.ping(), timeout=2)
                checks["redis"] = "ok"
            except Exception as exc:
                checks["redis"] = f"error: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return Response(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )
