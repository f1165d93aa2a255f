"""Fault injection (issue 9): kill -9 workers mid-purchase, mid-booking and mid-posting; stop Redis and
restart PostgreSQL under load; replay and forge payment notifications. Prints counts and the invariants.

    .venv/bin/python -m bench.faults                      # 20 kills, 1,000 replays, 1,000 forgeries
    .venv/bin/python -m bench.faults --kills 3 --replays 100 --forgeries 100 --json out.json

Everything runs on PRIVATE servers this command starts in a temporary directory and removes afterwards:
a PostgreSQL cluster (initdb/pg_ctl from PG_BIN, as the `postgres` user when run as root) and a
redis-server, each on a free loopback port. The shared servers (5432, 6379) are never touched. The app
is served the production way (uvicorn, `--workers`, PostgreSQL + Redis, the API rate limit on).

Phases (each prints its counts; the process exits 1 if any invariant fails):

1. kills — flows run concurrently (market purchase: order, pay, sandbox 支付 whose signed notification
   takes the notify path; campaign slot booking; points posting) while a worker is SIGKILLed every
   0.3–1.2 s. Clients retry as a phone would (same Idempotency-Key, same award id) but a payer whose
   支付 press died is not retried: the reconciliation round must fulfil it. Then the server is
   stopped, `payments.reconcile_pending` runs as housekeeping would after RECONCILE_AFTER, and the
   invariants are checked: no paid trade unfulfilled, nothing fulfilled twice, slot and campaign
   counters equal their bookings, every acknowledged award exists once, and every verify command
   (ledger, credits, money, donations, audit) exits 0.
2. notifications — 1,000 replays of paid trades' notifications (the same delivery again, or re-signed
   like a provider retry) and 1,000 forgeries (bad signature, tampered body, unknown trade, missing
   headers, stale timestamp, another key) against paid and still-pending attempts.
3. redis — postings, bookings and leaderboard reads while Redis is stopped for a few seconds, then
   started again (empty, as after a crash with no persistence).
4. postgres — the same load while PostgreSQL is stopped for a few seconds and started again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import pwd
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from tortoise import Tortoise

from bench.common import free_port, server_env, wait_until_up

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
LOG_DIR = Path(tempfile.gettempdir())  # the run sets it to its temporary directory
SECRET = "faults-" + "k" * 40
VERIFY_COMMANDS = ["ledger-verify", "credits-verify", "money-verify", "donations-verify", "audit-verify"]


def available() -> str | None:
    """None when this machine can run the suite, else the reason it cannot."""
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (set PG_BIN)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run initdb as"
    return None


# --- private servers ---------------------------------------------------------------------------------


class PrivatePostgres:
    """A throw-away cluster in `root` on a free port; initdb refuses root, so root runs it as postgres."""

    def __init__(self, root: Path) -> None:
        self.root, self.port, self.data = root, free_port(), root / "pgdata"

    def _run(self, *args: str) -> None:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                subprocess.run(["redis-cli", "-p", str(self.port), "ping"], check=True, capture_output=True)
                return
            except subprocess.CalledProcessError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait(timeout=10)
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


# --- seeding (the ORM in this process, before any server runs) ---------------------------------------


@dataclass
class World:
    listing: str
    slot: int
    campaign: int
    tokens: list[str]  # one per flow: each person buys, books or earns once


# People the runners leave for the outage probes (a live-progress probe books once per outage): faster flows
# used to take everyone before the last probe ran.
PROBE_RESERVE = 20


async def _tokens(settings: Any, n: int) -> list[str]:
    from app.core.auth import hash_secret, issue_access_token
    from models.accounts import AuthSession, User

    users = [User(public_id=secrets.token_hex(13)) for _ in range(n)]
    await User.bulk_create(users, batch_size=1000)
    stored = await User.filter(public_id__in=[u.public_id for u in users]).values_list("id", "public_id")
    later = datetime.now(UTC) + timedelta(days=1)
    sessions = [
        AuthSession(
            public_id=secrets.token_hex(16),
            user_id=uid,
            kind="token",
            secret_hash=hash_secret(secrets.token_hex(8)),
            sign_in_method="sms",
            expires_at=later,
        )
        for uid, _ in stored
    ]
    await AuthSession.bulk_create(sessions, batch_size=1000)
    by_user = dict(await AuthSession.filter(user_id__in=[u for u, _ in stored]).values_list("user_id", "public_id"))
    return [issue_access_token(settings, public_id, by_user[uid]) for uid, public_id in stored]


async def seed(settings: Any, people: int) -> World:
    from app.core.db import run_migrations, tortoise_config
    from tests.campaigns.builders import make_campaign
    from tests.market.helpers import listed

    await run_migrations(settings)
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        _, _, listing = await listed(settings, kg=people * 10 + 1000, price_fen=100, unit_kg=10)
        campaign, slot, _ = await make_campaign(capacity=people + 10)
        return World(listing.public_id, slot.id, campaign.id, await _tokens(settings, people))
    finally:
        await Tortoise.close_connections()


# --- the load: flows a phone would run ------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    purchases_confirmed: int = 0  # the 支付 press came back 303 (fulfilled in that request)
    purchases_gave_up: int = 0
    bookings_ok: int = 0
    postings_ok: int = 0
    award_ids: list[str] = field(default_factory=list)
    acknowledged_awards: list[str] = field(default_factory=list)
    slow_failures: int = 0  # failures (5xx or no answer) that took longer than FAIL_FAST_S
    latencies_ms: list[float] = field(default_factory=list)


FAIL_FAST_S = 5.0


class Flows:
    def __init__(
        self, client: httpx.AsyncClient, world: World, tally: Tally, *, retry_for_s: float | None = None
    ) -> None:
        self.client, self.world, self.tally = client, world, tally
        self.retry_for_s = _OPTIONS["retry_s"] if retry_for_s is None else retry_for_s

    async def _call(self, method: str, path: str, **kw: Any) -> httpx.Response | None:
        """One request; None when no answer came (the worker died, the connection broke)."""
        self.tally.requests += 1
        started = time.perf_counter()
        try:
            r = await self.client.request(method, path, **kw)
        except httpx.HTTPError:
            self.tally.statuses["no answer"] += 1
            if time.perf_counter() - started > FAIL_FAST_S:
                self.tally.slow_failures += 1
            return None
        elapsed = time.perf_counter() - started
        self.tally.latencies_ms.append(elapsed * 1000)
        self.tally.statuses[str(r.status_code)] += 1
        if r.status_code >= 500 and elapsed > FAIL_FAST_S:
            self.tally.slow_failures += 1
        return r

    async def _retrying(self, method: str, path: str, done: set[int], **kw: Any) -> httpx.Response | None:
        """Retry no answer, 5xx and 409-in-progress (same body, same key) until `done` or the budget ends."""
        until = time.monotonic() + self.retry_for_s
        while True:
            r = await self._call(method, path, **kw)
            if r is not None and (r.status_code in done or (r.status_code < 500 and r.status_code != 409)):
                return r
            if r is not None and r.status_code == 409 and r.json().get("code") != "idempotency.in_progress":
                return r
            if time.monotonic() > until:
                return r
            await asyncio.sleep(0.3)

    def _auth(self, token: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    async def purchase(self, token: str) -> None:
        body = {"listing": self.world.listing, "kg": 10, "purpose": "personal", "beneficiary": "成都市民张三"}
        r = await self._retrying(
            "POST", "/api/v1/market/orders", {200, 201}, json=body, headers=self._auth(token, uuid.uuid4().hex)
        )
        if r is None or r.status_code not in (200, 201):
            self.tally.purchases_gave_up += 1
            return
        order = r.json()["id"]
        r = await self._retrying(
            "POST", f"/api/v1/market/orders/{order}/pay", {200}, headers=self._auth(token, uuid.uuid4().hex)
        )
        if r is None or r.status_code != 200:
            self.tally.purchases_gave_up += 1
            return
        confirm = httpx.URL(r.json()["client"]["confirm_url"])
        page = await self._retrying("GET", confirm.path, {200}, params=dict(confirm.params))
        if page is None or page.status_code != 200:
            self.tally.purchases_gave_up += 1
            return
        csrf = self.client.cookies.get("csrftoken") or ""
        # The 支付 press: not retried. If the worker dies after the sandbox took the money, the
        # reconciliation round must fulfil the order (that is what this phase proves).
        r = await self._call(
            "POST",
            confirm.path + "/pay",
            data={"t": confirm.params["t"], "_csrf_token": csrf},
            headers={"x-csrftoken": csrf},
        )
        if r is not None and r.status_code == 303:
            self.tally.purchases_confirmed += 1

    async def book(self, token: str) -> None:
        r = await self._retrying(
            "POST", f"/api/v1/campaigns/slots/{self.world.slot}/bookings", {200, 201}, headers=self._auth(token)
        )
        if r is not None and (r.status_code in (200, 201) or r.json().get("code") == "campaigns.already_booked"):
            self.tally.bookings_ok += 1

    async def post_points(self, token: str) -> None:
        award = str(uuid.uuid4())
        self.tally.award_ids.append(award)
        r = await self._retrying(
            "POST",
            "/api/v1/points/earn",
            {200, 201},
            json={"id": award, "action": "checkin.daily"},
            headers=self._auth(token),
        )
        if r is not None and r.status_code in (200, 201):
            self.tally.postings_ok += 1
            self.tally.acknowledged_awards.append(award)

    async def leaderboard(self) -> None:
        await self._call("GET", "/api/v1/points/leaderboard/")


async def run_flows(
    base: str, world: World, tally: Tally, stop: asyncio.Event, concurrency: int, *, retry_for_s: float | None = None
) -> None:
    """Runners take people off `world.tokens` (each person does one flow) until `stop` or nobody is left."""
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        flows = Flows(client, world, tally, retry_for_s=retry_for_s)
        kinds = [flows.purchase, flows.book, flows.post_points]

        async def runner(n: int) -> None:
            i = n
            while not stop.is_set() and len(world.tokens) > PROBE_RESERVE:  # the probes need people too
                token = world.tokens.pop()
                await kinds[i % len(kinds)](token)
                if i % 5 == 0:
                    await flows.leaderboard()
                i += 1

        await asyncio.gather(*(runner(n) for n in range(concurrency)))


# --- the server and its workers -----------------------------------------------------------------------


def workers_of(server: subprocess.Popen) -> list[int]:  # type: ignore[type-arg]
    try:
        text = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def start_server(settings: Any, port: int, workers: int) -> subprocess.Popen:  # type: ignore[type-arg]
    env = server_env(settings, pool_size=10)
    env.update(
        {
            "SECRET_KEY": SECRET,
            "BASE_URL": f"http://127.0.0.1:{port}",
            "PAYMENT_PROVIDER": "sandbox",
            "API_RATE_LIMIT_PER_MINUTE": "1000000",  # on, so its store is in every request's path
        }
    )
    log = open(LOG_DIR / f"server-{port}.log", "ab")  # the server's own; closed when the process ends
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )  # fmt: skip


def stop_server(server: subprocess.Popen) -> None:  # type: ignore[type-arg]
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


_OPTIONS = {"one_server": False, "retry_s": 15.0}  # set from the command line by run()
_shared: dict[str, Any] = {}  # with --one-server: the server every phase uses, started once


def open_server(settings: Any, workers: int) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    """A served app for one phase (or the run's one server with --one-server) and its base URL."""
    if _OPTIONS["one_server"] and "server" in _shared and _shared["server"].poll() is None:
        return _shared["server"], _shared["base"]
    port = free_port()
    server, base = start_server(settings, port, workers), f"http://127.0.0.1:{port}"
    if _OPTIONS["one_server"]:
        _shared.update(server=server, base=base)
    return server, base


def close_server(server: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if not _OPTIONS["one_server"]:
        stop_server(server)


def close_shared_server() -> None:
    if "server" in _shared:
        stop_server(_shared.pop("server"))


async def wait_workers(server: subprocess.Popen, n: int, base: str) -> None:  # type: ignore[type-arg]
    for _ in range(300):
        if len(workers_of(server)) >= n:
            break
        await asyncio.sleep(0.1)
    await wait_until_up(base, "/healthz")


# --- checks (the ORM in this process, after the server stopped) ----------------------------------------


async def reconcile(settings: Any) -> int:
    """The housekeeping round as it runs once RECONCILE_AFTER has passed for every pending attempt."""
    from app.payments import service as payments
    from app.payments.sandbox import SandboxProvider

    at = datetime.now(UTC) + payments.RECONCILE_AFTER + timedelta(seconds=5)
    total = 0
    while n := await payments.reconcile_pending(settings, SandboxProvider(settings), at=at):
        total += n
        if n < 100:
            break
    return total


async def invariants(tally: Tally | None = None) -> dict[str, int]:
    """Counts that must be zero, and the fulfilment counts they are about."""
    from tortoise.functions import Count

    from models.campaigns import Booking, Campaign, Slot
    from models.ledger import Transfer
    from models.market import Order
    from models.payments import PaymentAttempt, PaymentNotification, SandboxTrade

    trades = {t.out_trade_no: t.status for t in await SandboxTrade.all()}
    attempts = await PaymentAttempt.all()
    orders = {o.public_id: o for o in await Order.all()}
    paid_unfulfilled = 0
    for a in attempts:
        trade = trades.get(a.out_trade_no)
        order = orders.get(a.subject)
        if trade == "paid" and (a.status != "paid" or order is None or order.status != "fulfilled"):
            paid_unfulfilled += 1
        if a.status == "paid" and trade != "paid":
            paid_unfulfilled += 1  # we think it paid, the provider does not
    paid_per_subject = Counter(a.subject for a in attempts if a.status == "paid")
    fulfilled = [o for o in orders.values() if o.status == "fulfilled"]
    certificates = Counter(o.certificate_code for o in fulfilled)
    sales = Counter(
        await Transfer.filter(reason__in=["market.seller_share", "market.platform_fee"]).values_list(
            "reference", "reason"
        )
    )
    notices = Counter(
        (n.provider_transaction_id, n.kind)
        for n in await PaymentNotification.all().only("provider_transaction_id", "kind")
    )
    booked_rows = dict(
        await Booking.filter(status="booked").annotate(n=Count("id")).group_by("slot_id").values_list("slot_id", "n")
    )
    slot_mismatch = sum(1 for s in await Slot.all() if s.booked != booked_rows.get(s.id, 0))
    per_campaign = dict(
        await Booking.filter(status="booked")
        .annotate(n=Count("id"))
        .group_by("campaign_id")
        .values_list("campaign_id", "n")
    )
    campaign_mismatch = sum(1 for c in await Campaign.all() if c.bookings_count != per_campaign.get(c.id, 0))
    result = {
        "paid_trades": sum(1 for s in trades.values() if s == "paid"),
        "fulfilled_orders": len(fulfilled),
        "paid_attempts": sum(paid_per_subject.values()),
        "paid_unfulfilled": paid_unfulfilled,
        "fulfilled_without_payment": sum(1 for o in fulfilled if paid_per_subject[o.public_id] != 1),
        "duplicate_fulfilments": sum(n - 1 for n in paid_per_subject.values() if n > 1)
        + sum(n - 1 for n in certificates.values() if n > 1)
        + sum(n - 1 for n in notices.values() if n > 1),
        "duplicate_sale_transfers": sum(n - 1 for n in sales.values() if n > 1),
        "bookings": sum(booked_rows.values()),
        "booking_counter_mismatches": slot_mismatch + campaign_mismatch,
    }
    if tally is not None:
        present = (
            {
                str(t)
                for t in await Transfer.filter(id__in=tally.award_ids).values_list("id", flat=True)  # type: ignore[attr-defined]
            }
            if tally.award_ids
            else set()
        )
        result["awards"] = len(present)
        result["acknowledged_awards_missing"] = sum(1 for a in tally.acknowledged_awards if a not in present)
    return result


async def checked(settings: Any, tally: Tally | None = None, *, reconcile_first: bool = True) -> dict[str, int]:
    from app.core.db import tortoise_config

    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        reconciled = await reconcile(settings) if reconcile_first else 0
        return {"reconciled": reconciled, **await invariants(tally)}
    finally:
        await Tortoise.close_connections()


SKIPPED = dict.fromkeys(VERIFY_COMMANDS, 0)  # what a phase reports when --verify last leaves it to a later one
_verify_now = True  # run() turns it off for the phases between the kills and the last with --verify last
_OUTAGE = {
    "before": 2.0,
    "after": 4.0,
    "redis": 5.0,
    "postgres": 4.0,
}  # seconds of load around an outage; --quick halves them

_VERIFY_SCRIPT = """
import contextlib, io, json, sys
from app.cli import main
codes, out = {}, io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    main(["audit-seal"])
    for name in sys.argv[1:]:
        try:
            codes[name] = main([name])
        except SystemExit as stop:
            codes[name] = stop.code if isinstance(stop.code, int) else 1
print(json.dumps({"codes": codes, "output": out.getvalue()[-4000:]}))
"""


def verify_all(settings: Any) -> dict[str, int]:
    """Each verify command's exit code (0 is clean), as `python -m app.cli <name>` would return it, run in
    one process; the audit chain is sealed first, as the sequencer would."""
    if not _verify_now:
        return SKIPPED
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _VERIFY_SCRIPT, *VERIFY_COMMANDS], env=env, capture_output=True, text=True, timeout=600
    )
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        print(done.stdout[-2000:], done.stderr[-2000:])
        return dict.fromkeys(VERIFY_COMMANDS, -1)
    codes: dict[str, int] = result["codes"]
    if any(codes.values()):
        print(f"  a verify command failed:\n{result['output']}")
    return codes


