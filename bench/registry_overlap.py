"""Benchmark: the overlap check of a new parcel at 100,000 parcels, with the indexed prefilter versus a
full shapely scan, and the same check at 1,000 parcels (issue 5's target: 100k / 1k ≤ 1.5), same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.registry_overlap --parcels 100000

It creates a throw-away database on that server, migrates it, fills active parcels spread over
Sichuan (squares of 30 m – 1 km, 4 % of 1–5 km and 0.5 % of 5–40 km, so every size class the
prefilter handles is present), times `find_overlaps` for the same random new parcels at 1,000 and at
N parcels, then a full scan (every active parcel's geometry read and tested with shapely) on a
few of them, prints medians, p95s and ratios, and drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from shapely.geometry import shape
from tortoise import Tortoise

from app.core.db import run_migrations, tortoise_config
from app.registry.geometry import GeometryLimits, geodesic_area_m2, parse_parcel_geometry
from app.registry.overlap import bbox_filter, find_overlaps
from app.settings import Settings
from models.registry import Parcel

LIMITS = GeometryLimits(bounds=(97.0, 25.5, 109.5, 35.0), max_vertices=100, min_area_m2=1, max_area_m2=10**10)
TOLERANCE = 100


def _db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


def _square(lon: float, lat: float, side_m: float) -> dict:
    dlat = side_m / 110_574.0
    dlon = side_m / (111_320.0 * math.cos(math.radians(lat)))
    ring = [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _side(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.005:
        return rng.uniform(5_000, 40_000)
    if roll < 0.045:
        return rng.uniform(1_000, 5_000)
    return rng.uniform(30, 1_000)


async def _fill(url: str, start: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        # One owner and one project hold the filled parcels: found by their public id, made on the first call
        # (the database may already hold other users and projects, e.g. in bench.suite).
        owner = await conn.fetchval("SELECT id FROM accounts_user WHERE public_id = 'bench'")
        if owner is None:
            owner = await conn.fetchval(
                "INSERT INTO accounts_user (public_id, display_name, language, is_active, created_at) "
                "VALUES ('bench', '', 'zh-CN', true, now()) RETURNING id"
            )
        project = await conn.fetchval("SELECT id FROM registry_project WHERE public_id = 'bench'")
        if project is None:
            project = await conn.fetchval(
                "INSERT INTO registry_project (public_id, name, owner_user_id, created_by_id, county_code, "
                "methodology_id, status, return_reasons, return_note, created_at, updated_at) "
                "VALUES ('bench', 'bench', $1, $1, '510112', 'SC-LCP-AFF', 'approved', '[]', '', now(), now()) "
                "RETURNING id",
                owner,
            )
        rows = []
        now = datetime.now(UTC)
        for i in range(start, start + count):
            s = parse_parcel_geometry(
                _square(rng.uniform(97.4, 108.4), rng.uniform(26.1, 34.2), _side(rng)), "wgs84", LIMITS
            )
            rows.append(
                (
                    f"b{i:08d}", project, "", json.dumps(s.geometry), "wgs84", s.area_m2, *s.bbox, s.size_class,
                    "510112", "forest_right_certificate", b"x", "i", "individual", b"x", False,
                    "afforestation", "[]", "approved", True, now, now,
                )
            )  # fmt: skip
        await conn.copy_records_to_table(
            "registry_parcel",
            records=rows,
            columns=[
                "public_id", "project_id", "name", "geometry", "input_crs", "area_m2", "min_lon", "min_lat",
                "max_lon", "max_lat", "size_class", "county_code", "tenure_kind", "tenure_number_enc",
                "tenure_number_index", "holder_kind", "holder_name_enc", "show_holder_name", "sink_type",
                "species", "status", "active", "created_at", "updated_at",
            ],
        )  # fmt: skip
        await conn.execute("ANALYZE registry_parcel")
    finally:
        await conn.close()


async def _time_prefilter(probes: list, repeat: int = 3) -> tuple[list[float], int]:
    times, hits = [], 0
    for p in probes:
        best = math.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            found = await find_overlaps(p, TOLERANCE)
            best = min(best, time.perf_counter() - t0)
        hits += bool(found)
        times.append(best)
    return times, hits


async def _full_scan(probe) -> int:  # type: ignore[no-untyped-def]
    """What the check costs without the prefilter: read every active geometry, test each with shapely."""
    found = 0
    for public_id, geometry in await Parcel.filter(active=True).values_list("public_id", "geometry"):
        other = shape(geometry)
        if other.intersects(probe.shape) and geodesic_area_m2(other.intersection(probe.shape)) > TOLERANCE:
            found += 1
            _ = public_id
    return found


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--full-scans", type=int, default=5)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (a throw-away database is created on it)")
    name = f"msbench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_db(server, "postgres").replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _db(server, name)
    settings = Settings(database_url=url, environment="test", load_demo_data=False, background_workers=False)
    try:
        await run_migrations(settings)
        rng = random.Random(99)
        # The same new parcels at both sizes: 200 m squares at random spots (most overlap nothing;
        # at 100k a few land on an existing parcel and the exact test and area run for them too).
        probes = [
            parse_parcel_geometry(_square(rng.uniform(97.5, 108.3), rng.uniform(26.2, 34.1), 200), "wgs84", LIMITS)
            for _ in range(args.probes)
        ]
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        t0 = time.perf_counter()
        await _fill(url, 0, args.small, seed=1)
        small_times, small_hits = await _time_prefilter(probes)
        await _fill(url, args.small, args.parcels - args.small, seed=2)
        fill_s = time.perf_counter() - t0
        big_times, big_hits = await _time_prefilter(probes)
        scans = []
        for p in probes[: args.full_scans]:
            t1 = time.perf_counter()
            await _full_scan(p)
            scans.append(time.perf_counter() - t1)
        conn = Tortoise.get_connection("default")
        plan = await conn.execute_query_dict(
            "EXPLAIN " + Parcel.filter(bbox_filter(probes[0].bbox), active=True).sql(params_inline=True)
        )
        await Tortoise.close_connections()
        count = args.parcels
        print(f"registry overlap check, {platform.node()}, {os.cpu_count()} CPUs, PostgreSQL, {count} parcels")
        print(f"fill: {count} parcels in {fill_s:.1f} s")
        print(
            f"prefilter at {args.small:>7} parcels: {_ms(small_times)} ({small_hits}/{len(probes)} probes overlapped)"
        )
        print(f"prefilter at {count:>7} parcels: {_ms(big_times)} ({big_hits}/{len(probes)} probes overlapped)")
        print(f"full shapely scan at {count} parcels: {_ms(scans)} over {len(scans)} probes")
        ratio_size = statistics.median(big_times) / statistics.median(small_times)
        ratio_scan = statistics.median(scans) / statistics.median(big_times)
        print(f"ratio 100k / 1k (prefilter, medians): {ratio_size:.2f}  (target ≤ 1.5)")
        print(f"full scan / prefilter at {count} (medians): {ratio_scan:.0f}×")
        print("plan of the candidate query:")
        for row in plan:
            print("   ", row["QUERY PLAN"])
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
