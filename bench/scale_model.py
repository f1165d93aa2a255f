"""Sizing for a provincial rollout, from the per-operation costs bench.suite measured (docs/scale-out.md).

    .venv/bin/python -m bench.scale_model --results bench/results/<file>.json
    .venv/bin/python -m bench.scale_model --results … --set arbor_day.participants=2000000 --set utilisation=0.5

Every assumption is a parameter (PARAMETERS below, `--set name=value` to change one, `--list` to print
them). The measured inputs come from the results file, from the run at the largest scale it holds
(`--scale` to choose): for each flow the app workers' CPU ms per operation, this database's PostgreSQL
backends' CPU ms per operation, the Redis commands per operation (Redis-wide, so an upper bound on a
shared Redis), and the workers' peak RSS; for Redis the redis-benchmark rate of one Redis process.

For each scenario the peak rate of every flow (operations/s in the busiest minute) is
`people × share doing it × times each / the window it falls in × burst`; then

    app cores        = Σ rate × app CPU ms / 1000 / utilisation       → uvicorn workers (one per core)
    PostgreSQL cores = Σ rate × PG CPU ms / 1000 / utilisation
    Redis            = Σ rate × Redis commands / (redis-benchmark rate × utilisation) → shards
    worker memory    = workers × peak RSS;  PostgreSQL connections = workers × pool size

The CPU figures exclude the load generator and are per operation, so they do not depend on how busy the
shared benchmark machine was, as much as a throughput figure would (still noisy: caches, frequency).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLOWS = (
    "campaign page",
    "certificate verify page",
    "serial lookup",
    "points posting",
    "completed purchase",
    "booking",
    "login (SMS)",
)

# Assumptions, each with its default. Counts of people are planning assumptions for a Sichuan-wide
# rollout, not statistics: change them with --set when better figures are known.
PARAMETERS: dict[str, float] = {
    # sizing rules
    "utilisation": 0.6,  # size so the peak minute runs the cores at 60 %: headroom for GC, skew, a lost node
    "cores_per_app_host": 8,  # uvicorn workers per app host (one per core)
    "pool_size": 10,  # asyncpg pool per worker (DATABASE_URL ?max_size=)
    "min_app_hosts": 2,  # never fewer than two, in two zones
    # 植树节 (12 March): the provincial 全民义务植树 day; bookings and check-ins across the province
    "arbor_day.participants": 1_000_000,  # people taking part that day (planting, booking, checking in)
    "arbor_day.peak_hour_share": 0.2,  # share of the day's activity in its busiest hour (09:00–10:00 check-ins)
    "arbor_day.burst": 2.0,  # busiest minute over that hour's average
    "arbor_day.login": 1.0,  # sign-ins per participant
    "arbor_day.campaign_page": 4.0,  # campaign page views per participant
    "arbor_day.booking": 1.0,
    "arbor_day.points_posting": 2.0,  # check-in award and the daily one
    "arbor_day.certificate_page": 0.5,
    "arbor_day.serial_lookup": 0.1,
    "arbor_day.purchase": 0.05,
    # A televised campaign: a QR code on screen during a prime-time programme
    "tv_qr.viewers": 20_000_000,
    "tv_qr.scan_share": 0.01,  # share of viewers who scan
    "tv_qr.scan_window_s": 120,  # the scans arrive while the code is on screen
    "tv_qr.follow_window_s": 600,  # what scanners go on to do spreads over the next ten minutes
    "tv_qr.burst": 1.5,
    "tv_qr.campaign_page": 1.0,  # per scanner, in the scan window
    "tv_qr.login": 0.3,  # per scanner, in the follow window
    "tv_qr.booking": 0.1,
    "tv_qr.purchase": 0.05,
    "tv_qr.points_posting": 0.3,
    "tv_qr.certificate_page": 0.05,
    "tv_qr.serial_lookup": 0.0,
    # A national holiday (国庆) at scenic spots: visitors scan the offset QR at the gate or on the bus
    "holiday.visitors": 5_000_000,  # visitors to the province's scenic spots on the peak day
    "holiday.scan_share": 0.1,
    "holiday.peak_hour_share": 0.15,
    "holiday.burst": 1.5,
    "holiday.login": 0.6,  # per scanner
    "holiday.purchase": 0.3,  # a trip offset
    "holiday.certificate_page": 1.0,
    "holiday.serial_lookup": 0.1,
    "holiday.points_posting": 1.0,
    "holiday.campaign_page": 0.5,
    "holiday.booking": 0.0,
}

SCENARIOS = {
    "arbor_day": "植树节 peak",
    "tv_qr": "televised campaign QR surge",
    "holiday": "national holiday, scenic spots",
}
FLOW_KEYS = {
    "campaign_page": "campaign page",
    "certificate_page": "certificate verify page",
    "serial_lookup": "serial lookup",
    "points_posting": "points posting",
    "purchase": "completed purchase",
    "booking": "booking",
    "login": "login (SMS)",
}


@dataclass(frozen=True)
class Cost:
    """What one operation of a flow cost in the benchmark."""

    app_cpu_ms: float
    pg_cpu_ms: float
    redis_cmds: float
    per_s_per_core: float  # the whole stack on the benchmark machine: ops/s ÷ its cores


@dataclass(frozen=True)
class Measured:
    costs: dict[str, Cost]
    redis_cmds_per_s: float  # one Redis process (redis-benchmark)
    pg_cpu_ms_per_tpcb: float | None
    peak_rss_mib: float
    scale: int
    source: str


def measured(doc: dict[str, Any], scale: int | None = None, source: str = "") -> Measured:
    runs = doc["runs"]
    run = max(runs, key=lambda r: r["scale"]) if scale is None else next(r for r in runs if r["scale"] == scale)
    rows = {r["name"]: r for r in run["rows"]}
    # Sized as if no page view were a micro-cache hit (app/core/public_cache.py): results that measured the
    # uncached rows use them, so the cache is headroom, not an assumption.
    rows.update({name: rows[f"{name}, uncached"] for name in FLOWS if f"{name}, uncached" in rows})
    cores = doc["machine"]["cores"] or 1
    costs = {
        name: Cost(
            rows[name]["app_cpu_ms"], rows[name]["pg_cpu_ms"], rows[name]["redis_cmds"], rows[name]["per_s"] / cores
        )
        for name in FLOWS
    }
    redis = next(r for r in run["rows"] if r["name"].startswith("redis-benchmark"))
    pgb = next(r for r in run["rows"] if r["name"].startswith("pgbench"))
    peak = max(rows[name]["peak_rss_mib"] or 0 for name in FLOWS)
    return Measured(costs, redis["per_s"], pgb.get("pg_cpu_ms"), peak, run["scale"], source)


def peak_rates(scenario: str, p: dict[str, float]) -> dict[str, float]:
    """Operations per second of each flow in the scenario's busiest minute."""
    s = scenario + "."
    rates: dict[str, float] = {}
    if scenario == "tv_qr":
        scanners = p[s + "viewers"] * p[s + "scan_share"]
        for key, flow in FLOW_KEYS.items():
            window = p[s + "scan_window_s"] if key == "campaign_page" else p[s + "follow_window_s"]
            rates[flow] = scanners * p[s + key] / window * p[s + "burst"]
        return rates
    people = p[s + "participants"] if scenario == "arbor_day" else p[s + "visitors"] * p[s + "scan_share"]
    for key, flow in FLOW_KEYS.items():
        rates[flow] = people * p[s + key] * p[s + "peak_hour_share"] / 3600 * p[s + "burst"]
    return rates