# --- phases --------------------------------------------------------------------------------------------


async def phase_kills(settings: Any, world: World, kills: int, workers: int, concurrency: int) -> dict[str, Any]:
    server, base = open_server(settings, workers)
    tally, stop, killed = Tally(), asyncio.Event(), 0
    try:
        await wait_workers(server, workers, base)
        load = asyncio.create_task(run_flows(base, world, tally, stop, concurrency))
        await asyncio.sleep(1.0)
        while killed < kills and not load.done():
            pids = workers_of(server)
            if pids:
                os.kill(random.choice(pids), signal.SIGKILL)
                killed += 1
            await asyncio.sleep(random.uniform(0.3, 1.2))
            if killed % 5 == 0:  # now and then let the supervisor bring every worker back before the next
                await wait_workers(server, workers, base)
        await asyncio.sleep(1.0)
        stop.set()
        await load
        await wait_workers(server, workers, base)
    finally:
        stop.set()
        close_server(server)
    counts = await checked(settings, tally)
    verify = verify_all(settings)
    return {"kills": killed, **_tally_out(tally), **counts, "verify": verify}


def _tally_out(tally: Tally) -> dict[str, Any]:
    out = asdict(tally)
    for bulky in ("award_ids", "acknowledged_awards", "latencies_ms"):
        out.pop(bulky)
    out["statuses"] = dict(sorted(tally.statuses.items()))
    return out


