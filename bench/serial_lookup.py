"""Benchmark: public serial lookups per second versus a bare Litestar JSON endpoint, same server, same run
(issue 5's target: ratio ≥ 0.7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m bench.serial_lookup --requests 5000 --workers 2

A throw-away database gets `--issuances` issuances (each with a reserved, a retired, a tradable and a
buffer-pool block). The app is served the production way (uvicorn, `--workers`, PostgreSQL + Redis);
the bare app (one Litestar handler returning a dict of the same size, no middleware, no database) is
served by the same uvicorn command. The same client (httpx, `--concurrency` in flight, this machine)
asks each for the same number of serials, half as display strings and half as `issuance:number`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from litestar import Litestar, get
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from app.core.db import run_migrations, tortoise_config
from app.credits import inventory, service
from app.settings import Settings
from models.accounts import User
from models.credits import MonitoringReport, SerialBlock, SerialCounter
from models.registry import Parcel, Project

SHA = "5b35e9e76e43995a0454f6557d76648757f94c71692b4e8bb0d58581743500d2"
SQUARE = {"type": "Polygon", "coordinates": [[[104, 30], [104.001, 30], [104.001, 30.001], [104, 30.001], [104, 30]]]}


@get("/bare/{serial:str}", sync_to_thread=False)
def bare_lookup(serial: str) -> dict:
    """The reference: a JSON answer about the same size as a lookup's, with no work behind it."""
    return {
        "serial": serial,
        "block": {"serial": serial, "start": 1, "end": 800, "quantity": 800, "status": "tradable", "holder": "owner"},
        "issuance": {"id": "0" * 26, "vintage": 2025, "quantity": 1000, "parcels": ["0" * 26, "1" * 26]},
        "methodology": {"id": "SC-LCP-AFF", "version": "0.1.0", "parameter_sha256": SHA},
        "status": "tradable",
        "retirement": None,
        "children": [],
    }


def bare_app() -> Litestar:
    return Litestar(route_handlers=[bare_lookup])


def _db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(settings: Settings, issuances: int) -> list[str]:
    """Issuances through the real services; returns the serials to ask for."""
    await Tortoise.init(config=tortoise_config(settings))
    owner = await User.create(public_id=secrets.token_hex(13))
    verifier = await User.create(public_id=secrets.token_hex(13))
    later = datetime.now(UTC) + timedelta(days=1)
    serials: list[str] = []
    for n in range(issuances):
        project = await Project.create(
            public_id=secrets.token_hex(13),
            name=f"项目{n}",
            owner_user=owner,
            created_by=owner,
            county_code="510112",
            methodology_id="SC-LCP-AFF",
            status="approved",
        )
        for _ in range(2):
            await Parcel.create(
                public_id=secrets.token_hex(13), project=project, geometry=SQUARE, input_crs="wgs84", area_m2=5000,
                min_lon=104, min_lat=30, max_lon=104.001, max_lat=30.001, size_class=0, county_code="510112",
                tenure_kind="forest_right_certificate", tenure_number_enc=b"x", tenure_number_index=secrets.token_hex(8),
                holder_kind="individual", holder_name_enc=b"x", sink_type="afforestation", status="approved", active=True,
            )  # fmt: skip
        # Lookup data only: the report row is written directly (its quantity is not what is measured here;
        # a real report's kg is computed from parcel estimates, see tests/credits/test_issuance.py).
        report = await MonitoringReport.create(
            public_id=secrets.token_hex(13), project=project, period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31), methodology_id="SC-LCP-AFF", methodology_version="0.1.0",
            parameter_sha256=SHA, kg_issued=800, buffer_kg=200, status="approved", submitted_by=owner,
        )  # fmt: skip
        await SerialCounter.create(project=project, next_serial=1001)
        async with in_transaction():
            issuance = await service._issue(
                verifier, report, project, await service.owner_holder(project), 1, service.now()
            )
        await inventory.reserve(f"bench:{n}:a", 50, later, issuance_public_id=issuance.public_id)
        await inventory.reserve(f"bench:{n}:b", 30, later, issuance_public_id=issuance.public_id)
        await inventory.retire(f"bench:{n}:b", "某某", "trip", beneficiary_shown="masked")
        for block in await SerialBlock.filter(issuance_id=issuance.id):
            serials.append(block.display)
            serials.append(f"{issuance.public_id}:{random.randint(block.serial_start, block.serial_end)}")
    await Tortoise.close_connections()
    return serials


