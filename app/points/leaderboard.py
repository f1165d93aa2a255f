"""The personal points leaderboard of a year: Redis sorted sets when configured, the database otherwise.

The ledger is the truth. With Redis, each new award writes the person's year total, read from the
ledger after the award committed, into `…:lb:points:<year>` with `ZADD GT`; `rebuild` (housekeeping,
and on demand) merges a fresh ledger snapshot into the set keeping each person's larger score. A year's
earned total only grows (ledger rows are never edited or deleted), and every score written was a
committed total, so the larger of two is always the newer one: an award racing a rebuild can neither go
missing nor count twice, and a write lost to a crash or a Redis outage heals at the next rebuild.
Without Redis, the same questions are answered by a SUM over the year's earn transfers. Both paths
answer the same tests.

District boards: a person counts in the district they chose (users.district_code) at the time of the
question. With Redis, residents come from the database and their scores from the year's set (ZMSCORE),
so a move between districts is never stale; the ranking of districts themselves is one grouped SUM
over the ledger.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from tortoise import Tortoise
from tortoise.functions import Sum

from app.core.cache import RedisHealth
from app.core.i18n import BEIJING
from app.regions import service as regions
from models.accounts import User
from models.ledger import Transfer

log = structlog.get_logger("microsink.leaderboard")


@dataclass(frozen=True)
class Place:
    rank: int
    user_public_id: str
    display_name: str
    points: int


def current_year() -> int:
    return datetime.now(BEIJING).year


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=BEIJING), datetime(year + 1, 1, 1, tzinfo=BEIJING)


year_bounds = _year_bounds  # the Beijing calendar year, for boards built on the same ledger question


_EARNED = (
    "FROM ledger_transfer t JOIN ledger_account a ON a.id = t.credit_id "
    "WHERE a.ledger = 'points' AND a.code = 'user_wallet' AND t.reason LIKE 'earn.%' "
    "AND t.created_at >= {p1} AND t.created_at < {p2}"
)
_TOTALS_SQL = "SELECT a.owner AS owner, SUM(t.amount) AS points " + _EARNED + " GROUP BY a.owner"
_IN_DISTRICT_SQL = (
    "SELECT a.owner AS owner, SUM(t.amount) AS points " + _EARNED + " AND a.owner IN "
    "(SELECT 'user:' || u.public_id FROM accounts_user u WHERE u.district_code = {p3}) GROUP BY a.owner"
)
_DISTRICTS_SQL = (
    "SELECT u.district_code AS district, SUM(t.amount) AS points, COUNT(DISTINCT u.id) AS people "
    + _EARNED.replace("WHERE", "JOIN accounts_user u ON a.owner = 'user:' || u.public_id WHERE")
    + " AND u.district_code IS NOT NULL GROUP BY u.district_code ORDER BY points DESC, district"
)


_TOTAL_OF_PG = (
    "SELECT COALESCE(SUM(amount), 0) FROM ledger_transfer "
    "WHERE credit_id = $1 AND reason LIKE 'earn.%' AND created_at >= $2 AND created_at < $3"
)


def _params(sql: str, postgres: bool) -> str:
    return sql.format(**{f"p{i}": f"${i}" if postgres else "?" for i in (1, 2, 3)})


async def _total_of(wallet_id: int, year: int) -> int:
    """One person's points earned in `year`, from the ledger (indexed by credit account and time)."""
    start, end = _year_bounds(year)
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":  # after every award: a fixed statement, not the ORM's build
        _, rows = await conn.execute_query(_TOTAL_OF_PG, [wallet_id, start, end])
        return int(rows[0][0])
    total = await (
        Transfer.filter(credit_id=wallet_id, reason__startswith="earn.", created_at__gte=start, created_at__lt=end)
        .annotate(points=Sum("amount"))
        .values_list("points", flat=True)
    )
    return int(total[0] or 0) if total else 0  # type: ignore[arg-type]


async def _totals_from_ledger(
    year: int, limit: int | None = None, district: str | None = None
) -> list[tuple[str, int]]:
    conn = Tortoise.get_connection("default")
    sql = _params(_TOTALS_SQL if district is None else _IN_DISTRICT_SQL, conn.capabilities.dialect == "postgres")
    sql += " ORDER BY points DESC, owner"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    start, end = _year_bounds(year)
    rows = await conn.execute_query_dict(sql, [start, end] if district is None else [start, end, district])
    return [(str(r["owner"]).removeprefix("user:"), int(r["points"])) for r in rows]


@dataclass(frozen=True)
class DistrictPlace:
    rank: int
    district_code: str
    district_name: str
    points: int
    people: int


async def districts(year: int, limit: int) -> list[DistrictPlace]:
    """Districts by the points their residents earned this year (a resident counts where they live now)."""
    conn = Tortoise.get_connection("default")
    start, end = _year_bounds(year)
    sql = _params(_DISTRICTS_SQL, conn.capabilities.dialect == "postgres") + f" LIMIT {int(limit)}"
    rows = await conn.execute_query_dict(sql, [start, end])
    places, rank, previous = [], 0, None
    for position, r in enumerate(rows, start=1):
        if int(r["points"]) != previous:
            rank, previous = position, int(r["points"])
        code = str(r["district"])
        places.append(DistrictPlace(rank, code, regions.full_name(code), int(r["points"]), int(r["people"])))
    return places


