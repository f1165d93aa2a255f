"""Benchmark: certificate verify pages per second versus a bare Litestar Jinja page, same server, same run
(issue 6's target: ratio ≥ 0.7); then poster render time and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m bench.certificate_verify --requests 5000 --issuances 100 --workers 2

A throw-away database gets `--issuances` issuances through the real services (bench.serial_lookup's
seeding: each has a reserved, a retired, a tradable and a buffer-pool block), so one certificate each.
The app is served the production way (uvicorn, `--workers`, PostgreSQL + Redis); the bare app — one
Litestar handler rendering a Jinja page of the same shape and size (same inline QR SVG), no
middleware, no database — is served by the same uvicorn command. The same client (httpx,
`--concurrency` in flight, this machine) asks each for the same pages, in Chinese.

Posters: a fresh Python process imports the poster module, then draws `--posters` posters (PNG, then
PDF) and reports the median time of each and the growth of its peak RSS (Pillow's image buffers live
outside Python's allocator, so tracemalloc would not see them). Through HTTP it also times the first
request for each poster (drawn in a thread, then stored) against a repeat (from the store).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from tortoise import Tortoise

from app.certificates import service as certificates
from app.core.db import run_migrations, tortoise_config
from app.settings import Settings
from bench.common import (
    LoadResult,
    free_port,
    line,
    load,
    serve,
    server_env,
    serving,
    throwaway_database,
    wait_until_up,
)
from bench.serial_lookup import SHA, _seed
from models.credits import Retirement

HERE = Path(__file__).resolve().parent
QR = certificates.qr_svg("http://127.0.0.1:8000/certificates/ABCDEFGHJKLMNPQR")


@get("/bare/{code:str}", sync_to_thread=False)
def bare_page(code: str) -> Template:
    """The reference: a page of the verify page's shape and size, with no work behind it."""
    return Template(
        "bare_certificate.html",
        context={
            "title": "碳汇注销证书",
            "code": code,
            "beneficiary": "某*",
            "kg": 30,
            "purpose": "出行抵消",
            "date": "2026年12月6日",
            "issuances": [
                {
                    "id": "0" * 26,
                    "project": "1" * 26,
                    "name": "项目0",
                    "county": "四川省成都市龙泉驿区",
                    "kg": 30,
                    "vintage": 2024,
                    "sha": SHA,
                    "parcels": ["2" * 26, "3" * 26],
                }
            ],
            "serials": ["AFF-510112-000001-2024-0000000051-0000000080"],
            "qr": QR,
        },
    )


def bare_app() -> Litestar:
    return Litestar(
        route_handlers=[bare_page],
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
    )


_POSTER_PROBE = """
import json, statistics, sys, time
from app.certificates import poster, service
fonts = poster.find_font()
if fonts is None:
    print(json.dumps({"error": "no Noto Sans CJK font: run make deps"})); sys.exit(0)
text = poster.PosterText(
    brand="微碳汇 · 林草碳普惠", title="碳汇注销证书", beneficiary_label="受益方", beneficiary="成******",
    retired_label="已注销碳汇", quantity="1,250", unit="千克 CO₂e", purpose="出行抵消 · G8 川西自驾",
    from_label="来自", projects=["后山造林"], places=["四川省成都市龙泉驿区"], date_label="注销日期",
    date="2026年12月6日", code_label="证书编号", code="ABCD EFGH JKLM NPQR", scan="扫码验证",
    url="https://microsink.example.cn/certificates/ABCDEFGHJKLMNPQR", reversal="",
)
matrix = service.qr_matrix(text.url)
def status(field):  # kiB, from the kernel: Pillow's buffers live outside Python's allocator
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
before = status("VmRSS")
out = {"rss_before_kib": before}
for fmt in ("png", "pdf"):
    times = []
    for _ in range(int(sys.argv[1])):
        started = time.perf_counter()
        body = poster.render(text, matrix, fmt, fonts)
        times.append(time.perf_counter() - started)
    out[fmt] = {"median_ms": statistics.median(times) * 1000, "first_ms": times[0] * 1000, "bytes": len(body)}
out["rss_peak_growth_kib"] = status("VmHWM") - before
print(json.dumps(out))
"""