def _serve(factory: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )  # fmt: skip


async def _wait(base: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=base) as probe:
        for _ in range(150):
            try:
                if (await probe.get(path)).status_code == 200:
                    return
            except httpx.HTTPError:  # a worker still starting may drop the connection
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{base} did not come up")


def _cpu_s() -> float:
    """CPU seconds this process (the load generator) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _load(base: str, paths: list[str], concurrency: int) -> tuple[float, list[float], int, float]:
    """Elapsed s, latencies, failures, and the load generator's own CPU ms per request."""
    latencies: list[float] = []
    failures = 0
    queue = list(paths)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            path = queue.pop()
            started = time.perf_counter()
            try:
                ok = (await client.get(path)).status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            failures += not ok

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        cpu, started = _cpu_s(), time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, failures, (_cpu_s() - cpu) * 1000 / len(paths)


def _line(name: str, n: int, elapsed: float, latencies: list[float], failures: int, client_ms: float) -> float:
    rate = (n - failures) / elapsed
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<34} {rate:8.1f} /s   p50 {q[49] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms   failed {failures}"
        f"   load generator {client_ms:.2f} ms CPU/req"
    )
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--issuances", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternate the two servers, keep each one's best")
    args = parser.parse_args()
    base_url, redis_url = os.environ["DATABASE_URL"], os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    run = uuid.uuid4().hex[:8]
    app_db = f"msbench_serial_{run}"
    admin = await asyncpg.connect(_db(base_url, "postgres").replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{app_db}"')
    servers: list[subprocess.Popen] = []
    try:
        settings = Settings(database_url=_db(base_url, app_db), redis_url=redis_url, redis_prefix=f"bench{run}")
        await run_migrations(settings)
        serials = await _seed(settings, args.issuances)
        paths = [f"/api/v1/credits/serials/{random.choice(serials)}" for _ in range(args.requests)]
        bare_paths = [p.replace("/api/v1/credits/serials/", "/bare/") for p in paths]
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url + "?max_size=10",
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": settings.redis_prefix,
            "API_RATE_LIMIT_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
        }
        app_port, bare_port = _free_port(), _free_port()
        servers.append(_serve("app.main:create_app", app_port, args.workers, env))
        servers.append(_serve("bench.serial_lookup:bare_app", bare_port, args.workers, env))
        app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        await _wait(app_base, "/readyz")
        await _wait(bare_base, "/bare/warm")
        await _load(app_base, paths[:500], args.concurrency)  # warm both: connections, caches, JIT-free imports
        await _load(bare_base, bare_paths[:500], args.concurrency)
        best: dict[str, tuple[float, list[float], int, float]] = {}
        every: dict[str, list[float]] = {"app": [], "bare": [], "health": []}
        health = ["/healthz"] * args.requests
        for _ in range(args.rounds):
            for name, base, ps in (
                ("app", app_base, paths),
                ("bare", bare_base, bare_paths),
                ("health", app_base, health),
            ):
                result = await _load(base, ps, args.concurrency)
                every[name].append((args.requests - result[2]) / result[0])
                if name not in best or result[0] < best[name][0]:
                    best[name] = result
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"servers: uvicorn, {args.workers} workers each; app on PostgreSQL + Redis with {args.issuances} issuances, "
            f"{len(serials)} serials; load: {args.concurrency} in flight, {args.requests} requests, best of {args.rounds}"
        )
        lookups = _line("GET /api/v1/credits/serials/{s}", args.requests, *best["app"])
        bare = _line("bare Litestar GET /bare/{s}", args.requests, *best["bare"])
        health_rate = _line("GET /healthz (app, no database)", args.requests, *best["health"])
        print(f"ratio lookups / bare:              {lookups / bare:8.2f}  (target ≥ 0.7)")
        print(f"ratio lookups / app's /healthz:    {lookups / health_rate:8.2f}  (the app's middleware is in both)")
        rounds = [a / b for a, b in zip(every["app"], every["bare"], strict=True)]
        print(
            "every round (lookups, bare, ratio): "
            + "; ".join(
                f"{a:.0f}, {b:.0f}, {r:.2f}" for a, b, r in zip(every["app"], every["bare"], rounds, strict=True)
            )
        )
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        await admin.execute(f'DROP DATABASE IF EXISTS "{app_db}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