class Leaderboard:
    def __init__(self, redis: Redis | None, prefix: str, health: RedisHealth | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.health = health  # told of each Redis failure, so responses and /readyz say "degraded"
        # Called after each recorded award with (user, year), e.g. the team board (app/teams/board.py),
        # so this module never needs to know who else ranks on the same points.
        self.listeners: list[Callable[[User, int], Awaitable[None]]] = []

    def _key(self, year: int) -> str:
        return f"{self.prefix}:lb:points:{year}"

    def _report(self, exc: RedisError) -> None:
        if self.health is not None:
            self.health.failed(exc)

    def _redis_ok(self) -> bool:
        """Redis is configured and not known to be down (then the database answers at once)."""
        return self.redis is not None and (self.health is None or self.health.should_try())

    async def record(self, user: User, wallet_id: int, year: int) -> None:
        """After an award committed: set the person's score to their year total, never lowering it."""
        if self.redis is None:
            return  # the database answers directly
        total = await _total_of(wallet_id, year)
        try:
            await self.redis.zadd(self._key(year), {user.public_id: total}, gt=True)
        except RedisError as exc:
            self._report(exc)
            log.warning("leaderboard_update_lost", year=year)  # rebuild heals it
        for listener in self.listeners:
            try:
                await listener(user, year)
            except RedisError as exc:
                self._report(exc)
                log.warning("leaderboard_listener_update_lost", year=year)

    async def rebuild(self, year: int) -> int:
        """Merge the ledger's totals into the year's set, keeping each person's larger score."""
        if self.redis is None:
            return 0
        return await self._merge(year, await _totals_from_ledger(year))

    async def _merge(self, year: int, totals: list[tuple[str, int]]) -> int:
        assert self.redis is not None
        key, staging = self._key(year), self._key(year) + ":rebuild"
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(staging)
        if totals:
            pipe.zadd(staging, dict(totals))
            # MAX, not a swap: a score written after our snapshot is newer and larger, and stays.
            pipe.zunionstore(key, [key, staging], aggregate="MAX")
            pipe.delete(staging)
        await pipe.execute()
        return len(totals)

    async def _district_scores(self, year: int, district: str) -> list[tuple[str, int]]:
        """Scores of the district's residents from the year's set, best first (residents from the database)."""
        assert self.redis is not None
        members = [str(m) for m in await User.filter(district_code=district).values_list("public_id", flat=True)]
        scores = await self.redis.zmscore(self._key(year), members) if members else []
        ranked = [(m, int(s)) for m, s in zip(members, scores, strict=True) if s is not None]
        return sorted(ranked, key=lambda p: (-p[1], p[0]))

    async def top(self, year: int, limit: int, district: str | None = None) -> list[Place]:
        if self._redis_ok() and district is not None:
            try:
                return await _places((await self._district_scores(year, district))[:limit])
            except RedisError as exc:
                self._report(exc)
                log.warning("leaderboard_degraded_to_database", year=year)
        elif self._redis_ok():
            try:
                assert self.redis is not None
                entries: list[Any] = await self.redis.zrange(self._key(year), 0, limit - 1, desc=True, withscores=True)
                pairs = [(k.decode() if isinstance(k, bytes) else str(k), int(v)) for k, v in entries]
                return await _places(pairs)
            except RedisError as exc:
                self._report(exc)
                log.warning("leaderboard_degraded_to_database", year=year)
        return await _places(await _totals_from_ledger(year, limit, district))

    async def rank_of(self, user: User, year: int, district: str | None = None) -> Place | None:
        if self._redis_ok() and district is not None:
            try:
                return _place_in(await self._district_scores(year, district), user)
            except RedisError as exc:
                self._report(exc)
                log.warning("leaderboard_degraded_to_database", year=year)
        elif self._redis_ok():
            try:
                assert self.redis is not None
                key = self._key(year)
                score = await self.redis.zscore(key, user.public_id)
                if score is None:
                    return None
                higher = await self.redis.zcount(key, f"({int(score)}", "+inf")
                return Place(higher + 1, user.public_id, _shown_name(user), int(score))
            except RedisError as exc:
                self._report(exc)
                log.warning("leaderboard_degraded_to_database", year=year)
        return _place_in(await _totals_from_ledger(year, district=district), user)


def _place_in(totals: list[tuple[str, int]], user: User) -> Place | None:
    scores = dict(totals)
    if user.public_id not in scores:
        return None
    mine = scores[user.public_id]
    return Place(1 + sum(1 for v in scores.values() if v > mine), user.public_id, _shown_name(user), mine)


def _shown_name(user: User) -> str:
    """A nickname if the person chose one, else a pseudonym: never a phone number."""
    return user.display_name or f"用户{user.public_id[:6]}"


shown_name = _shown_name


async def _places(pairs: list[tuple[str, int]]) -> list[Place]:
    users = {u.public_id: u for u in await User.filter(public_id__in=[p for p, _ in pairs])}
    places, rank, previous = [], 0, None
    for position, (public_id, points) in enumerate(pairs, start=1):
        if points != previous:
            rank, previous = position, points  # equal points share a rank
        user = users.get(public_id)
        places.append(Place(rank, public_id, _shown_name(user) if user else "—", points))
    return places
