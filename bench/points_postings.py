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
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from tortoise import Tortoise

from app.core.auth import hash_secret, issue_access_token
from app.core.db import run_migrations, tortoise_config
from app.settings import Settings
from models.accounts import AuthSession, User


def _db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _tokens(settings: Settings, n: int) -> list[str]:
    await Tortoise.init(config=tortoise_config(settings))
    users = [User(public_id=secrets.token_hex(13)) for _ in range(n)]
    await User.bulk_create(users, batch_size=1000)
    stored = await User.all().values_list("id", "public_id")
    later = datetime.now(UTC) + timedelta(days=1)
    sessions = [
        AuthSession(
            public_id=secrets.token_hex(16),
            user_id=uid,
            kind="token",
            secret_hash=hash_secret(secrets.token_hex(8)),
            sign_in_method="sms",
            expires_at=later,
        )
        for uid, _ in stored
    ]
    await AuthSession.bulk_create(sessions, batch_size=1000)
    by_user = dict(await AuthSession.all().values_list("user_id", "public_id"))
    await Tortoise.close_connections()
    return [issue_access_token(settings, public_id, by_user[uid]) for uid, public_id in stored]


def _cpu_s() -> float:
    """CPU seconds this process (the load generator) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pgbench(url: str, seconds: int, clients: int, *, initialise: bool = True) -> float:
    p = urlsplit(url)
    env = {
        **os.environ,
        "PGHOST": p.hostname or "127.0.0.1",
        "PGPORT": str(p.port or 5432),
        "PGUSER": p.username or "postgres",
    }
    db = p.path.lstrip("/")
    if initialise:
        subprocess.run(["pgbench", "-q", "-i", "-s", "10", db], env=env, check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), db],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


async def _load(base: str, tokens: list[str], concurrency: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = 0
    queue = list(tokens)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            token = queue.pop()
            started = time.perf_counter()
            r = await client.post(
                "/api/v1/points/earn",
                json={"id": str(uuid.uuid4()), "action": "checkin.daily"},
                headers={"Authorization": f"Bearer {token}"},
            )
            latencies.append(time.perf_counter() - started)
            if r.status_code != 201:
                failures += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


async def _baseline(base: str, n: int, concurrency: int) -> float:
    """GET /healthz (no database) the same number of times: what this HTTP stack and client can do."""
    remaining = n

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await client.get("/healthz")

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return n / (time.perf_counter() - started)


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
    admin = await asyncpg.connect(_db(base_url, "postgres").replace("postgres://", "postgresql://", 1))
    for name in (app_db, pgb_db):
        await admin.execute(f'CREATE DATABASE "{name}"')
    server = None
    try:
        settings = Settings(database_url=_db(base_url, app_db), redis_url=redis_url, redis_prefix=f"bench{run}")
        await run_migrations(settings)
        tokens = await _tokens(settings, args.requests)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url + "?max_size=10",
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": settings.redis_prefix,
            "API_RATE_LIMIT_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(  # noqa: ASYNC220  (a benchmark script: blocking here costs nothing)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(100):
                try:
                    if (await probe.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        cpu = _cpu_s()
        elapsed, latencies, failures = await _load(base, tokens, args.concurrency)
        client_ms = (_cpu_s() - cpu) * 1000 / len(tokens)
        cpu = _cpu_s()
        baseline = await _baseline(base, len(tokens), args.concurrency)
        health_client_ms = (_cpu_s() - cpu) * 1000 / len(tokens)
        postings = (len(latencies) - failures) / elapsed
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server = None
        tps = _pgbench(_db(base_url, pgb_db), args.pgbench_seconds, args.concurrency // 4 or 1)
        # A second reference, not a replacement: pgbench with as many clients as the HTTP load has
        # requests in flight.
        tps_same = _pgbench(_db(base_url, pgb_db), args.pgbench_seconds, args.concurrency, initialise=False)
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
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
        for name in (app_db, pgb_db):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
