"""What the HTTP benchmarks share: a throw-away PostgreSQL database, serving an ASGI factory the production
way (uvicorn, N workers, its own process group), waiting for it, a load generator (wrk for GETs of paths
when installed; httpx for any async operation per item, and for GETs without wrk), signed-in users with
tokens, pgbench, the CPU and peak memory of the processes involved (app workers, PostgreSQL backends), the
machine's description and the result line. Every HTTP bench and bench.suite use it.

Why wrk: on this 2-core machine httpx spends 1.4–3 ms CPU per request, more than most endpoints it
measures, so the reference endpoints were capped by the client (a bare Litestar JSON endpoint: about
500/s with httpx, about 2,700/s with wrk on the same run) and every app/reference ratio was pulled
towards 1. `make deps` installs it (Debian's `wrk`); `BENCH_CLIENT=httpx` uses httpx for GETs too.
bench.suite drives every flow through httpx (each visitor with its own address): read its CPU-per-
operation columns, which no client caps, before its throughput ratios.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from litestar import Litestar
from redis.asyncio import Redis
from tortoise import Tortoise

from app.core.auth import hash_secret, issue_access_token
from app.core.db import tortoise_config
from app.notifications.sms import SandboxSms
from app.settings import Settings
from models.accounts import AuthSession, User

ROOT = Path(__file__).resolve().parent.parent
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
local visitors = os.getenv("WRK_VISITORS") == "1"
function request()
  n = n + 1
  -- "{n}" in a path becomes this request's own number: every request a distinct address
  local path = (string.gsub(paths[(n % #paths) + 1], "{n}", id .. "-" .. n))
  if visitors then  -- each request a visitor of its own behind the trusted proxy (per-address limits)
    local v = (id + 1) * 1048576 + n
    local ip = string.format("10.%d.%d.%d", math.floor(v / 65536) % 256, math.floor(v / 256) % 256, v % 256)
    return wrk.format("GET", path, {["X-Forwarded-For"] = ip})
  end
  return wrk.format("GET", path)
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


async def load(base: str, paths: list[str], concurrency: int, visitors: bool = False) -> LoadResult:
    """GET each path (200 is success): elapsed s, latencies, failures, the load generator's own CPU ms per
    request; wrk if installed. "{n}" in a path is replaced by the request's own number. `visitors`: every request from an address of its own (X-Forwarded-For,
    for an app that trusts 127.0.0.1 as its proxy), so per-address rate limits see many visitors."""
    if wrk_in_use():
        return await asyncio.to_thread(_wrk_load, base, paths, concurrency, visitors)
    paths = [p.replace("{n}", str(i)) for i, p in enumerate(paths)]  # as wrk does: a distinct address each
    return await run_ops(base, paths, concurrency, _get_as_visitor if visitors else _get_ok)


def wrk_in_use() -> bool:
    return bool(shutil.which("wrk")) and os.environ.get("BENCH_CLIENT", "wrk") == "wrk"


_VISITOR = iter(range(1 << 20, 1 << 24))


async def _get_as_visitor(client: httpx.AsyncClient, path: str) -> bool:
    n = next(_VISITOR)
    ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return (await client.get(path, headers={"X-Forwarded-For": ip})).status_code == 200


def _run_wrk(
    script_text: str, input_var: str, input_text: str, env: dict[str, str], base: str, concurrency: int
) -> tuple[dict[str, Any], int, float]:
    """Run wrk (one thread: the other core is the server's) with a Lua script whose input file is named by
    `input_var`, for BENCH_SECONDS: its JSON summary, the requests made (at least 1) and wrk's CPU ms per
    request."""
    with tempfile.TemporaryDirectory() as folder:
        listed, script, out = f"{folder}/input", f"{folder}/script.lua", f"{folder}/out.json"
        with open(listed, "w") as f:
            f.write(input_text)
        with open(script, "w") as f:
            f.write(script_text)
        cpu = children_cpu_s()
        subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{WRK_SECONDS}s", "--timeout", "30s", "-s", script, base],
            env={**os.environ, **env, input_var: listed, "WRK_OUT": out}, check=True, capture_output=True,
        )  # fmt: skip
        with open(out) as f:
            summary = json.load(f)
    done = max(1, summary["requests"])
    return summary, done, (children_cpu_s() - cpu) * 1000 / done


def _wrk_load(base: str, paths: list[str], concurrency: int, visitors: bool = False) -> LoadResult:
    """wrk, one thread, `concurrency` connections, cycling through `paths` for BENCH_SECONDS (default 10).

    wrk runs for a time, not a count, so the result is scaled to len(paths) requests at the measured rate
    (elapsed and failures alike): `rate` and `line` then read exactly what wrk measured. Latencies are
    the distribution's 1,000 quantiles as wrk reports them, which is what `line` reads p50 and p99 from."""
    env = {"WRK_VISITORS": "1" if visitors else "0"}
    summary, done, client_ms = _run_wrk(_WRK_SCRIPT, "WRK_PATHS", "\n".join(paths), env, base, concurrency)
    scale = len(paths) / done
    failures = round((summary["errors"] + summary["non_2xx"]) * scale)
    latencies = [q / 1e6 for q in summary["quantiles_us"]]
    return summary["duration_us"] / 1e6 * scale, latencies, min(failures, len(paths)), client_ms


# wrk POSTing: each line of WRK_REQUESTS is "path<TAB>bearer token or empty<TAB>body", taken in turn;
# "{uuid}" in the body becomes a UUID of this request's own (also its Idempotency-Key). Every request
# comes from a visitor address of its own. Lines are not reused while they last (a reused line would be
# a second award to the same person); past the last they cycle, and wrk_posts refuses such a run.
_WRK_POST_SCRIPT = """
local lines = {}
for line in io.lines(os.getenv("WRK_REQUESTS")) do
  local path, token, body = line:match("([^\\t]*)\\t([^\\t]*)\\t(.*)")
  lines[#lines + 1] = {path, token, body}
end
local run = os.getenv("WRK_RUN")
local n = 0
function request()
  n = n + 1
  local path, token, body = unpack(lines[((n - 1) % #lines) + 1])
  local uuid = string.format("%s-0000-4000-8000-%012x", run, n)
  body = string.gsub(body, "{uuid}", uuid)
  local ip = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = uuid, ["X-Forwarded-For"] = ip}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", path, headers, body)
end
""" + _WRK_SCRIPT[_WRK_SCRIPT.index("function done") :]


def wrk_posts(base: str, requests: list[tuple[str, str, str]], concurrency: int) -> tuple[LoadResult, int]:
    """POST (path, token, body) lines through wrk (one thread) for BENCH_SECONDS: elapsed s, latencies (the
    1,000 quantiles), failures, the load generator's CPU ms per request, scaled to len(requests) at the
    measured rate as `load` does, and the number of requests wrk made; RuntimeError if that is more than
    there were lines."""
    listed = "\n".join("\t".join(r) for r in requests)
    env = {"WRK_RUN": uuid.uuid4().hex[:8]}
    summary, done, client_ms = _run_wrk(_WRK_POST_SCRIPT, "WRK_REQUESTS", listed, env, base, concurrency)
    if done > len(requests):
        raise RuntimeError(f"wrk made {done} requests from {len(requests)} lines: give it more lines")
    scale = len(requests) / done
    failures = round((summary["errors"] + summary["non_2xx"]) * scale)
    latencies = [q / 1e6 for q in summary["quantiles_us"]]
    return (summary["duration_us"] / 1e6 * scale, latencies, failures, client_ms), done


Operation = Callable[[httpx.AsyncClient, Any], Awaitable[bool]]


async def run_ops(base: str, items: Sequence[Any], concurrency: int, op: Operation) -> LoadResult:
    """Run `op(client, item)` once per item, `concurrency` at a time over one client (keep-alive pool of that
    size); an operation may make several requests and says whether it succeeded. Elapsed s, latencies (one
    per operation), failures, and the load generator's own CPU ms per operation."""
    latencies: list[float] = []
    failures = 0
    queue = list(items)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            item = queue.pop()
            started = time.perf_counter()
            try:
                ok = await op(client, item)
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            failures += not ok

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        cpu, started = cpu_s(), time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, failures, (cpu_s() - cpu) * 1000 / max(1, len(items))


async def _get_ok(client: httpx.AsyncClient, path: str) -> bool:
    return (await client.get(path)).status_code == 200


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


def pg_url(url: str) -> str:
    """asyncpg wants postgresql://; our settings say postgres://."""
    return url.replace("postgres://", "postgresql://", 1)


# --- signed-in users -------------------------------------------------------------------------------------


async def signed_in_tokens(settings: Settings, n: int) -> list[str]:
    """`n` new users, each with a token session (signed in by SMS), and their access tokens — written in
    bulk through the ORM (a sign-in through HTTP is the login flow's job, not every flow's set-up)."""
    tag = uuid.uuid4().hex[:8]
    await Tortoise.init(config=tortoise_config(settings))
    try:
        await User.bulk_create([User(public_id=f"t{tag}{i:017d}") for i in range(n)], batch_size=1000)
        stored = await User.filter(public_id__startswith=f"t{tag}").values_list("id", "public_id")
        later = datetime.now(UTC) + timedelta(days=1)
        sessions = [
            AuthSession(
                public_id=f"s{tag}{uid:023d}",
                user_id=uid,
                kind="token",
                secret_hash=hash_secret(secrets.token_hex(8)),
                sign_in_method="sms",
                expires_at=later,
            )
            for uid, _ in stored
        ]
        await AuthSession.bulk_create(sessions, batch_size=1000)
        return [issue_access_token(settings, public_id, f"s{tag}{uid:023d}") for uid, public_id in stored]
    finally:
        await Tortoise.close_connections()


# --- pgbench ---------------------------------------------------------------------------------------------


def pgbench_binary() -> str:
    return shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"


def pgbench(
    url: str, seconds: int, clients: int, *, initialise: bool = True, scale: int = 10,
    during: Callable[[], None] | None = None,
) -> float:  # fmt: skip
    """TPC-B (pgbench's default script) against the database of `url`; returns TPS. `during` is called about
    every 0.5 s while it runs (to sample the backends' CPU before they exit)."""
    p = urlsplit(url)
    env = {**os.environ, "PGHOST": p.hostname or "127.0.0.1", "PGPORT": str(p.port or 5432),
           "PGUSER": p.username or "postgres"}  # fmt: skip
    db = p.path.lstrip("/")
    if initialise:
        subprocess.run([pgbench_binary(), "-q", "-i", "-s", str(scale), db], env=env, check=True, capture_output=True)
    run = subprocess.Popen(
        [pgbench_binary(), "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), db],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    while run.poll() is None:
        if during is not None:
            during()
        time.sleep(0.5)
    out, err = run.communicate()
    if run.returncode:
        raise RuntimeError(f"pgbench failed: {err.strip()}")
    return float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]


# --- what the processes cost -----------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def proc_status_kib(pid: int, field: str) -> int:
    """A kB line of /proc/<pid>/status (VmHWM: peak resident set; VmRSS: now); 0 when it is gone."""
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith(field + ":"):
                return int(row.split()[1])
    except OSError:
        pass
    return 0


def worker_pids(server_pid: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children, without multiprocessing's resource tracker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server_pid and b"resource_tracker" not in cmdline:
            found.append(int(entry.name))
    return sorted(found)


async def backend_pids(admin: asyncpg.Connection, database: str) -> list[int]:
    """The PostgreSQL backends connected to one database (ours alone: other sessions use other databases)."""
    return [int(r["pid"]) for r in await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]


def database_backends(database: str) -> list[int]:
    """PostgreSQL backends serving clients of one database, found by their process title
    ("postgres: 15/main: <user> <db> 127.0.0.1(<port>) idle"); autovacuum workers are not counted."""
    title = re.compile(rb" " + re.escape(database.encode()) + rb" (\S+\(\d+\)|\[local\])")
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if title.search((entry / "cmdline").read_bytes().replace(b"\0", b" ")):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuMeter:
    """CPU seconds of a changing set of processes: each pid's latest reading is kept, so a process that
    exits between samples keeps what it had used when last seen."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}

    def sample(self, pids: Sequence[int]) -> None:
        for pid in pids:
            used = proc_cpu_s(pid)
            if used:
                self.seen[pid] = max(used, self.seen.get(pid, 0.0))

    def total(self) -> float:
        return sum(self.seen.values())


async def redis_info(url: str) -> dict[str, Any]:
    client = Redis.from_url(url)
    try:
        return await client.info()  # type: ignore[no-any-return]
    finally:
        await client.aclose()


# --- the machine -----------------------------------------------------------------------------------------


def _first(path: str, prefix: str) -> str:
    try:
        for row in Path(path).read_text().splitlines():
            if row.startswith(prefix):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


async def machine(database_url: str, redis_url: str) -> dict[str, Any]:
    """What a later run needs to know to compare: cores, CPU, memory, versions, commit, load at start."""
    admin = await asyncpg.connect(pg_url(db_url(database_url, "postgres")))
    try:
        pg_version = str(await admin.fetchval("SHOW server_version"))
    finally:
        await admin.close()
    info = await redis_info(redis_url)
    mem_kib = int((_first("/proc/meminfo", "MemTotal") or "0 kB").split()[0])
    return {
        "host": socket.gethostname(),
        "cores": os.cpu_count(),
        "cpu_model": _first("/proc/cpuinfo", "model name") or platform.processor(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": pg_version,
        "redis": str(info.get("redis_version", "")),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- the app as served in the benchmarks -----------------------------------------------------------------


def sms_inbox_key(prefix: str, phone: str) -> str:
    return f"{prefix}:bench-sms:{phone[-11:]}"


class InboxSms(SandboxSms):
    """The sandbox SMS provider, which also leaves each code where the load generator can read it (Redis):
    the sandbox keeps codes in the memory of the worker that sent them, out of reach with several workers.
    One SET per code, about what handing a message to an SMS gateway costs the app (less: no TLS)."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        super().__init__(settings)
        self._redis, self._prefix = redis, settings.redis_prefix

    async def send(self, phone: str, template_id: str, params: Sequence[str]) -> str:
        message_id = await super().send(phone, template_id, params)
        await self._redis.set(sms_inbox_key(self._prefix, phone), params[0], ex=600)
        return message_id


def production_app() -> Litestar:
    """`app.main.create_app()` from the environment, with the SMS sandbox's codes readable by the load
    generator (InboxSms). Everything else is the app as deployed: middleware, rate limits, Redis."""
    from app.main import create_app

    settings = Settings.from_env()
    app = create_app(settings)
    if app.state.redis is not None:
        app.state.sms = InboxSms(settings, app.state.redis)
    return app