def _forged_headers(kind: str, body: bytes, sign: Any) -> tuple[dict[str, str], bytes]:
    """A forgery of `kind` built from a genuine signed body."""
    if kind == "bad_signature":
        headers = sign(body)
        headers["sandbox-signature"] = secrets.token_hex(32)
        return headers, body
    if kind == "tampered_amount":
        headers = sign(body)
        doc = json.loads(body)
        doc["resource"]["amount_fen"] = 1
        return headers, json.dumps(doc, separators=(",", ":")).encode()
    if kind == "tampered_trade":
        headers = sign(body)
        return headers, body.replace(b'"out_trade_no":"MS', b'"out_trade_no":"MX', 1)
    if kind == "missing_headers":
        headers = sign(body)
        headers.pop("sandbox-signature")
        return headers, body
    if kind == "stale":
        return sign(body, now=datetime.now(UTC) - timedelta(minutes=10)), body
    if kind == "other_key":
        key = hashlib.sha256(b"sandbox-payments:not-our-secret").digest()
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        signature = hmac.new(key, f"{ts}\n{nonce}\n".encode() + body + b"\n", hashlib.sha256).hexdigest()
        return {"sandbox-timestamp": ts, "sandbox-nonce": nonce, "sandbox-signature": signature}, body
    raise ValueError(kind)


