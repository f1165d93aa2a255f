"""Live campaign progress: an event after each committed counter change, through the memory backend
(embedded run) and through real Redis (PostgreSQL + Redis run); an SSE client over a served app that
books a slot and receives the event; publishing never fails the business request."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import structlog
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis

from app.campaigns import checkin, live, service
from app.campaigns.schemas import CheckInIn
from models.campaigns import Campaign
from tests.browser.conftest import live_server  # noqa: F401  (the app served by uvicorn in a thread)
from tests.browser.seeding import seed
from tests.campaigns.builders import HOME, make_campaign
from tests.conftest import REDIS_URL, redis_only
from tests.helpers import signed_in


def _channels(app: Any) -> live.LiveChannels:
    return app.plugins.get(live.LiveChannels)  # type: ignore[no-any-return]


async def _next(subscriber: Any, within: float = 5.0) -> dict[str, Any]:
    events = subscriber.iter_events()
    return json.loads(await asyncio.wait_for(events.__anext__(), within))  # type: ignore[no-any-return]


class TestPublishProgress:
    async def test_the_backend_is_redis_pub_sub_with_redis_and_memory_without(self, app) -> None:
        backend = _channels(app)._backend
        expected = RedisChannelsPubSubBackend if REDIS_URL else MemoryChannelsBackend
        assert isinstance(backend, expected)

    async def test_booking_cancel_and_check_in_each_publish_the_new_counters(self, client, app, settings) -> None:
        campaign, slot, _ = await make_campaign()
        user, _ = await signed_in(settings)
        channels = _channels(app)
        async with channels.start_subscription([channels.channel(campaign.id)]) as subscriber:
            booking = await service.book(user, slot.id)
            booked = await _next(subscriber)
            assert booked["campaign"] == "spring" and booked["bookings"] == 1 and booked["checkins"] == 0
            assert {g["goal"] for g in booked["goals"]} == {"trees", "fen"}

            token = checkin.current_token(settings, await slot.site).token
            await checkin.check_in(settings, user, booking.public_id, CheckInIn(token=token, lon=HOME[0], lat=HOME[1]))
            checked = await _next(subscriber)
            assert checked["bookings"] == 1 and checked["checkins"] == 1

            other = await service.book(user, (await make_campaign_slot(campaign)).id)
            assert (await _next(subscriber))["bookings"] == 2
            await service.cancel(user, other.public_id)
            assert (await _next(subscriber))["bookings"] == 1

    async def test_a_donation_or_review_publishes_goal_percents_read_from_the_row(self, client, app) -> None:
        campaign, _, _ = await make_campaign()
        channels = _channels(app)
        async with channels.start_subscription([channels.channel(campaign.id)]) as subscriber:
            # What the donation / planting code does: move the counter, commit, then publish.
            await Campaign.filter(id=campaign.id).update(fen_raised=150_000, trees_planted=250)
            await live.publish_progress(campaign.id)
            event = await _next(subscriber)
        assert event["fen"] == 150_000 and event["trees"] == 250
        assert {"goal": "fen", "target": 300000, "reached": 150000, "percent": 50} in event["goals"]
        assert {"goal": "trees", "target": 1000, "reached": 250, "percent": 25} in event["goals"]

    async def test_without_a_running_app_publishing_does_nothing(self, db) -> None:
        campaign, _, _ = await make_campaign()
        await live.publish_progress(campaign.id)  # no app, no channels: no error

    async def test_a_dead_redis_is_logged_and_the_booking_still_succeeds(self, db, settings) -> None:
        campaign, slot, _ = await make_campaign()
        user, _ = await signed_in(settings)
        dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
        plugin = live.channels_plugin(dead, "dead")
        try:
            with structlog.testing.capture_logs() as logs:
                async with plugin:
                    booking = await service.book(user, slot.id)
        finally:
            await dead.aclose()
        assert booking.status == "booked"
        assert (await Campaign.get(id=campaign.id)).bookings_count == 1
        assert any(entry["event"] == "campaigns.live.publish_failed" for entry in logs)

    @redis_only
    async def test_a_subscriber_of_its_own_on_real_redis_receives_the_event(self, client, app, settings) -> None:
        """Another worker's view: a plain redis-py subscriber on its own connection hears the publish."""
        campaign, slot, _ = await make_campaign()
        user, _ = await signed_in(settings)
        channel = _channels(app).channel(campaign.id)
        assert channel.startswith(settings.redis_prefix)
        other = Redis.from_url(REDIS_URL)
        pubsub = other.pubsub()
        try:
            await pubsub.subscribe(channel)
            await service.book(user, slot.id)
            message = None
            for _ in range(50):
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                if message:
                    break
            assert message is not None, "nothing arrived through Redis"
            assert json.loads(message["data"])["bookings"] == 1
        finally:
            await pubsub.aclose()
            await other.aclose()


