"""Team boards: the same answers from Redis sorted sets and from the database (run both ways)."""

from __future__ import annotations

from uuid import uuid4

from app.points import service as points
from app.points.leaderboard import current_year
from app.teams import board as team_boards
from models.campaigns import Booking, CheckIn
from tests.conftest import redis_only
from tests.helpers import signed_in
from tests.teams.builders import create_team, join, owner_and_team


async def member(client, settings, app, team, trees: int, **kw):  # type: ignore[no-untyped-def]
    """A person who joins the team and earns `trees` × 10 points (in whichever order `first` says)."""
    user, headers = await signed_in(settings, **kw)
    if trees:
        await points.earn(uuid4(), user, "planting.approved", units=trees, leaderboard=app.state.leaderboard)
    assert (await join(client, headers, team["join_code"])).status_code == 200
    return user, headers


async def board(client, **params):  # type: ignore[no-untyped-def]
    r = await client.get("/api/v1/points/leaderboard/teams", params=params)
    assert r.status_code == 200, r.text
    return [(p["rank"], p["team"], p["points"]) for p in r.json()]


class TestTeamBoard:
    async def test_ranks_teams_by_their_members_points_with_shared_ranks(self, client, app, settings) -> None:
        _, a = await owner_and_team(client, settings, name_zh="甲")
        _, b = await owner_and_team(client, settings, name_zh="乙")
        _, c = await owner_and_team(client, settings, name_zh="丙", kind="other")
        await member(client, settings, app, a, 2)
        await member(client, settings, app, a, 3)
        await member(client, settings, app, b, 5)
        await member(client, settings, app, c, 1)
        tied = sorted([a["id"], b["id"]])
        assert await board(client) == [(1, tied[0], 50), (1, tied[1], 50), (3, c["id"], 10)]
        assert await board(client, limit=1) == [(1, tied[0], 50)]
        assert await board(client, kind="other") == [(1, c["id"], 10)]

    async def test_points_earned_after_joining_count_at_once(self, client, app, settings) -> None:
        _, team = await owner_and_team(client, settings)
        user, _ = await member(client, settings, app, team, 0)
        assert await board(client) == []
        await points.earn(uuid4(), user, "planting.approved", units=4, leaderboard=app.state.leaderboard)
        assert await board(client) == [(1, team["id"], 40)]

    async def test_a_member_brings_the_years_points_and_takes_them_on_leaving(self, client, app, settings) -> None:
        _, team = await owner_and_team(client, settings)
        await member(client, settings, app, team, 2)
        _, headers = await member(client, settings, app, team, 3)  # earned before joining: counts
        assert await board(client) == [(1, team["id"], 50)]
        await client.post(f"/api/v1/teams/{team['id']}/leave", headers=headers)
        assert await board(client) == [(1, team["id"], 20)]

    async def test_removing_the_last_scorer_takes_the_team_off_the_board(self, client, app, settings) -> None:
        owner, team = await owner_and_team(client, settings)
        user, _ = await member(client, settings, app, team, 2)
        await client.delete(f"/api/v1/teams/{team['id']}/members/{user.public_id}", headers=owner)
        assert await board(client) == []

    async def test_a_school_counts_its_classes(self, client, app, settings) -> None:
        owner, school = await owner_and_team(client, settings, kind="school", name_zh="实验小学")
        one = await create_team(client, owner, kind="class", name_zh="一班", parent=school["id"])
        two = await create_team(client, owner, kind="class", name_zh="二班", parent=school["id"])
        await member(client, settings, app, one, 2)
        await member(client, settings, app, two, 3)
        await member(client, settings, app, school, 1)  # a teacher in the school itself
        assert await board(client, kind="school") == [(1, school["id"], 60)]
        assert await board(client, kind="class") == [(1, two["id"], 30), (2, one["id"], 20)]
        page = (await client.get(f"/api/v1/teams/{school['id']}")).json()
        assert (page["points"], page["rank"]) == (60, 1)
        assert [p["points"] for p in page["top"]] == [30, 20, 10]

    async def test_the_team_page_masks_names_and_never_shows_a_phone(self, client, app, settings) -> None:
        from models.accounts import User

        _, team = await owner_and_team(client, settings)
        user, _ = await member(client, settings, app, team, 2, phone="13712345678")
        await User.filter(id=user.id).update(display_name="林小绿")
        body = (await client.get(f"/api/v1/teams/{team['id']}")).json()
        assert body["top"] == [{"rank": 1, "name": "林**", "points": 20}]
        html = (await client.get(f"/teams/{team['id']}", headers={"accept": "text/html"})).text
        assert "林**" in html and "林小绿" not in html and "12345678" not in html

    async def test_a_team_without_points_has_no_rank(self, client, settings) -> None:
        _, team = await owner_and_team(client, settings)
        body = (await client.get(f"/api/v1/teams/{team['id']}")).json()
        assert (body["points"], body["rank"], body["top"]) == (0, None, [])

    @redis_only
    async def test_a_lost_write_heals_on_rebuild(self, client, app, settings) -> None:
        _, team = await owner_and_team(client, settings)
        await member(client, settings, app, team, 2)
        tb = app.state.team_board
        await tb.redis.delete(tb.key(current_year()), tb.key(current_year(), "company"))  # as if Redis lost it
        assert await board(client) == []
        assert await tb.rebuild() == 1
        assert await board(client) == [(1, team["id"], 20)]

    @redis_only
    async def test_a_stale_write_arriving_late_cannot_overwrite_a_newer_one(self, client, app, settings) -> None:
        from models.teams import Team

        _, team = await owner_and_team(client, settings)
        await member(client, settings, app, team, 2)
        tb, row = app.state.team_board, await Team.get(public_id=team["id"])
        # A refresh that read 20 points at this version is overtaken by one that read 50 at a later version …
        await tb._write(current_year(), "company", team["id"], row.board_version + 2, 50)
        await tb._write(current_year(), "company", team["id"], row.board_version + 1, 20)  # … and lands late
        assert await board(client) == [(1, team["id"], 50)]

    @redis_only
    async def test_redis_and_the_database_agree(self, client, app, settings) -> None:
        teams = [(await owner_and_team(client, settings, name_zh=f"队{i}"))[1] for i in range(4)]
        for i, team in enumerate(teams):
            for trees in (i, 2, i % 2):
                if trees:
                    await member(client, settings, app, team, trees)
        redis_view = await app.state.team_board.top(10)
        database_view = await team_boards.TeamBoard(None, "unused").top(10)
        assert [(p.rank, p.team.public_id, p.points) for p in redis_view] == [
            (p.rank, p.team.public_id, p.points) for p in database_view
        ]
        for team in teams:
            r, d = await app.state.team_board.place_of(team_of(redis_view, team)), None
            d = await team_boards.TeamBoard(None, "unused").place_of(team_of(redis_view, team))
            assert (r.rank, r.points) == (d.rank, d.points)  # type: ignore[union-attr]


