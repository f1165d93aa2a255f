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
import secrets
from datetime import UTC, date, datetime, timedelta

from litestar import Litestar, get
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from app.core.db import run_migrations, tortoise_config
from app.credits import inventory, service
from app.settings import Settings
from bench.common import (
    LoadResult,
    free_port,
    line,
    load,
    rate,
    serve,
    server_env,
    serving,
    throwaway_database,
    wait_until_up,
)
from models.accounts import User
from models.credits import Issuance, MonitoringReport, ReportEstimate, SerialBlock, SerialCounter
from models.registry import Parcel, ParcelEstimate, Project

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


async def issue(owner: User, verifier: User, n: int, kg: int = 800, buffer: int = 200) -> Issuance:
    """One approved project of `owner` with two parcels and an issuance of `kg` (+ `buffer`) through the
    credits service's issuance step."""
    project = await Project.create(
        public_id=secrets.token_hex(13),
        name=f"项目{n}",
        owner_user=owner,
        created_by=owner,
        county_code="510112",
        methodology_id="SC-LCP-AFF",
        status="approved",
    )
    parcels = []
    for _ in range(2):
        parcel = await Parcel.create(
            public_id=secrets.token_hex(13), project=project, geometry=SQUARE, input_crs="wgs84", area_m2=5000,
            min_lon=104, min_lat=30, max_lon=104.001, max_lat=30.001, size_class=0, county_code="510112",
            tenure_kind="forest_right_certificate", tenure_number_enc=b"x", tenure_number_index=secrets.token_hex(8),
            holder_kind="individual", holder_name_enc=b"x", sink_type="afforestation", status="approved", active=True,
        )  # fmt: skip
        parcels.append(parcel)
    # Lookup data only: the report row is written directly (its quantity is not what is measured here;
    # a real report's kg is computed from parcel estimates, see tests/credits/test_issuance.py).
    report = await MonitoringReport.create(
        public_id=secrets.token_hex(13), project=project, period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31), methodology_id="SC-LCP-AFF", methodology_version="0.1.0",
        parameter_sha256=SHA, kg_issued=kg, buffer_kg=buffer, status="approved", submitted_by=owner,
    )  # fmt: skip
    for parcel in parcels:  # the chain a lookup shows: one approved estimate per parcel
        estimate = await ParcelEstimate.create(
            parcel=parcel, methodology_id="SC-LCP-AFF", methodology_version="0.1.0", parameter_set_version="0.1.1",
            parameter_set_sha256=SHA, basis="ex_ante", method="growth_rate", kg_per_year=400,
            buffer_kg_per_year=100, accounting_year=2024, inputs_sha256=SHA, occasion="approved", estimate={},
        )  # fmt: skip
        await ReportEstimate.create(
            report=report, parcel=parcel, parcel_public_id=parcel.public_id, estimate=estimate,
            approved_estimate=estimate, methodology_id="SC-LCP-AFF", methodology_version="0.1.0",
            parameter_set_sha256=SHA, inputs_sha256=SHA, basis="ex_ante", kg_per_year=400, buffer_kg_per_year=100,
        )  # fmt: skip
    await SerialCounter.create(project=project, next_serial=kg + buffer + 1)
    async with in_transaction():
        return await service._issue(verifier, report, project, await service.owner_holder(project), 1, service.now())


async def _seed(settings: Settings, issuances: int) -> list[str]:
    """Issuances through the real services; returns the serials to ask for."""
    await Tortoise.init(config=tortoise_config(settings))
    owner = await User.create(public_id=secrets.token_hex(13))
    verifier = await User.create(public_id=secrets.token_hex(13))
    later = datetime.now(UTC) + timedelta(days=1)
    serials: list[str] = []
    for n in range(issuances):
        issuance = await issue(owner, verifier, n)
        await inventory.reserve(f"bench:{n}:a", 50, later, issuance_public_id=issuance.public_id)
        await inventory.reserve(f"bench:{n}:b", 30, later, issuance_public_id=issuance.public_id)
        await inventory.retire(f"bench:{n}:b", "某某", "trip", beneficiary_shown="masked")
        for block in await SerialBlock.filter(issuance_id=issuance.id):
            serials.append(block.display)
            serials.append(f"{issuance.public_id}:{random.randint(block.serial_start, block.serial_end)}")
    await Tortoise.close_connections()
    return serials


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--issuances", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternate the two servers, keep each one's best")
    args = parser.parse_args()
    async with throwaway_database("serial") as settings:
        await run_migrations(settings)
        serials = await _seed(settings, args.issuances)
        paths = [f"/api/v1/credits/serials/{random.choice(serials)}" for _ in range(args.requests)]
        bare_paths = [p.replace("/api/v1/credits/serials/", "/bare/") for p in paths]
        env = server_env(settings)
        app_port, bare_port = free_port(), free_port()
        with serving([]) as servers:
            servers.append(serve("app.main:create_app", app_port, args.workers, env))
            servers.append(serve("bench.serial_lookup:bare_app", bare_port, args.workers, env))
            app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
            await wait_until_up(app_base, "/readyz")
            await wait_until_up(bare_base, "/bare/warm")
            await load(app_base, paths[:500], args.concurrency)  # warm both: connections, caches, JIT-free imports
            await load(bare_base, bare_paths[:500], args.concurrency)
            best: dict[str, LoadResult] = {}
            every: dict[str, list[float]] = {"app": [], "bare": [], "health": []}
            health = ["/healthz"] * args.requests
            for _ in range(args.rounds):
                for name, base, ps in (
                    ("app", app_base, paths),
                    ("bare", bare_base, bare_paths),
                    ("health", app_base, health),
                ):
                    result = await load(base, ps, args.concurrency)
                    every[name].append(rate(args.requests, result))
                    if name not in best or result[0] < best[name][0]:
                        best[name] = result
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"servers: uvicorn, {args.workers} workers each; app on PostgreSQL + Redis with {args.issuances} issuances, "
            f"{len(serials)} serials; load: {args.concurrency} in flight, {args.requests} requests, best of {args.rounds}"
        )
        lookups = line("GET /api/v1/credits/serials/{s}", args.requests, *best["app"])
        bare = line("bare Litestar GET /bare/{s}", args.requests, *best["bare"])
        health_rate = line("GET /healthz (app, no database)", args.requests, *best["health"])
        print(f"ratio lookups / bare:              {lookups / bare:8.2f}  (target ≥ 0.7)")
        print(f"ratio lookups / app's /healthz:    {lookups / health_rate:8.2f}  (the app's middleware is in both)")
        rounds = [a / b for a, b in zip(every["app"], every["bare"], strict=True)]
        print(
            "every round (lookups, bare, ratio): "
            + "; ".join(
                f"{a:.0f}, {b:.0f}, {r:.2f}" for a, b, r in zip(every["app"], every["bare"], rounds, strict=True)
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
