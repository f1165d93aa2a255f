"""The benchmark suite: every citizen-facing flow against the app served the production way, each as a
ratio to a reference measured in the same run, at one or more data scales; results kept as files.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m bench.suite                      # scale 1
    ... python -m bench.suite --scale 1,10                   # growth: the same flows with 10× the data

Per scale: a throw-away database is filled (bench.ledger_verify's transfers, bench.registry_overlap's
parcels, bench.campaign_page's participations, bench.serial_lookup's issuances, listed issuances for the
market, signed-in users), the app is served by uvicorn (`--workers`, PostgreSQL + Redis, rate limits on,
`bench.common:production_app`) and the references by the same command (`bench.suite:bare_app`: a bare
Litestar JSON endpoint and two bare Jinja pages, no middleware, no database). One client (httpx,
`--concurrency` in flight, this machine) runs each flow; `pgbench` TPC-B runs against the same PostgreSQL
and `redis-benchmark` against the same Redis. Besides throughput and latency, each flow's CPU is read from
/proc: the app workers', the PostgreSQL backends' of this database (by their process title), and the
load generator's own; the workers' peak RSS (VmHWM) after each flow. bench.scale_model turns those
per-operation figures into a sizing (docs/scale-out.md).

Results: bench/results/<UTC timestamp>-<host>.json and .md (the table and the machine description).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
from litestar import Litestar, Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis
from tortoise import Tortoise

from app.core.auth import Principal
from app.core.db import run_migrations, tortoise_config
from app.market import service as market
from app.settings import Settings
from bench import campaign_page, certificate_verify, ledger_verify, registry_overlap, serial_lookup
from bench.common import (
    WRK_SECONDS,
    CpuMeter,
    LoadResult,
    Operation,
    database_backends,
    db_url,
    free_port,
    load,
    machine,
    pg_url,
    pgbench,
    proc_cpu_s,
    proc_status_kib,
    redis_info,
    run_ops,
    serve,
    server_env,
    serving,
    signed_in_tokens,
    sms_inbox_key,
    throwaway_database,
    wait_until_up,
    worker_pids,
    wrk_in_use,
)
from bench.points_postings import post_award
from models.accounts import User

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

# Data at scale 1; `--scale N` multiplies each. Modest on purpose: scales 1 and 10 together run in about
# 15 minutes on a 2-core machine, scale 100 adds about half an hour (bench/README.md).
BASE_DATA = {
    "participations": 10_000,  # bookings of the measured campaign (half checked in)
    "parcels": 2_000,  # registry parcels over Sichuan (bench.registry_overlap's fill)
    "transfers": 20_000,  # points ledger transfers over `wallets` wallets (bench.ledger_verify's fill)
    "wallets": 2_000,
    "issuances": 10,  # issuances with serial blocks and one retirement each (serial lookup, certificates)
}
LISTINGS = 4  # issuances listed on the market; purchases go round them
ORDER_KG = 10  # one unit at 1.00 元 per 10 kg


def bare_app() -> Litestar:
    """The references, served like the app: a JSON answer the size of a serial lookup's, the campaign
    page's shape and the certificate page's shape as bare Jinja pages; no middleware, no database."""
    return Litestar(
        route_handlers=[
            Router(path="/json", route_handlers=[serial_lookup.bare_lookup]),
            campaign_page.bare_page,  # /bare/campaign
            Router(path="/certificate", route_handlers=[certificate_verify.bare_page]),
        ],
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
    )


@dataclass
class Row:
    """One line of the table: a flow or a reference."""

    name: str
    kind: str  # flow | reference
    ops: int
    failed: int
    per_s: float
    p50_ms: float | None
    p99_ms: float | None
    requests_per_op: int = 1
    reference: str = ""
    ratio: float | None = None  # per_s / the reference's per_s
    ratio_bare_json: float | None = None
    app_cpu_ms: float | None = None  # per operation, summed over the workers
    pg_cpu_ms: float | None = None  # per operation, this database's backends
    redis_cmds: float | None = None  # per operation; Redis-wide, so other sessions' commands count too
    client_cpu_ms: float | None = None  # the load generator's, per operation
    peak_rss_mib: float | None = None  # largest worker VmHWM so far (monotonic: the peak up to this row)
    notes: str = ""


@dataclass
class ScaleRun:
    scale: int
    data: dict[str, int]
    seeded_s: float
    rows: list[Row] = field(default_factory=list)
    load_average_end: list[float] = field(default_factory=list)


def _ip(n: int) -> str:
    """A client address per simulated visitor (behind the trusted proxy 127.0.0.1), so per-address limits
    count each visitor as they would behind a real load balancer."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _headers(token: str | None, n: int) -> dict[str, str]:
    h = {"X-Forwarded-For": _ip(n), "Idempotency-Key": str(uuid.uuid4())}  # a client following docs/api.md
    if token:
        h["Authorization"] = f"Bearer {token}"
    return h


