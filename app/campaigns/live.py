"""Live campaign progress: a small JSON event on the campaign's channel after every committed change of
its counters, and the stream the campaign page listens to (Server-Sent Events).

Channels are Litestar's ChannelsPlugin: Redis pub/sub when REDIS_URL is set (every worker hears every
publish; STACK.md §3 "Channels": the pub/sub backend works on redis-py 8's RESP3 default, the stream
backend does not), process memory otherwise (the embedded default runs one worker).

**Who publishes.** Whoever changes a counter calls `publish_progress(campaign_id)` *after* the
transaction commits: booking, cancelling and checking in do (app/campaigns/service.py, checkin.py);
planting-log review (trees, kg) and donations (fen) must too. The event carries the counters read
fresh from the campaign row, so events may arrive in any order or be lost without harm: the latest
one is the truth, and the page without JavaScript is complete anyway.

**Publishing never fails the business request.** The change is already committed; a Redis outage or a
slow Redis is logged (`campaigns.live.publish_failed`) and the request goes on. We await the backend
with a short timeout instead of `ChannelsPlugin.publish()`, whose background worker dies on the first
backend error and would then hang the app's shutdown on its queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable
from types import TracebackType

import anyio
import msgspec
import structlog
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.channels.subscriber import Subscriber
from litestar.response import ServerSentEventMessage
from redis.asyncio import Redis

from app.campaigns import service
from app.core.cache import REDIS_DOWN
from models.campaigns import Campaign

log = structlog.get_logger("microsink.campaigns.live")

PUBLISH_TIMEOUT_S = 1.0  # a publish slower than this is given up (and logged); the change is committed
KEEP_ALIVE_S = 15.0  # an SSE comment this often keeps proxies from closing an idle stream
STREAM_LIFETIME_S = 600.0  # then the stream ends and EventSource reconnects (retry below): workers can restart
RETRY_MS = 3000
RESUBSCRIBE_AFTER_S = 1.0  # after the pub/sub connection broke, subscribe again this much later


class ProgressGoal(msgspec.Struct):
    goal: str  # trees | kg | fen
    target: int
    reached: int
    percent: int


class ProgressEvent(msgspec.Struct):
    """What the campaign page's script receives: the campaign's counters and the percent of each goal."""

    campaign: str  # slug
    bookings: int
    checkins: int
    trees: int
    kg: int
    fen: int
    goals: list[ProgressGoal]


def progress_of(c: Campaign) -> ProgressEvent:
    return ProgressEvent(
        campaign=c.slug,
        bookings=c.bookings_count,
        checkins=c.checkins_count,
        trees=c.trees_planted,
        kg=c.kg_removed,
        fen=c.fen_raised,
        goals=[ProgressGoal(g.goal, g.target, g.reached, g.percent) for g in service.goals_of(c)],
    )


class LiveChannels(ChannelsPlugin):
    """The ChannelsPlugin, plus: while its lifespan runs it is the one `publish_progress` uses."""

    def __init__(self, backend: ChannelsBackend, prefix: str) -> None:
        super().__init__(
            backend=backend,
            arbitrary_channels_allowed=True,
            create_ws_route_handlers=False,  # the generated WebSocket routes have no guards; we serve SSE
            subscriber_max_backlog=64,
            subscriber_backlog_strategy="dropleft",  # a slow reader loses old events, never the newest
        )
        self.prefix = prefix
        self.running = False  # between the app's startup and shutdown: publishing and subscribing work

    def channel(self, campaign_id: int) -> str:
        # The Redis pub/sub channel name is global on the server: the prefix keeps deployments (and test
        # runs) sharing one Redis apart.
        return f"{self.prefix}:campaign:{campaign_id}:progress"

    async def _sub_worker(self) -> None:
        """Litestar's loop, kept alive: a Redis outage would end it for good, and with it every live
        push of this worker. redis-py re-subscribes the pub/sub connection's channels when it reconnects."""
        interrupted = False
        while True:
            try:
                await super()._sub_worker()
                return
            except REDIS_DOWN as exc:
                if not interrupted:  # once per outage, not once a second
                    log.warning("campaigns.live.stream_interrupted", error=repr(exc)[:200])
                interrupted = True
                await asyncio.sleep(RESUBSCRIBE_AFTER_S)

    async def subscribe(self, channels: str | Iterable[str], history: int | None = None) -> Subscriber:
        names = [channels] if isinstance(channels, str) else list(channels)
        try:
            return await super().subscribe(names, history)
        except REDIS_DOWN:
            # The plugin counted the subscriber in before Redis refused: a channel left looking
            # subscribed would never be subscribed again. Forget it (its readers end and reconnect).
            for name in names:
                for stuck in self._channels.pop(name, set()):
                    await stuck.put(None)
            raise

    async def __aenter__(self) -> LiveChannels:
        await super().__aenter__()
        _active.append(self)
        self.running = True
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
    ) -> None:
        self.running = False
        if self in _active:
            _active.remove(self)
        await super().__aexit__(exc_type, exc_val, exc_tb)


