"""Inventory for the market: reserve, release, retire and expiry keep supply = blocks, exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.core.auth import Role
from app.core.errors import AppError, Conflict
from app.credits import inventory
from app.credits.verify import verify
from models.audit import AuditEvent
from models.credits import BUFFER_POOL, CreditSupply, Reservation, Retirement, SerialBlock
from tests.conftest import postgres_only
from tests.credits.helpers import approved_project, issue_units, principal_of


def later(minutes: int = 15) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


async def counters(issuance) -> tuple[int, int, int, int, int]:  # type: ignore[no-untyped-def]
    s = await CreditSupply.get(issuance_id=issuance.id)
    return s.tradable, s.reserved, s.retired, s.cancelled, s.buffer


@pytest.fixture
async def issued(db, settings):  # type: ignore[no-untyped-def]
    """An issuance of 100 kg to the owner and 25 kg to the buffer pool."""
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    project = await approved_project(owner, settings)
    return await issue_units(owner, verifier, project, kg=100, buffer=25)


async def lapse(reference: str) -> None:
    """Move a reservation's moment into the past, as if time had passed."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    await Reservation.filter(reference=reference).update(reserved_until=past)
    await SerialBlock.filter(reservation_ref=reference, status="reserved").update(reserved_until=past)


class TestReserve:
    async def test_splits_a_block_and_moves_the_counters(self, issued) -> None:
        reservation = await inventory.reserve("order:1", 30, later(), issuance_public_id=issued.public_id)
        assert (reservation.kg, reservation.status) == (30, "held")
        assert await counters(issued) == (95, 30, 0, 0, 25)
        live = await SerialBlock.filter(issuance_id=issued.id).exclude(status="superseded").order_by("serial_start")
        assert [(b.serial_start, b.serial_end, b.status) for b in live] == [
            (1, 30, "reserved"),
            (31, 100, "tradable"),
            (101, 125, "tradable"),
        ]
        parent = await SerialBlock.get(serial_start=1, serial_end=100)
        assert parent.status == "superseded"
        assert {b.parent_id for b in live[:2]} == {parent.id}  # type: ignore[attr-defined]
        assert (await verify()).ok

    async def test_never_takes_buffer_pool_units(self, issued) -> None:
        with pytest.raises(Conflict) as refused:
            await inventory.reserve("order:2", 101, later(), issuance_public_id=issued.public_id)
        assert refused.value.params == {"requested": 101, "available": 100}
        assert await counters(issued) == (125, 0, 0, 0, 25)
        assert not await Reservation.exists(reference="order:2")  # nothing half-written
        await inventory.reserve("order:3", 100, later(), issuance_public_id=issued.public_id)
        assert await SerialBlock.filter(holder=BUFFER_POOL, status="tradable").count() == 1

    async def test_best_available_draws_across_issuances_oldest_first(self, issued, settings) -> None:
        owner, _ = await principal_of(settings, Role.SMALLHOLDER)
        verifier, _ = await principal_of(settings, Role.VERIFIER)
        newer = await issue_units(owner, verifier, await approved_project(owner, settings), kg=50, buffer=10)
        await inventory.reserve("order:4", 120, later())
        assert await counters(issued) == (25, 100, 0, 0, 25)
        assert await counters(newer) == (40, 20, 0, 0, 10)
        assert (await verify()).ok

    async def test_the_same_reference_replays_and_another_request_under_it_conflicts(self, issued) -> None:
        until = later()
        first = await inventory.reserve("order:5", 10, until, issuance_public_id=issued.public_id)
        again = await inventory.reserve("order:5", 10, until, issuance_public_id=issued.public_id)
        assert again.id == first.id
        assert await counters(issued) == (115, 10, 0, 0, 25)
        with pytest.raises(Conflict, match=r"credits.reference_reused"):
            await inventory.reserve("order:5", 11, until, issuance_public_id=issued.public_id)

    async def test_parts_take_exactly_each_part_and_one_short_part_refuses_all(self, issued, settings) -> None:
        owner, _ = await principal_of(settings, Role.SMALLHOLDER)
        verifier, _ = await principal_of(settings, Role.VERIFIER)
        other = await issue_units(owner, verifier, await approved_project(owner, settings), kg=50, buffer=10)
        with pytest.raises(Conflict) as short:  # the other issuance has 50 kg, not 60: nothing is taken anywhere
            await inventory.reserve("order:p1", 70, later(), parts={issued.public_id: 10, other.public_id: 60})
        assert short.value.key == "credits.insufficient"
        assert not await Reservation.exists(reference="order:p1")
        assert (await counters(issued), await counters(other)) == ((125, 0, 0, 0, 25), (60, 0, 0, 0, 10))
        until = later()
        parts = {other.public_id: 50, issued.public_id: 10}
        await inventory.reserve("order:p2", 60, until, parts=parts)
        assert (await counters(issued), await counters(other)) == ((115, 10, 0, 0, 25), (10, 50, 0, 0, 10))
        again = await inventory.reserve("order:p2", 60, until, parts=dict(reversed(parts.items())))  # a replay
        assert again.kg == 60 and await Reservation.filter(reference="order:p2").count() == 1
        with pytest.raises(AppError) as wrong:  # the parts must add up to kg
            await inventory.reserve("order:p3", 11, later(), parts={issued.public_id: 10})
        assert wrong.value.key == "credits.bad_kg"
        retired = await inventory.retire("order:p2", "张三", "offset")
        assert len({r.certificate_code for r in retired}) == 1  # one certificate over both issuances
        assert (await verify()).ok

    @pytest.mark.parametrize(("reference", "kg"), [("", 1), ("has space", 1), ("ok", 0), ("ok", -3), ("ok", True)])
    async def test_refuses_bad_references_and_quantities(self, issued, reference, kg) -> None:
        with pytest.raises(AppError):
            await inventory.reserve(reference, kg, later(), issuance_public_id=issued.public_id)

    async def test_units_of_a_lapsed_reservation_are_free_at_once_without_a_sweep(self, issued) -> None:
        await inventory.reserve("order:6", 100, later(), issuance_public_id=issued.public_id)
        await lapse("order:6")
        await inventory.reserve("order:7", 100, later(), issuance_public_id=issued.public_id)
        assert await counters(issued) == (25, 100, 0, 0, 25)
        assert await SerialBlock.filter(reservation_ref="order:7").count() >= 1
        assert (await verify()).ok