# --- the flows that are more than one GET ------------------------------------------------------------------


def purchase_op(csrf: str) -> Operation:
    """A completed purchase: place the order (API), start paying (API: the sandbox trade), press 支付 on
    the sandbox's page (the trade is paid and its signed notification goes through the payments
    service's notify entry point, which fulfils the order: retirement, certificate, money). Success is the
    page's redirect to the order; bench.suite then counts the fulfilled orders in the database."""

    async def op(client: httpx.AsyncClient, item: tuple[str, str, int]) -> bool:
        token, listing, n = item
        r = await client.post(
            "/api/v1/market/orders",
            json={"listing": listing, "kg": ORDER_KG, "purpose": "trip", "beneficiary": "成都市民"},
            headers=_headers(token, n),
        )
        if r.status_code != 201:
            return False
        order = r.json()["id"]
        r = await client.post(f"/api/v1/market/orders/{order}/pay", headers=_headers(token, n))
        if r.status_code != 200:
            return False
        confirm = urlsplit(r.json()["client"]["confirm_url"])
        r = await client.post(
            confirm.path + "/pay",
            data={"t": parse_qs(confirm.query)["t"][0]},
            headers={"x-csrftoken": csrf, "cookie": f"csrftoken={csrf}", "X-Forwarded-For": _ip(n)},
        )
        return r.status_code == 303 and f"/market/orders/{order}" in r.headers.get("location", "")

    return op


async def points_op(client: httpx.AsyncClient, item: tuple[str, int]) -> bool:
    """bench.points_postings' posting, from the visitor's own address."""
    token, n = item
    return await post_award(client, token, _headers(None, n))


async def booking_op(client: httpx.AsyncClient, item: tuple[str, int, int]) -> bool:
    token, slot, n = item
    r = await client.post(f"/api/v1/campaigns/slots/{slot}/bookings", headers=_headers(token, n))
    return r.status_code == 201


def login_op(redis: Redis, prefix: str) -> Operation:
    """Sign in by SMS as a new phone: ask for a code, read it from the SMS inbox (bench.common.InboxSms),
    sign in with it (the first sign-in creates the account)."""

    async def op(client: httpx.AsyncClient, item: tuple[str, int]) -> bool:
        phone, n = item
        r = await client.post("/api/v1/auth/sms/send", json={"phone": phone}, headers=_headers(None, n))
        if r.status_code != 200:
            return False
        code = await redis.get(sms_inbox_key(prefix, phone))
        if code is None:
            return False
        r = await client.post(
            "/api/v1/auth/sms/login",
            json={"phone": phone, "code": code.decode() if isinstance(code, bytes) else code},
            headers=_headers(None, n),
        )
        return r.status_code == 200

    return op


# --- seeding ------------------------------------------------------------------------------------------------