def _poster_probe(n: int) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [sys.executable, "-c", _POSTER_PROBE, str(n)], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


async def _poster_over_http(base: str, codes: list[str]) -> tuple[list[float], list[float], int]:
    first, again, failures = [], [], 0
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for code in codes:
            for bucket in (first, again):
                started = time.perf_counter()
                r = await client.get(f"/certificates/{code}/poster.png")
                bucket.append(time.perf_counter() - started)
                failures += r.status_code != 200
    return first, again, failures


async def _codes(settings: Settings) -> list[str]:
    await Tortoise.init(config=tortoise_config(settings))
    try:
        return sorted(set(await Retirement.all().values_list("certificate_code", flat=True)))  # type: ignore[arg-type]
    finally:
        await Tortoise.close_connections()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--issuances", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternate the two servers, keep each one's best")
    parser.add_argument("--posters", type=int, default=20, help="posters drawn in the render probe (each format)")
    args = parser.parse_args()
    async with throwaway_database("cert") as settings:
        await run_migrations(settings)
        await _seed(settings, args.issuances)
        codes = await _codes(settings)
        paths = [f"/certificates/{random.choice(codes)}" for _ in range(args.requests)]
        bare_paths = [p.replace("/certificates/", "/bare/") for p in paths]
        env = server_env(settings)
        app_port, bare_port = free_port(), free_port()
        with serving([]) as servers:
            servers.append(serve("app.main:create_app", app_port, args.workers, env))
            servers.append(serve("bench.certificate_verify:bare_app", bare_port, args.workers, env))
            app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
            await wait_until_up(app_base, "/readyz")
            await wait_until_up(bare_base, "/bare/warm")
            await load(app_base, paths[:500], args.concurrency)  # warm both: connections, template caches
            await load(bare_base, bare_paths[:500], args.concurrency)
            best: dict[str, LoadResult] = {}
            for _ in range(args.rounds):
                for name, base, ps in (("app", app_base, paths), ("bare", bare_base, bare_paths)):
                    result = await load(base, ps, args.concurrency)
                    if name not in best or result[0] < best[name][0]:
                        best[name] = result
            sample = codes[: min(len(codes), 20)]
            first, again, poster_failures = await _poster_over_http(app_base, sample)
        probe = _poster_probe(args.posters)

        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"servers: uvicorn, {args.workers} workers each; app on PostgreSQL + Redis with {len(codes)} certificates; "
            f"load: {args.concurrency} in flight, {args.requests} requests, best of {args.rounds}"
        )
        pages = line("GET /certificates/{code}", args.requests, *best["app"])
        bare = line("bare Litestar Jinja GET /bare/{code}", args.requests, *best["bare"])
        print(f"ratio verify page / bare page:      {pages / bare:8.2f}  (target ≥ 0.7)")
        if "error" in probe:
            print(f"poster render: {probe['error']}")
        else:
            for fmt in ("png", "pdf"):
                p = probe[fmt]
                print(
                    f"poster render {fmt}: median {p['median_ms']:6.1f} ms (first {p['first_ms']:6.1f} ms, "
                    f"fonts loaded), {p['bytes'] / 1024:6.1f} KiB"
                )
            print(
                f"poster render peak RSS growth: {probe['rss_peak_growth_kib'] / 1024:6.1f} MiB over {args.posters}×2"
            )
        print(
            f"poster over HTTP ({len(sample)} certificates, failed {poster_failures}): first request median "
            f"{statistics.median(first) * 1000:6.1f} ms (drawn in a thread), repeat median "
            f"{statistics.median(again) * 1000:6.1f} ms (from the store)"
        )


if __name__ == "__main__":
    asyncio.run(main())
