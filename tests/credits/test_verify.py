"""credits-verify names every broken invariant, and the CLI exits non-zero on a tampered block."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import Tortoise

from app.core.auth import Role
from app.credits import inventory
from app.credits.verify import verify
from models.credits import SerialBlock
from tests.accounts.test_cli import cli
from tests.credits.helpers import approved_project, issue_units, principal_of


@pytest.fixture
async def issued(db, settings):  # type: ignore[no-untyped-def]
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=100, buffer=25)
    await inventory.reserve(
        "order:v", 30, datetime.now(UTC) + timedelta(hours=1), issuance_public_id=issuance.public_id
    )
    return issuance


async def raw(sql: str) -> None:
    await Tortoise.get_connection("default").execute_script(sql)


class TestVerify:
    async def test_a_sound_inventory_verifies(self, issued) -> None:
        report = await verify()
        assert report.ok and report.issuances == 1 and report.blocks == 4

    async def test_a_block_whose_status_was_edited_is_named(self, issued) -> None:
        block = await SerialBlock.get(serial_start=31, status="tradable")
        await raw(f"UPDATE credits_serial_block SET status = 'cancelled' WHERE id = {block.id}")
        problems = (await verify()).problems
        assert any("tradable blocks hold 25 kg, the supply row says 95" in p for p in problems), problems
        assert any("cancelled blocks hold 70 kg" in p for p in problems), problems

    async def test_a_shifted_block_shows_an_overlap_and_a_gap(self, issued) -> None:
        block = await SerialBlock.get(serial_start=31, status="tradable")
        await raw(f"UPDATE credits_serial_block SET serial_start = 25, serial_end = 94 WHERE id = {block.id}")
        problems = (await verify()).problems
        assert any("overlaps serials before 31" in p for p in problems), problems
        assert any("serials [95, 100] are in no block" in p for p in problems), problems

    async def test_children_that_do_not_cover_their_parent_are_named(self, issued) -> None:
        parent = await SerialBlock.get(status="superseded")
        await raw(
            f"UPDATE credits_serial_block SET parent_id = NULL WHERE parent_id = {parent.id} AND serial_start = 31"
        )
        problems = (await verify()).problems
        assert any(f"split of block {parent.id}: serials [31, 100] are in no block" in p for p in problems), problems


class TestVerifyCommand:
    async def test_exits_zero_when_sound_and_one_naming_a_block_tampered_by_raw_sql(self, issued, settings) -> None:
        ok = cli(settings, "credits-verify")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "credits OK: 1 issuances, 4 blocks" in ok.stdout
        block = await SerialBlock.get(serial_start=1, status="reserved")
        await raw(f"UPDATE credits_serial_block SET status = 'retired' WHERE id = {block.id}")
        broken = cli(settings, "credits-verify")
        assert broken.returncode == 1
        assert "CREDITS BROKEN" in broken.stdout
        assert "retired blocks hold 30 kg, the supply row says 0" in broken.stdout
        assert f"block {block.id} is retired with no retirement record" in broken.stdout
