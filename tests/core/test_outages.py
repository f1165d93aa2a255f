"""Outages (issue 9): without Redis the app serves from memory and the database and says it is degraded;
without the database it answers 503 with Retry-After, fast, never 500. bench/faults.py proves the same
on a served app with real outages; these pin each piece down."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.campaigns.live import channels_plugin
from app.core.cache import RedisHealth, WindowCounters, store_registry
from app.main import create_app
from tests.conftest import running

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once, as a stopped Redis is


class TestRedisDown:
    async def test_stores_and_counters_fall_back_to_this_workers_memory_and_say_so(self) -> None:
        redis = Redis.from_url(DEAD_REDIS, socket_connect_timeout=1)
        health = RedisHealth()
        try:
            store = store_registry(redis, "t", health).get("rate_limit")
            await store.set("k", b"v", expires_in=60)
            assert await store.get("k") == b"v"
            assert health.degraded and health.error
            counters = WindowCounters(redis, "t", health)
            hits = [(await counters.hit("sms:1", 2, 60)).allowed for _ in range(3)]
            assert hits == [True, True, False]  # the limit still holds, in this worker
        finally:
            await redis.aclose()

    async def test_recovery_is_noticed_once_and_runs_the_hooks_once(self) -> None:
        health, calls = RedisHealth(), []

        async def rebuild() -> None:
            calls.append("rebuild")

        health.on_recover.append(rebuild)
        health.succeeded()  # never down: nothing to recover from
        health.failed(ConnectionError("refused"))
        health.failed(ConnectionError("refused"))
        assert health.degraded and not health.should_try()  # no connect attempt per request while down
        health.succeeded()
        health.succeeded()
        await asyncio.sleep(0.01)
        assert calls == ["rebuild"] and not health.degraded

    async def test_the_app_serves_and_says_it_is_degraded(self, settings) -> None:
        app = create_app(settings.with_(redis_url=DEAD_REDIS, api_rate_limit_per_minute=600))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                board = await c.get("/api/v1/points/leaderboard/")  # through the rate limit's store
                assert board.status_code == 200
                assert board.headers["x-degraded"] == "redis"
                assert (await c.get("/api/v1/campaigns/")).status_code == 200
                ready = await c.get("/readyz")
        assert ready.status_code == 200  # the database answers: keep this worker in the load balancer
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["redis"].startswith("error")
        assert ready.json()["degraded"]

    async def test_a_live_subscription_refused_by_redis_leaves_no_channel_behind(self) -> None:
        """Before: the plugin kept the channel as subscribed, so no later reader of it was ever pushed to."""
        redis = Redis.from_url(DEAD_REDIS, socket_connect_timeout=1)
        plugin = channels_plugin(redis, "t")
        try:
            with pytest.raises(RedisConnectionError):
                await plugin.subscribe(["t:campaign:1:progress"])
            assert "t:campaign:1:progress" not in plugin._channels
        finally:
            await redis.aclose()


class TestDatabaseDown:
    async def test_requests_get_503_with_retry_after_in_the_request_language(self, settings) -> None:
        if settings.is_sqlite:
            pytest.skip("an embedded SQLite file cannot go away; the PostgreSQL run covers this")
        app = create_app(settings.with_(database_url="postgres://postgres@127.0.0.1:1/none"))
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                zh = await c.get("/api/v1/campaigns/")
                en = await c.get("/api/v1/campaigns/?lang=en")
                page = await c.get("/campaigns", headers={"Accept": "text/html"})
        assert zh.status_code == en.status_code == page.status_code == 503
        assert zh.headers["retry-after"] == "5"
        assert zh.json()["code"] == "error.unavailable"
        assert zh.json()["message"] == "服务暂时不可用，请稍后再试"
        assert en.json()["message"] == "Service temporarily unavailable"
        assert "text/html" in page.headers["content-type"]
