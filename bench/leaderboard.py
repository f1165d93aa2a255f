"""Benchmark: a leaderboard's top-50 read at 1,000,000 members versus 1,000 members, same run (issue 7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m bench.leaderboard --small 1000 --large 1000000

A throw-away PostgreSQL database and a throw-away Redis key prefix. For each size (the small board first,
then grown to the large one in the same database and set):

- people: `accounts_user` rows, a points wallet each and one earn transfer each with the person's score,
  written by INSERT … SELECT generate_series (no ORM: 1M rows through the ORM would take an hour);
- Redis: the year's sorted set seeded by pipelined ZADD (10,000 members a round trip) and a hash of names.

Three reads of the top 50 are timed (sequential requests, median and p99; the two Redis reads in three
rounds alternating between the sizes, each size keeping its own set, so both see the same load):

1. redis raw: ZREVRANGE 0 49 WITHSCORES, then HMGET of the 50 names from a Redis hash;
2. app + Redis: `Leaderboard.top(year, 50)`, the code the API runs (ZRANGE, then the 50 names from
   PostgreSQL by public id);
3. app, database fallback: `Leaderboard(None).top(year, 50)`, a grouped SUM over the year's earn
   transfers (fewer reads: it scans everything).

Prints each median and the ratio large / small. The team board's set has the same shape (ZREVRANGE, then
names by public id) and is not timed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from redis.asyncio import Redis
from tortoise import Tortoise

from app.core.db import run_migrations, tortoise_config
from app.points.leaderboard import Leaderboard, current_year
from app.settings import Settings

BATCH = 10_000


def _db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


def _public_id(n: int) -> str:
    return f"{n:026x}"


def _score(n: int) -> int:
    return 1 + (n * 7919) % 100_000  # spread, with ties, deterministic


async def _fill_database(url: str, start: int, end: int) -> None:
    """People start+1..end: user, wallet, one earn transfer each (same public ids and scores as Redis)."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(
            "INSERT INTO accounts_user (public_id, display_name, language, is_active, created_at) "
            "SELECT lpad(to_hex(g), 26, '0'), '林友' || g, 'zh-CN', true, now() FROM generate_series($1::int, $2::int) g",
            start + 1,
            end,
        )
        await conn.execute(
            "INSERT INTO ledger_account (ledger, code, owner, balance, held, may_go_negative, created_at) "
            "SELECT 'points', 'user_wallet', 'user:' || lpad(to_hex(g), 26, '0'), 0, 0, false, now() "
            "FROM generate_series($1::int, $2::int) g",
            start + 1,
            end,
        )
        issuance = await conn.fetchval(
            "SELECT id FROM ledger_account WHERE ledger = 'points' AND code = 'platform_issuance'"
        )
        if issuance is None:
            issuance = await conn.fetchval(
                "INSERT INTO ledger_account (ledger, code, owner, balance, held, may_go_negative, created_at) "
                "VALUES ('points', 'platform_issuance', 'platform', 0, 0, true, now()) RETURNING id"
            )
        await conn.execute(
            "INSERT INTO ledger_transfer (id, ledger, debit_id, credit_id, amount, reason, reference, request_hash, created_at) "
            "SELECT md5('lb' || g)::uuid, 'points', $3, a.id, 1 + (g::bigint * 7919) % 100000, 'earn.bench', '', 'h', now() "
            "FROM generate_series($1::int, $2::int) g "
            "JOIN ledger_account a ON a.ledger = 'points' AND a.code = 'user_wallet' "
            "AND a.owner = 'user:' || lpad(to_hex(g), 26, '0')",
            start + 1,
            end,
            issuance,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _fill_redis(redis: Redis, key: str, names: str, start: int, end: int) -> None:
    for lo in range(start + 1, end + 1, BATCH):
        hi = min(lo + BATCH, end + 1)
        pipe = redis.pipeline(transaction=False)
        pipe.zadd(key, {_public_id(n): _score(n) for n in range(lo, hi)})
        pipe.hset(names, mapping={_public_id(n): f"林友{n}" for n in range(lo, hi)})
        await pipe.execute()


async def _samples(fn: Callable[[], Awaitable[object]], reads: int) -> list[float]:
    await fn()  # warm
    samples = []
    for _ in range(reads):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=300, help="per size and round (three alternating rounds)")
    parser.add_argument("--db-reads", type=int, default=5)
    args = parser.parse_args()
    base, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    name = f"msbench_{uuid.uuid4().hex[:8]}"
    prefix = f"msbench{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_db(base, "postgres").replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _db(base, name)
    redis = Redis.from_url(redis_url)
    year = current_year()
    sizes = (args.small, args.large)
    # One sorted set and one names hash per size, both kept, so the Redis reads alternate between sizes
    # in the same minutes (the machine's load moves; sequential blocks would measure the load instead).
    boards = {n: Leaderboard(redis, f"{prefix}:{n}") for n in sizes}
    names = {n: f"{prefix}:{n}:names" for n in sizes}
    samples: dict[tuple[str, int], list[float]] = {}
    try:
        await run_migrations(Settings(database_url=url))
        await Tortoise.init(config=tortoise_config(Settings(database_url=url)), _enable_global_fallback=True)
        filled = 0
        for size in sizes:
            started = time.perf_counter()
            await _fill_database(url, filled, size)
            db_s = time.perf_counter() - started
            started = time.perf_counter()
            await _fill_redis(redis, boards[size]._key(year), names[size], 0, size)
            redis_s = time.perf_counter() - started
            filled = size
            assert await redis.zcard(boards[size]._key(year)) == size
            print(f"{size:>9,} members: database filled in {db_s:.1f} s, Redis (pipelined ZADD) in {redis_s:.1f} s")

            async def app_database() -> None:
                assert len(await Leaderboard(None, prefix).top(year, 50)) == 50

            # The database fallback reads every earn transfer of the year: it is timed while the
            # database holds exactly this many people, so before the next size is added.
            samples[("app, database fallback (grouped SUM)", size)] = await _samples(app_database, args.db_reads)

        for _ in range(3):
            for size in sizes:
                key, hash_ = boards[size]._key(year), names[size]

                async def raw() -> None:
                    top = await redis.zrevrange(key, 0, 49, withscores=True)  # noqa: B023
                    await redis.hmget(hash_, [m for m, _ in top])  # noqa: B023

                async def app_redis() -> None:
                    assert len(await boards[size].top(year, 50)) == 50  # noqa: B023

                label = "redis raw (ZREVRANGE + HMGET names)"
                samples.setdefault((label, size), []).extend(await _samples(raw, args.reads))
                label = "app + Redis (Leaderboard.top, 50 names from PostgreSQL)"
                samples.setdefault((label, size), []).extend(await _samples(app_redis, args.reads))
        await Tortoise.close_connections()
        load = os.getloadavg()
        print(
            f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        )
        print(f"{'top-50 read, median (p99) ms':58} {args.small:>15,} {args.large:>17,}   ratio large/small")
        labels = dict.fromkeys(label for label, _ in samples)
        for label in labels:
            (s_med, s_p99), (l_med, l_p99) = _summary(samples[(label, sizes[0])]), _summary(samples[(label, sizes[1])])
            print(f"{label:58} {s_med:8.2f} ({s_p99:6.2f}) {l_med:9.2f} ({l_p99:7.2f})   {l_med / s_med:6.2f}")
    finally:
        async for k in redis.scan_iter(match=f"{prefix}*"):
            await redis.delete(k)
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
