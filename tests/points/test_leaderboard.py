"""This year's personal leaderboard: the same answers from Redis sorted sets and from the database."""

from __future__ import annotations

from uuid import uuid4

from app.points import service
from app.points.leaderboard import _totals_from_ledger, current_year
from models.accounts import User
from tests.conftest import redis_only
from tests.helpers import signed_in


async def earn_via_api(client, headers, action="checkin.daily") -> None:  # type: ignore[no-untyped-def]
    r = await client.post("/api/v1/points/earn", json={"id": str(uuid4()), "action": action}, headers=headers)
    assert r.status_code == 201, r.text


class TestLeaderboard:
    async def test_ranks_by_points_with_shared_ranks_and_no_phone_numbers(self, client, app, settings) -> None:
        board = app.state.leaderboard
        people = []
        for i, trees in enumerate((3, 5, 5, 1)):
            user, _ = await signed_in(settings, phone=f"1370000100{i}")
            if i == 0:
                await User.filter(id=user.id).update(display_name="林小绿")
            await service.earn(uuid4(), user, "planting.approved", units=trees, leaderboard=board)
            people.append(user)
        top = (await client.get("/api/v1/points/leaderboard", params={"limit": 3})).json()
        assert [(p["rank"], p["points"]) for p in top] == [(1, 50), (1, 50), (3, 30)]
        assert top[2]["name"] == "林小绿"
        assert all("1370000" not in p["name"] for p in top)

    async def test_my_place_and_a_replayed_award_counts_once(self, client, app, settings) -> None:
        leader, _ = await signed_in(settings)
        await service.earn(uuid4(), leader, "planting.approved", units=9, leaderboard=app.state.leaderboard)
        me, headers = await signed_in(settings)
        body = {"id": str(uuid4()), "action": "checkin.daily"}
        for _ in range(3):  # the same award three times
            await client.post("/api/v1/points/earn", json=body, headers=headers)
        mine = (await client.get("/api/v1/points/leaderboard/me", headers=headers)).json()
        assert (mine["rank"], mine["points"], mine["user"]) == (2, 2, me.public_id)

    async def test_nobody_yet_means_an_empty_board_and_no_place(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        assert (await client.get("/api/v1/points/leaderboard")).json() == []
        assert (await client.get("/api/v1/points/leaderboard/me", headers=headers)).json() is None

    @redis_only
    async def test_a_lost_increment_heals_on_rebuild(self, client, app, settings) -> None:
        _, headers = await signed_in(settings)
        await earn_via_api(client, headers)
        board = app.state.leaderboard
        await board.redis.delete(board._key(current_year()))  # as if Redis had lost it
        assert (await client.get("/api/v1/points/leaderboard")).json() == []
        assert await board.rebuild(current_year()) == 1
        assert [p["points"] for p in (await client.get("/api/v1/points/leaderboard")).json()] == [2]

    @redis_only
    async def test_an_award_after_the_rebuild_snapshot_is_not_lost(self, client, app, settings) -> None:
        board, year = app.state.leaderboard, current_year()
        user, headers = await signed_in(settings)
        await earn_via_api(client, headers)
        stale = await _totals_from_ledger(year)  # the rebuild reads the ledger …
        await service.earn(uuid4(), user, "planting.approved", units=1, leaderboard=board)  # … an award lands …
        await board._merge(year, stale)  # … and the rebuild writes what it read
        assert (await board.rank_of(user, year)).points == 12  # type: ignore[union-attr]

    @redis_only
    async def test_an_award_recorded_after_the_rebuild_counts_once(self, client, app, settings) -> None:
        board, year = app.state.leaderboard, current_year()
        user, _ = await signed_in(settings)
        await service.earn(uuid4(), user, "planting.approved", units=2)  # committed, not yet on the board
        await board.rebuild(year)  # the rebuild's snapshot includes it …
        wallet = await service.wallet_of(user)
        await board.record(user, wallet.id, year)  # … and then the award's own update arrives late
        assert (await board.rank_of(user, year)).points == 20  # type: ignore[union-attr]


async def resident_of(settings, district: str | None, trees: int, board, phone: str) -> User:  # type: ignore[no-untyped-def]
    user, _ = await signed_in(settings, phone=phone)
    await User.filter(id=user.id).update(district_code=district)
    await service.earn(uuid4(), user, "planting.approved", units=trees, leaderboard=board)
    return await User.get(id=user.id)


class TestDistrictLeaderboard:
    async def test_ranks_only_the_districts_residents(self, client, app, settings) -> None:
        board = app.state.leaderboard
        await resident_of(settings, "510112", 2, board, "13700002001")
        top = await resident_of(settings, "510112", 4, board, "13700002002")
        await resident_of(settings, "510184", 9, board, "13700002003")
        await resident_of(settings, None, 7, board, "13700002004")
        r = await client.get("/api/v1/points/leaderboard", params={"district": "510112"})
        assert [(p["rank"], p["user"], p["points"]) for p in r.json()][:1] == [(1, top.public_id, 40)]
        assert [p["points"] for p in r.json()] == [40, 20]

    async def test_a_move_takes_the_persons_points_to_the_new_district_at_once(self, client, app, settings) -> None:
        board = app.state.leaderboard
        mover = await resident_of(settings, "510112", 3, board, "13700002011")
        _, headers = await signed_in(settings, phone="13700002011")
        await client.patch("/api/v1/me", json={"district_code": "510184"}, headers=headers)
        assert (await client.get("/api/v1/points/leaderboard", params={"district": "510112"})).json() == []
        moved = (await client.get("/api/v1/points/leaderboard/me/district", headers=headers)).json()
        assert (moved["rank"], moved["user"], moved["points"]) == (1, mover.public_id, 30)

    async def test_ranks_districts_by_their_residents_points(self, client, app, settings) -> None:
        board = app.state.leaderboard
        await resident_of(settings, "510112", 2, board, "13700002021")
        await resident_of(settings, "510112", 4, board, "13700002022")
        await resident_of(settings, "510184", 5, board, "13700002023")
        r = await client.get("/api/v1/points/leaderboard/districts")
        assert r.json() == [
            {"rank": 1, "district": "510112", "name": "四川省成都市龙泉驿区", "points": 60, "people": 2},
            {"rank": 2, "district": "510184", "name": "四川省成都市崇州市", "points": 50, "people": 1},
        ]

    async def test_without_a_district_my_district_place_says_how_to_choose_one(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.get("/api/v1/points/leaderboard/me/district?lang=en", headers=headers)
        assert r.status_code == 400
        assert "district_code" in r.json()["message"]

    async def test_an_unknown_district_is_a_clear_400(self, client) -> None:
        r = await client.get("/api/v1/points/leaderboard", params={"district": "510100"})
        assert (r.status_code, r.json()["code"]) == (400, "regions.not_a_county")
