"""Live progress in a phone browser: the campaign page's counts and bars change when someone books,
without a reload (the page's one script and Server-Sent Events). Screenshot under tests/artifacts/."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise

from app.core.db import tortoise_config
from tests.campaigns.builders import make_campaign
from tests.helpers import signed_in

pytestmark = pytest.mark.browser


async def _seed(settings: Any) -> tuple[int, dict[str, str]]:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        _, slot, _ = await make_campaign()
        _, headers = await signed_in(settings)
        return slot.id, headers
    finally:
        await Tortoise.close_connections()


@pytest.fixture
def seeded(settings: Any) -> tuple[int, dict[str, str]]:
    """A campaign and a signed-in citizen, written before the server starts (one ORM context per process)."""
    out: list[tuple[int, dict[str, str]]] = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(_seed(settings))))
    thread.start()
    thread.join()
    return out[0]


async def _raise_funds_behind_the_apps_back(settings: Any, fen: int) -> None:
    """What a donation will do to the counter (its own publish comes with the next event)."""
    url = settings.database_url
    if url.startswith("sqlite://"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            db.execute("UPDATE campaign SET fen_raised = ?", (fen,))
    else:
        import asyncpg

        conn = await asyncpg.connect(
            url.replace("postgres://", "postgresql://", 1).replace("asyncpg://", "postgresql://", 1)
        )
        try:
            await conn.execute("UPDATE campaign SET fen_raised = $1", fen)
        finally:
            await conn.close()


class TestLiveProgressOnAPhone:
    async def test_the_count_changes_without_a_reload_when_someone_books(
        self, seeded: tuple[int, dict[str, str]], live_server: str, phone: Any, screenshots: Path, settings: Any
    ) -> None:
        from playwright.async_api import expect

        slot_id, headers = seeded
        await phone.goto(live_server + "/campaigns/spring")
        counts = phone.locator("[data-participation]")
        await expect(counts).to_have_text("已预约 0 人次，已签到 0 人次")
        # The stream's first event (the current state) has arrived: the page is listening.
        await expect(phone.locator("section.progress")).to_have_attribute("data-live-received", "1")
        await expect(phone.locator(".live-status")).to_be_visible()
        await phone.evaluate("window.__sameDocument = true")

        funds = phone.locator('.goal[data-goal="fen"]')
        await expect(funds.locator("progress")).to_have_attribute("value", "0")
        await _raise_funds_behind_the_apps_back(settings, 150_000)
        async with httpx.AsyncClient(base_url=live_server) as api:
            booked = await api.post(f"/api/v1/campaigns/slots/{slot_id}/bookings", headers=headers)
            assert booked.status_code == 201, booked.text

        await expect(counts).to_have_text("已预约 1 人次，已签到 0 人次")
        await expect(funds.locator("progress")).to_have_attribute("value", "150000")  # the bar moved
        await expect(funds.locator("span")).to_have_text("筹款：1,500.00 元 / 3,000.00 元（50%）")
        assert await phone.evaluate("window.__sameDocument") is True  # no reload happened
        await phone.screenshot(path=str(screenshots / "campaign-live-zh.png"), full_page=True)
