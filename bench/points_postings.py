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
import subprocess
import time
import uuid

import asyncpg
import httpx

from app.core.db import run_migrations
from app.settings import Settings
from bench.bare_posting import tpcb_lines
from bench.common import (
    CpuMeter,
    database_backends,
    db_url,
    free_port,
    line,
    load,
    pg_url,
    pgbench,
    proc_cpu_s,
    rate,
    run_ops,
    serve,
    server_env,
    serving,
    signed_in_tokens,
    wait_until_up,
    worker_pids,
    wrk_in_use,
    wrk_posts,
)

PGBENCH_SCALE = 10


async def post_award(client: httpx.AsyncClient, token: str, headers: dict[str, str] | None = None) -> bool:
    """One posting: a new daily check-in award for the token's user (201 is success)."""
    r = await client.post(
        "/api/v1/points/earn",
        json={"id": str(uuid.uuid4()), "action": "checkin.daily"},
        headers={**(headers or {}), "Authorization": f"Bearer {token}"},
    )
    return r.status_code == 201


def _award_lines(tokens: list[str]) -> list[tuple[str, str, str]]:
    """One wrk request line per signed-in user: their daily check-in, a new award id per request."""
    return [("/api/v1/points/earn", token, '{"id": "{uuid}", "action": "checkin.daily"}') for token in tokens]


def _pg_cpu_s(database: str) -> float:
    """CPU seconds used so far by the backends serving `database` (a pool's stay for the whole run)."""
    return sum(proc_cpu_s(pid) for pid in database_backends(database))


def _server_cpu_s(server: subprocess.Popen) -> float:  # type: ignore[type-arg]
    return sum(proc_cpu_s(pid) for pid in worker_pids(server.pid))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=8000, help="signed-in users (wrk: at least its requests)")
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
    client = "wrk" if wrk_in_use() else "httpx"
    try:
        settings = Settings(database_url=db_url(base_url, app_db), redis_url=redis_url, redis_prefix=f"bench{run}")
        await run_migrations(settings)
        tokens = await signed_in_tokens(settings, args.requests)
        # pgbench's tables first: the bare posting below runs pgbench's transaction on them.
        pgbench(db_url(base_url, pgb_db), 1, 1, scale=PGBENCH_SCALE)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with serving([]) as servers:
            servers.append(serve("app.main:create_app", port, args.workers, server_env(settings)))
            await wait_until_up(base, "/readyz")
            cpu, pg_cpu = _server_cpu_s(servers[0]), _pg_cpu_s(app_db)
            if client == "wrk":
                postings_result, made = await asyncio.to_thread(wrk_posts, base, _award_lines(tokens), args.concurrency)
            else:
                postings_result, made = await run_ops(base, tokens, args.concurrency, post_award), len(tokens)
            app_cpu_ms = (_server_cpu_s(servers[0]) - cpu) * 1000 / made
            app_pg_ms = (_pg_cpu_s(app_db) - pg_cpu) * 1000 / made
            health = await load(base, ["/healthz"] * len(tokens), args.concurrency)
        bare_port = free_port()
        bare = f"http://127.0.0.1:{bare_port}"
        with serving([]) as servers:
            env = {**os.environ, "BARE_TPCB_DSN": pg_url(db_url(base_url, pgb_db))}
            servers.append(serve("bench.bare_posting:bare_tpcb_app", bare_port, args.workers, env))
            await wait_until_up(bare, "/healthz")
            lines = tpcb_lines(PGBENCH_SCALE, 60_000)
            cpu, pg_cpu = _server_cpu_s(servers[0]), _pg_cpu_s(pgb_db)
            if client == "wrk":
                bare_result, made = await asyncio.to_thread(wrk_posts, bare, lines, args.concurrency)
                bare_n = len(lines)
            else:
                bodies = [b for _, _, b in lines[: len(tokens)]]
                bare_result, made = await run_ops(bare, bodies, args.concurrency, post_tpcb), len(tokens)
                bare_n = len(tokens)
            bare_cpu_ms = (_server_cpu_s(servers[0]) - cpu) * 1000 / made
            bare_pg_ms = (_pg_cpu_s(pgb_db) - pg_cpu) * 1000 / made
        postings = rate(len(tokens), postings_result)
        bare_rate = rate(bare_n, bare_result)
        baseline = rate(len(tokens), health)
        meter, started = CpuMeter(), time.perf_counter()
        tps = pgbench(
            db_url(base_url, pgb_db), args.pgbench_seconds, args.concurrency // 4 or 1, initialise=False,
            during=lambda: meter.sample(database_backends(pgb_db)),
        )  # fmt: skip
        pgbench_pg_ms = meter.total() * 1000 / (tps * (time.perf_counter() - started))
        # A second reference, not a replacement: pgbench with as many clients as the HTTP load has
        # requests in flight.
        tps_same = pgbench(db_url(base_url, pgb_db), args.pgbench_seconds, args.concurrency, initialise=False)
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"app: uvicorn, {args.workers} workers, PostgreSQL + Redis; load: {client}, {args.concurrency} in flight, "
            "same machine"
        )
        line("points postings via HTTP", len(tokens), *postings_result)
        print(f"  CPU per posting: app workers {app_cpu_ms:.2f} ms, PostgreSQL {app_pg_ms:.2f} ms")
        line("bare TPC-B posting via HTTP", bare_n, *bare_result)
        print(f"  CPU per posting: bare workers {bare_cpu_ms:.2f} ms, PostgreSQL {bare_pg_ms:.2f} ms")
        print(f"GET /healthz of the app, same client: {baseline:8.1f} /s")
        print(
            f"pgbench TPC-B (scale {PGBENCH_SCALE}):  {tps:8.1f} TPS  ({args.concurrency // 4 or 1} clients), PostgreSQL CPU {pgbench_pg_ms:.2f} ms per transaction"
        )
        print(f"ratio postings / TPS:      {postings / tps:8.3f}  (target ≥ 0.5)")
        print(
            f"ceiling bare / TPS:        {bare_rate / tps:8.3f}  (pgbench's transaction behind a bare Litestar POST, "
            "same server, client and workers)"
        )
        print(f"postings / bare:           {postings / bare_rate:8.3f}")
        print(
            f"second reference: pgbench with {args.concurrency} clients (= HTTP requests in flight): {tps_same:8.1f} TPS, "
            f"postings / it {postings / tps_same:.3f}"
        )
    finally:
        for name in (app_db, pgb_db):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def post_tpcb(client: httpx.AsyncClient, body: str) -> bool:
    r = await client.post("/tpcb", content=body, headers={"Content-Type": "application/json"})
    return r.status_code == 201


if __name__ == "__main__":
    asyncio.run(main())
