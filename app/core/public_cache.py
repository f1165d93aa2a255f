"""A micro-cache of public answers for anonymous visitors: the same bytes again for a few seconds, until
anything changes.

Why: a campaign page, a certificate verify page or a serial lookup is read far more often than the data
behind it changes, and most readers are not signed in (a QR scanned from a poster, a shared link). Under
load each of them cost 1–7 ms of Python per request (queries, Jinja, the Redis rate-limit round trips);
answered from this cache they cost about what a bare Litestar endpoint does. This is the reverse proxy's
"microcaching" done inside the app, so the embedded default and production behave alike.

What is cached: 200 answers to GET on routes that opt in with `opt={"public_cache": TAG}`, for anonymous
requests only (no `Authorization` header, no session cookie), keyed by path, query string and the
request's language; never an answer that sets a cookie field in its body (a page holding a CSRF form) and
never bigger than MAX_BODY. The Set-Cookie, rate-limit and request-id headers of the stored answer are not
replayed.

What makes it forget — by tag, so the frequent writes that change nothing public (points postings,
sign-ins) keep the cache warm:
- a tag names what the answers rest on: `credits` (serials, issuances, certificates) and `campaigns`
  (campaign list and page: counters, places left). Each worker keeps a *generation* per tag, and an entry
  remembers the generation when its request started;
- a write that succeeds (POST/PUT/PATCH/DELETE answered below 400, in any worker) bumps the generations
  of the tags its route declares in `opt={"public_changes": (...)}` — or of *every* tag when it declares
  nothing, so a new write route is safe by default. The worker that wrote bumps before its answer leaves;
  the others hear it through the channels backend (Redis pub/sub when configured), a millisecond or so
  later;
- `credits` answers are never served after a change (a serial's status, a certificate's retirement are
  the product's credibility); `campaigns` answers may be served up to LAG_S["campaigns"] (1 s) after one,
  because during a surge bookings change the counters many times a second (the live progress stream
  pushes fresh counters to the open page anyway) and a page recomputed at every booking would never be
  served twice. A booking made with a stale "places left" is refused with the clear "full" message;
- background changes (housekeeping, CLI commands in another process) and a lost pub/sub message are
  bounded by the time to live, `PUBLIC_CACHE_TTL_S` (default 10 s; 0 turns the cache off). While Redis is
  down, other workers' writes are not heard: that same bound holds, and when Redis answers again every
  worker starts afresh.

Rate limit: a hit is counted against the same per-minute limit, in this worker's memory (a Redis round
trip would cost more than the hit). A visitor over the limit in this worker goes down the normal path,
where the shared limit answers 429. So across N workers a visitor can read at most (N + 1) × the limit
of cached answers a minute.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message
from prometheus_client import Counter

from app.core.auth import SESSION_COOKIE
from app.core.cache import REDIS_DOWN
from app.core.i18n import request_language
from app.core.net import client_ip
from app.settings import Settings

log = structlog.get_logger("microsink.public_cache")

OPT = "public_cache"  # route opt: the tag a GET handler's anonymous 200 answers are cached under
CHANGES = "public_changes"  # route opt: the tags a write route changes (none given: all of them)
TAGS = ("campaigns", "credits")
LAG_S = {"campaigns": 1.0, "credits": 0.0}  # how long after a change an answer may still be served
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MAX_BODY = 512 * 1024
MAX_ENTRIES = 2048
# Headers that belong to one visitor or one request, never replayed from the cache.
_PERSONAL = {b"set-cookie", b"x-request-id", b"x-degraded", b"ratelimit-policy", b"ratelimit-limit",
             b"ratelimit-remaining", b"ratelimit-reset"}  # fmt: skip
_CSRF_FIELD = b'name="_csrf_token"'  # Litestar's csrf_input: a page with a form is someone's own
_SESSION_COOKIE = SESSION_COOKIE.encode() + b"="
RESUBSCRIBE_AFTER_S = 1.0

LOOKUPS = Counter("microsink_public_cache_total", "Anonymous public GETs by cache outcome", ["outcome"])


@dataclass(slots=True)
class _Entry:
    tag: str
    generation: int
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PublicCache:
    """One worker's cached answers, its generation per tag and its per-visitor hit counts."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.ttl_s = settings.public_cache_ttl_s
        self.limit = settings.api_rate_limit_per_minute
        self.clock = clock
        self.generation = dict.fromkeys(TAGS, 0)
        self._changed_at: dict[str, dict[int, float]] = {tag: {} for tag in TAGS}  # generation → when it ended
        self.entries: OrderedDict[tuple[str, bytes, str], _Entry] = OrderedDict()
        self._window = 0
        self._hits: dict[str, int] = {}
        self.channel = f"{settings.redis_prefix}:public-cache:changed"

    def changed_here(self, tags: Iterable[str] = TAGS) -> None:
        """Something under these tags changed: what was cached under them is stale from now on."""
        now = self.clock()
        for tag in tags:
            if tag not in self.generation:
                continue
            ended = self._changed_at[tag]
            ended[self.generation[tag]] = now
            self.generation[tag] += 1
            # Forget generations whose entries have all expired. `ended` is in the order the generations
            # ended (the clock is monotonic), so they are its first items: no scan of the rest, which under a
            # surge of writes holds one item per write of the last TTL seconds, in every worker.
            cutoff = now - self.ttl_s - 1
            while ended and ended[oldest := next(iter(ended))] < cutoff:
                del ended[oldest]

    def _fresh(self, entry: _Entry, now: float) -> bool:
        if entry.expires <= now:
            return False
        if entry.generation == self.generation[entry.tag]:
            return True
        ended = self._changed_at[entry.tag].get(entry.generation)
        return ended is not None and now - ended < LAG_S[entry.tag]

    def get(self, key: tuple[str, bytes, str]) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if not self._fresh(entry, self.clock()):
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple[str, bytes, str], entry: _Entry) -> None:
        self.entries[key] = entry  # made while a write happened? `_fresh` judges it by when that was
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)

    def within_limit(self, visitor: str) -> bool:
        """Count one cached answer for the visitor in this worker's current minute."""
        if self.limit <= 0:
            return True
        window = int(time.time() // 60)
        if window != self._window:
            self._window, self._hits = window, {}
        count = self._hits.get(visitor, 0) + 1
        self._hits[visitor] = count
        return count <= self.limit


def _anonymous(scope: Any) -> bool:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return False
        if name == b"cookie" and _SESSION_COOKIE in value:
            return False
    return True


class PublicCacheMiddleware(ASGIMiddleware):
    """Serves and stores opted-in anonymous GETs; bumps the changed tags' generations after a successful write."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, cache: PublicCache, channels_of: Any) -> None:
        self.cache = cache
        self._channels_of = channels_of  # () -> the running app's LiveChannels, or None

    async def handle(self, scope: Any, receive: Any, send: Any, next_app: ASGIApp) -> None:  # type: ignore[override]
        method = scope["method"]
        if method in WRITES:
            handler = scope.get("route_handler")
            changes = handler.opt.get(CHANGES, TAGS) if handler is not None else TAGS
            await next_app(scope, receive, self._announcing(tuple(changes), send) if changes else send)
            return
        cache = self.cache
        handler = scope.get("route_handler")
        tag = handler.opt.get(OPT) if handler is not None else None
        if method != "GET" or cache.ttl_s <= 0 or tag is None or not _anonymous(scope):
            await next_app(scope, receive, send)
            return
        if tag not in TAGS:
            raise ValueError(f"unknown public_cache tag {tag!r} on {scope['path']} (one of {TAGS})")
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        key = (scope["path"], scope.get("query_string", b""), request_language(connection))
        entry = cache.get(key)
        if entry is not None and cache.within_limit(client_ip(connection, cache.settings)):
            LOOKUPS.labels("hit").inc()
            await send({"type": "http.response.start", "status": entry.status, "headers": [*entry.headers, (b"x-cache", b"hit")]})  # fmt: skip
            await send({"type": "http.response.body", "body": entry.body})
            return
        LOOKUPS.labels("miss").inc()
        await next_app(scope, receive, self._storing(key, tag, send))

    def _storing(self, key: tuple[str, bytes, str], tag: str, send: Any) -> Any:
        cache = self.cache
        generation = cache.generation[tag]  # as the request starts: a write during it makes the answer stale
        expires = cache.clock() + cache.ttl_s
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and start.get("status") == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    if len(body) <= MAX_BODY and _CSRF_FIELD not in body:
                        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in _PERSONAL]
                        cache.put(key, _Entry(tag, generation, expires, 200, headers, body))
            await send(message)

        return send_and_keep

    def _announcing(self, tags: tuple[str, ...], send: Any) -> Any:
        async def send_after_change(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await announce_change(self.cache, self._channels_of(), tags)
            await send(message)

        return send_after_change


async def announce_change(cache: PublicCache, channels: Any, tags: tuple[str, ...] = TAGS) -> None:
    """This worker forgets now; the others when they hear it. A failed publish is bounded by the TTL."""
    cache.changed_here(tags)
    if channels is None or cache.ttl_s <= 0:
        return
    try:
        await asyncio.wait_for(channels.wait_published(",".join(tags).encode(), [cache.channel]), 1.0)
    except (TimeoutError, *REDIS_DOWN) as exc:
        log.warning("public_cache.publish_failed", error=repr(exc)[:200])


@asynccontextmanager
async def listening(app: Litestar, cache: PublicCache, channels_of: Any) -> AsyncIterator[None]:
    """While the app runs, other workers' changes bump this worker's generation."""

    async def listen_forever() -> None:
        while True:
            channels = channels_of()
            if channels is None:
                await asyncio.sleep(0.05)  # the channels plugin starts alongside this
                continue
            try:
                subscriber = await channels.subscribe([cache.channel])
                cache.changed_here()  # anything missed while not subscribed
                try:
                    async for message in subscriber.iter_events():
                        cache.changed_here(bytes(message).decode().split(","))
                finally:
                    with suppress(*REDIS_DOWN):
                        await channels.unsubscribe(subscriber)
            except REDIS_DOWN as exc:
                log.warning("public_cache.not_listening", error=repr(exc)[:200])
            await asyncio.sleep(RESUBSCRIBE_AFTER_S)

    if cache.ttl_s <= 0:
        yield
        return
    task = asyncio.create_task(listen_forever(), name="public-cache-listener")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
