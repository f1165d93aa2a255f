"""Benchmark: the campaign page with 1,000 and with 1,000,000 participations in the database, same server,
same run (issue 7's target: ratio ≥ 0.9, because the page reads counters, not counts), and versus a bare
Litestar Jinja page of the same shape served the same way (target ≥ 0.6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python -m bench.campaign_page --requests 3000 --workers 2

A throw-away database gets two campaigns of the same shape (one site, four slots) through the real
upsert: `bench-small` with `--small` bookings and `bench-large` with `--large` bookings, half of each
checked in. The bookings, check-ins and users behind them are written by INSERT … SELECT generate_series
(not the ORM), then the counters are set as booking and check-in would have left them. The app is served
the production way (uvicorn, `--workers`, PostgreSQL + Redis); the bare app — one Litestar handler
rendering bench/templates/bare_campaign.html with the same goals, sites and slots, no middleware, no
database — by the same uvicorn command. One client (httpx, `--concurrency` in flight, this machine)
asks each for the same number of pages, anonymous, in Chinese; the rounds alternate and each keeps its best.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from tortoise import Tortoise

from app.accounts import service as accounts
from app.campaigns import service
from app.campaigns.schemas import CampaignIn
from app.core.db import run_migrations, tortoise_config
from app.core.i18n import BEIJING
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

HERE = Path(__file__).resolve().parent
SLOTS = 4  # per campaign, one site: bookings = users × SLOTS
STARTS = datetime(2030, 3, 12, 1, 0, tzinfo=UTC)  # 09:00 Beijing, far enough ahead that every slot is bookable


def _campaign(slug: str, organiser: str) -> CampaignIn:
    day = STARTS.astimezone(BEIJING).date()
    return msgspec.convert(
        {
            "slug": slug,
            "title_zh": "龙泉山春季义务植树（基准）",
            "title_en": "Longquan spring planting (benchmark)",
            "story_zh": "到龙泉山种下柏木和杉木，为成都东部的城市森林添一片绿。\n\n每个时段名额有限，请准时到达签到点。",
            "story_en": "Plant cypress and fir on Longquan Mountain.\n\nPlaces are limited; please arrive on time.",
            "organiser": organiser,
            "starts_on": (day - timedelta(days=10)).isoformat(),
            "ends_on": (day + timedelta(days=30)).isoformat(),
            "goals": {"trees": 20000, "kg": 500000, "fen": 60000000},
            "modes": ["plant", "donate", "volunteer"],
            "donation_fen_per_tree": 3000,
            "species": ["tree.cupressus", "tree.cunninghamia"],
            "sites": [
                {
                    "key": "shanquan",
                    "name_zh": "山泉镇植树点",
                    "name_en": "Shanquan planting site",
                    "lon": 104.3312,
                    "lat": 30.5561,
                    "county": "510112",
                    "checkin_radius_m": 300,
                    "slots": [
                        {
                            "starts": (STARTS + timedelta(days=n)).isoformat(),
                            "ends": (STARTS + timedelta(days=n, hours=3)).isoformat(),
                            "capacity": 100_000,
                        }
                        for n in range(SLOTS)
                    ],
                }
            ],
        },
        CampaignIn,
        strict=False,
    )


async def _upsert_campaigns(settings: Settings) -> dict[str, int]:
    """The two campaigns through the real upsert; returns slug → id."""
    await Tortoise.init(config=tortoise_config(settings))
    try:
        org = await accounts.create_organisation("foundation", "基准基金会", None, "bench")
        ids = {}
        for slug in ("bench-small", "bench-large"):
            data = _campaign(slug, org.public_id)
            assert not service.problems(data), service.problems(data)
            digest = hashlib.sha256(msgspec.json.encode(data)).hexdigest()
            ids[slug] = (await service.upsert(data, actor="bench", digest=digest, source_file=None)).campaign.id
        return ids
    finally:
        await Tortoise.close_connections()


async def _participations(conn: asyncpg.Connection, campaign_id: int, bookings: int) -> None:
    """`bookings` bookings over the campaign's slots (users × slots), every other one checked in, and the
    counters as booking and check-in would have left them — all in SQL. Capacities keep places free, so
    both pages show the same "book" links."""
    users = bookings // SLOTS
    await conn.execute(
        """
        INSERT INTO campaign_booking (public_id, slot_id, campaign_id, user_id, status, created_at, updated_at)
        SELECT 'bk' || $1::text || '-' || s.id || '-' || u.id, s.id, $1, u.id,
               CASE WHEN u.id % 2 = 0 THEN 'checked_in' ELSE 'booked' END, now(), now()
        FROM (SELECT id FROM accounts_user WHERE public_id LIKE 'bench%' ORDER BY id LIMIT $2) AS u
        CROSS JOIN (SELECT sl.id FROM campaign_slot sl JOIN campaign_site si ON si.id = sl.site_id
                    WHERE si.campaign_id = $1) AS s
        """,
        campaign_id,
        users,
    )
    await conn.execute(
        """
        INSERT INTO campaign_checkin (booking_id, token_step, captured_at, lon, lat, coordinate_system,
                                      distance_m, offline, created_at)
        SELECT id, 0, now(), 104.3312, 30.5561, 'wgs84', 12, false, now()
        FROM campaign_booking WHERE campaign_id = $1 AND status = 'checked_in'
        """,
        campaign_id,
    )
    await conn.execute(
        """
        UPDATE campaign_slot sl SET capacity = GREATEST(sl.capacity, n.c + 100000), booked = n.c
        FROM (SELECT slot_id, count(*) AS c FROM campaign_booking WHERE campaign_id = $1 GROUP BY slot_id) AS n
        WHERE sl.id = n.slot_id
        """,
        campaign_id,
    )
    await conn.execute(
        """
        UPDATE campaign SET
          bookings_count = (SELECT count(*) FROM campaign_booking WHERE campaign_id = $1),
          checkins_count = (SELECT count(*) FROM campaign_booking WHERE campaign_id = $1 AND status = 'checked_in')
        WHERE id = $1
        """,
        campaign_id,
    )


async def _seed(settings: Settings, small: int, large: int) -> dict[str, int]:
    ids = await _upsert_campaigns(settings)
    conn = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        started = time.perf_counter()
        await conn.execute(
            """
            INSERT INTO accounts_user (public_id, display_name, language, is_active, created_at)
            SELECT 'bench' || lpad(g::text, 21, '0'), '', 'zh-CN', true, now()
            FROM generate_series(1, $1) AS g
            """,
            max(small, large) // SLOTS,
        )
        await _participations(conn, ids["bench-small"], small)
        await _participations(conn, ids["bench-large"], large)
        await conn.execute("ANALYZE")
        counts = {}
        for slug, cid in ids.items():
            booked = await conn.fetchval("SELECT count(*) FROM campaign_booking WHERE campaign_id = $1", cid)
            checked = await conn.fetchval(
                "SELECT count(*) FROM campaign_checkin c JOIN campaign_booking b ON b.id = c.booking_id "
                "WHERE b.campaign_id = $1",
                cid,
            )
            counts[slug] = int(booked)
            print(f"{slug}: {booked:,} bookings, {checked:,} check-ins")
        print(f"seeded in {time.perf_counter() - started:.1f} s (SQL, generate_series)")
        return counts
    finally:
        await conn.close()


BARE_CONTEXT: dict[str, Any] = {
    "title": "龙泉山春季义务植树（基准）",
    "organiser": "基准基金会",
    "story": ["到龙泉山种下柏木和杉木，为成都东部的城市森林添一片绿。", "每个时段名额有限，请准时到达签到点。"],
    "goals": [("植树", "0 / 20000", 0, 20000, 0), ("碳汇", "0 千克 / 500.00 吨", 0, 500000, 0),
              ("筹款", "0.00 元 / 600,000.00 元", 0, 60000000, 0)],
    "modes": ["亲自种树", "捐资认种：每棵 30.00 元", "志愿服务"],
    "species": "柏木、杉木",
    "site": "山泉镇植树点",
    "county": "四川省成都市龙泉驿区",
    "slots": [(f"03-{12 + n} 09:00–12:00", 100000 - 62500, 100000) for n in range(SLOTS)],
}  # fmt: skip


@get("/bare/campaign", sync_to_thread=False)
def bare_page() -> Template:
    """The reference: a page of the campaign page's shape and size, with no work behind it."""
    return Template("bare_campaign.html", context=BARE_CONTEXT)