async def make_campaign_slot(campaign: Campaign) -> Any:
    """The hill site's second slot (tomorrow) of the builder's campaign."""
    from models.campaigns import Site, Slot

    hill = await Site.get(campaign_id=campaign.id, key="hill")
    return await Slot.filter(site_id=hill.id).order_by("-starts_at").first()


async def _seed(settings: Any) -> tuple[int, dict[str, str]]:
    _, slot, _ = await make_campaign()
    _, headers = await signed_in(settings)
    return slot.id, headers


@pytest.fixture
def seeded(settings: Any) -> tuple[int, dict[str, str]]:
    """A campaign and a signed-in citizen, written before the server starts (one ORM context per process)."""
    return seed(settings, lambda: _seed(settings))


async def _sse_events(response: httpx.Response) -> Any:
    """(event, data) pairs of an SSE response, as they arrive."""
    event, data = None, []
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield event, json.loads("\n".join(data))
            event, data = None, []


class TestServerSentEvents:
    async def test_a_client_on_the_stream_sees_its_booking_arrive(
        self,
        seeded: tuple[int, dict[str, str]],
        live_server: str,  # noqa: F811
    ) -> None:
        slot_id, headers = seeded
        async with httpx.AsyncClient(base_url=live_server, timeout=10) as http:
            async with http.stream("GET", "/campaigns/spring/live") as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                events = _sse_events(stream)
                kind, first = await asyncio.wait_for(events.__anext__(), 10)
                assert kind == "progress" and first["bookings"] == 0  # the current state comes first
                booked = await http.post(f"/api/v1/campaigns/slots/{slot_id}/bookings", headers=headers)
                assert booked.status_code == 201, booked.text
                kind, event = await asyncio.wait_for(events.__anext__(), 10)
                assert kind == "progress" and event["campaign"] == "spring" and event["bookings"] == 1
                await events.aclose()

    async def test_an_unknown_campaign_has_no_stream(self, client) -> None:
        assert (await client.get("/campaigns/nothing/live")).status_code == 404


class TestStreamCleanUp:
    async def test_a_client_that_goes_away_leaves_no_subscription_behind(self, client, app) -> None:
        campaign, _, _ = await make_campaign()
        channels = _channels(app)
        name = channels.channel(campaign.id)
        first_body = asyncio.Event()
        messages: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            await first_body.wait()  # the client reads the first event, then hangs up
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(message)
            if message["type"] == "http.response.body" and message.get("body"):
                first_body.set()

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": "/campaigns/spring/live", "raw_path": b"/campaigns/spring/live", "root_path": "",
            "query_string": b"", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1),
            "server": ("testserver", 80), "state": {},
        }  # fmt: skip
        await asyncio.wait_for(app(scope, receive, send), 10)  # type: ignore[arg-type]
        assert messages[0]["status"] == 200 and b"event: progress" in messages[1]["body"]
        assert not channels._channels.get(name)  # no subscriber left registered for the campaign
        if isinstance(channels._backend, RedisChannelsPubSubBackend):
            await asyncio.sleep(0.2)  # redis-py confirms unsubscribes asynchronously
            pubsub = channels._backend._pub_sub
            assert name.encode() not in set(pubsub.channels) - set(pubsub.pending_unsubscribe_channels)
