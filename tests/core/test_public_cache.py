"""The micro-cache of anonymous public answers (app/core/public_cache.py): served again only while nothing
they rest on changed (campaign counters: up to a second after), never to or from a signed-in visitor, never
with someone's cookie, CSRF form or rate-limit headers, and every worker forgets when any worker writes
(through real Redis pub/sub when configured)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar, MediaType, get, post
from litestar.channels.backends.memory import MemoryChannelsBackend

from app.campaigns.live import LiveChannels, channels_plugin
from app.core import public_cache
from app.core.auth import Role
from app.core.cache import redis_client
from app.core.public_cache import PublicCache, PublicCacheMiddleware, announce_change, listening
from app.main import create_app
from app.settings import Settings
from tests.campaigns import test_api
from tests.campaigns.builders import campaign_dict, foundation
from tests.conftest import REDIS_URL, running
from tests.helpers import signed_in


@pytest.fixture
def cached_settings(settings: Settings) -> Settings:
    return settings.with_(public_cache_ttl_s=10)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cached_app(cached_settings: Settings) -> Litestar:
    return create_app(cached_settings)


@pytest.fixture
async def cached_client(cached_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running(cached_app):
        transport = httpx.ASGITransport(app=cached_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def _campaign(client: httpx.AsyncClient, settings: Settings) -> tuple[dict[str, Any], dict[str, str]]:
    org = await foundation()
    _, organiser = await signed_in(settings, Role.ORGANISER, org=org)
    raw = campaign_dict(org.public_id)
    assert (await client.put("/api/v1/campaigns/spring", json=raw, headers=organiser)).status_code == 200
    return raw, organiser


class TestThroughTheApp:
    async def test_an_anonymous_page_is_served_again_without_the_first_visitors_cookie(
        self, cached_client, cached_settings
    ) -> None:
        await _campaign(cached_client, cached_settings)
        first = await cached_client.get("/campaigns/spring")
        cached_client.cookies.clear()  # a new visitor, with no CSRF cookie yet
        again = await cached_client.get("/campaigns/spring")
        assert first.status_code == again.status_code == 200
        assert "x-cache" not in first.headers and again.headers["x-cache"] == "hit"
        assert again.text == first.text and "春季义务植树" in again.text
        assert "set-cookie" in first.headers  # the CSRF cookie of the first visitor…
        assert "set-cookie" not in again.headers  # …is never handed to the next one
        assert again.headers["x-request-id"] != first.headers["x-request-id"]

    async def test_language_and_query_string_are_part_of_the_key(self, cached_client, cached_settings) -> None:
        await _campaign(cached_client, cached_settings)
        await cached_client.get("/campaigns/spring")
        english = await cached_client.get("/campaigns/spring", headers={"Accept-Language": "en"})
        assert "x-cache" not in english.headers and "Spring planting" in english.text
        assert (await cached_client.get("/campaigns/spring?lang=en")).headers.get("x-cache") is None
        assert "Spring planting" in (await cached_client.get("/campaigns/spring?lang=en")).text

    async def test_a_successful_write_makes_the_page_fresh_within_a_second_and_a_refused_one_does_not(
        self, cached_app, cached_client, cached_settings
    ) -> None:
        clock = FakeClock()
        cached_app.state.public_cache.clock = clock
        raw, organiser = await _campaign(cached_client, cached_settings)
        await cached_client.get("/api/v1/campaigns/spring")
        assert (await cached_client.get("/api/v1/campaigns/spring")).headers["x-cache"] == "hit"
        _, stranger = await signed_in(cached_settings, Role.ORGANISER)
        refused = await cached_client.put("/api/v1/campaigns/spring", json=raw, headers=stranger)
        assert refused.status_code == 403
        clock.now += 5
        assert (await cached_client.get("/api/v1/campaigns/spring")).headers["x-cache"] == "hit"
        raw["title_zh"] = "秋季义务植树"
        assert (await cached_client.put("/api/v1/campaigns/spring", json=raw, headers=organiser)).status_code == 200
        clock.now += 0.9  # campaign answers may lag a change by up to a second…
        assert (await cached_client.get("/api/v1/campaigns/spring")).json()["title"] == "春季义务植树"
        clock.now += 0.1  # …and no more
        fresh = await cached_client.get("/api/v1/campaigns/spring")
        assert "x-cache" not in fresh.headers and fresh.json()["title"] == "秋季义务植树"

    async def test_points_and_sign_ins_leave_the_cache_warm(self, cached_client, cached_settings) -> None:
        await _campaign(cached_client, cached_settings)
        _, citizen = await signed_in(cached_settings)
        await cached_client.get("/api/v1/campaigns/spring")
        earned = await cached_client.post(
            "/api/v1/points/earn", json={"id": str(uuid.uuid4()), "action": "checkin.daily"}, headers=citizen
        )
        assert earned.status_code in (200, 201), earned.text
        sent = await cached_client.post("/api/v1/auth/sms/send", json={"phone": "13912345678"})
        assert sent.status_code == 200, sent.text
        assert (await cached_client.get("/api/v1/campaigns/spring")).headers["x-cache"] == "hit"

    async def test_signed_in_visitors_are_never_served_from_or_into_the_cache(
        self, cached_client, cached_settings
    ) -> None:
        await _campaign(cached_client, cached_settings)
        user, bearer = await signed_in(cached_settings)
        cookie = await test_api.cookie_for(user)
        cached_client.cookies.set("ms_session", cookie)
        for _ in range(2):
            page = await cached_client.get("/campaigns/spring")
            assert page.status_code == 200 and "x-cache" not in page.headers
            assert "预约" in page.text and 'name="_csrf_token"' in page.text  # the booking form, theirs alone
            api = await cached_client.get("/api/v1/campaigns/spring", headers=bearer)
            assert api.status_code == 200 and "x-cache" not in api.headers
        # Nothing they saw was kept for the anonymous visitor either.
        cached_client.cookies.clear()
        assert "x-cache" not in (await cached_client.get("/campaigns/spring")).headers

    async def test_a_missing_answer_is_not_cached(self, cached_client) -> None:
        for _ in range(2):
            missing = await cached_client.get("/api/v1/credits/serials/AFF-510112-000001-2024-0000000001-0000000002")
            assert missing.status_code == 404 and "x-cache" not in missing.headers


# --- the mechanism on a small app of its own --------------------------------------------------------------


def _small_app(settings: Settings, cache: PublicCache, channels: LiveChannels | None = None) -> Litestar:
    calls = {"n": 0}

    def answer(tag: str) -> Any:
        @get(f"/{tag}", opt={"public_cache": tag}, media_type=MediaType.TEXT, sync_to_thread=False)
        def handler() -> str:
            calls["n"] += 1
            return f"answer {calls['n']}"

        return handler

    @get("/form", opt={"public_cache": "credits"}, media_type=MediaType.HTML, sync_to_thread=False)
    def form() -> str:
        calls["n"] += 1
        return f'<form><input type="hidden" name="_csrf_token" value="t{calls["n"]}"></form>'

    @get("/big", opt={"public_cache": "credits"}, media_type=MediaType.TEXT, sync_to_thread=False)
    def big() -> str:
        calls["n"] += 1
        return str(calls["n"]) + "x" * public_cache.MAX_BODY

    @get("/private", media_type=MediaType.TEXT, sync_to_thread=False)
    def private() -> str:
        calls["n"] += 1
        return str(calls["n"])

    @post("/book", opt={"public_changes": ("campaigns",)}, status_code=200, sync_to_thread=False)
    def book() -> None:
        return None

    @post("/anything", status_code=200, sync_to_thread=False)
    def anything() -> None:
        return None

    @post("/refused", status_code=400, sync_to_thread=False)
    def refused() -> None:
        return None

    return Litestar(
        [answer("credits"), answer("campaigns"), form, big, private, book, anything, refused],
        middleware=[PublicCacheMiddleware(cache, lambda: channels if channels and channels.running else None)],
    )


async def _texts(app: Litestar, path: str, times: int, **kw: Any) -> list[str]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        return [(await c.get(path, **kw)).text for _ in range(times)]


class TestMechanism:
    async def test_only_opted_in_small_answers_without_a_form_are_kept(self, settings) -> None:
        app = _small_app(settings, PublicCache(settings.with_(public_cache_ttl_s=10)))
        assert await _texts(app, "/credits", 3) == ["answer 1"] * 3
        assert len(set(await _texts(app, "/form", 2))) == 2
        assert len(set(await _texts(app, "/big", 2))) == 2
        assert len(set(await _texts(app, "/private", 2))) == 2

    async def test_answers_expire_after_the_time_to_live(self, settings) -> None:
        clock = FakeClock()
        app = _small_app(settings, PublicCache(settings.with_(public_cache_ttl_s=10), clock))
        assert await _texts(app, "/credits", 1) == ["answer 1"]
        clock.now += 9.9
        assert await _texts(app, "/credits", 1) == ["answer 1"]
        clock.now += 0.2
        assert await _texts(app, "/credits", 1) == ["answer 2"]

    async def test_a_write_forgets_only_the_tags_it_declares_and_every_tag_when_it_declares_none(
        self, settings
    ) -> None:
        clock = FakeClock()
        app = _small_app(settings, PublicCache(settings.with_(public_cache_ttl_s=10), clock))
        assert await _texts(app, "/credits", 1) + await _texts(app, "/campaigns", 1) == ["answer 1", "answer 2"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            assert (await c.post("/refused")).status_code == 400
            clock.now += 2
            assert [(await c.get(p)).text for p in ("/credits", "/campaigns")] == ["answer 1", "answer 2"]
            await c.post("/book")
            clock.now += 2
            assert [(await c.get(p)).text for p in ("/credits", "/campaigns")] == ["answer 1", "answer 3"]
            await c.post("/anything")
            assert (await c.get("/credits")).text == "answer 4"  # credits: never after a change
            assert (await c.get("/campaigns")).text == "answer 3"  # campaigns: within a second of it
            clock.now += 1
            assert (await c.get("/campaigns")).text == "answer 5"

    async def test_an_answer_made_while_something_changed_is_judged_by_when_that_was(self, settings) -> None:
        clock = FakeClock()
        cache = PublicCache(settings.with_(public_cache_ttl_s=10), clock)
        started = dict(cache.generation)
        cache.changed_here()  # a write commits while the answers are being made
        for tag in ("credits", "campaigns"):
            cache.put(("/" + tag, b"", "zh"), public_cache._Entry(tag, started[tag], 1e12, 200, [], b"old"))
        assert cache.get(("/credits", b"", "zh")) is None
        assert cache.get(("/campaigns", b"", "zh")) is not None
        clock.now += 1
        assert cache.get(("/campaigns", b"", "zh")) is None

    async def test_a_surge_of_writes_keeps_only_the_generations_a_live_answer_can_still_name(self, settings) -> None:
        clock = FakeClock()
        cache = PublicCache(settings.with_(public_cache_ttl_s=10), clock)
        for _ in range(3000):  # 100 writes a second for 30 s
            cache.changed_here(("campaigns",))
            clock.now += 0.01
        kept = cache._changed_at["campaigns"]
        # Answers live 10 s: a generation that ended more than 11 s ago names no live answer.
        assert all(at >= clock.now - 11.01 for at in kept.values())
        assert 1000 <= len(kept) <= 1101
        assert cache._changed_at["credits"] == {}
        # What is kept still decides: an answer of the generation that ended 0.5 s ago is served (lag 1 s).
        recent = cache.generation["campaigns"] - 50
        cache.put(("/campaigns", b"", "zh"), public_cache._Entry("campaigns", recent, 1e12, 200, [], b"x"))
        assert cache.get(("/campaigns", b"", "zh")) is not None

    async def test_a_visitor_over_the_limit_goes_down_the_normal_path(self, settings) -> None:
        cache = PublicCache(settings.with_(public_cache_ttl_s=10, api_rate_limit_per_minute=2))
        app = _small_app(settings, cache)
        # One miss, then two hits allowed in this worker's minute; the third goes to the handler again.
        assert await _texts(app, "/credits", 4) == ["answer 1", "answer 1", "answer 1", "answer 2"]

    async def test_off_when_the_time_to_live_is_zero(self, settings) -> None:
        app = _small_app(settings, PublicCache(settings.with_(public_cache_ttl_s=0)))
        assert await _texts(app, "/credits", 2) == ["answer 1", "answer 2"]


async def _wait_for(condition: Any, seconds: float = 2.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis (the second `make test` run)")
async def test_a_change_in_one_worker_reaches_the_others_through_redis(settings) -> None:
    """Two workers (each its own cache and channels on the same Redis, as two uvicorn processes are)."""
    settings = settings.with_(public_cache_ttl_s=10)
    redis_a, redis_b = redis_client(settings), redis_client(settings)
    assert redis_a is not None and redis_b is not None
    channels_a, channels_b = (
        channels_plugin(redis_a, settings.redis_prefix),
        channels_plugin(redis_b, settings.redis_prefix),
    )
    cache_a, cache_b = PublicCache(settings), PublicCache(settings)
    app_b = _small_app(settings, cache_b, channels_b)
    try:
        async with channels_a, channels_b, listening(app_b, cache_b, lambda: channels_b):
            # Subscribed, and forgot what it could have missed before.
            assert await _wait_for(lambda: cache_b.generation == {"campaigns": 1, "credits": 1}, 5.0)
            assert await _texts(app_b, "/credits", 2) == ["answer 1", "answer 1"]
            # Redis may take a moment to have B's subscription in place (pub/sub keeps no message for a
            # subscriber not there yet: in production the TTL bounds that): announce until B hears one.
            for _ in range(25):
                await announce_change(cache_a, channels_a, ("credits",))
                if await _wait_for(lambda: cache_b.generation["credits"] >= 2, 0.2):
                    break
            assert cache_b.generation["credits"] >= 2
            assert cache_b.generation["campaigns"] == 1  # only the tag announced
            assert await _texts(app_b, "/credits", 1) == ["answer 2"]
    finally:
        await redis_a.aclose()
        await redis_b.aclose()


async def test_with_the_memory_backend_a_worker_hears_its_own_changes(settings) -> None:
    """The embedded default: one worker, channels in memory; a change announced is heard and forgotten."""
    settings = settings.with_(public_cache_ttl_s=10)
    channels = LiveChannels(MemoryChannelsBackend(), settings.redis_prefix)
    cache = PublicCache(settings)
    app = _small_app(settings, cache, channels)
    async with channels, listening(app, cache, lambda: channels):
        assert await _wait_for(lambda: cache.generation["credits"] == 1)  # subscribed
        before = dict(cache.generation)
        await channels.wait_published(b"campaigns", [cache.channel])  # as another worker would announce
        assert await _wait_for(lambda: cache.generation["campaigns"] > before["campaigns"])
        assert cache.generation["credits"] == before["credits"]
