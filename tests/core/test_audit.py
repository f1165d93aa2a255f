"""The audit chain: record() only inserts, the sequencer seals in commit order, sealed rows never
change, and verify names the first row where history was rewritten."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core import audit
from app.core.db import dialect
from app.settings import ROOT
from models.audit import AuditEvent
from tests.conftest import postgres_only

pytestmark = pytest.mark.usefixtures("db")


async def _record(n: int, prefix: str = "thing") -> list[AuditEvent]:
    return [
        await audit.record(
            actor=f"user:01TESTACTOR{i:04d}",
            action=f"{prefix}.changed",
            entity_type=prefix,
            entity_id=i,
            before={"state": "old", "n": i},
            after={"state": "新", "n": i + 1, "nested": {"b": [1, 2.5, None], "a": True}},
        )
        for i in range(n)
    ]


async def _sealed() -> list[AuditEvent]:
    return await AuditEvent.filter(seq__isnull=False).order_by("seq")


async def _as_attacker(*statements: str) -> None:
    """Run statements the way someone with database access would: switch the guard off first."""
    if dialect() == "postgres":
        async with in_transaction() as tx:
            await tx.execute_script("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
            for sql in statements:
                await tx.execute_script(sql)
            await tx.execute_script("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
    else:
        conn = get_connection("default")
        for trigger in ("audit_event_sealed_immutable", "audit_event_content_immutable", "audit_event_no_delete"):
            await conn.execute_script(f'DROP TRIGGER IF EXISTS "{trigger}"')
        for sql in statements:
            await conn.execute_script(sql)


async def _raw(sql: str) -> None:
    await get_connection("default").execute_script(sql)


class TestSeal:
    async def test_seals_recorded_events_into_a_linked_chain_that_verifies(self) -> None:
        events = await _record(3)
        assert all(e.seq is None and e.hash is None for e in await AuditEvent.all())

        assert await audit.seal_all() == 3

        sealed = await _sealed()
        assert [e.id for e in sealed] == [e.id for e in events]
        assert [e.seq for e in sealed] == [1, 2, 3]
        assert sealed[0].prev_hash == audit.GENESIS_HASH
        assert sealed[1].prev_hash == sealed[0].hash and sealed[2].prev_hash == sealed[1].hash
        assert all(e.sealed_at is not None for e in sealed)
        report = await audit.verify()
        assert report.ok and report.sealed == 3 and report.unsealed == 0
        assert report.last_seq == 3 and report.root_hash == sealed[2].hash

    async def test_hash_is_sha256_of_the_documented_canonical_json(self) -> None:
        await audit.record(actor="user:X", action="a.b", entity_type="e", entity_id=7, after={"z": 1, "名": "林"})
        await audit.seal_all()
        row = (await _sealed())[0]
        # Written out independently of app.core.audit.canonical, so a change of format fails here.
        document = {
            "seq": 1,
            "prev_hash": "0" * 64,
            "occurred_at": row.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": "user:X",
            "action": "a.b",
            "entity_type": "e",
            "entity_id": "7",
            "before": None,
            "after": {"z": 1, "名": "林"},
            "request_id": None,
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert text.startswith('{"action":"a.b","actor":"user:X","after":{"z":1,"名":"林"},"before":null,')
        assert row.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()

    async def test_a_round_seals_at_most_its_batch(self) -> None:
        await _record(7)
        first = await audit.seal(batch_size=3)
        assert (first.sealed, first.last_seq, first.skipped) == (3, 3, False)
        assert await AuditEvent.filter(seq__isnull=True).count() == 4
        assert await audit.seal_all(batch_size=3) == 4
        assert [e.seq for e in await _sealed()] == list(range(1, 8))

    async def test_sealing_again_changes_nothing(self) -> None:
        await _record(4)
        await audit.seal_all()
        before = [(e.id, e.seq, e.hash, e.sealed_at) for e in await _sealed()]
        result = await audit.seal()
        assert (result.sealed, result.last_seq) == (0, 4)
        assert [(e.id, e.seq, e.hash, e.sealed_at) for e in await _sealed()] == before

    async def test_the_chain_continues_from_the_last_sealed_row_across_rounds(self) -> None:
        await _record(2)
        await audit.seal_all()
        await _record(2, prefix="later")
        await audit.seal_all()
        sealed = await _sealed()
        assert [e.seq for e in sealed] == [1, 2, 3, 4]
        assert sealed[2].prev_hash == sealed[1].hash
        assert (await audit.verify()).ok

    async def test_a_lower_id_that_becomes_visible_after_a_seal_gets_the_next_seq(self) -> None:
        # The lower id appears only after the higher one was sealed, as a late commit does.
        def row(id_: int) -> dict:
            return dict(
                id=id_,
                occurred_at=datetime.now(UTC),
                actor="system:test",
                action="late.commit",
                entity_type="t",
                entity_id=str(id_),
            )

        await AuditEvent.create(**row(1000))
        await audit.seal_all()
        await AuditEvent.create(**row(10))
        await audit.seal_all()
        sealed = await _sealed()
        assert [(e.seq, e.id) for e in sealed] == [(1, 1000), (2, 10)]
        assert (await audit.verify()).ok

    @postgres_only
    async def test_out_of_order_commit_on_two_connections_is_sealed_later_and_never_skipped(self) -> None:
        inserted, may_commit = asyncio.Event(), asyncio.Event()

        async def slow_writer() -> int:
            async with in_transaction():
                event = await audit.record(actor="system:slow", action="slow.commit", entity_type="t", entity_id=1)
                inserted.set()
                await may_commit.wait()
            return event.id

        async def fast_writer() -> int:
            async with in_transaction():
                event = await audit.record(actor="system:fast", action="fast.commit", entity_type="t", entity_id=2)
            return event.id

        slow = asyncio.create_task(slow_writer())
        await inserted.wait()
        fast_id = await fast_writer()
        first = await audit.seal_all()
        may_commit.set()
        slow_id = await slow
        assert slow_id < fast_id and first == 1
        assert await audit.seal_all() == 1

        sealed = await _sealed()
        assert [(e.seq, e.id) for e in sealed] == [(1, fast_id), (2, slow_id)]
        assert (await audit.verify()).ok

    async def test_record_in_a_rolled_back_transaction_leaves_nothing(self) -> None:
        class Boom(Exception):
            pass

        with pytest.raises(Boom):
            async with in_transaction():
                await audit.record(actor="system:test", action="x.y", entity_type="t", entity_id=1)
                raise Boom
        assert await AuditEvent.all().count() == 0
        assert await audit.seal_all() == 0
        assert (await audit.verify()).sealed == 0

    async def test_fifty_concurrent_writers_and_concurrent_sealers_seal_every_row_exactly_once(self) -> None:
        writers_done = asyncio.Event()

        async def writer(i: int) -> int:
            await asyncio.sleep(random.random() * 0.05)
            async with in_transaction():
                event = await audit.record(actor=f"user:W{i}", action="w.wrote", entity_type="w", entity_id=i)
                await asyncio.sleep(random.random() * 0.01)
            return event.id

        async def sealer() -> None:
            while not writers_done.is_set():
                await audit.seal()
                await asyncio.sleep(0.002)

        sealers = [asyncio.create_task(sealer()) for _ in range(4)]
        ids = await asyncio.gather(*(writer(i) for i in range(50)))
        writers_done.set()
        await asyncio.gather(*sealers)
        await audit.seal_all()

        sealed = await _sealed()
        assert sorted(e.id for e in sealed) == sorted(ids)
        assert [e.seq for e in sealed] == list(range(1, 51))
        report = await audit.verify()
        assert report.ok and report.sealed == 50 and report.unsealed == 0

    @postgres_only
    async def test_a_round_skips_while_another_worker_holds_the_sequencer_lock(self, settings) -> None:
        import asyncpg

        await _record(2)
        other_worker = await asyncpg.connect(settings.database_url)
        try:
            tx = other_worker.transaction()
            await tx.start()
            await other_worker.execute("SELECT pg_advisory_xact_lock($1)", audit.SEQUENCER_LOCK_KEY)
            result = await audit.seal()
            assert result.skipped and result.sealed == 0
            assert await AuditEvent.filter(seq__isnull=False).count() == 0
            await tx.commit()  # the other worker's transaction ends and its lock with it
        finally:
            await other_worker.close()
        assert await audit.seal_all() == 2

    @postgres_only
    async def test_sequencers_in_several_processes_build_one_chain(self, settings) -> None:
        env = {**os.environ, "DATABASE_URL": settings.database_url, "LOG_JSON": "false"}

        async def writer(i: int) -> None:
            await asyncio.sleep(random.random() * 1.5)
            async with in_transaction():
                await audit.record(actor=f"user:P{i}", action="p.wrote", entity_type="p", entity_id=i)

        async def cli_sealer() -> int:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "app.cli",
                "audit-seal",
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            out, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()
            return int(out.decode().split()[1])

        async def cli_sealers() -> int:
            total = 0
            for _ in range(2):
                total += sum(await asyncio.gather(*(cli_sealer() for _ in range(3))))
            return total

        by_processes, _ = await asyncio.gather(cli_sealers(), asyncio.gather(*(writer(i) for i in range(60))))
        await audit.seal_all()

        sealed = await _sealed()
        assert [e.seq for e in sealed] == list(range(1, 61))
        assert len({e.id for e in sealed}) == 60
        assert (await audit.verify()).ok
        assert by_processes > 0


class TestSealedRowsNeverChange:
    async def test_the_database_refuses_to_update_a_sealed_row(self) -> None:
        await _record(2)
        await audit.seal_all()
        first = (await _sealed())[0]
        for changes in (
            {"actor": "user:someone-else"},
            {"hash": "f" * 64},
            {"seq": 99},
            {"sealed_at": datetime.now(UTC)},
        ):
            with pytest.raises(IntegrityError, match="sealed"):
                await AuditEvent.filter(id=first.id).update(**changes)
        with pytest.raises(IntegrityError, match="sealed"):
            await _raw(
                f"UPDATE audit_event SET seq = NULL, prev_hash = NULL, hash = NULL, sealed_at = NULL WHERE id = {first.id}"
            )
        assert (await audit.verify()).ok

    async def test_the_database_refuses_to_delete_any_audit_row(self) -> None:
        await _record(1)
        await audit.seal_all()
        await _record(1, prefix="unsealed")
        for event in await AuditEvent.all():
            with pytest.raises(IntegrityError, match="append-only"):
                await AuditEvent.filter(id=event.id).delete()
        assert await AuditEvent.all().count() == 2

    async def test_the_content_of_an_unsealed_row_cannot_change_either(self) -> None:
        [event] = await _record(1)
        with pytest.raises(IntegrityError, match="content cannot change"):
            await AuditEvent.filter(id=event.id).update(action="something.else")

    async def test_a_seal_is_all_four_columns_or_none(self) -> None:
        [event] = await _record(1)
        with pytest.raises(IntegrityError, match="audit_event_seal_complete"):
            await AuditEvent.filter(id=event.id).update(seq=1)
        with pytest.raises(IntegrityError, match="audit_event_seal_complete"):
            await AuditEvent.create(
                occurred_at=datetime.now(UTC), actor="x", action="y", entity_type="z", entity_id="1", seq=5
            )


class TestVerify:
    async def test_an_empty_chain_verifies(self) -> None:
        report = await audit.verify()
        assert report.ok and report.sealed == 0 and report.last_seq == 0 and report.root_hash == audit.GENESIS_HASH

    async def test_counts_unsealed_rows_apart(self) -> None:
        await _record(2)
        await audit.seal_all()
        await _record(3, prefix="waiting")
        report = await audit.verify()
        assert report.ok and (report.sealed, report.unsealed) == (2, 3)

    async def test_one_changed_byte_in_an_old_sealed_row_is_found_and_named(self) -> None:
        await _record(5)
        await audit.seal_all()
        target = (await _sealed())[1]
        tampered_actor = target.actor[:-1] + ("X" if target.actor[-1] != "X" else "Y")
        await _as_attacker(f"UPDATE audit_event SET actor = '{tampered_actor}' WHERE id = {target.id}")
        assert (await AuditEvent.get(id=target.id)).actor == tampered_actor

        report = await audit.verify()
        assert not report.ok
        assert report.first_break is not None
        assert (report.first_break.seq, report.first_break.id) == (2, target.id)
        assert report.first_break.kind == "content_hash_mismatch"
        assert f"seq 2 (id {target.id})" in report.first_break.describe()

    async def test_a_change_inside_the_json_after_field_is_found(self) -> None:
        await _record(3)
        await audit.seal_all()
        target = (await _sealed())[0]
        after = json.dumps({**target.after, "n": 999}, separators=(",", ":"))  # type: ignore[dict-item]
        await _as_attacker(f"UPDATE audit_event SET after = '{after}' WHERE id = {target.id}")
        report = await audit.verify()
        assert report.first_break is not None and report.first_break.seq == 1
        assert report.first_break.kind == "content_hash_mismatch"

    async def test_a_row_rewritten_with_a_recomputed_hash_breaks_the_next_link(self) -> None:
        await _record(4)
        await audit.seal_all()
        target = (await _sealed())[1]
        target.action = "forged.action"
        forged = audit.chain_hash(audit.canonical_of(target))
        await _as_attacker(f"UPDATE audit_event SET action = 'forged.action', hash = '{forged}' WHERE id = {target.id}")
        report = await audit.verify()
        assert report.first_break is not None
        assert (report.first_break.seq, report.first_break.kind) == (3, "prev_hash_mismatch")
        assert report.first_break.expected == forged

    async def test_a_deleted_row_leaves_a_seq_gap(self) -> None:
        await _record(4)
        await audit.seal_all()
        victim, after_victim = (await _sealed())[2:4]
        await _as_attacker(f"DELETE FROM audit_event WHERE id = {victim.id}")
        report = await audit.verify()
        assert report.first_break is not None
        assert (report.first_break.seq, report.first_break.id, report.first_break.kind) == (
            4,
            after_victim.id,
            "seq_gap",
        )


@postgres_only
async def test_truncating_the_audit_log_is_refused_on_postgresql(db) -> None:
    import pytest
    from tortoise import Tortoise

    from app.core import audit

    await audit.record(actor="test", action="x.done", entity_type="x", entity_id="1")
    with pytest.raises(Exception, match="cannot be truncated"):  # asyncpg's RaiseError, untranslated
        await Tortoise.get_connection("default").execute_script('TRUNCATE "audit_event"')