async def _listings(settings: Settings, kg_each: int) -> list[str]:
    """`LISTINGS` issuances of a smallholder, each of `kg_each` kg, listed at 1.00 元 per 10 kg."""
    await Tortoise.init(config=tortoise_config(settings))
    try:
        owner = await User.create(public_id=uuid.uuid4().hex[:26])
        verifier = await User.create(public_id=uuid.uuid4().hex[:26])
        seller = Principal(user=owner, session=cast(Any, None), roles=frozenset({"smallholder"}))
        listed = []
        for n in range(LISTINGS):
            issuance = await serial_lookup.issue(owner, verifier, 100_000 + n, kg=kg_each, buffer=kg_each // 4)
            listed.append((await market.create_listing(seller, issuance.public_id, 100, ORDER_KG, "masked")).public_id)
        return listed
    finally:
        await Tortoise.close_connections()


@dataclass
class Material:
    serials: list[str]
    codes: list[str]
    listings: list[str]
    slots: list[int]
    tokens: list[str]


async def large_campaign_slots(database_url: str) -> list[int]:
    """The slot ids of campaign_page._seed's `bench-large`, which the booking flows book into."""
    conn = await asyncpg.connect(pg_url(database_url))
    try:
        return [
            int(r["id"])
            for r in await conn.fetch(
                "SELECT sl.id FROM campaign_slot sl JOIN campaign_site si ON si.id = sl.site_id "
                "JOIN campaign c ON c.id = si.campaign_id WHERE c.slug = 'bench-large' ORDER BY sl.id"
            )
        ]
    finally:
        await conn.close()


async def seed(settings: Settings, data: dict[str, int], ops: dict[str, int]) -> Material:
    url = settings.database_url
    await run_migrations(settings)
    await ledger_verify._fill(url, data["transfers"], data["wallets"])
    await registry_overlap._fill(url, 0, data["parcels"], seed=1)
    campaigns = await campaign_page._seed(settings, 0, data["participations"])
    del campaigns
    serials = await serial_lookup._seed(settings, data["issuances"])
    codes = await certificate_verify._codes(settings)
    listings = await _listings(settings, (ops["purchase"] // LISTINGS + 50) * ORDER_KG)
    slots = await large_campaign_slots(url)
    tokens = await signed_in_tokens(settings, ops["points"] + ops["purchase"] + ops["booking"])
    # Vacuum now, so autovacuum does not work through the freshly loaded tables during the first flows.
    conn = await asyncpg.connect(pg_url(url))
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    return Material(serials, codes, listings, slots, tokens)


# --- measuring ------------------------------------------------------------------------------------------------


def _quantiles(latencies: list[float]) -> tuple[float, float]:
    if len(latencies) < 2:
        return (latencies[0] * 1000, latencies[0] * 1000) if latencies else (0.0, 0.0)
    q = statistics.quantiles(latencies, n=100)
    return q[49] * 1000, q[98] * 1000


class Meter:
    """Per-operation CPU of the app's workers, this database's PostgreSQL backends and Redis (Redis-wide)."""

    def __init__(self, server_pid: int, database: str, redis_url: str) -> None:
        self.server_pid, self.database, self.redis_url = server_pid, database, redis_url

    async def measure(
        self, base: str, items: Sequence[Any], concurrency: int, op: Operation, gets: bool = False
    ) -> tuple[LoadResult, dict[str, float]]:
        """`gets`: the items are paths, each a GET by a visitor of its own, driven by wrk when installed
        (httpx costs more CPU per request than the cheapest pages and would cap them)."""
        workers = worker_pids(self.server_pid)
        app0 = sum(proc_cpu_s(p) for p in workers)
        pg = CpuMeter()
        pg.sample(database_backends(self.database))
        pg0 = dict(pg.seen)
        redis0 = await redis_info(self.redis_url)
        result = await (
            load(base, list(items), concurrency, visitors=True) if gets else run_ops(base, items, concurrency, op)
        )
        redis1 = await redis_info(self.redis_url)
        app1 = sum(proc_cpu_s(p) for p in workers)
        after = CpuMeter()
        after.sample(database_backends(self.database))
        pg_used = sum(v - pg0.get(pid, 0.0) for pid, v in after.seen.items())
        # wrk runs for a time, not a count: its result is scaled to len(items), and so is the work measured
        scale = WRK_SECONDS / result[0] if gets and wrk_in_use() else 1.0  # requests really made / len(items)
        done = max(1, round((len(items) - result[2]) * scale))
        return result, {
            "app_cpu_ms": (app1 - app0) * 1000 / done,
            "pg_cpu_ms": pg_used * 1000 / done,
            "redis_cmds": (redis1["total_commands_processed"] - redis0["total_commands_processed"]) / done,
            "peak_rss_mib": max((proc_status_kib(p, "VmHWM") for p in workers), default=0) / 1024,
        }


def _row(name: str, n: int, result: LoadResult, extra: dict[str, float], **kw: Any) -> Row:
    elapsed, latencies, failed, client_ms = result
    p50, p99 = _quantiles(latencies)
    return Row(
        name=name, kind=kw.pop("kind", "flow"), ops=n, failed=failed, per_s=(n - failed) / elapsed, p50_ms=p50,
        p99_ms=p99, client_cpu_ms=client_ms, app_cpu_ms=extra["app_cpu_ms"], pg_cpu_ms=extra["pg_cpu_ms"],
        redis_cmds=extra["redis_cmds"], peak_rss_mib=extra["peak_rss_mib"], **kw,
    )  # fmt: skip


async def _pgbench_row(database_url: str, seconds: int, clients: int) -> Row:
    """pgbench TPC-B on the same server, with the CPU of its backends (sampled while it runs)."""
    database = f"msbench_pgb_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_url(db_url(database_url, "postgres")))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        url = db_url(database_url, database)
        pgbench(url, 1, 1)  # initialise (scale 10) and warm
        meter = CpuMeter()
        started = time.perf_counter()
        tps = pgbench(url, seconds, clients, initialise=False, during=lambda: meter.sample(database_backends(database)))
        elapsed = time.perf_counter() - started
        pg_ms = meter.total() * 1000 / (tps * elapsed) if tps else None
        return Row(name=f"pgbench TPC-B ({clients} clients)", kind="reference", ops=round(tps * elapsed), failed=0,
                   per_s=tps, p50_ms=None, p99_ms=None, pg_cpu_ms=pg_ms,
                   notes="scale 10; PG CPU per transaction sampled every 0.5 s (the last half second is not seen)")  # fmt: skip
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def _redis_benchmark_row(redis_url: str) -> Row:
    """redis-benchmark on the same Redis (SET, GET, INCR, ZADD; 32 clients): what one Redis core does."""
    p = urlsplit(redis_url)
    db = (p.path or "/0").lstrip("/") or "0"
    try:
        out = subprocess.run(
            ["redis-benchmark", "-h", p.hostname or "127.0.0.1", "-p", str(p.port or 6379), "--dbnum", db,
             "-n", "20000", "-c", "32", "-t", "set,get,incr,zadd", "--csv"],
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return Row(name="redis-benchmark", kind="reference", ops=0, failed=0, per_s=0, p50_ms=0, p99_ms=0,
                   notes="redis-benchmark not available")  # fmt: skip
    finally:  # it writes fixed key names; leave the database as we found it
        subprocess.run(["redis-cli", "-h", p.hostname or "127.0.0.1", "-p", str(p.port or 6379), "-n", db, "DEL",
                        "key:__rand_int__", "counter:__rand_int__", "myzset"], capture_output=True, check=False)  # fmt: skip
    rates = {}
    for line in out.splitlines()[1:]:
        cells = [c.strip('"') for c in line.split(",")]
        if len(cells) > 6:
            rates[cells[0]] = (float(cells[1]), float(cells[4]), float(cells[6]))
    mean = statistics.mean(r[0] for r in rates.values())
    return Row(name="redis-benchmark (SET/GET/INCR/ZADD)", kind="reference", ops=20000 * len(rates), failed=0,
               per_s=mean, p50_ms=statistics.mean(r[1] for r in rates.values()),
               p99_ms=max(r[2] for r in rates.values()),
               notes="commands/s, mean of " + ", ".join(f"{k} {v[0]:.0f}" for k, v in rates.items()))  # fmt: skip


async def _csrf_cookie(base: str) -> str:
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.get("/")
        return r.cookies.get("csrftoken") or ""


async def run_scale(args: argparse.Namespace, scale: int) -> ScaleRun:
    data = {k: v * scale for k, v in BASE_DATA.items()}
    n = args.requests
    # Bookings are also written during the "campaign page while booking" flow: 8 in flight beside the pages.
    mixed_bookings = max(10, n // 2)
    ops = {"points": n, "purchase": max(10, n // 3), "booking": n + mixed_bookings, "login": max(10, n // 2)}
    warm = 20
    print(f"\n== scale {scale}: " + ", ".join(f"{k} {v:,}" for k, v in data.items()), flush=True)
    async with throwaway_database("suite") as settings:
        started = time.perf_counter()
        material = await seed(settings, data, {k: v + warm for k, v in ops.items()})
        run = ScaleRun(scale=scale, data=data, seeded_s=time.perf_counter() - started)
        print(f"seeded in {run.seeded_s:.0f} s", flush=True)
        database = urlsplit(settings.database_url).path.lstrip("/")
        redis_url = settings.redis_url or ""
        env = {**server_env(settings), "TRUSTED_PROXIES": "127.0.0.1"}
        env["API_RATE_LIMIT_PER_MINUTE"] = str(args.rate_limit)  # production's default, per visitor address
        app_port, bare_port = free_port(), free_port()
        redis = Redis.from_url(redis_url)
        try:
            with serving([]) as servers:
                servers.append(serve("bench.common:production_app", app_port, args.workers, env))
                servers.append(serve("bench.suite:bare_app", bare_port, args.workers, env))
                app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
                await wait_until_up(app_base, "/readyz")
                await wait_until_up(bare_base, "/bare/campaign")
                app, bare = Meter(servers[0].pid, database, redis_url), Meter(servers[1].pid, "-none-", redis_url)
                csrf = await _csrf_cookie(app_base)
                tokens = iter(material.tokens)
                phone0 = int(time.time()) % 10_000_000 * 10
                paths = {
                    "campaign": ["/campaigns/bench-large"] * n,
                    "certificate": [f"/certificates/{material.codes[i % len(material.codes)]}" for i in range(n)],
                    "serial": [f"/api/v1/credits/serials/{material.serials[i % len(material.serials)]}" for i in range(n)],
                }  # fmt: skip
                # The same answers asked for at distinct addresses (a query string the handlers ignore, its
                # "{n}" numbered per request by `load`), so none is a micro-cache hit
                # (app/core/public_cache.py): what each first visitor of a page costs.
                for kind in ("campaign", "certificate", "serial"):
                    paths[f"{kind} uncached"] = [f"{p}?uncached={{n}}" for p in paths[kind]]
                bare_paths = {
                    "json": [f"/json/bare/{s.split('/')[-1]}" for s in paths["serial"]],
                    "campaign": ["/bare/campaign"] * n,
                    "certificate": [p.replace("/certificates/", "/certificate/bare/") for p in paths["certificate"]],
                }

                def items(kind: str, count: int, offset: int) -> list[Any]:
                    if kind == "points":
                        return [(next(tokens), offset + i) for i in range(count)]
                    if kind == "purchase":
                        return [(next(tokens), material.listings[i % LISTINGS], offset + i) for i in range(count)]
                    if kind == "booking":
                        return [
                            (next(tokens), material.slots[i % len(material.slots)], offset + i) for i in range(count)
                        ]
                    return [(f"139{(phone0 + offset + i) % 10**8:08d}", offset + i) for i in range(count)]

                visitors = itertools.count(3_000_000)

                async def get_ok(client: httpx.AsyncClient, path: str) -> bool:
                    """One GET as a visitor of its own (a fresh client address: the rate limit is per address)."""
                    r = await client.get(path, headers={"X-Forwarded-For": _ip(next(visitors))})
                    return r.status_code == 200

                flows: list[tuple[str, str, Callable[[int, int], list[Any]], Operation, int, str]] = [
                    ("campaign page", "campaign", lambda c, o: paths["campaign"][:c], get_ok, 1, "bare Jinja (campaign)"),
                    ("certificate verify page", "certificate", lambda c, o: paths["certificate"][:c], get_ok, 1, "bare Jinja (certificate)"),
                    ("serial lookup", "serial", lambda c, o: paths["serial"][:c], get_ok, 1, "bare JSON"),
                    ("campaign page, uncached", "campaign uncached", lambda c, o: paths["campaign uncached"][:c], get_ok, 1, "bare Jinja (campaign)"),
                    ("certificate verify page, uncached", "certificate uncached", lambda c, o: paths["certificate uncached"][:c], get_ok, 1, "bare Jinja (certificate)"),
                    ("serial lookup, uncached", "serial uncached", lambda c, o: paths["serial uncached"][:c], get_ok, 1, "bare JSON"),
                    ("points posting", "points", lambda c, o: items("points", c, o), points_op, 1, "pgbench TPC-B"),
                    ("completed purchase", "purchase", lambda c, o: items("purchase", c, o), purchase_op(csrf), 3, "pgbench TPC-B"),
                    ("booking", "booking", lambda c, o: items("booking", c, o), booking_op, 1, "pgbench TPC-B"),
                    ("login (SMS)", "login", lambda c, o: items("login", c, o), login_op(redis, settings.redis_prefix), 2, "pgbench TPC-B"),
                ]  # fmt: skip
                # Warm every path once: connection pools, template and statement caches.
                for _, _kind, make, op, _, _ in flows:
                    await run_ops(app_base, make(warm, 1_000_000), min(warm, args.concurrency), op)
                for ps in bare_paths.values():
                    await load(bare_base, ps[:200], args.concurrency)

                # Each page or lookup flow is bracketed by its reference, measured just before and just after
                # it, so a change in the machine's load between flows moves both sides of its ratio.
                ref_key = {"bare JSON": "json", "bare Jinja (campaign)": "campaign",
                           "bare Jinja (certificate)": "certificate"}  # fmt: skip
                ref_runs: dict[str, list[tuple[LoadResult, dict[str, float]]]] = {k: [] for k in bare_paths}

                async def reference_rate(key: str) -> float:
                    measured_ref = await bare.measure(bare_base, bare_paths[key], args.concurrency, get_ok, gets=True)
                    ref_runs[key].append(measured_ref)
                    return (n - measured_ref[0][2]) / measured_ref[0][0]

                measured: list[tuple[str, str, int, int, str, LoadResult, dict[str, float], list[float]]] = []
                for label, kind, make, op, per_op, reference in flows:
                    count = n if kind == "booking" else ops.get(kind, n)
                    key = ref_key.get(reference)
                    bracket = [await reference_rate(key)] if key else []
                    result, extra = await app.measure(
                        app_base, make(count, 2_000_000), args.concurrency, op, gets=op is get_ok
                    )
                    if key:
                        bracket.append(await reference_rate(key))
                    measured.append((label, kind, count, per_op, reference, result, extra, bracket))
                    print(f"  {label}: {(count - result[2]) / result[0]:.1f}/s, failed {result[2]}", flush=True)

                # The surge as it is: visitors read the campaign page while others book places in it (each
                # booking moves its counters). Writes change what the micro-cache holds, so this is the
                # page rate a campaign gets in use, not only when idle. App CPU per page includes the bookings'.
                bracket = [await reference_rate("campaign")]
                pages, bookings = await asyncio.gather(
                    app.measure(app_base, paths["campaign"], args.concurrency, get_ok, gets=True),
                    run_ops(app_base, items("booking", mixed_bookings, 3_000_000), 8, booking_op),
                )
                bracket.append(await reference_rate("campaign"))
                booked = (mixed_bookings - bookings[2]) / bookings[0]
                measured.append(
                    ("campaign page while booking", "campaign", n, 1, "bare Jinja (campaign)", *pages, bracket)
                )
                mixed_note = f"{booked:.1f} bookings/s written meanwhile ({bookings[2]} failed)"
                print(
                    f"  campaign page while booking: {(n - pages[0][2]) / pages[0][0]:.1f}/s; {mixed_note}", flush=True
                )
        finally:
            await redis.aclose()
        conn = await asyncpg.connect(pg_url(settings.database_url))
        try:
            fulfilled = await conn.fetchval("SELECT count(*) FROM market_order WHERE status = 'fulfilled'")
            placed = await conn.fetchval("SELECT count(*) FROM market_order")
        finally:
            await conn.close()
        pg_row = await _pgbench_row(settings.database_url, args.pgbench_seconds, args.pgbench_clients)
    redis_row = _redis_benchmark_row(redis_url)

    refs: dict[str, Row] = {}
    for label, key in ref_key.items():
        rows = [_row(label, n, *r, kind="reference") for r in ref_runs[key]]
        refs[label] = Row(
            name=label, kind="reference", ops=n * len(rows), failed=sum(r.failed for r in rows),
            per_s=statistics.mean(r.per_s for r in rows), p50_ms=statistics.mean(r.p50_ms or 0 for r in rows),
            p99_ms=max(r.p99_ms or 0 for r in rows), app_cpu_ms=statistics.mean(r.app_cpu_ms or 0 for r in rows),
            client_cpu_ms=statistics.mean(r.client_cpu_ms or 0 for r in rows),
            peak_rss_mib=max(r.peak_rss_mib or 0 for r in rows),
            notes="mean of " + ", ".join(f"{r.per_s:.0f}" for r in rows) + "/s (measured before and after each flow it refers)",
        )  # fmt: skip
    refs["pgbench TPC-B"] = pg_row
    run.rows.extend(refs.values())
    run.rows.append(redis_row)
    for label, kind, count, per_op, reference, result, extra, bracket in measured:
        row = _row(label, count, result, extra, requests_per_op=per_op, reference=reference)
        ref_rate = statistics.mean(bracket) if bracket else refs[reference].per_s
        row.ratio = row.per_s / ref_rate if ref_rate else None
        row.ratio_bare_json = row.per_s / refs["bare JSON"].per_s
        if bracket:
            row.notes = f"reference just before/after: {bracket[0]:.0f}/{bracket[1]:.0f} per s"
        if kind == "purchase":
            row.notes = f"{fulfilled} of {placed} orders fulfilled (warm-up included)"
        if label == "campaign page while booking":
            row.notes += f"; {mixed_note}"
        run.rows.append(row)
    run.load_average_end = [round(x, 2) for x in os.getloadavg()]
    return run


# --- output ------------------------------------------------------------------------------------------------


def _f(value: float | None, fmt: str = ".1f") -> str:
    return "–" if value is None else format(value, fmt)


def table(run: ScaleRun) -> str:
    head = ("| flow | ops/s | p50 ms | p99 ms | reference | ratio | ÷ bare JSON | app CPU ms/op | PG CPU ms/op "
            "| Redis cmds/op | workers' peak RSS MiB | failed |")  # fmt: skip
    lines = [head, "|" + " --- |" * 12]
    for r in run.rows:
        name = r.name if r.kind == "flow" else f"*{r.name}*"
        if r.requests_per_op > 1:
            name += f" ({r.requests_per_op} req)"
        lines.append(
            f"| {name} | {r.per_s:.1f} | {_f(r.p50_ms, '.0f')} | {_f(r.p99_ms, '.0f')} | {r.reference or '—'} | {_f(r.ratio, '.3f')} "
            f"| {_f(r.ratio_bare_json, '.2f')} | {_f(r.app_cpu_ms, '.2f')} | {_f(r.pg_cpu_ms, '.2f')} "
            f"| {_f(r.redis_cmds, '.1f')} | {_f(r.peak_rss_mib, '.0f')} | {r.failed} |"
        )
    return "\n".join(lines)


def growth(runs: list[ScaleRun]) -> str:
    """Per flow, bigger data ÷ the smallest: throughput, ratio to the reference (cancels most of the machine's
    drift between the runs), and the CPU per operation of the app and of PostgreSQL (the steadiest signal)."""
    small = runs[0]
    by_name = {r.name: r for r in small.rows if r.kind == "flow"}
    cols = ("ops/s", "ratio to reference", "app CPU/op", "PG CPU/op")
    head = "| flow | " + " | ".join(f"{x.scale}× ÷ {small.scale}×: {c}" for x in runs[1:] for c in cols) + " |"
    lines = [head, "|" + " --- |" * (1 + len(cols) * (len(runs) - 1))]

    def quotient(a: float | None, b: float | None) -> str:
        return _f(a / b if a and b else None, ".2f")

    for name, base in by_name.items():
        cells = []
        for big in runs[1:]:
            other = next(r for r in big.rows if r.name == name)
            cells += [
                quotient(other.per_s, base.per_s),
                quotient(other.ratio, base.ratio),
                quotient(other.app_cpu_ms, base.app_cpu_ms),
                quotient(other.pg_cpu_ms, base.pg_cpu_ms),
            ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(doc: dict[str, Any], runs: list[ScaleRun]) -> str:
    m = doc["machine"]
    out = [
        f"# bench.suite {doc['started']}",
        "",
        f"`{doc['command']}`",
        "",
        f"machine: {m['host']}, {m['cores']} cores {m['cpu_model']}, {m['ram_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, PostgreSQL {m['postgresql']}, Redis {m['redis']}; commit {m['git_commit'][:10]}"
        f"{' (uncommitted changes)' if m['git_dirty'] else ''}; load average at start "
        f"{' '.join(map(str, m['load_average_start']))}",
        f"settings: uvicorn {doc['settings']['workers']} workers, {doc['settings']['concurrency']} in flight "
        f"(pages and lookups: {doc['settings'].get('get_client', 'httpx')}; other flows: httpx; same machine), "
        f"rate limit {doc['settings']['rate_limit']}/min per visitor address; "
        "ratio = ops/s ÷ the reference's rate in the same run; CPU from /proc (PG: this database's backends; "
        "Redis commands are Redis-wide)",
    ]
    for run in runs:
        out += ["", f"## scale {run.scale}× — " + ", ".join(f"{k} {v:,}" for k, v in run.data.items()),
                f"seeded in {run.seeded_s:.0f} s; load average at end {' '.join(map(str, run.load_average_end))}",
                "", table(run)]  # fmt: skip
        notes = [f"- {r.name}: {r.notes}" for r in run.rows if r.notes]
        if notes:
            out += ["", *notes]
    if len(runs) > 1:
        out += ["", "## growth (bigger data ÷ smallest)", "", growth(runs)]
    return "\n".join(out) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="1", help="comma-separated data multipliers, e.g. 1,10,100")
    parser.add_argument("--requests", type=int, default=1000, help="operations per single-request flow")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate-limit", type=int, default=Settings().api_rate_limit_per_minute)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--results", type=Path, default=RESULTS, help="directory for the .json and .md")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    scales = [int(x) for x in args.scale.split(",") if x.strip()]
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    started = datetime.now(UTC)
    doc: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench.suite " + " ".join(sys.argv[1:]),
        "machine": await machine(os.environ["DATABASE_URL"], os.environ["REDIS_URL"]),
        "settings": {
            "workers": args.workers,
            "concurrency": args.concurrency,
            "requests": args.requests,
            "rate_limit": args.rate_limit,
            "get_client": f"wrk, {WRK_SECONDS} s per run" if wrk_in_use() else "httpx",
            "pgbench_seconds": args.pgbench_seconds,
            "pgbench_clients": args.pgbench_clients,
            "base_data": BASE_DATA,
        },
    }
    runs = []
    for scale in scales:
        runs.append(await run_scale(args, scale))
        print("\n" + table(runs[-1]), flush=True)
    doc["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    doc["runs"] = [{**asdict(r), "rows": [asdict(x) for x in r.rows]} for r in runs]
    text = markdown(doc, runs)
    print("\n" + text)
    if not args.no_save:
        args.results.mkdir(parents=True, exist_ok=True)
        stem = args.results / f"{started:%Y%m%dT%H%M%SZ}-{doc['machine']['host']}"
        stem.with_suffix(".json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        stem.with_suffix(".md").write_text(text)
        print(f"results: {stem}.json, {stem}.md")


if __name__ == "__main__":
    asyncio.run(main())
