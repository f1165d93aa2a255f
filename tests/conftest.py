"""Test fixtures for both backends.

Embedded run (no DATABASE_URL): each test gets a copy of a SQLite file migrated once per session.
PostgreSQL run (DATABASE_URL=postgres://…): the session creates its own database on that server,
migrates it once, truncates it before each test and drops it at the end; Redis keys live under a
per-session prefix and are deleted afterwards. So parallel runs on one machine never collide.
The two backends run in separate pytest processes (STACK.md trap 4).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiosqlite.core
import httpx
import pytest
from litestar import Litestar
from tortoise import Tortoise

from app.core.db import run_migrations, tortoise_config
from app.main import create_app
from app.settings import Settings

BACKEND_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = BACKEND_URL.startswith(("postgres", "asyncpg"))
REDIS_URL = os.environ.get("REDIS_URL") or None
RUN_ID = uuid.uuid4().hex[:10]

postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL (the second `make test` run)")
redis_only = pytest.mark.skipif(REDIS_URL is None, reason="needs Redis (the second `make test` run)")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _admin_sql(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_with_database(url, "postgres").replace("asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def base_settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        redis_url=REDIS_URL,
        redis_prefix=f"mstest{RUN_ID}",
        api_rate_limit_per_minute=0,
        public_cache_ttl_s=0,  # the handlers' own answers; tests/core/test_public_cache.py turns it on
        background_workers=False,
        log_json=True,
        log_level="WARNING",
        load_demo_data=False,
    )


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database URL whose schema came from the migrations, made once per session."""
    if IS_POSTGRES:
        name = f"mstest_{RUN_ID}"
        asyncio.run(_admin_sql(BACKEND_URL, f'CREATE DATABASE "{name}"'))
        url = _with_database(BACKEND_URL, name)
        asyncio.run(run_migrations(base_settings(url)))
        yield url
        asyncio.run(_admin_sql(BACKEND_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        template = tmp_path_factory.mktemp("db") / "template.sqlite3"
        asyncio.run(run_migrations(base_settings(f"sqlite://{template}")))
        yield str(template)
    if REDIS_URL:
        asyncio.run(_drop_redis_keys())


async def _drop_redis_keys() -> None:
    from redis.asyncio import Redis

    r = Redis.from_url(REDIS_URL)
    try:
        async for key in r.scan_iter(match=f"mstest{RUN_ID}*"):
            await r.delete(key)
    finally:
        await r.aclose()


async def _truncate_all(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("asyncpg://", "postgresql://", 1))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'tortoise_migrations'"
        )
        if tables:
            names = ", ".join(f'"{t["tablename"]}"' for t in tables)
            # Replica mode skips ordinary triggers, among them the one refusing TRUNCATE on the audit log.
            await conn.execute("SET session_replication_role = replica")
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def settings(migrated_database: str, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings pointing at a clean, migrated database (and a clean Redis prefix)."""
    if IS_POSTGRES:
        await _truncate_all(migrated_database)
        url = migrated_database
    else:
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_database, copy)
        url = f"sqlite://{copy}"
    if REDIS_URL:
        await _drop_redis_keys()
    yield base_settings(url).with_(upload_dir=str(tmp_path / "uploads"))  # photo files, never the repository's


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


class running:
    """Runs the app's lifespan in a task of its own, so its anyio cancel scope opens and closes in one
    task even though pytest-asyncio may run fixture set-up and teardown in different tasks."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self._started = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        async with self.app.lifespan():
            self._started.set()
            await self._stop.wait()

    async def __aenter__(self) -> Litestar:
        self._task = asyncio.create_task(self._run())
        starting = asyncio.create_task(self._started.wait())
        await asyncio.wait({self._task, starting}, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            starting.cancel()
            self._task.result()  # re-raise the start-up error
        return self.app

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app's own event loop (STACK.md trap 2), with the lifespan running."""
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[None]:
    """The ORM alone, for service tests that need no HTTP."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()


# An aiosqlite connection left open runs a non-daemon thread, and the interpreter waits for it at exit:
# the pytest process printed its summary and then never ended (CI timed out on it once). Each open
# connection thread is noted with the first test after which it was seen; at the end of the session a
# leftover one fails the run, naming that test, and is stopped so that the process still exits.
_SQLITE_THREADS_FIRST_SEEN: dict[int, str] = {}


def _open_sqlite_threads() -> list[threading.Thread]:
    worker = aiosqlite.core._connection_worker_thread
    return [t for t in threading.enumerate() if getattr(t, "_target", None) is worker and t.is_alive()]


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    for thread in _open_sqlite_threads():
        _SQLITE_THREADS_FIRST_SEEN.setdefault(thread.ident or 0, nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leftovers = _open_sqlite_threads()
    if not leftovers:
        return
    for thread in leftovers:
        first = _SQLITE_THREADS_FIRST_SEEN.get(thread.ident or 0, "before the first test finished")
        print(f"\nLEAK: a SQLite connection was never closed; its thread was first seen after {first}")
        # The worker thread's queue is its first argument; the sentinel makes it return (aiosqlite's own stop).
        thread._args[0].put((None, lambda: aiosqlite.core._STOP_RUNNING_SENTINEL))  # type: ignore[attr-defined]
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
