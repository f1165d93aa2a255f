"""Redis when configured, process memory otherwise: Litestar stores and atomic windowed counters.

Anything several workers must share (rate limits, response cache, counters) goes through here, so the
embedded default (one worker, no Redis) and production (several workers, Redis) run the same code.

Redis going away must not take the app with it (issue 9, bench/faults.py): every store and counter
falls back to this worker's memory while Redis does not answer, and `RedisHealth` says so — the
`X-Degraded: redis` response header, `/readyz` ("degraded", still 200: the database is the truth),
a warning log `redis_unavailable` once per outage and `redis_recovered` when it answers again, when
the recovery hooks (the leaderboards' rebuild from the ledger) run. While degraded, limits and
single-use marks hold per worker rather than across workers, and values cached in Redis are missed.
After a failure Redis is tried again at most every RETRY_S, so a dead Redis costs no connect timeout
per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from litestar.stores.base import NamespacedStore, Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.settings import Settings

log = structlog.get_logger("microsink.cache")

# What an unreachable or failing Redis raises: the client's errors and the socket's.
REDIS_DOWN = (RedisError, OSError)

# What falls back while Redis is down, said by /readyz (docs/operations.md).
DEGRADED_FEATURES = [
    "rate limits and sign-in limits count per worker",
    "leaderboards are computed from the database",
    "live campaign progress is not pushed",
    "cached pages and tokens are per worker",
]


class RedisHealth:
    """Whether Redis answered lately, for one worker; everything that falls back reports to it."""

    RETRY_S = 2.0

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.error = ""
        self._retry_at = 0.0
        self.on_recover: list[Callable[[], Awaitable[Any]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def degraded(self) -> bool:
        return self.down_since is not None

    def should_try(self) -> bool:
        return self.down_since is None or time.monotonic() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            log.warning("redis_unavailable", error=repr(exc)[:200])
        self.error = type(exc).__name__
        self._retry_at = now + self.RETRY_S

    def succeeded(self) -> None:
        if self.down_since is None:
            return
        log.warning("redis_recovered", down_s=round(time.monotonic() - self.down_since, 1))
        self.down_since = None
        for hook in self.on_recover:  # e.g. rebuild the leaderboards: Redis may have come back empty
            task = asyncio.get_running_loop().create_task(self._run_hook(hook))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_hook(self, hook: Callable[[], Awaitable[Any]]) -> None:
        try:
            await hook()
        except Exception:  # the next housekeeping round does the same work
            log.exception("redis_recover_hook_failed")


class ResilientStore(NamespacedStore):
    """A Redis store that answers from this worker's memory while Redis does not."""

    def __init__(self, redis: RedisStore, health: RedisHealth, memory: MemoryStore | None = None) -> None:
        self._redis, self._health, self._memory = redis, health, memory or MemoryStore()

    def with_namespace(self, namespace: str) -> ResilientStore:
        return ResilientStore(self._redis.with_namespace(namespace), self._health)

    async def _call(self, op: str, *args: Any) -> Any:
        if self._health.should_try():
            try:
                result = await getattr(self._redis, op)(*args)
            except REDIS_DOWN as exc:
                self._health.failed(exc)
            else:
                self._health.succeeded()
                return result
        return await getattr(self._memory, op)(*args)

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self._call("set", key, value, expires_in)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._call("get", key, renew_for)  # type: ignore[no-any-return]

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def delete_all(self) -> None:
        await self._call("delete_all")

    async def exists(self, key: str) -> bool:
        return await self._call("exists", key)  # type: ignore[no-any-return]

    async def expires_in(self, key: str) -> int | None:
        return await self._call("expires_in", key)  # type: ignore[no-any-return]


# INCR and set the window's expiry in one step, so a crash between the two can never leave a
# counter without a TTL (which would lock a phone number out forever).
_HIT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('TTL', KEYS[1])}
"""


def redis_client(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    return Redis.from_url(settings.redis_url, decode_responses=False, socket_timeout=5, socket_connect_timeout=2)


def store_registry(redis: Redis | None, prefix: str, health: RedisHealth | None = None) -> StoreRegistry:
    if redis is None:
        return StoreRegistry()  # every named store becomes a MemoryStore
    root = ResilientStore(RedisStore(redis, namespace=prefix, handle_client_shutdown=False), health or RedisHealth())
    return StoreRegistry(default_factory=lambda name: root.with_namespace(name))


@dataclass(frozen=True)
class Hit:
    count: int
    allowed: bool
    retry_after: int


class WindowCounters:
    """Fixed-window counters: `hit(key, limit, window_s)` counts one event and says if it is allowed."""

    def __init__(self, redis: Redis | None, prefix: str = "microsink", health: RedisHealth | None = None) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:count:"
        self._script = redis.register_script(_HIT_SCRIPT) if redis is not None else None
        self._health = health or RedisHealth()
        self._memory: dict[str, tuple[int, float]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, limit: int, window_s: int) -> Hit:
        if self._script is not None and self._health.should_try():
            try:
                count, ttl = await self._script(keys=[self._prefix + key], args=[window_s])
            except REDIS_DOWN as exc:
                self._health.failed(exc)  # counted in this worker's memory below, until Redis answers
            else:
                self._health.succeeded()
                count, ttl = int(count), max(int(ttl), 1)
                return Hit(count=count, allowed=count <= limit, retry_after=ttl)
        async with self._lock:
            now = time.monotonic()
            count, until = self._memory.get(key, (0, now + window_s))
            if until <= now:
                count, until = 0, now + window_s
            count += 1
            self._memory[key] = (count, until)
            ttl = max(int(until - now + 0.999), 1)
        return Hit(count=count, allowed=count <= limit, retry_after=ttl)

    async def undo(self, key: str) -> None:
        """Give back one event (e.g. the provider refused to send, so it should not count)."""
        if self._redis is not None and self._health.should_try():
            try:
                await self._redis.decr(self._prefix + key)
                return
            except REDIS_DOWN as exc:
                self._health.failed(exc)
        async with self._lock:
            if key in self._memory:
                count, until = self._memory[key]
                self._memory[key] = (max(count - 1, 0), until)


__all__ = [
    "DEGRADED_FEATURES",
    "REDIS_DOWN",
    "Hit",
    "MemoryStore",
    "RedisHealth",
    "ResilientStore",
    "Store",
    "StoreRegistry",
    "WindowCounters",
    "redis_client",
    "store_registry",
]