def team_of(places, team):  # type: ignore[no-untyped-def]
    return next(p.team for p in places if p.team.public_id == team["id"])


class TestCampaignBoards:
    async def test_teams_and_people_by_check_ins_in_the_campaign(self, client, app, settings) -> None:
        from app.campaigns import service as campaigns
        from tests.campaigns.builders import make_campaign

        campaign, slot, valley = await make_campaign()
        other_campaign, other_slot, _ = await make_campaign(slug="autumn")
        _, a = await owner_and_team(client, settings, name_zh="甲")
        _, b = await owner_and_team(client, settings, name_zh="乙", kind="other")
        _, elsewhere = await owner_and_team(client, settings, name_zh="秋季队", campaign=other_campaign.slug)

        async def checked_in(user, slot_id):  # type: ignore[no-untyped-def]
            booking = await campaigns.book(user, slot_id)
            await Booking.filter(id=booking.id).update(status="checked_in")
            await CheckIn.create(
                booking_id=booking.id,
                token_step=1,
                captured_at=booking.created_at,
                lon=104.33,
                lat=30.55,
                coordinate_system="wgs84",
                distance_m=5,
                offline=False,
            )

        ann, _ = await member(client, settings, app, a, 0)
        ben, _ = await member(client, settings, app, a, 0)
        cat, _ = await member(client, settings, app, b, 0)
        await member(client, settings, app, elsewhere, 0)
        for who, where in ((ann, slot.id), (ann, valley.id), (ben, slot.id), (cat, slot.id)):
            await checked_in(who, where)
        await checked_in(cat, other_slot.id)  # another campaign: not counted here

        r = (await client.get(f"/api/v1/teams/campaigns/{campaign.slug}")).json()
        assert [(p["rank"], p["team"], p["checkins"], p["people"]) for p in r["teams"]] == [
            (1, a["id"], 3, 2),
            (2, b["id"], 1, 1),
        ]
        assert [(p["rank"], p["checkins"]) for p in r["people"]] == [(1, 2), (2, 1), (2, 1)]
        html = (await client.get(f"/campaigns/{campaign.slug}", headers={"accept": "text/html"})).text
        assert "团队排行" in html and "甲" in html and "个人签到榜" in html