@dataclass(frozen=True)
class Sizing:
    scenario: str
    rates: dict[str, float]
    app_cores: float
    workers: int
    app_hosts: int
    pg_cores: float
    pg_connections: int
    redis_cmds_per_s: float
    redis_shards: int
    worker_memory_gib: float
    stack_cores_by_throughput: float


def size(scenario: str, m: Measured, p: dict[str, float]) -> Sizing:
    rates = peak_rates(scenario, p)
    u = p["utilisation"]
    app = sum(r * m.costs[f].app_cpu_ms for f, r in rates.items()) / 1000 / u
    pg = sum(r * m.costs[f].pg_cpu_ms for f, r in rates.items()) / 1000 / u
    cmds = sum(r * m.costs[f].redis_cmds for f, r in rates.items())
    workers = max(math.ceil(app), int(p["min_app_hosts"]))
    hosts = max(math.ceil(workers / p["cores_per_app_host"]), int(p["min_app_hosts"]))
    stack = sum(r / m.costs[f].per_s_per_core for f, r in rates.items() if r) / u
    return Sizing(
        scenario=scenario,
        rates=rates,
        app_cores=app,
        workers=workers,
        app_hosts=hosts,
        pg_cores=pg,
        pg_connections=workers * int(p["pool_size"]),
        redis_cmds_per_s=cmds,
        redis_shards=max(1, math.ceil(cmds / (m.redis_cmds_per_s * u))),
        worker_memory_gib=workers * m.peak_rss_mib / 1024,
        stack_cores_by_throughput=stack,
    )