class TestRelease:
    async def test_gives_the_units_back_exactly_once(self, issued) -> None:
        await inventory.reserve("order:8", 40, later(), issuance_public_id=issued.public_id)
        first = await inventory.release("order:8")
        second = await inventory.release("order:8")
        assert (first.released_kg, second.released_kg) == (40, 0)
        assert first.reservation.status == "released"
        assert await counters(issued) == (125, 0, 0, 0, 25)
        assert await AuditEvent.filter(action="credits.reservation.released", entity_id="order:8").count() == 1
        assert (await verify()).ok

    async def test_a_retired_reservation_cannot_be_released(self, issued) -> None:
        await inventory.reserve("order:9", 5, later(), issuance_public_id=issued.public_id)
        await inventory.retire("order:9", "王小明", "trip")
        with pytest.raises(Conflict, match=r"credits.reservation_retired"):
            await inventory.release("order:9")
        assert await counters(issued) == (120, 0, 5, 0, 25)


class TestRetire:
    async def test_retires_the_reserved_blocks_with_one_certificate_code(self, issued, settings) -> None:
        owner, _ = await principal_of(settings, Role.SMALLHOLDER)
        verifier, _ = await principal_of(settings, Role.VERIFIER)
        await issue_units(owner, verifier, await approved_project(owner, settings), kg=50, buffer=0)
        await inventory.reserve("order:10", 120, later())  # two issuances: two blocks
        retirements = await inventory.retire(
            "order:10", "成都马拉松组委会", "event", purpose_reference="2026 成都马拉松", holder="org:abc"
        )
        assert len(retirements) == 2
        assert len({r.certificate_code for r in retirements}) == 1
        assert len(retirements[0].certificate_code) == 16
        blocks = await SerialBlock.filter(status="retired")
        assert sum(b.quantity for b in blocks) == 120 and {b.holder for b in blocks} == {"org:abc"}
        assert await counters(issued) == (25, 0, 100, 0, 25)
        assert (await verify()).ok

    async def test_retiring_twice_returns_the_first_retirement(self, issued) -> None:
        await inventory.reserve("order:11", 7, later(), issuance_public_id=issued.public_id)
        first = await inventory.retire("order:11", "李", "offset")
        second = await inventory.retire("order:11", "李", "offset")
        assert [r.id for r in first] == [r.id for r in second]
        assert await Retirement.all().count() == 1
        assert await counters(issued) == (118, 0, 7, 0, 25)

    async def test_a_lapsed_reservation_cannot_be_retired_even_before_the_sweep(self, issued) -> None:
        await inventory.reserve("order:12", 7, later(), issuance_public_id=issued.public_id)
        await lapse("order:12")
        with pytest.raises(Conflict, match=r"credits.reservation_not_held"):
            await inventory.retire("order:12", "李", "offset")
        assert await counters(issued) == (118, 7, 0, 0, 25)  # the sweep tidies the counters up later
        assert await inventory.expire_overdue_reservations() == 1
        assert await counters(issued) == (125, 0, 0, 0, 25)

    @pytest.mark.parametrize(
        "change",
        [{"beneficiary": " "}, {"purpose": "vanity"}, {"beneficiary_shown": "partly"}, {"holder": "buffer_pool"}],
    )
    async def test_refuses_bad_retirement_details(self, issued, change) -> None:
        await inventory.reserve("order:13", 3, later(), issuance_public_id=issued.public_id)
        args = {"beneficiary": "李", "purpose": "trip", **change}
        with pytest.raises(AppError):
            await inventory.retire("order:13", args.pop("beneficiary"), args.pop("purpose"), **args)
        assert (await Reservation.get(reference="order:13")).status == "held"


