"""Benchmark: the open-data exports and the statistics at 100,000 approved parcels.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.registry_open_data --parcels 100000

Creates a throw-away database on that server, migrates it, fills N approved parcels (squares spread
over Sichuan) each with a current estimate carrying a real estimate JSON, then times one full pass of
the CSV and the GeoJSON generators (what the HTTP handlers stream), the statistics, and reports bytes,
seconds and the growth of the process's peak RSS during the exports. Drops the database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import resource
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec
from tortoise import Tortoise

from app.core import crypto
from app.core.db import run_migrations, tortoise_config
from app.methodology import service as methodology
from app.registry import opendata, statistics
from app.registry.estimates import area_mu_exact
from app.settings import Settings

COUNTIES = ("510112", "510121", "513233", "513232", "511702", "510181")


def _db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


def _square(lon: float, lat: float, side_m: float) -> list[list[list[float]]]:
    dlat = side_m / 110_574.0
    dlon = side_m / (111_320.0 * math.cos(math.radians(lat)))
    return [[[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]]


async def _fill(url: str, settings: Settings, count: int) -> None:
    rng = random.Random(7)
    holder = crypto.encrypt(settings.data_key, "王小林", "registry.holder_name")
    tenure = crypto.encrypt(settings.data_key, "川(2019)林权第0000001号", "registry.tenure_number")
    # One real estimate (about the size of every stored one) reused for all rows.
    inputs = {"area_mu": area_mu_exact(10_000), "species": "cunninghamia", "stand_age": 8, "elevation_m": 600}
    e = methodology.estimate("SC-LCP-AFF", {**inputs, "non_forest_years_before": 5})
    record = msgspec.json.encode(msgspec.to_builtins(e)).decode()
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(
            "INSERT INTO accounts_user (public_id, display_name, language, is_active, created_at) "
            "VALUES ('bench', '', 'zh-CN', true, now())"
        )
        await conn.execute(
            "INSERT INTO registry_project (public_id, name, owner_user_id, created_by_id, county_code, "
            "methodology_id, status, return_reasons, return_note, created_at, updated_at, decided_at) "
            "VALUES ('bench', '龙泉山造林', 1, 1, '510112', 'SC-LCP-AFF', 'approved', '[]', '', now(), now(), now())"
        )
        batch = 5000
        for start in range(0, count, batch):
            parcels, estimates_ = [], []
            for i in range(start, min(count, start + batch)):
                side = rng.uniform(40, 400)
                lon, lat = rng.uniform(102, 107), rng.uniform(28, 32)
                ring = _square(lon, lat, side)
                area = round(side * side)
                parcels.append(
                    (
                        f"p{i:025d}",
                        json.dumps({"type": "Polygon", "coordinates": ring}),
                        area,
                        ring[0][0][0],
                        ring[0][0][1],
                        ring[0][2][0],
                        ring[0][2][1],
                        rng.choice(COUNTIES),
                        holder,
                        tenure,
                    )
                )
            await conn.executemany(
                "INSERT INTO registry_parcel (public_id, project_id, name, geometry, input_crs, area_m2, min_lon, "
                "min_lat, max_lon, max_lat, size_class, county_code, tenure_kind, tenure_number_enc, "
                "tenure_number_index, holder_kind, holder_name_enc, show_holder_name, sink_type, species, "
                "planting_year, elevation_m, methodology_facts, status, active, created_at, updated_at) "
                "VALUES ($1, 1, '后山', $2, 'wgs84', $3, $4, $5, $6, $7, 0, $8, 'forest_right_certificate', $10, "
                "'i', 'individual', $9, false, 'afforestation', '[{\"species\": \"杉木\", \"percent\": 100}]', "
                "2018, 600, '{\"non_forest_years_before\": 5}', 'approved', true, now(), now())",
                parcels,
            )
            ids = await conn.fetch("SELECT id, area_m2 FROM registry_parcel WHERE id > $1 ORDER BY id", start)
            for row in ids:
                estimates_.append(
                    (
                        row["id"],
                        e.methodology_version,
                        e.parameter_set_version,
                        e.parameter_set_sha256,
                        e.kg_per_year,
                        e.buffer_kg_per_year,
                        record,
                    )
                )
            await conn.executemany(
                "INSERT INTO registry_parcel_estimate (parcel_id, methodology_id, methodology_version, "
                "parameter_set_version, parameter_set_sha256, basis, method, kg_per_year, buffer_kg_per_year, "
                "held_for_review, accounting_year, inputs_sha256, occasion, estimate, current, computed_at) "
                "VALUES ($1, 'SC-LCP-AFF', $2, $3, $4, 'ex_ante', 'growth_rate', $5, $6, false, 2026, "
                "repeat('a', 64), 'approved', $7, true, now())",
                estimates_,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _drain(gen) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    size = 0
    async for chunk in gen:
        size += len(chunk)
    return size, time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=100_000)
    args = parser.parse_args()
    base = os.environ["DATABASE_URL"]
    name = f"bench_opendata_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_db(base, "postgres").replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _db(base, name)
    settings = Settings(database_url=url, environment="test", load_demo_data=False, background_workers=False)
    try:
        await run_migrations(settings)
        t0 = time.perf_counter()
        await _fill(url, settings, args.parcels)
        print(f"filled {args.parcels} approved parcels with estimates in {time.perf_counter() - t0:.1f} s")
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        try:
            rss0 = _rss_mb()
            size, secs = await _drain(opendata.csv_chunks(settings))
            print(f"CSV:     {size / 1e6:.1f} MB in {secs:.1f} s ({args.parcels / secs:,.0f} parcels/s)")
            size, secs = await _drain(opendata.geojson_chunks(settings))
            print(f"GeoJSON: {size / 1e6:.1f} MB in {secs:.1f} s ({args.parcels / secs:,.0f} parcels/s)")
            print(f"peak RSS growth during both exports: {_rss_mb() - rss0:.0f} MB (page size {opendata.PAGE_SIZE})")
            times = []
            for _ in range(5):
                start = time.perf_counter()
                stats = await statistics.statistics("zh")
                times.append(time.perf_counter() - start)
            print(f"statistics: median {sorted(times)[2] * 1000:.0f} ms, {stats.total.parcels} parcels")
        finally:
            await Tortoise.close_connections()
        print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, PostgreSQL at {urlsplit(base).netloc}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
