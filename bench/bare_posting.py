"""The cheapest HTTP posting this stack can serve: pgbench's own TPC-B transaction behind a bare Litestar
POST endpoint (a JSON body in, a JSON answer out; no middleware, no sign-in, no ORM: asyncpg, one pool per
worker), served by the same uvicorn command as the app and driven by the same wrk script.

Its rate divided by pgbench's TPS on the same server in the same run is the ceiling for any posting
through HTTP on this machine: a points posting does at least this much work (parse a body, one
transaction that updates balances and inserts a row, answer) plus sign-in, idempotency and the caps.

    uvicorn bench.bare_posting:bare_tpcb_app --factory  (BARE_TPCB_DSN: a database pgbench initialised)
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import msgspec
from litestar import Litestar, get, post
from litestar.datastructures import State

# pgbench's built-in "tpcb-like" script, statement for statement.
_UPDATE_ACCOUNT = "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"
_SELECT_ACCOUNT = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
_UPDATE_TELLER = "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2"
_UPDATE_BRANCH = "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2"
_INSERT_HISTORY = "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)"


class TpcbIn(msgspec.Struct):
    aid: int
    tid: int
    bid: int
    delta: int


@post("/tpcb", status_code=201)
async def tpcb(state: State, data: TpcbIn) -> dict[str, int]:
    async with state.pool.acquire() as conn, conn.transaction():
        await conn.execute(_UPDATE_ACCOUNT, data.delta, data.aid)
        balance = await conn.fetchval(_SELECT_ACCOUNT, data.aid)
        await conn.execute(_UPDATE_TELLER, data.delta, data.tid)
        await conn.execute(_UPDATE_BRANCH, data.delta, data.bid)
        await conn.execute(_INSERT_HISTORY, data.tid, data.bid, data.aid, data.delta)
    return {"aid": data.aid, "balance": balance}


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def bare_tpcb_app() -> Litestar:
    @asynccontextmanager
    async def pool(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(os.environ["BARE_TPCB_DSN"], min_size=10, max_size=10)
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[tpcb, healthz], lifespan=[pool])


def tpcb_lines(scale: int, count: int, seed: int = 1) -> list[tuple[str, str, str]]:
    """`count` request lines for bench.common.wrk_posts, each with pgbench's random draws: an account of
    100,000 × scale, a teller of 10 × scale, a branch of `scale`, a delta in ±5,000."""
    rng = random.Random(seed)
    return [
        (
            "/tpcb",
            "",
            msgspec.json.encode(
                {
                    "aid": rng.randint(1, 100_000 * scale),
                    "tid": rng.randint(1, 10 * scale),
                    "bid": rng.randint(1, scale),
                    "delta": rng.randint(-5000, 5000),
                }
            ).decode(),
        )
        for _ in range(count)
    ]
