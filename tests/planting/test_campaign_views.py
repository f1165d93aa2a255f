"""What the organiser and the live campaign page see of planting logs: the dashboard counts the logs
waiting for review, and an approval tells the live pages the new tree count after it committed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from app.campaigns import live
from app.planting import service
from tests.planting.builders import planting_campaign, submitted


class TestDashboardAndLiveProgress:
    async def test_the_dashboard_counts_logs_waiting_for_review_until_they_are_decided(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        first = await submitted(settings, planted, count=3)
        await submitted(settings, planted, count=2)
        url = f"/api/v1/campaigns/{planted.campaign.slug}/dashboard"
        board = (await client.get(url, headers=planted.organiser_headers)).json()
        assert board["pending_reviews"] == 2 and board["trees_approved"] == 0
        await service.approve(settings, planted.organiser, first.public_id)
        board = (await client.get(url, headers=planted.organiser_headers)).json()
        assert board["pending_reviews"] == 1 and board["trees_approved"] == 3

    async def test_an_approval_publishes_the_new_tree_count(self, client, app: Any, settings) -> None:
        planted = await planting_campaign(settings)
        log = await submitted(settings, planted, count=4)
        channels = app.plugins.get(live.LiveChannels)
        async with channels.start_subscription([channels.channel(planted.campaign.id)]) as subscriber:
            await service.approve(settings, planted.organiser, log.public_id)
            event = json.loads(await asyncio.wait_for(subscriber.iter_events().__anext__(), 5))
        assert event["trees"] == 4