_active: list[LiveChannels] = []  # the running app's channels (one per process in production)


def channels_plugin(redis: Redis | None, prefix: str) -> LiveChannels:
    backend: ChannelsBackend = (
        MemoryChannelsBackend() if redis is None else RedisChannelsPubSubBackend(redis=redis, key_prefix=prefix)
    )
    return LiveChannels(backend, prefix)


async def publish_progress(campaign_id: int) -> None:
    """Tell live pages the campaign's current counters. Call it after the transaction that changed them
    committed. Never raises: a missing campaign, no running app or a failing backend is only logged."""
    if not _active:
        return  # no app running in this process (a CLI command, a service test)
    channels = _active[-1]
    try:
        c = await Campaign.get_or_none(id=campaign_id)
        if c is None:
            return
        data = msgspec.json.encode(progress_of(c))
        await asyncio.wait_for(channels.wait_published(data, [channels.channel(campaign_id)]), PUBLISH_TIMEOUT_S)
    except Exception as exc:  # the business change is committed; this is best effort
        log.warning("campaigns.live.publish_failed", campaign_id=campaign_id, error=repr(exc))


async def progress_stream(
    channels: LiveChannels, c: Campaign, *, lifetime_s: float = STREAM_LIFETIME_S
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """The SSE stream of one campaign: the current counters first (so a reconnect is never stale), then
    each published event, a keep-alive comment when idle, and an end after `lifetime_s`."""
    name = channels.channel(c.id)
    received: asyncio.Queue[bytes] = asyncio.Queue(maxsize=64)

    async def pump(subscriber: Subscriber) -> None:
        async for event in subscriber.iter_events():
            if received.full():
                received.get_nowait()  # the newest event carries everything the dropped one did
            received.put_nowait(event)

    try:
        subscriber = await channels.subscribe([name])
    except REDIS_DOWN as exc:
        # No pushes while Redis is down: the current counters, then the stream ends and the page's
        # EventSource comes back after RETRY_MS (and subscribes again once Redis answers).
        log.warning("campaigns.live.degraded", campaign_id=c.id, error=repr(exc)[:200])
        yield ServerSentEventMessage(
            data=msgspec.json.encode(progress_of(c)).decode(), event="progress", retry=RETRY_MS
        )
        return
    pumping = asyncio.create_task(pump(subscriber))
    try:
        yield ServerSentEventMessage(
            data=msgspec.json.encode(progress_of(c)).decode(), event="progress", retry=RETRY_MS
        )
        loop = asyncio.get_running_loop()
        ends = loop.time() + lifetime_s
        while (left := ends - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(received.get(), min(KEEP_ALIVE_S, left))
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            yield ServerSentEventMessage(data=event.decode(), event="progress")
    finally:
        # A client that goes away cancels the response's task group; the clean-up must still run, or the
        # worker would keep the channel subscribed (on Redis) and the subscriber registered.
        pumping.cancel()
        with anyio.CancelScope(shield=True):
            try:
                await channels.unsubscribe(subscriber, [name])
            except REDIS_DOWN as exc:  # the subscriber is already forgotten here; Redis drops the rest
                log.warning("campaigns.live.unsubscribe_failed", error=repr(exc)[:200])
