"""Benchmark: `ledger.verify()` over N transfers versus a raw SQL SUM over the same table, same run.

Issue 4's target: verify ≤ 2× the raw SUM. Run against PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.ledger_verify --transfers 1000000

It creates a throw-away database on that server, fills it with consistent data by SQL
(generate_series), times each side three times (best of three) and prints the ratio, then drops it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise

from app.core.db import run_migrations, tortoise_config
from app.ledger import service as ledger
from app.settings import Settings


def _db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


async def _fill(url: str, transfers: int, wallets: int) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        # The points issuance account may exist already (bench.suite fills a database the app also uses).
        source = await conn.fetchval(
            "INSERT INTO ledger_account (ledger, code, owner, balance, held, may_go_negative, created_at) "
            "VALUES ('points', 'platform_issuance', 'platform', 0, 0, true, now()) "
            "ON CONFLICT DO NOTHING RETURNING id"
        ) or await conn.fetchval(
            "SELECT id FROM ledger_account WHERE ledger = 'points' AND code = 'platform_issuance' AND owner = 'platform'"
        )
        first = await conn.fetchval(
            "WITH made AS (INSERT INTO ledger_account (ledger, code, owner, balance, held, may_go_negative, created_at) "
            "SELECT 'points', 'user_wallet', 'user:bench' || g, 0, 0, false, now() FROM generate_series(1, $1) g "
            "RETURNING id) SELECT min(id) FROM made",
            wallets,
        )
        # Every transfer: issuance → one of the wallets (ids first..first+wallets-1), amount 1..10; then
        # balances to match.
        await conn.execute(
            "INSERT INTO ledger_transfer (id, ledger, debit_id, credit_id, amount, reason, reference, request_hash, created_at) "
            "SELECT md5('bench' || g::text)::uuid, 'points', $3, $4 + (g % $2), 1 + (g % 10), 'earn.bench', '', 'h', now() "
            "FROM generate_series(1, $1) g",
            transfers,
            wallets,
            source,
            first,
        )
        await conn.execute(
            "UPDATE ledger_account a SET balance = s.net FROM ("
            " SELECT id, SUM(net) AS net FROM ("
            "  SELECT credit_id AS id, amount AS net FROM ledger_transfer"
            "  UNION ALL SELECT debit_id, -amount FROM ledger_transfer) x GROUP BY id) s WHERE a.id = s.id"
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _best_of(fn, times: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        await fn()
        best = min(best, time.perf_counter() - started)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--wallets", type=int, default=10_000)
    args = parser.parse_args()
    base = os.environ["DATABASE_URL"]
    name = f"msbench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_db(base, "postgres").replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _db(base, name)
    try:
        await run_migrations(Settings(database_url=url))
        started = time.perf_counter()
        await _fill(url, args.transfers, args.wallets)
        print(
            f"filled {args.transfers:,} transfers over {args.wallets:,} wallets in {time.perf_counter() - started:.1f} s"
        )
        await Tortoise.init(config=tortoise_config(Settings(database_url=url)))
        conn = Tortoise.get_connection("default")

        async def raw_sum() -> None:
            await conn.execute_query("SELECT SUM(amount) FROM ledger_transfer")

        async def verify() -> None:
            report = await ledger.verify()
            assert report.ok, report.problems[:3]

        async def verify_full() -> None:
            report = await ledger.verify(full=True)
            assert report.ok, report.problems[:3]

        sum_s = await _best_of(raw_sum)
        verify_s = await _best_of(verify)
        full_s = await _best_of(verify_full)
        await Tortoise.close_connections()
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"raw SUM over ledger_transfer:  {sum_s * 1000:8.1f} ms")
        print(f"ledger.verify():               {verify_s * 1000:8.1f} ms")
        print(f"ratio verify / SUM:            {verify_s / sum_s:8.2f}  (target ≤ 2)")
        print(
            f"ledger.verify(full=True):      {full_s * 1000:8.1f} ms  (exact per-account pass, ratio {full_s / sum_s:.2f})"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
