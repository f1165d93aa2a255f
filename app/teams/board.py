"""Team boards: teams by their members' points this year (Redis sorted sets when configured, the database
otherwise), and a campaign's teams and people by check-ins (database).

What a team's points are: the sum of this year's earned points (ledger earn transfers into the points
wallet) of the people who are its members now, as the district board counts current residents. A school
counts its direct members and the members of its classes. Someone who joins in June brings their whole
year with them; someone who leaves takes theirs away. Only the current year is kept in Redis.

Why the personal board's GT-merge cannot be reused: a team's score goes down when a member leaves, so
"the larger of two scores is the newer one" no longer holds. Instead every write carries a version:

1. After any change that can move a team's score has committed (a join, a leave, a removal, an award to
   a member), `refresh` opens a transaction, bumps `teams_team.board_version` (an UPDATE, which takes the
   team's row lock and holds it until commit) and reads the team's total from the ledger in the same
   transaction, after the lock.
2. Two refreshes of one team are thus ordered by the row lock: the later one got the higher version, and
   its read began after the earlier one committed, so it saw everything the earlier one saw and more
   (PostgreSQL READ COMMITTED takes each statement's snapshot when the statement starts; SQLite runs one
   transaction at a time per process).
3. The write to Redis is a compare-and-set (one Lua script): the score is taken only with a version
   higher than the one stored beside it. Whatever order the writes arrive in, the set ends holding the
   score of the newest snapshot, and every change committed before a refresh began is in that snapshot.
4. A write lost to a crash or a Redis outage is healed by `rebuild`, which bumps every team's version in
   one transaction and writes every team's total the same way.

Without Redis the same questions are answered by one grouped SUM over the ledger. Both paths order
equal scores by the team's public id and answer the same tests (tests/teams/test_board.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog
from litestar.stores.base import Store
from redis.asyncio import Redis
from redis.exceptions import RedisError
from tortoise import Tortoise
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.core.cache import RedisHealth
from app.points.leaderboard import current_year, shown_name, year_bounds
from models.accounts import User
from models.teams import Team, TeamMember

log = structlog.get_logger("microsink.teams.board")

KINDS = ("company", "school", "class", "other")

# Who counts for which team: every membership counts for its team, and a class's members also for its
# school. (user, lane, scope) is unique and school and class share a lane, so nobody counts twice.
_BOARD_MEMBERS = (
    "WITH bm(team_id, user_id) AS ("
    "SELECT m.team_id, m.user_id FROM teams_member m "
    "UNION ALL SELECT tm.parent_id, m.user_id FROM teams_member m JOIN teams_team tm ON tm.id = m.team_id "
    "WHERE tm.parent_id IS NOT NULL) "
)
_TEAM_TOTALS_SQL = (
    _BOARD_MEMBERS + "SELECT team.id AS id, team.public_id AS team, SUM(t.amount) AS points "
    "FROM bm JOIN teams_team team ON team.id = bm.team_id "
    "JOIN accounts_user u ON u.id = bm.user_id "
    "JOIN ledger_account a ON a.ledger = 'points' AND a.code = 'user_wallet' AND a.owner = 'user:' || u.public_id "
    "JOIN ledger_transfer t ON t.credit_id = a.id "
    "WHERE t.reason LIKE 'earn.%' AND t.created_at >= {p1} AND t.created_at < {p2}"
)
# A campaign's teams by check-ins of their members: from the campaign's bookings (index
# campaign_booking(campaign_id, user_id), migration 0025) to their check-ins (unique booking_id) and to
# the members (teams_member's unique (user_id, lane, scope) starts with user_id). Teams tied to another
# campaign are left out; everyday teams take part.
_CAMPAIGN_TEAMS_SQL = (
    _BOARD_MEMBERS + "SELECT team.public_id AS team, COUNT(*) AS checkins, COUNT(DISTINCT b.user_id) AS people "
    "FROM campaign_booking b JOIN campaign_checkin c ON c.booking_id = b.id "
    "JOIN bm ON bm.user_id = b.user_id JOIN teams_team team ON team.id = bm.team_id "
    "WHERE b.campaign_id = {p1} AND (team.campaign_id IS NULL OR team.campaign_id = {p2}) "
    "GROUP BY team.public_id ORDER BY checkins DESC, team.public_id LIMIT {p3}"
)
_CAMPAIGN_PEOPLE_SQL = (
    "SELECT u.public_id AS person, COUNT(*) AS checkins "
    "FROM campaign_booking b JOIN campaign_checkin c ON c.booking_id = b.id JOIN accounts_user u ON u.id = b.user_id "
    "WHERE b.campaign_id = {p1} GROUP BY u.public_id ORDER BY checkins DESC, u.public_id LIMIT {p2}"
)

# KEYS: versions hash, the all-teams set, the kind's set. ARGV: team public id, version, score.
_CAS_SCRIPT = """
local stored = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if stored >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return 1
"""


def _sql(template: str) -> tuple[Any, str]:
    conn = Tortoise.get_connection("default")
    postgres = conn.capabilities.dialect == "postgres"
    return conn, template.format(**{f"p{i}": f"${i}" if postgres else "?" for i in (1, 2, 3, 4)})


async def _team_totals(
    year: int, *, kind: str | None = None, team_id: int | None = None, limit: int | None = None
) -> list[tuple[str, int]]:
    """(team public id, points) best first, ties by public id; only teams whose members earned points."""
    template, start_end = _TEAM_TOTALS_SQL, list(year_bounds(year))
    params: list[Any] = start_end
    if kind is not None:
        template += " AND team.kind = {p3}"
        params = [*start_end, kind]
    elif team_id is not None:
        template += " AND team.id = {p3}"
        params = [*start_end, team_id]
    template += " GROUP BY team.id, team.public_id ORDER BY points DESC, team.public_id"
    if limit is not None:
        template += f" LIMIT {int(limit)}"
    conn, sql = _sql(template)
    rows = await conn.execute_query_dict(sql, params)
    return [(str(r["team"]), int(r["points"])) for r in rows]


@dataclass(frozen=True)
class TeamPlace:
    rank: int
    team: Team
    points: int


def _ranked(pairs: list[tuple[str, int]]) -> list[tuple[int, str, int]]:
    out, rank, previous = [], 0, None
    for position, (public_id, points) in enumerate(pairs, start=1):
        if points != previous:
            rank, previous = position, points  # equal points share a rank
        out.append((rank, public_id, points))
    return out


async def _places(pairs: list[tuple[str, int]]) -> list[TeamPlace]:
    teams = {t.public_id: t for t in await Team.filter(public_id__in=[p for p, _ in pairs])}
    return [TeamPlace(rank, teams[p], points) for rank, p, points in _ranked(pairs) if p in teams]


class TeamBoard:
    def __init__(self, redis: Redis | None, prefix: str, health: RedisHealth | None = None) -> None:
        self.redis = redis
        self.health = health  # told of each Redis failure, so responses and /readyz say "degraded"
        self.prefix = prefix
        self._cas = redis.register_script(_CAS_SCRIPT) if redis is not None else None

    def _keys(self, year: int, kind: str) -> list[str]:
        # The script's keys share a hash slot (the {year} tag) so it also runs on Redis Cluster.
        return [self.key(year, "version"), self.key(year), self.key(year, kind)]

    def _report(self, exc: RedisError) -> None:
        if self.health is not None:
            self.health.failed(exc)

    def _redis_ok(self) -> bool:
        return self.redis is not None and (self.health is None or self.health.should_try())

    def key(self, year: int, kind: str = "all") -> str:
        return f"{self.prefix}:lb:teams:{{{year}}}:{kind}"

    # --- writes ------------------------------------------------------------------------------------

    async def refresh(self, team_ids: Iterable[int], year: int | None = None) -> None:
        """After a committed change: recompute these teams' (and their schools') scores, versioned."""
        if self.redis is None:
            return
        year = year or current_year()
        ids = set(team_ids)
        if not ids:
            return  # someone in no team (most people): nothing to look up
        parents = await Team.filter(id__in=ids, parent_id__isnull=False).values_list("parent_id", flat=True)
        ids |= {int(p) for p in parents}  # type: ignore[call-overload]
        for team_id in sorted(ids):
            async with in_transaction():
                # The UPDATE takes the row lock first; the total is read after it (docstring, point 2).
                if not await Team.filter(id=team_id).update(board_version=F("board_version") + 1):
                    continue
                team = await Team.get(id=team_id)
                totals = await _team_totals(year, team_id=team_id)
            await self._write(year, team.kind, team.public_id, team.board_version, totals[0][1] if totals else 0)

    async def _write(self, year: int, kind: str, public_id: str, version: int, points: int) -> None:
        assert self._cas is not None
        try:
            await self._cas(keys=self._keys(year, kind), args=[public_id, version, points])
        except RedisError as exc:
            self._report(exc)
            log.warning("team_board_update_lost", year=year)  # rebuild heals it

    async def member_scored(self, user: User, year: int) -> None:
        """A listener of the personal board: the person's teams move with their new total."""
        teams = await TeamMember.filter(user_id=user.id).values_list("team_id", flat=True)
        await self.refresh([int(t) for t in teams], year)  # type: ignore[call-overload]

    async def rebuild(self, year: int | None = None) -> int:
        """Write every team's total of the year from the ledger, versioned like `refresh`."""
        if self.redis is None:
            return 0
        year = year or current_year()
        async with in_transaction():
            # Every team row locked in id order (as account deletion takes its teams), then bumped.
            await Team.all().order_by("id").select_for_update().values_list("id", flat=True)
            await Team.all().update(board_version=F("board_version") + 1)
            teams = await Team.all().values_list("public_id", "kind", "board_version")
            totals = dict(await _team_totals(year))
        assert self._cas is not None
        try:
            for start in range(0, len(teams), 1000):  # pipelined: one round trip per thousand teams
                pipe = self.redis.pipeline(transaction=False)
                for public_id, kind, version in teams[start : start + 1000]:
                    args: list[str | int] = [str(public_id), int(version), totals.get(str(public_id), 0)]
                    await self._cas(keys=self._keys(year, str(kind)), args=args, client=pipe)
                await pipe.execute()
        except RedisError as exc:
            self._report(exc)
            log.warning("team_board_rebuild_lost", year=year)  # the next rebuild tries again
        return len(totals)

    # --- reads -------------------------------------------------------------------------------------

    async def _top_from_redis(self, year: int, limit: int, kind: str | None) -> list[tuple[str, int]]:
        assert self.redis is not None
        key = self.key(year, kind or "all")
        entries: list[Any] = await self.redis.zrange(key, 0, limit - 1, desc=True, withscores=True)
        pairs = [(k.decode() if isinstance(k, bytes) else str(k), int(v)) for k, v in entries]
        if len(pairs) == limit:
            # Redis orders equal scores by member, descending; the database by public id, ascending. Take
            # every team tied with the last place, then order the same way as the database and cut.
            last = pairs[-1][1]
            tied: list[Any] = await self.redis.zrangebyscore(key, last, last)
            pairs = [p for p in pairs if p[1] > last] + [
                (k.decode() if isinstance(k, bytes) else str(k), last) for k in tied
            ]
        return sorted(pairs, key=lambda p: (-p[1], p[0]))[:limit]

    async def top(self, limit: int, kind: str | None = None, year: int | None = None) -> list[TeamPlace]:
        year = year or current_year()
        if self._redis_ok():
            try:
                return await _places(await self._top_from_redis(year, limit, kind))
            except RedisError as exc:
                self._report(exc)
                log.warning("team_board_degraded_to_database", year=year)
        return await _places(await _team_totals(year, kind=kind, limit=limit))

    async def place_of(self, team: Team, year: int | None = None) -> TeamPlace | None:
        """The team's rank among all teams this year, or None while its members have no points."""
        year = year or current_year()
        if self._redis_ok():
            try:
                assert self.redis is not None
                key = self.key(year)
                score = await self.redis.zscore(key, team.public_id)
                if score is None:
                    return None
                higher = await self.redis.zcount(key, f"({int(score)}", "+inf")
                return TeamPlace(higher + 1, team, int(score))
            except RedisError as exc:
                self._report(exc)
                log.warning("team_board_degraded_to_database", year=year)
        scores = dict(await _team_totals(year))
        if team.public_id not in scores:
            return None
        mine = scores[team.public_id]
        return TeamPlace(1 + sum(1 for v in scores.values() if v > mine), team, mine)


