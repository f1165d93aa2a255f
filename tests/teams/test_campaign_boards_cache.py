"""The campaign page's two boards count rows, so they are cached: fresh for CAMPAIGN_BOARDS_TTL_S, then
served stale while one recount per worker runs in the background, never counted by every view at once."""

from __future__ import annotations

import asyncio

import pytest
from litestar.stores.memory import MemoryStore

from app.teams import board
from app.teams.board import CampaignBoards, CampaignPersonRow


class Counter:
    """Stands in for the two SQL counts (what is under test is when they run, not what they count)."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def __call__(self, campaign_id: int, limit: int) -> CampaignBoards:
        self.calls += 1
        await self.release.wait()
        return CampaignBoards(teams=[], people=[CampaignPersonRow(1, f"count {self.calls}", self.calls)])


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    c = Counter()
    monkeypatch.setattr(board, "_count_boards", c)
    return c


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_views_that_find_no_copy_share_one_count(counter: Counter) -> None:
    store, clock = MemoryStore(), Clock()
    views = [asyncio.create_task(board.campaign_boards(7, 10, store, clock=clock)) for _ in range(20)]
    await asyncio.sleep(0.01)
    counter.release.set()
    answers = await asyncio.gather(*views)
    assert counter.calls == 1
    assert {a.people[0].name for a in answers} == {"count 1"}


async def test_a_fresh_copy_is_served_without_counting(counter: Counter) -> None:
    store, clock = MemoryStore(), Clock()
    counter.release.set()
    await board.campaign_boards(7, 10, store, clock=clock)
    clock.now += board.CAMPAIGN_BOARDS_TTL_S - 1
    for _ in range(5):
        assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 1"
    assert counter.calls == 1


async def test_a_stale_copy_is_served_at_once_while_one_recount_runs(counter: Counter) -> None:
    store, clock = MemoryStore(), Clock()
    counter.release.set()
    await board.campaign_boards(7, 10, store, clock=clock)
    counter.release.clear()  # the recount will wait: views must not
    clock.now += board.CAMPAIGN_BOARDS_TTL_S
    stale = [await asyncio.wait_for(board.campaign_boards(7, 10, store, clock=clock), 1) for _ in range(10)]
    assert {s.people[0].name for s in stale} == {"count 1"}
    assert counter.calls == 2  # ten stale views, one recount
    counter.release.set()
    for _ in range(50):
        await asyncio.sleep(0.01)
        if not board._counting:
            break
    assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 2"
    assert counter.calls == 2


async def test_a_failed_background_recount_keeps_the_copy_and_is_tried_a_ttl_later(
    counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, clock = MemoryStore(), Clock()
    counter.release.set()
    await board.campaign_boards(7, 10, store, clock=clock)

    async def broken(campaign_id: int, limit: int) -> CampaignBoards:
        raise RuntimeError("database went away")

    monkeypatch.setattr(board, "_count_boards", broken)
    clock.now += board.CAMPAIGN_BOARDS_TTL_S
    assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 1"
    await asyncio.sleep(0.01)
    assert not board._counting  # the failed count is gone
    monkeypatch.setattr(board, "_count_boards", counter)
    # The copy was marked fresh when the recount started: it is tried again a TTL later, not at once
    # (a failing database is not asked again by every view).
    assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 1"
    assert counter.calls == 1
    clock.now += board.CAMPAIGN_BOARDS_TTL_S
    assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 1"
    await asyncio.sleep(0.01)
    assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 2"


async def test_one_worker_recounts_a_stale_copy_the_others_keep_serving_it(counter: Counter) -> None:
    store, clock = MemoryStore(), Clock()  # one store shared by the workers, as Redis is
    counter.release.set()
    await board.campaign_boards(7, 10, store, clock=clock)
    counter.release.clear()
    clock.now += board.CAMPAIGN_BOARDS_TTL_S
    await board.campaign_boards(7, 10, store, clock=clock)  # worker A starts the recount
    in_worker_a = dict(board._counting)
    board._counting.clear()  # worker B: its own process, nothing counting there
    for _ in range(5):
        assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 1"
    assert counter.calls == 2  # B did not count
    board._counting.update(in_worker_a)
    counter.release.set()
    await asyncio.gather(*in_worker_a.values())
    assert (await board.campaign_boards(7, 10, store, clock=clock)).people[0].name == "count 2"
