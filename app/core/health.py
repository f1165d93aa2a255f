"""Liveness and readiness for load balancers and orchestrators, and the `X-Degraded` response header.

The database is the truth: without it the worker is not ready (503). Redis only shares and speeds
things up: without it the worker still serves from the database and its own memory (app/core/cache.py),
so /readyz stays 200 with `"status": "degraded"`, naming the check and what is degraded, and every
response carries `X-Degraded: redis` until Redis answers again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message
from tortoise import Tortoise

from app.core.cache import DEGRADED_FEATURES, REDIS_DOWN, RedisHealth


class HealthController(Controller):
    tags = ["operations"]
    opt = {"public": True}
    include_in_schema = True

    @get("/healthz", summary="The process is up")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/readyz",
        summary="The database answers (503 if not); Redis, when configured, answers or the worker says it is degraded",
    )
    async def readyz(self, request: Request) -> Response[dict[str, object]]:
        checks: dict[str, str] = {}
        try:
            conn = Tortoise.get_connection("default")
            await asyncio.wait_for(conn.execute_query("SELECT 1"), timeout=2)
            checks["database"] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks["database"] = f"error: {type(exc).__name__}"
        redis = request.app.state.redis
        health: RedisHealth = request.app.state.redis_health
        if redis is not None:
            try:
                await asyncio.wait_for(redis.ping(), timeout=2)
                checks["redis"] = "ok"
                health.succeeded()  # the probe is often first to see Redis back: the recovery hooks run
            except (*REDIS_DOWN, TimeoutError) as exc:
                checks["redis"] = f"error: {type(exc).__name__}"
                health.failed(exc)
        body: dict[str, object] = {"checks": checks}
        if checks["database"] != "ok":
            body["status"] = "not ready"
            return Response(body, status_code=503)
        if checks.get("redis", "ok") != "ok":
            body["status"] = "degraded"
            body["degraded"] = DEGRADED_FEATURES
        else:
            body["status"] = "ready"
        return Response(body, status_code=200)


class DegradedHeaderMiddleware(ASGIMiddleware):
    """`X-Degraded: redis` on every response while this worker's Redis is known to be down."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, health: RedisHealth) -> None:
        self.health = health

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: ASGIApp) -> None:  # type: ignore[override]
        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and self.health.degraded:
                message["headers"] = [*message.get("headers", []), (b"x-degraded", b"redis")]
            await send(message)

        await next_app(scope, receive, send_marked)
