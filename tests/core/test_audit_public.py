"""The published side of the audit chain: the root endpoint, the events anyone can recompute, the
public page, and the `audit-seal` / `audit-verify` commands."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys

import httpx
import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from app.core import audit
from app.core.db import dialect, tortoise_config
from app.settings import ROOT, Settings
from models.audit import AuditEvent
from tests.conftest import running


async def _record(n: int) -> None:
    for i in range(n):
        await audit.record(
            actor=f"user:01PUBLICACTOR{i:03d}",
            action="parcel.listed",
            entity_type="parcel",
            entity_id=i,
            after={"area_m2": 1200 + i, "name": "竹林"},
        )


class TestRootEndpoint:
    async def test_an_empty_chain_has_the_genesis_root(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/audit/root")
        assert r.status_code == 200
        assert r.json() == {"count": 0, "last_seq": 0, "root_hash": "0" * 64, "sealed_at": None, "unsealed": 0}

    async def test_root_matches_the_last_sealed_row_and_counts_the_backlog(self, client: httpx.AsyncClient) -> None:
        await _record(3)
        await audit.seal_all()
        await _record(2)
        last = await AuditEvent.filter(seq__isnull=False).order_by("-seq").first()
        assert last is not None

        r = await client.get("/api/v1/audit/root")
        assert r.status_code == 200
        body = r.json()
        assert body["count"] == 3 and body["last_seq"] == 3 == last.seq
        assert body["root_hash"] == last.hash
        assert body["unsealed"] == 2
        assert body["sealed_at"] is not None

    async def test_needs_no_sign_in(self, client: httpx.AsyncClient) -> None:
        for path in ("/api/v1/audit/root", "/api/v1/audit/events", "/audit"):
            assert (await client.get(path)).status_code == 200, path


class TestEventsEndpoint:
    async def test_anyone_can_recompute_the_whole_chain_page_by_page(self, client: httpx.AsyncClient) -> None:
        await _record(5)
        await audit.seal_all()
        events, after = [], 0
        while True:
            r = await client.get("/api/v1/audit/events", params={"after_seq": after, "limit": 2})
            assert r.status_code == 200
            page = r.json()
            events += page["events"]
            if page["next_after_seq"] is None:
                break
            after = page["next_after_seq"]

        assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
        prev = "0" * 64
        fields = (
            "seq",
            "prev_hash",
            "occurred_at",
            "actor",
            "action",
            "entity_type",
            "entity_id",
            "before",
            "after",
            "request_id",
        )
        for e in events:
            # The canonical text says exactly the fields shown, and hashes to the hash shown.
            assert json.loads(e["canonical"]) == {k: e[k] for k in fields}
            assert (
                json.dumps(json.loads(e["canonical"]), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                == e["canonical"]
            )
            assert hashlib.sha256(e["canonical"].encode("utf-8")).hexdigest() == e["hash"]
            assert e["prev_hash"] == prev
            prev = e["hash"]
        assert prev == (await client.get("/api/v1/audit/root")).json()["root_hash"]

    async def test_unsealed_events_are_not_published_yet(self, client: httpx.AsyncClient) -> None:
        await _record(2)
        r = await client.get("/api/v1/audit/events")
        assert r.json() == {"events": [], "next_after_seq": None}

    async def test_refuses_a_page_size_out_of_range(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/audit/events", params={"limit": 0})).status_code == 400
        assert (await client.get("/api/v1/audit/events", params={"limit": 501})).status_code == 400
        assert (await client.get("/api/v1/audit/events", params={"after_seq": -1})).status_code == 400


class TestAuditPage:
    async def test_shows_the_root_and_the_latest_sealed_events_in_chinese(self, client: httpx.AsyncClient) -> None:
        await _record(25)
        await audit.seal_all()
        root = (await client.get("/api/v1/audit/root")).json()
        r = await client.get("/audit")
        assert r.status_code == 200
        assert "公开审计日志" in r.text and "当前根哈希" in r.text
        assert root["root_hash"] in r.text
        assert 'data-seq="25"' in r.text and 'data-seq="6"' in r.text and 'data-seq="5"' not in r.text
        assert "user:01PUBLICACTOR024" in r.text
        assert 'name="viewport"' in r.text

    async def test_speaks_english_on_request(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/audit", params={"lang": "en"})
        assert r.status_code == 200
        assert "Current root hash" in r.text and "No sealed records yet." in r.text


class TestBackgroundSequencer:
    async def test_seals_in_the_app_lifespan_and_stops_cleanly(self, settings: Settings) -> None:
        from app.main import create_app

        app = create_app(settings.with_(background_workers=True, audit_seal_interval_s=0.05))
        async with running(app):
            async with in_transaction():
                await _record(3)
            for _ in range(100):
                if await AuditEvent.filter(seq__isnull=True).count() == 0:
                    break
                await asyncio.sleep(0.05)
            assert [e.seq for e in await AuditEvent.all().order_by("seq")] == [1, 2, 3]
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "audit-sequencer"]


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "LOG_JSON": "false"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


class TestCommands:
    @pytest.fixture
    async def orm(self, settings: Settings):
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        try:
            yield
        finally:
            await Tortoise.close_connections()

    async def test_seal_then_verify_exit_0_and_a_tampered_chain_exits_1_naming_the_row(self, settings, orm) -> None:
        await _record(4)
        sealed = await asyncio.to_thread(_cli, settings, "audit-seal")
        assert sealed.returncode == 0, sealed.stderr
        assert sealed.stdout.startswith("sealed 4 event(s)")

        clean = await asyncio.to_thread(_cli, settings, "audit-verify")
        assert clean.returncode == 0, clean.stderr
        assert "audit chain OK" in clean.stdout

        target = await AuditEvent.get(seq=3)
        if dialect() == "postgres":
            async with in_transaction() as tx:
                await tx.execute_script("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
                await tx.execute_script(f"UPDATE audit_event SET entity_id = '999' WHERE id = {target.id}")
                await tx.execute_script("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
        else:
            await Tortoise.get_connection("default").execute_script(
                f"DROP TRIGGER \"audit_event_sealed_immutable\"; UPDATE audit_event SET entity_id = '999' WHERE id = {target.id}"
            )

        broken = await asyncio.to_thread(_cli, settings, "audit-verify")
        assert broken.returncode == 1
        assert "AUDIT CHAIN BROKEN" in broken.stdout
        assert f"seq 3 (id {target.id})" in broken.stdout
        assert "content hash mismatch" in broken.stdout


async def test_an_absurd_after_seq_is_a_400_not_a_500(client) -> None:
    r = await client.get("/api/v1/audit/events", params={"after_seq": 10**20})
    assert r.status_code == 400
    assert r.json()["code"] == "error.validation"
