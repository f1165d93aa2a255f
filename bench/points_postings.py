"""Benchmark: points postings per second through the HTTP API on PostgreSQL + Redis, as a ratio to
pgbench TPC-B TPS against the same server, measured in the same run (issue 4's target: ≥ 0.5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m bench.points_postings --requests 3000 --workers 2

The app runs the production way (uvicorn, several workers, PostgreSQL + Redis) in a throw-away
database. Each request is a new award (`POST /api/v1/points/earn`, the daily check-in) for a distinct
signed-in user: cap counters, a ledger transfer and the leaderboard, in one transaction. The load comes
from this process (httpx, `--concurrency` in flight) on the same machine, as pgbench's clients do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import uuid

import asyncpg
import httpx

from app.core.db import run_migrations
from app.settings import Settings
from bench.common import (
    db_url,
    free_port,
    load,
    pg_url,
    pgbench,
    rate,
    run_ops,
    serve,
    server_env,
    serving,
    signed_in_tokens,
    wait_until_up,
)


async def post_award(client: httpx.AsyncClient, token: str, headers: dict[str, str] | None = None) -> bool:
    """One posting: a new daily check-in award for the token's user (201 is success)."""
    r = await client.post(
        "/api/v1/points/earn",
        json={"id": str(uuid.uuid4()), "action": "checkin.daily"},
        headers={**(headers or {}), "Authorization": f"Bearer {token}"},
    )
    return r.status_code == 201


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    args = parser.parse_args()
    base_url, redis_url = os.environ["DATABASE_URL"], os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    run = uuid.uuid4().hex[:8]
    app_db, pgb_db = f"msbench_app_{run}", f"msbench_pgb_{run}"
    admin = await asyncpg.connect(pg_url(db_url(base_url, "postgres")))
    for name in (app_db, pgb_db):
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        settings = Settings(database_url=db_url(base_url, app_db), redis_url=redis_url, redis_prefix=f"bench{run}")
        await run_migrations(settings)
        tokens = await signed_in_tokens(settings, args.requests)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with serving([]) as servers:
            servers.append(serve("app.main:create_app", port, args.workers, server_env(settings)))
            await wait_until_up(base, "/readyz")
            elapsed, latencies, failures, client_ms = await run_ops(base, tokens, args.concurrency, post_award)
            health = await load(base, ["/healthz"] * len(tokens), args.concurrency)
        baseline, health_client_ms = rate(len(tokens), health), health[3]
        postings = (len(latencies) - failures) / elapsed
        tps = pgbench(db_url(base_url, pgb_db), args.pgbench_seconds, args.concurrency // 4 or 1)
        # A second reference, not a replacement: pgbench with as many clients as the HTTP load has
        # requests in flight.
        tps_same = pgbench(db_url(base_url, pgb_db), args.pgbench_seconds, args.concurrency, initialise=False)
        q = statistics.quantiles(latencies, n=100)
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"app: uvicorn, {args.workers} workers, PostgreSQL + Redis; load: {args.concurrency} in flight, same machine"
        )
        print(f"points postings via HTTP: {len(latencies) - failures} ok, {failures} failed in {elapsed:.1f} s")
        print(f"  throughput {postings:8.1f} /s   p50 {q[49] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms")
        print(
            f"GET /healthz, same server and client: {baseline:8.1f} /s  (postings are {postings / baseline:.2f} of it)"
        )
        print(f"pgbench TPC-B (scale 10):  {tps:8.1f} TPS  ({args.concurrency // 4 or 1} clients)")
        print(f"ratio postings / TPS:      {postings / tps:8.2f}  (target ≥ 0.5)")
        print(
            f"ceiling /healthz / TPS:    {baseline / tps:8.2f}  (an HTTP request doing no database work, same client)"
        )
        print(
            f"second reference: pgbench with {args.concurrency} clients (= HTTP requests in flight): {tps_same:8.1f} TPS, "
            f"postings / it {postings / tps_same:.2f}"
        )
        print(
            f"load generator CPU (httpx, this process): {client_ms:.2f} ms per posting, {health_client_ms:.2f} ms per "
            f"/healthz, on the same {os.cpu_count()} cores as the server and PostgreSQL"
        )
    finally:
        for name in (app_db, pgb_db):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