def tables(m: Measured, p: dict[str, float]) -> str:
    """The measured inputs, the peak rates and the sizing, as Markdown (docs/scale-out.md quotes it)."""
    out = [
        f"Measured inputs ({m.source or 'results'}, scale {m.scale}×):",
        "",
        "| flow | app CPU ms/op | PG CPU ms/op | Redis cmds/op | whole stack ops/s per core |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, c in m.costs.items():
        out.append(f"| {name} | {c.app_cpu_ms:.2f} | {c.pg_cpu_ms:.2f} | {c.redis_cmds:.1f} | {c.per_s_per_core:.1f} |")
    tpcb = f"{m.pg_cpu_ms_per_tpcb:.2f}" if m.pg_cpu_ms_per_tpcb else "–"
    out += [
        "",
        f"One Redis process: {m.redis_cmds_per_s:,.0f} commands/s (redis-benchmark); PostgreSQL CPU per pgbench "
        f"TPC-B transaction: {tpcb} ms; workers' peak RSS: {m.peak_rss_mib:.0f} MiB.",
        "",
        "Peak-minute operations per second:",
        "",
        "| flow | " + " | ".join(SCENARIOS.values()) + " |",
        "| --- |" + " --- |" * len(SCENARIOS),
    ]
    sizings = [size(s, m, p) for s in SCENARIOS]
    for flow in FLOWS:
        out.append(f"| {flow} | " + " | ".join(f"{s.rates[flow]:,.0f}" for s in sizings) + " |")
    out.append("| **all** | " + " | ".join(f"**{sum(s.rates.values()):,.0f}**" for s in sizings) + " |")
    out += [
        "",
        f"Sizing at {p['utilisation']:.0%} utilisation in the peak minute:",
        "",
        "| | " + " | ".join(SCENARIOS.values()) + " |",
        "| --- |" + " --- |" * len(SCENARIOS),
        "| app cores (Σ rate × app CPU) | " + " | ".join(f"{s.app_cores:,.1f}" for s in sizings) + " |",
        "| uvicorn workers (one per core) | " + " | ".join(f"{s.workers}" for s in sizings) + " |",
        f"| app hosts ({int(p['cores_per_app_host'])} cores each, at least {int(p['min_app_hosts'])}) | "
        + " | ".join(f"{s.app_hosts}" for s in sizings)
        + " |",
        "| worker memory, GiB (workers × peak RSS) | "
        + " | ".join(f"{s.worker_memory_gib:,.1f}" for s in sizings)
        + " |",
        "| PostgreSQL cores (Σ rate × PG CPU) | " + " | ".join(f"{s.pg_cores:,.1f}" for s in sizings) + " |",
        f"| PostgreSQL connections (workers × {int(p['pool_size'])}) | "
        + " | ".join(f"{s.pg_connections:,}" for s in sizings)
        + " |",
        "| Redis commands/s | " + " | ".join(f"{s.redis_cmds_per_s:,.0f}" for s in sizings) + " |",
        "| Redis shards (one core each) | " + " | ".join(f"{s.redis_shards}" for s in sizings) + " |",
        "| cross-check: whole-stack cores from throughput | "
        + " | ".join(f"{s.stack_cores_by_throughput:,.1f}" for s in sizings)
        + " |",
    ]
    return "\n".join(out) + "\n"


def parameters(overrides: list[str]) -> dict[str, float]:
    p = dict(PARAMETERS)
    for item in overrides:
        name, _, value = item.partition("=")
        if name not in p:
            raise SystemExit(f"unknown parameter {name!r}; --list shows them")
        p[name] = float(value)
    return p


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, help="a bench/results/*.json written by bench.suite")
    parser.add_argument("--scale", type=int, help="which run of the file (default: its largest scale)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="change an assumption")
    parser.add_argument("--list", action="store_true", help="print the assumptions and their defaults")
    args = parser.parse_args(argv)
    p = parameters(args.set)
    if args.list or args.results is None:
        for name, value in p.items():
            print(f"{name} = {value:g}")
        return
    doc = json.loads(args.results.read_text())
    print(tables(measured(doc, args.scale, args.results.name), p), end="")


if __name__ == "__main__":
    main()