class TestExpiry:
    async def test_the_sweep_expires_each_reservation_once(self, issued) -> None:
        for n in range(3):
            await inventory.reserve(f"order:e{n}", 10, later(), issuance_public_id=issued.public_id)
        future = datetime.now(UTC) + timedelta(hours=1)
        counts = await asyncio.gather(*(inventory.expire_overdue_reservations(future) for _ in range(4)))
        assert sum(counts) == 3
        assert await counters(issued) == (125, 0, 0, 0, 25)
        assert await Reservation.filter(status="expired").count() == 3
        assert await AuditEvent.filter(action="credits.reservation.expired").count() == 3
        assert (await verify()).ok

    @postgres_only
    async def test_racing_sweeps_release_each_reservation_exactly_once(self, issued) -> None:
        for n in range(10):
            await inventory.reserve(f"order:r{n}", 10, later(), issuance_public_id=issued.public_id)
        future = datetime.now(UTC) + timedelta(hours=1)
        counts = await asyncio.gather(
            *(inventory.expire_overdue_reservations(future) for _ in range(8)), return_exceptions=True
        )
        assert all(isinstance(c, int) for c in counts), counts
        assert sum(counts) == 10  # type: ignore[arg-type]
        assert await counters(issued) == (125, 0, 0, 0, 25)
        assert await AuditEvent.filter(action="credits.reservation.expired").count() == 10
        assert (await verify()).ok


class TestConcurrency:
    @postgres_only
    async def test_fifty_parallel_reservations_take_exactly_what_is_there(self, issued) -> None:
        async def buy(n: int) -> bool:
            try:
                await inventory.reserve(f"order:c{n}", 3, later(), issuance_public_id=issued.public_id)
                return True
            except Conflict:
                return False

        outcomes = await asyncio.gather(*(buy(n) for n in range(50)))
        assert sum(outcomes) == 33  # 100 sellable kg / 3 kg each; the buffer's 25 kg are never sold
        assert await counters(issued) == (26, 99, 0, 0, 25)
        assert (await verify()).ok

    @postgres_only
    async def test_reservations_retirements_releases_and_sweeps_at_once_keep_supply_whole(self, issued) -> None:
        for n in range(20):
            await inventory.reserve(f"order:m{n}", 2, later(), issuance_public_id=issued.public_id)
        for n in range(10, 20):
            await lapse(f"order:m{n}")

        async def attempt(op):  # type: ignore[no-untyped-def]
            try:
                return await op
            except (Conflict, AppError) as refused:
                return refused

        ops = [inventory.retire(f"order:m{n}", "甲", "trip") for n in range(10)]
        ops += [inventory.retire(f"order:m{n}", "乙", "trip") for n in range(5)]  # racing the first retirements
        ops += [inventory.release(f"order:m{n}") for n in range(5, 15)]
        ops += [inventory.expire_overdue_reservations() for _ in range(3)]
        ops += [inventory.reserve(f"order:n{n}", 5, later(), issuance_public_id=issued.public_id) for n in range(20)]
        await asyncio.gather(*(attempt(op) for op in ops))
        assert await Retirement.filter(reservation_ref__startswith="order:m").count() >= 5
        retired_kg = sum(await SerialBlock.filter(status="retired").values_list("quantity", flat=True))
        tradable, reserved, retired, cancelled, _ = await counters(issued)
        assert retired == retired_kg and tradable + reserved + retired + cancelled == 125
        report = await verify()
        assert report.ok, report.problems