FORGERIES = [
    "bad_signature",
    "tampered_amount",
    "tampered_trade",
    "missing_headers",
    "stale",
    "other_key",
    "unknown_trade",
]


async def phase_notifications(
    settings: Any, world: World, replays: int, forgeries: int, workers: int
) -> dict[str, Any]:
    from app.core.db import tortoise_config
    from app.market import service as market
    from app.payments.sandbox import SandboxProvider
    from models.accounts import User
    from models.payments import PaymentAttempt, PaymentNotification, SandboxTrade
    from tests.market.helpers import ask

    sandbox = SandboxProvider(settings)
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        # Attempts still waiting for their payment: the forgeries' favourite targets.
        from models.market import Listing

        listing = await Listing.get(public_id=world.listing)
        targets: list[str] = []
        for _ in range(20):
            buyer = await User.create(public_id=secrets.token_hex(13))
            order = await market.place_order(settings, buyer, ask(listing, 10))
            targets.append((await market.pay(settings, sandbox, buyer, order.public_id)).out_trade_no)
        paid = await SandboxTrade.filter(status="paid").limit(200)
        pending = await SandboxTrade.filter(out_trade_no__in=targets)
        before = await invariants()
        notes_before = await PaymentNotification.all().count()
    finally:
        await Tortoise.close_connections()
    if not paid:
        raise RuntimeError("no paid trade to replay: run the kill phase first")

    server, base = open_server(settings, workers)
    outcome: Counter = Counter()  # type: ignore[type-arg]
    try:
        await wait_workers(server, workers, base)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            sem = asyncio.Semaphore(16)
            deliveries = {t.out_trade_no: sandbox.notification_for(t) for t in paid}

            async def post(label: str, headers: dict[str, str], body: bytes) -> None:
                async with sem:
                    r = await client.post("/api/v1/payments/notify/sandbox", content=body, headers=headers)
                outcome[(label, r.status_code)] += 1

            jobs = []
            for i in range(replays):
                trade = paid[i % len(paid)]
                if i % 2 == 0:  # the very same delivery again
                    signed = deliveries[trade.out_trade_no]
                else:  # the provider's retry: the same event, signed afresh
                    signed = sandbox.notification_for(trade)
                jobs.append(post("replay", signed.headers, signed.body))
            for i in range(forgeries):
                kind = FORGERIES[i % len(FORGERIES)]
                trade = (pending + paid)[i % (len(pending) + len(paid))]
                if kind == "unknown_trade":
                    ghost = SandboxTrade(
                        out_trade_no="MS" + secrets.token_hex(15),
                        transaction_id="SBX" + secrets.token_hex(12),
                        amount_fen=100,
                        paid_at=datetime.now(UTC),
                    )
                    signed = sandbox.notification_for(ghost)
                    jobs.append(post("forged", signed.headers, signed.body))
                    continue
                # A genuine-looking TRANSACTION.SUCCESS for the trade (paid or not), then broken.
                body = sandbox.notification_for(trade).body
                headers, body = _forged_headers(kind, body, sandbox.sign)
                jobs.append(post("forged", headers, body))
            random.shuffle(jobs)
            await asyncio.gather(*jobs)
    finally:
        close_server(server)

    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        after = await invariants()
        notes_after = await PaymentNotification.all().count()
        still_pending = await PaymentAttempt.filter(out_trade_no__in=targets, status="pending").count()
    finally:
        await Tortoise.close_connections()
    replay_ok = sum(n for (label, status), n in outcome.items() if label == "replay" and status < 300)
    rejected = sum(n for (label, status), n in outcome.items() if label == "forged" and 400 <= status < 500)
    return {
        "replays": replays,
        "replays_acknowledged": replay_ok,
        "forgeries": forgeries,
        "forgeries_rejected": rejected,
        "forgeries_accepted": forgeries - rejected,
        "statuses": {f"{label} {status}": n for (label, status), n in sorted(outcome.items())},
        "fulfilments_before": before["fulfilled_orders"],
        "fulfilments_after": after["fulfilled_orders"],
        "new_notifications_recorded": notes_after - notes_before,
        "targets_still_pending": f"{still_pending}/{len(targets)}",
        "duplicate_fulfilments": after["duplicate_fulfilments"]
        + (after["fulfilled_orders"] - before["fulfilled_orders"]),
        "paid_unfulfilled": after["paid_unfulfilled"],
        "verify": verify_all(settings),
    }


