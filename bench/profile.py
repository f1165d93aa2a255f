"""Where a write flow's CPU goes: the app served the production way (one worker, PostgreSQL + Redis), one
flow driven at it, and py-spy sampling the worker the whole time; prints the functions of our code and of
the libraries that hold the most samples, and how many PostgreSQL statements one operation ran.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m bench.profile points --requests 2000

Flows: `points` (bench.suite's points posting), `booking`, `purchase` (order → pay → sandbox 支付).
py-spy comes with the dev dependencies (requirements-dev.lock; `$PY_SPY` names another one);
it attaches to a child process, which needs root or ptrace permission. The raw samples are kept with
`--raw FILE` for a flame graph (e.g. `flamegraph.pl FILE > out.svg`).

What it reads: py-spy's `raw` format (one line per distinct stack, frames root → leaf separated by `;`,
then the sample count). Self time = samples whose leaf frame is the function; inclusive = samples whose
stack contains it anywhere (counted once per stack). Transactions per operation come from the database's
`pg_stat_database` (commits + rollbacks) before and after; the statements inside them are not counted
(that needs the pg_stat_statements extension, which the machine's server does not load).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from bench import campaign_page
from bench.common import (
    free_port,
    pg_url,
    proc_cpu_s,
    run_ops,
    serve,
    server_env,
    serving,
    signed_in_tokens,
    throwaway_database,
    wait_until_up,
    worker_pids,
)
from bench.suite import _csrf_cookie, _listings, booking_op, large_campaign_slots, points_op, purchase_op

FLOWS = ("points", "booking", "purchase")


def py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"  # the project's venv (a dev dependency)
    found = os.environ.get("PY_SPY") or (str(beside) if beside.exists() else shutil.which("py-spy"))
    if not found:
        raise SystemExit(
            "py-spy not found: `make .venv/.installed` installs it with the dev dependencies, or set PY_SPY"
        )
    return found


def start_py_spy(spy: str, pid: int, rate: int, raw: Path, native: bool) -> subprocess.Popen:  # type: ignore[type-arg]
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--output", str(raw),
         *(["--native"] if native else ["--nonblocking"])],  # --native must pause the process to unwind C frames
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_py_spy(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    proc.send_signal(signal.SIGINT)  # py-spy writes what it has and exits
    proc.wait(timeout=60)


def read_raw(path: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for row in path.read_text().splitlines():
        frames, _, count = row.rpartition(" ")
        if frames and count.isdigit():
            stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def _short(frame: str) -> str:
    """'handle (app/points/service.py:42)' → 'handle app/points/service.py'; site-packages paths shortened."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    if "site-packages/" in where:
        where = where.split("site-packages/", 1)[1]
    elif "/app/" in where or "/models/" in where:
        where = where[where.rfind("/app/") + 1 :] if "/app/" in where else where[where.rfind("/models/") + 1 :]
    return f"{name} {where}"


def report(stacks: Counter[tuple[str, ...]], top: int) -> str:
    total = sum(stacks.values()) or 1
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    for frames, n in stacks.items():
        leaf = _short(frames[-1])
        self_time[leaf] += n
        by_package[leaf.split(" ", 1)[1].split("/", 1)[0]] += n
        for name in {_short(f) for f in frames}:
            inclusive[name] += n
    lines = [f"{total} samples"]
    lines.append("\nself time by top-level package/folder:")
    lines += [f"  {n / total:6.1%}  {pkg}" for pkg, n in by_package.most_common(top)]
    lines.append("\nself time by function:")
    lines += [f"  {n / total:6.1%}  {name}" for name, n in self_time.most_common(top)]
    lines.append("\ninclusive, our code (app/, models/):")
    ours = [(name, n) for name, n in inclusive.items() if " app/" in name or " models/" in name]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in sorted(ours, key=lambda x: -x[1])[:top]]
    return "\n".join(lines)


async def _xacts(url: str, database: str) -> int:
    conn = await asyncpg.connect(pg_url(url))
    try:
        row = await conn.fetchrow(
            "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1", database
        )
        return int(row["n"]) if row else 0
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("flow", choices=FLOWS)
    parser.add_argument("--requests", type=int, default=2000, help="operations driven while sampling")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw samples here")
    parser.add_argument("--native", action="store_true", help="also sample C frames (asyncpg's protocol, …)")
    args = parser.parse_args()
    spy = py_spy()
    warm = 50
    async with throwaway_database("profile") as settings:
        from app.core.db import run_migrations

        await run_migrations(settings)
        listings: list[str] = []
        slots: list[int] = []
        if args.flow == "purchase":
            listings = await _listings(settings, (args.requests + warm + 100) * 10)
        if args.flow == "booking":
            await campaign_page._seed(settings, 0, 1_000)
            slots = await large_campaign_slots(settings.database_url)
        tokens = iter(await signed_in_tokens(settings, args.requests + warm))
        database = urlsplit(settings.database_url).path.lstrip("/")
        env = {**server_env(settings), "TRUSTED_PROXIES": "127.0.0.1"}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with serving([]) as servers, tempfile.TemporaryDirectory() as folder:
            servers.append(serve("bench.common:production_app", port, 1, env))
            await wait_until_up(base, "/readyz")
            csrf = await _csrf_cookie(base)

            def items(count: int, offset: int) -> list[object]:
                if args.flow == "points":
                    return [(next(tokens), offset + i) for i in range(count)]
                if args.flow == "booking":
                    return [(next(tokens), slots[i % len(slots)], offset + i) for i in range(count)]
                return [(next(tokens), listings[i % len(listings)], offset + i) for i in range(count)]

            op = {"points": points_op, "booking": booking_op, "purchase": purchase_op(csrf)}[args.flow]
            await run_ops(base, items(warm, 0), args.concurrency, op)  # warm the worker: imports, pools, caches
            # uvicorn with one worker serves from its own process; with more it forks children
            worker = (worker_pids(servers[0].pid) or [servers[0].pid])[0]
            raw = Path(folder) / "raw.txt"
            spy_proc = start_py_spy(spy, worker, args.rate, raw, args.native)
            await asyncio.sleep(1.0)  # py-spy attaches
            before = await _xacts(settings.database_url, database)
            worker_cpu = proc_cpu_s(worker)
            started = time.perf_counter()
            elapsed, _latencies, failures, client_ms = await run_ops(
                base, items(args.requests, warm), args.concurrency, op
            )
            after = await _xacts(settings.database_url, database)
            worker_ms = (proc_cpu_s(worker) - worker_cpu) * 1000 / args.requests
            stop_py_spy(spy_proc)
            print(
                f"{args.flow}: {args.requests} operations in {elapsed:.1f} s "
                f"({args.requests / elapsed:.0f}/s, one worker), {failures} failed, worker {worker_ms:.2f} ms CPU and "
                f"load generator {client_ms:.2f} ms CPU per operation, "
                f"{(after - before) / args.requests:.1f} PostgreSQL transactions per operation "
                f"(wall {time.perf_counter() - started:.1f} s)"
            )
            stacks = read_raw(raw)
            if args.raw:
                shutil.copy(raw, args.raw)
            print(report(stacks, args.top))


if __name__ == "__main__":
    asyncio.run(main())