def bare_app() -> Litestar:
    return Litestar(
        route_handlers=[bare_page],
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--small", type=int, default=1_000, help="participations (bookings) of bench-small")
    parser.add_argument("--large", type=int, default=1_000_000, help="participations (bookings) of bench-large")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternate the servers, keep each one's best")
    args = parser.parse_args()
    async with throwaway_database("campaign") as settings:
        await run_migrations(settings)
        rows = await _seed(settings, args.small, args.large)
        env = server_env(settings)
        app_port, bare_port = free_port(), free_port()
        with serving([]) as servers:
            servers.append(serve("app.main:create_app", app_port, args.workers, env))
            servers.append(serve("bench.campaign_page:bare_app", bare_port, args.workers, env))
            app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
            await wait_until_up(app_base, "/readyz")
            await wait_until_up(bare_base, "/bare/campaign")
            async with httpx.AsyncClient() as probe:
                sizes = {
                    "small": len((await probe.get(f"{app_base}/campaigns/bench-small")).content),
                    "large": len((await probe.get(f"{app_base}/campaigns/bench-large")).content),
                    "bare": len((await probe.get(f"{bare_base}/bare/campaign")).content),
                }
            plan = {
                "small": (app_base, ["/campaigns/bench-small"] * args.requests),
                "large": (app_base, ["/campaigns/bench-large"] * args.requests),
                "bare": (bare_base, ["/bare/campaign"] * args.requests),
                # A query string the page ignores, numbered per request: never a micro-cache hit
                # (app/core/public_cache.py), so every request reads the counters and renders.
                "small uncached": (app_base, ["/campaigns/bench-small?uncached={n}"] * args.requests),
                "large uncached": (app_base, ["/campaigns/bench-large?uncached={n}"] * args.requests),
            }
            for base, paths in plan.values():  # warm: connections, template caches
                await load(base, paths[:300], args.concurrency)
            best: dict[str, LoadResult] = {}
            every: dict[str, list[float]] = {name: [] for name in plan}
            for _ in range(args.rounds):
                for name, (base, paths) in plan.items():
                    result = await load(base, paths, args.concurrency)
                    every[name].append(rate(args.requests, result))
                    if name not in best or result[0] < best[name][0]:
                        best[name] = result
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"servers: uvicorn, {args.workers} workers each; app on PostgreSQL + Redis; load: {args.concurrency} "
            f"in flight, {args.requests} requests each, best of {args.rounds}; page bytes "
            + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
        )
        small = line(f"GET /campaigns/bench-small {rows['bench-small']:,}", args.requests, *best["small"])
        large = line(f"GET /campaigns/bench-large {rows['bench-large']:,}", args.requests, *best["large"])
        bare = line("bare Litestar Jinja GET /bare/campaign", args.requests, *best["bare"])
        small_u = line(f"  … bench-small, uncached {rows['bench-small']:,}", args.requests, *best["small uncached"])
        large_u = line(f"  … bench-large, uncached {rows['bench-large']:,}", args.requests, *best["large uncached"])
        print(f"ratio 1M / 1k participations:      {large / small:8.2f}  (target ≥ 0.9; repeat visits, cache hits)")
        print(
            f"ratio 1M / 1k, uncached:           {large_u / small_u:8.2f}  (every request reads counters and renders)"
        )
        print(f"ratio campaign page (1M) / bare:   {large / bare:8.2f}  (target ≥ 0.6)")
        print(f"ratio campaign page (1k) / bare:   {small / bare:8.2f}")
        print(f"ratio uncached (1M) / bare:        {large_u / bare:8.2f}")
        print(
            "every round (1k, 1M, bare, 1k uncached, 1M uncached): "
            + "; ".join(
                ", ".join(f"{x:.0f}" for x in round_rates)
                for round_rates in zip(*(every[k] for k in plan), strict=True)
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
