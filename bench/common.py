"""What the HTTP benchmarks share: a throw-away PostgreSQL database, serving an ASGI factory the production
way (uvicorn, N workers, its own process group), waiting for it, a load generator (wrk when installed,
else httpx; N in flight, this machine) and the result line. serial_lookup, certificate_verify and
campaign_page use it.

Why wrk: on this 2-core machine httpx spends 1.4–3 ms CPU per request, more than most endpoints it
measures, so the reference endpoints were capped by the client (a bare Litestar JSON endpoint: about
500/s with httpx, about 2,700/s with wrk on the same run) and every app/reference ratio was pulled
towards 1. `make deps` installs it (Debian's `wrk`); `BENCH_CLIENT=httpx` uses the old client.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from app.settings import Settings

LoadResult = tuple[float, list[float], int, float]  # elapsed s, latencies, failures, client CPU ms / request


def db_url(url: str, name: str) -> str:
    """The same server URL with another database name."""
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, f"/{name}", p.query, p.fragment))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def throwaway_database(kind: str) -> AsyncIterator[Settings]:
    """A new database on DATABASE_URL's server (dropped afterwards) and settings pointing at it, with
    REDIS_URL (default db 14) under a run-specific prefix."""
    base_url, redis_url = os.environ["DATABASE_URL"], os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    run = uuid.uuid4().hex[:8]
    name = f"msbench_{kind}_{run}"
    admin = await asyncpg.connect(db_url(base_url, "postgres").replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Settings(database_url=db_url(base_url, name), redis_url=redis_url, redis_prefix=f"bench{run}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def server_env(settings: Settings, pool_size: int = 10) -> dict[str, str]:
    """The environment the served app reads its settings from."""
    return {
        **os.environ,
        "DATABASE_URL": f"{settings.database_url}?max_size={pool_size}",
        "REDIS_URL": settings.redis_url or "",
        "REDIS_PREFIX": settings.redis_prefix,
        "API_RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }


def serve(factory: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:  # type: ignore[type-arg]
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )  # fmt: skip


@contextmanager
def serving(servers: list[subprocess.Popen]) -> Iterator[list[subprocess.Popen]]:  # type: ignore[type-arg]
    """Stops every server started into the list (its whole process group) on the way out."""
    try:
        yield servers
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


async def wait_until_up(base: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=base) as probe:
        for _ in range(150):
            try:
                if (await probe.get(path)).status_code == 200:
                    return
            except httpx.HTTPError:  # a worker still starting may drop the connection
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{base} did not come up")


def cpu_s() -> float:
    """CPU seconds this process (the load generator) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# wrk cycles through the paths (each thread from its own offset) for a fixed time and writes the summary
# and the latency distribution (1,000 quantiles) as JSON.
_WRK_SCRIPT = """
local paths, n = {}, 0
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
function setup(thread)
  thread:set("id", counter); counter = counter + 1
end
function init(args)
  n = id * 7919
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  local q = {}
  for i = 1, 1000 do q[i] = latency:percentile(i / 10) end
  local f = io.open(os.getenv("WRK_OUT"), "w")
  f:write(string.format('{"duration_us": %d, "requests": %d, "errors": %d, "non_2xx": %d, "quantiles_us": [%s]}',
    summary.duration, summary.requests, e.connect + e.read + e.write + e.timeout, e.status, table.concat(q, ",")))
  f:close()
end
"""
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def load(base: str, paths: list[str], concurrency: int) -> LoadResult:
    """Elapsed s, latencies, failures, and the load generator's own CPU ms per request (wrk if installed)."""
    if shutil.which("wrk") and os.environ.get("BENCH_CLIENT", "wrk") == "wrk":
        return await asyncio.to_thread(_wrk_load, base, paths, concurrency)
    return await _httpx_load(base, paths, concurrency)


def _wrk_load(base: str, paths: list[str], concurrency: int) -> LoadResult:
    """wrk, one thread, `concurrency` connections, cycling through `paths` for BENCH_SECONDS (default 10).

    wrk runs for a time, not a count, so the result is scaled to len(paths) requests at the measured rate
    (elapsed and failures alike): `rate` and `line` then read exactly what wrk measured. Latencies are
    the distribution's 1,000 quantiles as wrk reports them, which is what `line` reads p50 and p99 from."""
    with tempfile.TemporaryDirectory() as folder:
        listed, script, out = f"{folder}/paths", f"{folder}/load.lua", f"{folder}/out.json"
        with open(listed, "w") as f:
            f.write("\n".join(paths))
        with open(script, "w") as f:
            f.write(_WRK_SCRIPT)
        env = {**os.environ, "WRK_PATHS": listed, "WRK_OUT": out}
        cpu = children_cpu_s()
        subprocess.run(  # one thread: the other core is the server's
            ["wrk", "-t1", f"-c{concurrency}", f"-d{WRK_SECONDS}s", "--timeout", "30s", "-s", script, base],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        with open(out) as f:
            summary = json.load(f)
    done = max(1, summary["requests"])
    scale = len(paths) / done
    client_ms = (children_cpu_s() - cpu) * 1000 / done
    failures = round((summary["errors"] + summary["non_2xx"]) * scale)
    latencies = [q / 1e6 for q in summary["quantiles_us"]]
    return summary["duration_us"] / 1e6 * scale, latencies, min(failures, len(paths)), client_ms


async def _httpx_load(base: str, paths: list[str], concurrency: int) -> LoadResult:
    """Elapsed s, latencies, failures, and the load generator's own CPU ms per request."""
    latencies: list[float] = []
    failures = 0
    queue = list(paths)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            path = queue.pop()
            started = time.perf_counter()
            try:
                ok = (await client.get(path)).status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            failures += not ok

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        cpu, started = cpu_s(), time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, failures, (cpu_s() - cpu) * 1000 / len(paths)


def rate(n: int, result: LoadResult) -> float:
    return (n - result[2]) / result[0]


def line(name: str, n: int, elapsed: float, latencies: list[float], failures: int, client_ms: float) -> float:
    """Print one result line; returns requests per second (successful ones)."""
    per_s = (n - failures) / elapsed
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{name:<34} {per_s:8.1f} /s   p50 {q[49] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms   failed {failures}"
        f"   load generator {client_ms:.2f} ms CPU/req"
    )
    return per_s
