"""Benchmark: one near-duplicate check of an upload (issue 7) with 1,000 and with 100,000 photos in the
scope, the old way (every photo of the scope loaded as an ORM object, distance in Python) against the
new way (app.evidence.service.near_duplicates: distance in SQL on PostgreSQL), same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.near_duplicates

It creates a throw-away database on that server, migrates it, fills one campaign scope with 1,000
photos (random 64-bit dHashes, a third with the top bit set as any random hash, rows as wide as real
ones: hex keys, GPS, capture time) plus 50,000 photos of another scope (so the scope has to be found,
not just read whole), times the check for the same probe hashes, grows the scope to 100,000 and times
again. Every probe has a few planted near neighbours (1–12 bits away), so each check flags something.
Also printed: the Python path SQLite uses, run here on PostgreSQL (three columns read, no objects);
the Python heap peak of one check each way (tracemalloc, a separate pass); the plan of the SQL query;
the new way at the large size again without migration 0032's covering index.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from tortoise import Tortoise

from app.core.db import run_migrations, tortoise_config
from app.evidence import service as evidence
from app.evidence.images import hamming, to_signed64, to_unsigned64
from bench.common import pg_url, throwaway_database
from models.evidence import Photo

SCOPE = "campaign:bench-large"
OTHER_SCOPE = "campaign:bench-other"
BITS = 10  # settings.photo_near_duplicate_bits' default


async def old_way(dhash: int, scope: str, subject: str) -> list[dict[str, Any]]:
    """The check as it was before issue 7's change (app/evidence/service.py, attach), verbatim."""
    near = []
    for other in await Photo.filter(scope=scope).exclude(subject=subject).order_by("id"):
        bits = hamming(dhash, to_unsigned64(other.dhash))
        if bits <= BITS:
            near.append({"code": "near_duplicate", "photo": other.public_id, "subject": other.subject, "bits": bits})
    return near


async def new_way(dhash: int, scope: str, subject: str) -> list[dict[str, Any]]:
    conn = Tortoise.get_connection("default")
    return await evidence.near_duplicates(dhash, scope=scope, subject=subject, max_bits=BITS, connection=conn)


async def python_path(dhash: int, scope: str, subject: str) -> list[Any]:
    """What SQLite runs (three columns of the scope, distance in Python), here on PostgreSQL."""
    conn = Tortoise.get_connection("default")
    return await evidence._nearest_in_python(dhash, scope, subject, BITS, evidence.NEAR_DUPLICATE_CAP, conn)