async def _outage(
    settings: Any,
    world: World,
    workers: int,
    concurrency: int,
    outage_s: float,
    down: Any,
    up: Any,
    probe: Any,
) -> dict[str, Any]:
    """Load before, during and after an outage of one backing server; statuses are counted per period."""
    server, base = open_server(settings, workers)
    periods: dict[str, Tally] = {"before": Tally(), "during": Tally(), "after": Tally()}
    probes: dict[str, Any] = {}
    try:
        await wait_workers(server, workers, base)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for name, seconds in (("before", _OUTAGE["before"]), ("during", outage_s), ("after", _OUTAGE["after"])):
                stop = asyncio.Event()
                load = asyncio.create_task(run_flows(base, world, periods[name], stop, concurrency, retry_for_s=0))
                if name == "during":
                    await asyncio.sleep(0.3)
                    await asyncio.to_thread(down)  # mid-load: requests are in flight as it goes
                    await asyncio.sleep(0.5)
                    probes["during"] = await probe(client)
                await asyncio.sleep(seconds)
                stop.set()
                await load
                if name == "during":
                    started = time.monotonic()
                    await asyncio.to_thread(up)
                    # Recovery without manual steps: the first success after the server came back.
                    while time.monotonic() - started < 60:
                        r = await client.get("/readyz")
                        if r.status_code == 200:
                            break
                        await asyncio.sleep(0.2)
                    probes["recovered_after_s"] = round(time.monotonic() - started, 2)
                if name == "after":
                    probes["after"] = await probe(client)
    finally:
        close_server(server)
    out: dict[str, Any] = {}
    for name, tally in periods.items():
        five = sum(n for s, n in tally.statuses.items() if s.startswith("5"))
        out[name] = {
            "requests": tally.requests,
            "statuses": dict(sorted(tally.statuses.items())),
            "5xx": five,
            "slow_failures": tally.slow_failures,
            "postings_ok": tally.postings_ok,
            "bookings_ok": tally.bookings_ok,
            "purchases_confirmed": tally.purchases_confirmed,
        }
    merged = Tally()
    for tally in periods.values():
        merged.award_ids += tally.award_ids
        merged.acknowledged_awards += tally.acknowledged_awards
    out["probes"] = probes
    out["checks"] = await checked(settings, merged)
    out["verify"] = verify_all(settings)
    return out


