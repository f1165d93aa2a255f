"""The PostgreSQL pool hands connections back without asyncpg's reset round trip, which is safe only
while our SQL leaves no session state behind (app/core/db.py `_release_as_is`)."""

from __future__ import annotations

import re
from pathlib import Path

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from app.core.db import _release_as_is, tortoise_config
from app.settings import ROOT, Settings
from tests.conftest import postgres_only

# Session-level forms of what asyncpg's default reset undoes: advisory locks held past the transaction,
# LISTEN, cursors declared WITH HOLD, and SET / set_config without LOCAL.
SESSION_STATE = re.compile(
    r"pg_(try_)?advisory_lock(_shared)?\s*\(|\bLISTEN\s|\bWITH\s+HOLD\b|set_config\s*\([^)]*false"
    r"|(^|[\"';]\s*)SET\s+(?!LOCAL\b)(SESSION\s+)?[a-z_.]+\s*(=|TO\b)",
    re.IGNORECASE | re.MULTILINE,
)


class TestSessionState:
    def test_the_pattern_knows_session_state_from_transaction_state(self) -> None:
        for leaks in (
            'execute("SET statement_timeout = 0")',
            "SELECT pg_advisory_lock(1)",
            "SELECT pg_try_advisory_lock_shared(1)",
            "LISTEN outbox",
            "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
            "SELECT set_config('x.y', '1', false)",
        ):
            assert SESSION_STATE.search(leaks), leaks
        for stays in (
            'execute("SET LOCAL statement_timeout = 0")',
            "SELECT pg_advisory_xact_lock(1)",
            "UPDATE audit_event SET seq = seq WHERE 0",
            "SELECT set_config('x.y', '1', true)",
        ):
            assert not SESSION_STATE.search(stays), stays

    def test_no_code_of_ours_leaves_session_state_on_a_pooled_connection(self) -> None:
        found = [
            f"{path.relative_to(ROOT)}: {m.group(0)!r}"
            for folder in ("app", "models", "migrations")
            for path in sorted((ROOT / folder).rglob("*.py"))
            for m in SESSION_STATE.finditer(path.read_text(encoding="utf-8"))
        ]
        assert not found, "session state would leak to the next request (see app/core/db.py): " + "; ".join(found)


class TestPool:
    def test_postgres_connections_are_released_without_the_reset_query(self) -> None:
        config = tortoise_config(Settings(database_url="postgres://u@h:5432/db?max_size=10"))
        credentials = config["connections"]["default"]["credentials"]
        assert credentials["reset"] is _release_as_is
        assert credentials["max_size"] == 10  # the URL's pool size still applies

    def test_sqlite_keeps_its_url(self) -> None:
        config = tortoise_config(Settings(database_url="sqlite://x.db"))
        assert config["connections"]["default"] == "sqlite://x.db?busy_timeout=5000"

    @postgres_only
    async def test_a_transaction_left_open_is_still_rolled_back_on_release(self, db: None) -> None:
        conn = Tortoise.get_connection("default")
        await conn.execute_query("SELECT 1")  # the pool opens on first use
        pool = conn._pool  # type: ignore[attr-defined]
        raw = await pool.acquire()
        await raw.execute("BEGIN")
        await raw.execute("CREATE TEMP TABLE left_open (x int) ON COMMIT DROP")
        await pool.release(raw)
        again = await pool.acquire()
        try:
            assert not again.is_in_transaction()
        finally:
            await pool.release(again)

    @postgres_only
    async def test_set_local_ends_with_its_transaction(self, db: None) -> None:
        conn = Tortoise.get_connection("default")
        async with in_transaction() as tx:
            await tx.execute_query("SET LOCAL statement_timeout = 1234")
            _, rows = await tx.execute_query("SHOW statement_timeout")
            assert rows[0]["statement_timeout"] == "1234ms"
        for _ in range(3):  # whichever pooled connection comes next
            _, rows = await conn.execute_query("SHOW statement_timeout")
            assert rows[0]["statement_timeout"] != "1234ms"


def test_this_file_is_scanned_from_the_repository_root() -> None:
    assert (ROOT / "app" / "core" / "db.py").exists() and Path(__file__).is_relative_to(ROOT)