def _near(value: int, bits: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


async def _fill(url: str, scope: str, start: int, count: int, rng: random.Random, planted: list[int]) -> None:
    conn = await asyncpg.connect(pg_url(url))
    try:
        user = await conn.fetchval("SELECT id FROM accounts_user WHERE public_id = 'bench-near'")
        if user is None:
            user = await conn.fetchval(
                "INSERT INTO accounts_user (public_id, display_name, language, is_active, created_at) "
                "VALUES ('bench-near', '', 'zh-CN', true, now()) RETURNING id"
            )
        now = datetime.now(UTC)
        rows = []
        for i in range(start, start + count):
            value = planted[i % len(planted)] if planted and i % 97 == 0 else rng.getrandbits(64)
            rows.append(
                (
                    f"{scope[-5:]}{i:09d}", scope, f"log:{i // 3}", user, f"{rng.getrandbits(256):064x}",
                    to_signed64(value), "jpeg", 2_400_000, f"{rng.getrandbits(256):064x}",
                    f"{rng.getrandbits(256):064x}", 2048, 1536, 30.5 + rng.random(), 104.0 + rng.random(), now,
                    rng.randrange(500), "[]", now,
                )
            )  # fmt: skip
        await conn.copy_records_to_table(
            "evidence_photo",
            records=rows,
            columns=[
                "public_id", "scope", "subject", "uploaded_by_id", "sha256", "dhash", "format", "original_bytes",
                "content_key", "thumb_key", "width", "height", "gps_lat", "gps_lon", "taken_at", "distance_m",
                "flags", "created_at",
            ],
        )  # fmt: skip
        await conn.execute("VACUUM ANALYZE evidence_photo")  # what autovacuum does after a bulk load
    finally:
        await conn.close()


Check = Callable[[int, str, str], Awaitable[list[Any]]]


async def _time(check: Check, probes: list[int], repeat: int) -> tuple[list[float], int]:
    """Best of `repeat` per probe (seconds), and the flags of the first probe."""
    times, flagged = [], -1
    for q in probes:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            found = await check(q, SCOPE, "log:new")
            best = min(best, time.perf_counter() - t0)
        times.append(best)
        flagged = len(found) if flagged < 0 else flagged
    return times, flagged


async def _plan(q: int) -> list[str]:
    conn = Tortoise.get_connection("default")
    rows = await conn.execute_query_dict(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + evidence._NEAR_SQL,
        [to_signed64(q), SCOPE, "log:new", BITS, evidence.NEAR_DUPLICATE_CAP],
    )
    return [str(row["QUERY PLAN"]) for row in rows]


async def _peak_kib(check: Check, q: int) -> float:
    tracemalloc.start()
    try:
        await check(q, SCOPE, "log:new")
        return tracemalloc.get_traced_memory()[1] / 1024
    finally:
        tracemalloc.stop()


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:8.2f} ms, max {max(values) * 1000:8.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=100_000, help="photos in the scope, large case")
    parser.add_argument("--small", type=int, default=1_000, help="photos in the scope, small case")
    parser.add_argument("--other", type=int, default=50_000, help="photos in another scope")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--old-probes", type=int, default=5, help="probes for the old way at the large size")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (a throw-away database is created on it)")
    rng = random.Random(7)
    probes = [rng.getrandbits(64) for _ in range(args.probes)]
    planted = [_near(q, rng.randrange(1, 13), rng) for q in probes for _ in range(3)]
    async with throwaway_database("neardup") as settings:
        settings = settings.with_(environment="test", load_demo_data=False, background_workers=False)
        await run_migrations(settings)
        url = settings.database_url
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        try:
            await _fill(url, OTHER_SCOPE, 0, args.other, rng, [])
            results: dict[int, dict[str, Any]] = {}
            filled = 0
            for size in (args.small, args.photos):
                t0 = time.perf_counter()
                await _fill(url, SCOPE, filled, size - filled, rng, planted)
                fill_s, filled = time.perf_counter() - t0, size
                old_probes = probes if size == args.small else probes[: args.old_probes]
                old, old_flags = await _time(old_way, old_probes, repeat=1 if size > args.small else 3)
                new, new_flags = await _time(new_way, probes, repeat=3)
                py, _ = await _time(python_path, probes, repeat=1 if size > args.small else 3)
                for q in probes[:3]:  # the same flags both ways, once the old list is capped like the new
                    every = [(f["photo"], f["bits"]) for f in await old_way(q, SCOPE, "log:new")]
                    nearest = sorted(range(len(every)), key=lambda i: (every[i][1], i))[: evidence.NEAR_DUPLICATE_CAP]
                    after = [(f["photo"], f["bits"]) for f in await new_way(q, SCOPE, "log:new")]
                    assert [every[i] for i in sorted(nearest)] == after, (hex(q), every, after)
                results[size] = {
                    "fill_s": fill_s,
                    "old": old,
                    "new": new,
                    "python": py,
                    "flags": (old_flags, new_flags),
                    "old_kib": await _peak_kib(old_way, probes[0]),
                    "new_kib": await _peak_kib(new_way, probes[0]),
                    "python_kib": await _peak_kib(python_path, probes[0]),
                }
                results[size]["plan"] = await _plan(probes[0])
            # What the covering index of migration 0032 buys: the same probes with it dropped (the scope
            # index of migration 0020 alone).
            conn = Tortoise.get_connection("default")
            await conn.execute_script('DROP INDEX "evidence_photo_scope_near"')
            await conn.execute_script("ANALYZE evidence_photo")
            scope_only, _ = await _time(new_way, probes, repeat=3)
            scope_only_plan = await _plan(probes[0])
        finally:
            await Tortoise.close_connections()
    print(
        f"near-duplicate check, {platform.node()}, {os.cpu_count()} CPUs, PostgreSQL, "
        f"{args.other} photos in another scope, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for size, r in results.items():
        print(f"{size:>7} photos in the scope (filled in {r['fill_s']:.1f} s):")
        for label, key, kib in (
            ("old way (ORM objects, Python)   ", "old", "old_kib"),
            ("new way (SQL bit_count)         ", "new", "new_kib"),
            ("SQLite's path (columns, Python) ", "python", "python_kib"),
        ):
            print(f"    {label} {_ms(r[key])} ({len(r[key]):>2} probes), peak heap {r[kib]:9.0f} KiB")
        print(f"    flags on the first probe: old {r['flags'][0]}, new {r['flags'][1]}")
    small, large = results[args.small], results[args.photos]
    med = statistics.median
    print(f"old way  {args.photos} / {args.small}: {med(large['old']) / med(small['old']):7.1f}×")
    print(f"new way  {args.photos} / {args.small}: {med(large['new']) / med(small['new']):7.1f}×")
    print(f"old / new at {args.photos}: {med(large['old']) / med(large['new']):7.1f}×")
    print(f"old / new at {args.small}: {med(small['old']) / med(small['new']):7.1f}×")
    print(f"new way at {args.photos} without the covering index of migration 0032 (scope index only):")
    print(f"    {_ms(scope_only)} ({len(scope_only)} probes)")
    for size, r in results.items():
        print(f"plan of the SQL query at {size} photos in the scope (EXPLAIN ANALYZE, migrated indexes):")
        for line in r["plan"]:
            print("   ", line)
    print(f"plan at {args.photos} without the covering index:")
    for line in scope_only_plan:
        print("   ", line)


if __name__ == "__main__":
    asyncio.run(main())