async def live_probe(client: httpx.AsyncClient, world: World) -> tuple[int, bool, bool]:
    """The campaign's SSE stream: its status, whether the current counters came, and whether a booking
    made meanwhile was pushed within 3 s."""
    first = pushed = False
    status = 0
    try:
        async with client.stream("GET", "/campaigns/spring/live", timeout=10) as r:
            status = r.status_code
            lines = r.aiter_lines()
            until = time.monotonic() + 3
            async for line in lines:
                if line.startswith("data:"):
                    if first:
                        pushed = True
                        break
                    first = True
                    token = world.tokens.pop()
                    booked = await client.post(
                        f"/api/v1/campaigns/slots/{world.slot}/bookings", headers={"Authorization": f"Bearer {token}"}
                    )
                    if booked.status_code != 201:
                        break
                if time.monotonic() > until:
                    break
    except (httpx.HTTPError, TimeoutError):
        pass
    return status, first, pushed


async def phase_redis(
    settings: Any, world: World, redis: PrivateRedis, workers: int, concurrency: int
) -> dict[str, Any]:
    async def probe(client: httpx.AsyncClient) -> dict[str, Any]:
        ready = await client.get("/readyz")
        board = await client.get("/api/v1/points/leaderboard/")
        live_status, live_counters, live_pushed = await asyncio.wait_for(live_probe(client, world), 15)
        return {
            "readyz": ready.status_code,
            "readyz_body": ready.json(),
            "leaderboard": board.status_code,
            "leaderboard_degraded": board.headers.get("x-degraded", ""),
            "live_status": live_status,
            "live_counters": live_counters,
            "live_pushed": live_pushed,
        }

    return await _outage(settings, world, workers, concurrency, _OUTAGE["redis"], redis.stop, redis.start, probe)