# --- a team's own people, and campaign boards (database) ------------------------------------------------


def masked(user: User | None) -> str:
    """A team page shows classmates and colleagues to anyone: the first character of a nickname, then
    asterisks; a pseudonym as the personal board shows it. Never a phone number."""
    if user is None:
        return "—"
    if not user.display_name:
        return shown_name(user)
    return user.display_name[0] + "*" * max(1, min(len(user.display_name) - 1, 2))


@dataclass(frozen=True)
class PersonPlace:
    rank: int
    user_public_id: str
    name: str
    score: int


async def _people(pairs: list[tuple[str, int]]) -> list[PersonPlace]:
    users = {u.public_id: u for u in await User.filter(public_id__in=[p for p, _ in pairs])}
    return [PersonPlace(rank, p, masked(users.get(p)), score) for rank, p, score in _ranked(pairs)]


async def members_top(team: Team, limit: int, year: int | None = None) -> list[PersonPlace]:
    """The team's people (a school's include its classes') by points earned this year; from the ledger,
    one indexed query bounded by the member cap."""
    start, end = year_bounds(year or current_year())
    member_ids = await TeamMember.filter(team_id__in=[team.id, *await _class_ids(team)]).values_list(
        "user_id", flat=True
    )
    owners = ["user:" + str(p) for p in await User.filter(id__in=list(member_ids)).values_list("public_id", flat=True)]
    if not owners:
        return []
    conn = Tortoise.get_connection("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = ", ".join(f"${i + 3}" if postgres else "?" for i in range(len(owners)))
    sql = (
        "SELECT a.owner AS owner, SUM(t.amount) AS points FROM ledger_transfer t "
        "JOIN ledger_account a ON a.id = t.credit_id WHERE a.ledger = 'points' AND a.code = 'user_wallet' "
        f"AND t.reason LIKE 'earn.%' AND t.created_at >= {'$1' if postgres else '?'} "
        f"AND t.created_at < {'$2' if postgres else '?'} AND a.owner IN ({marks}) "
        f"GROUP BY a.owner ORDER BY points DESC, a.owner LIMIT {int(limit)}"
    )
    rows = await conn.execute_query_dict(sql, [start, end, *owners])
    return await _people([(str(r["owner"]).removeprefix("user:"), int(r["points"])) for r in rows])


async def _class_ids(team: Team) -> list[int]:
    if team.kind != "school":
        return []
    ids = await Team.filter(parent_id=team.id).values_list("id", flat=True)
    return [int(i) for i in ids]  # type: ignore[call-overload]


@dataclass(frozen=True)
class CampaignTeamPlace:
    rank: int
    team: Team
    checkins: int
    people: int


async def campaign_teams(campaign_id: int, limit: int = 10) -> list[CampaignTeamPlace]:
    """Teams by the check-ins their current members made in the campaign (everyday teams and the
    campaign's own; a school counts its classes')."""
    conn, sql = _sql(_CAMPAIGN_TEAMS_SQL)
    rows = await conn.execute_query_dict(sql, [campaign_id, campaign_id, limit])
    teams = {t.public_id: t for t in await Team.filter(public_id__in=[r["team"] for r in rows])}
    ranked = _ranked([(str(r["team"]), int(r["checkins"])) for r in rows])
    people = {str(r["team"]): int(r["people"]) for r in rows}
    return [CampaignTeamPlace(rank, teams[p], n, people[p]) for rank, p, n in ranked if p in teams]


async def campaign_people(campaign_id: int, limit: int = 10) -> list[PersonPlace]:
    """People by their check-ins in the campaign (names masked)."""
    conn, sql = _sql(_CAMPAIGN_PEOPLE_SQL)
    rows = await conn.execute_query_dict(sql, [campaign_id, limit])
    return await _people([(str(r["person"]), int(r["checkins"])) for r in rows])


# --- both campaign boards, cached ------------------------------------------------------------------------

# The campaign page reads counters so its cost does not grow with participations; these two boards count
# rows, so they are kept (in Redis when configured, else in the process) instead of being counted on every
# view. Fresh for CAMPAIGN_BOARDS_TTL_S; after that the stored copy is still served while one worker
# recounts in the background, so a large campaign's views never all wait on the count together
# (at 1,000,000 participations the count takes about a second, and before this every view that found the
# copy expired started its own: bench/campaign_page.py's uncached rows). Kept CAMPAIGN_BOARDS_KEEP_S at most.
CAMPAIGN_BOARDS_TTL_S = 30
CAMPAIGN_BOARDS_KEEP_S = 600


class CampaignTeamRow(msgspec.Struct):
    rank: int
    team: str
    name_zh: str
    name_en: str | None
    kind: str
    checkins: int
    people: int


class CampaignPersonRow(msgspec.Struct):
    rank: int
    name: str
    checkins: int


class CampaignBoards(msgspec.Struct):
    teams: list[CampaignTeamRow]
    people: list[CampaignPersonRow]


class _StoredBoards(msgspec.Struct):
    counted_at: float  # time.time() when counted: the copy is fresh for CAMPAIGN_BOARDS_TTL_S after it
    boards: CampaignBoards


# The count running in this worker per store key: whoever needs it meanwhile shares it (single flight).
_counting: dict[str, asyncio.Future[CampaignBoards]] = {}


async def campaign_boards(
    campaign_id: int, limit: int, store: Store | None = None, *, clock: Callable[[], float] = time.time
) -> CampaignBoards:
    if store is None:
        return await _count_boards(campaign_id, limit)
    # Not "campaign:…" as before the copies carried `counted_at`: a copy of the old shape left in Redis
    # by the previous release would not decode.
    key = f"campaign-boards:{campaign_id}:{limit}"
    if (cached := await store.get(key)) is not None:
        stored = msgspec.json.decode(cached, type=_StoredBoards)
        if clock() - stored.counted_at >= CAMPAIGN_BOARDS_TTL_S and key not in _counting:
            # Mark the copy fresh again before recounting, so the other workers keep serving it rather than
            # count too (two that read it stale at the same instant may both count: harmless, and rare).
            await store.set(
                key, msgspec.json.encode(_StoredBoards(clock(), stored.boards)), expires_in=CAMPAIGN_BOARDS_KEEP_S
            )
            _recount(key, campaign_id, limit, store, clock)  # in the background; this view gets the copy
        return stored.boards
    return await asyncio.shield(_recount(key, campaign_id, limit, store, clock))


def _recount(
    key: str, campaign_id: int, limit: int, store: Store, clock: Callable[[], float]
) -> asyncio.Future[CampaignBoards]:
    """The count for `key`: the one already running in this worker, or a new one that stores its result."""
    running = _counting.get(key)
    if running is not None and running.get_loop() is asyncio.get_running_loop():
        return running

    async def count_and_store() -> CampaignBoards:
        boards = await _count_boards(campaign_id, limit)
        await store.set(key, msgspec.json.encode(_StoredBoards(clock(), boards)), expires_in=CAMPAIGN_BOARDS_KEEP_S)
        return boards

    task = asyncio.ensure_future(count_and_store())
    _counting[key] = task

    def done(finished: asyncio.Future[CampaignBoards]) -> None:
        if _counting.get(key) is finished:
            del _counting[key]
        if not finished.cancelled() and (exc := finished.exception()) is not None:
            log.warning("campaign_boards_count_failed", key=key, error=repr(exc)[:200])

    task.add_done_callback(done)
    return task


async def _count_boards(campaign_id: int, limit: int) -> CampaignBoards:
    return CampaignBoards(
        teams=[
            CampaignTeamRow(p.rank, p.team.public_id, p.team.name_zh, p.team.name_en, p.team.kind, p.checkins, p.people)
            for p in await campaign_teams(campaign_id, limit)
        ],
        people=[CampaignPersonRow(p.rank, p.name, p.score) for p in await campaign_people(campaign_id, limit)],
    )
