"""Redis when configured, process memory otherwise: Litestar stores and atomic windowed counters.

Anything several workers must share (rate limits, response cache, counters) goes through here, so the
embedded default (one worker, no Redis) and production (several workers, Redis) run the same code.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry
from redis.asyncio import Redis

from app.settings import Settings

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


def store_registry(redis: Redis | None, prefix: str) -> StoreRegistry:
    if redis is None:
        return StoreRegistry()  # every named store becomes a MemoryStore
    root = RedisStore(redis, namespace=prefix, handle_client_shutdown=False)
    return StoreRegistry(default_factory=lambda name: root.with_namespace(name))


@dataclass(frozen=True)
class Hit:
    count: int
    allowed: bool
    retry_after: int


class WindowCounters:
    """Fixed-window counters: `hit(key, limit, window_s)` counts one event and says if it is allowed."""

    def __init__(self, redis: Redis | None, prefix: str = "microsink") -> None:
        self._redis = redis
        self._prefix = f"{prefix}:count:"
        self._script = redis.register_script(_HIT_SCRIPT) if redis is not None else None
        self._memory: dict[str, tuple[int, float]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, limit: int, window_s: int) -> Hit:
        if self._script is not None:
            count, ttl = await self._script(keys=[self._prefix + key], args=[window_s])
            count, ttl = int(count), max(int(ttl), 1)
        else:
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
        if self._redis is not None:
            await self._redis.decr(self._prefix + key)
        else:
            async with self._lock:
                if key in self._memory:
                    count, until = self._memory[key]
                    self._memory[key] = (max(count - 1, 0), until)


__all__ = ["Hit", "MemoryStore", "Store", "StoreRegistry", "WindowCounters", "redis_client", "store_registry"]