async def phase_postgres(
    settings: Any, world: World, pg: PrivatePostgres, workers: int, concurrency: int
) -> dict[str, Any]:
    async def probe(client: httpx.AsyncClient) -> dict[str, Any]:
        started = time.perf_counter()
        r = await client.get("/api/v1/campaigns/")
        return {
            "campaigns": r.status_code,
            "ms": round((time.perf_counter() - started) * 1000),
            "retry_after": r.headers.get("retry-after", ""),
        }

    return await _outage(settings, world, workers, concurrency, _OUTAGE["postgres"], pg.stop, pg.start, probe)


# --- the command ---------------------------------------------------------------------------------------


@contextmanager
def private_servers(keep_logs: Path | None = None) -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    """A PostgreSQL cluster with a `faults` database and a Redis, in a temporary directory removed after
    (the servers' logs copied to `keep_logs` first)."""
    global LOG_DIR
    reason = available()
    if reason:
        raise SystemExit(f"bench.faults cannot run here: {reason}")
    root = Path(tempfile.mkdtemp(prefix="msfaults-"))
    root.chmod(0o755)
    LOG_DIR = root
    pg, redis = PrivatePostgres(root), PrivateRedis()
    try:
        pg.init()
        redis.start()
        createdb = [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "faults"]
        if os.geteuid() == 0:
            createdb = ["runuser", "-u", "postgres", "--", *createdb]
        subprocess.run(createdb, check=True, capture_output=True)
        yield pg, redis
    finally:
        close_shared_server()
        redis.stop()
        with suppress(subprocess.CalledProcessError):
            pg.stop()
        if keep_logs is not None:
            for log in [*root.glob("server-*.log"), root / "pg.log"]:
                with suppress(OSError):
                    shutil.copy(log, keep_logs / f"faults-{log.name}")
        shutil.rmtree(root, ignore_errors=True)


async def run(args: argparse.Namespace, pg: PrivatePostgres, redis: PrivateRedis) -> dict[str, Any]:
    from app.settings import Settings

    report: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "args": vars(args)}
    settings = Settings(database_url=pg.url("faults"), redis_url=redis.url, redis_prefix="faults", secret_key=SECRET)
    started = time.monotonic()
    world = await seed(settings, args.people)
    report["seed_s"] = round(time.monotonic() - started, 1)
    global _verify_now
    _OPTIONS.update(one_server=args.one_server, retry_s=args.retry_s)
    if args.quick:
        _OUTAGE.update({k: v / 2 for k, v in _OUTAGE.items()})
    order = [p for p in ("kills", "notifications", "redis", "postgres") if p in args.phases.split(",")]
    for phase in order:
        _verify_now = args.verify == "each" or phase in ("kills", order[-1])
        started = time.monotonic()
        if phase == "kills":
            report[phase] = await phase_kills(settings, world, args.kills, args.workers, args.concurrency)
        elif phase == "notifications":
            report[phase] = await phase_notifications(settings, world, args.replays, args.forgeries, args.workers)
        elif phase == "redis":
            report[phase] = await phase_redis(settings, world, redis, args.workers, args.concurrency)
        else:
            report[phase] = await phase_postgres(settings, world, pg, args.workers, args.concurrency)
        report[phase]["seconds"] = round(time.monotonic() - started, 1)
        _print(phase, report[phase])
    report["failures"] = failures(report)
    return report


def failures(report: dict[str, Any]) -> list[str]:
    """Every broken invariant, in words; empty when all hold."""
    bad: list[str] = []
    k = report.get("kills")
    if k:
        for name in ("paid_unfulfilled", "fulfilled_without_payment", "duplicate_fulfilments", "duplicate_sale_transfers",
                     "booking_counter_mismatches", "acknowledged_awards_missing"):  # fmt: skip
            if k[name]:
                bad.append(f"kills: {name} = {k[name]}")
        bad += [f"kills: {n} exit {c}" for n, c in k["verify"].items() if c]
        if k["statuses"].get("500"):
            bad.append(f"kills: {k['statuses']['500']} responses were 500")
    n = report.get("notifications")
    if n:
        if n["forgeries_accepted"]:
            bad.append(f"notifications: {n['forgeries_accepted']} forgeries not rejected with 4xx")
        if n["duplicate_fulfilments"] or n["new_notifications_recorded"] or n["paid_unfulfilled"]:
            bad.append("notifications: a replay or forgery changed what is fulfilled")
        if n["replays_acknowledged"] != n["replays"]:
            bad.append(f"notifications: {n['replays'] - n['replays_acknowledged']} replays not acknowledged 2xx")
        if not n["targets_still_pending"].startswith(n["targets_still_pending"].split("/")[1] + "/"):
            bad.append(f"notifications: pending attempts changed by forgeries ({n['targets_still_pending']})")
        bad += [f"notifications: {x} exit {c}" for x, c in n["verify"].items() if c]
    r = report.get("redis")
    if r:
        for period in ("before", "during", "after"):
            if r[period]["5xx"]:
                bad.append(f"redis {period}: {r[period]['5xx']} responses 5xx while Redis was {period} its outage")
        if r["probes"]["during"]["readyz_body"].get("checks", {}).get("redis", "ok") == "ok":
            bad.append("redis: /readyz did not say Redis was down")
        if r["probes"]["during"]["leaderboard"] != 200 or not r["probes"]["during"]["leaderboard_degraded"]:
            bad.append("redis: the leaderboard did not answer, or did not say it was degraded")
        if r["probes"]["after"]["readyz"] != 200:
            bad.append("redis: /readyz not ready after Redis came back")
        if r["probes"]["during"]["live_status"] != 200 or not r["probes"]["during"]["live_counters"]:
            bad.append("redis: the live progress stream did not serve the current counters during the outage")
        if not r["probes"]["after"]["live_pushed"]:
            bad.append("redis: live progress pushes did not come back with Redis")
        for name in (
            "paid_unfulfilled",
            "duplicate_fulfilments",
            "acknowledged_awards_missing",
            "booking_counter_mismatches",
        ):
            if r["checks"][name]:
                bad.append(f"redis: {name} = {r['checks'][name]}")
        bad += [f"redis: {x} exit {c}" for x, c in r["verify"].items() if c]
    p = report.get("postgres")
    if p:
        during = p["during"]["statuses"]
        if during.get("500"):
            bad.append(f"postgres: {during['500']} responses were 500 while PostgreSQL was down (want 503)")
        if during.get("no answer"):
            bad.append(f"postgres: {during['no answer']} connections cut without an answer (want 503)")
        if p["probes"]["during"]["campaigns"] != 503:
            bad.append(f"postgres: a read during the outage answered {p['probes']['during']['campaigns']}, not 503")
        if p["during"]["slow_failures"] or p["probes"]["during"]["ms"] > FAIL_FAST_S * 1000:
            bad.append("postgres: failures were not fast")
        if p["after"]["5xx"] or p["probes"]["after"]["campaigns"] != 200:
            bad.append("postgres: not recovered after PostgreSQL came back")
        for name in (
            "paid_unfulfilled",
            "duplicate_fulfilments",
            "acknowledged_awards_missing",
            "booking_counter_mismatches",
        ):
            if p["checks"][name]:
                bad.append(f"postgres: {name} = {p['checks'][name]}")
        bad += [f"postgres: {x} exit {c}" for x, c in p["verify"].items() if c]
    return bad


def _print(phase: str, result: dict[str, Any]) -> None:
    print(f"== {phase}")
    for key, value in result.items():
        print(f"  {key:<28} {value}")
    sys.stdout.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--replays", type=int, default=1000)
    parser.add_argument("--forgeries", type=int, default=1000)
    parser.add_argument("--people", type=int, default=3000, help="seeded signed-in people; each runs one flow")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--phases", default="kills,notifications,redis,postgres")
    parser.add_argument(
        "--verify",
        choices=["each", "last"],
        default="each",
        help="run the verify commands after every phase, or only after the kills and the last phase",
    )
    parser.add_argument("--quick", action="store_true", help="half the load periods around each outage")
    parser.add_argument(
        "--one-server", action="store_true", help="one served app for every phase (workers still die and come back)"
    )
    parser.add_argument("--retry-s", type=float, default=15.0, help="how long a client retries a failed call")
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args()
    # A SIGTERM (a test's timeout, an operator) stops the servers this run started, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    with private_servers(Path(args.json).parent if args.json else None) as (pg, redis):
        report = asyncio.run(run(args, pg, redis))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    print("== invariants:", "all hold" if not report["failures"] else "BROKEN")
    for line in report["failures"]:
        print("  -", line)
    sys.exit(1 if report["failures"] else 0)


if __name__ == "__main__":
    main()
