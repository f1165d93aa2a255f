"""`credits-verify`: recompute every inventory invariant from the blocks and name each breach.

Per issuance: the supply row adds up to the issued quantity; the blocks that are not superseded cover
the issuance's serial range exactly (no overlap, no gap); each superseded block is covered exactly by
its children; block quantities by state equal the supply counters (the buffer counter equals the
tradable blocks held by the buffer pool); reserved blocks belong to a reservation and retired ones
have a retirement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from models.credits import BUFFER_POOL, CreditSupply, Issuance, Reservation, Retirement, SerialBlock

_COUNTED = ("tradable", "reserved", "retired", "cancelled")


@dataclass
class VerifyReport:
    issuances: int = 0
    blocks: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _covers(ranges: list[tuple[int, int, int]], start: int, end: int, what: str) -> list[str]:
    """Problems if the (start, end, block id) ranges do not tile [start, end] exactly."""
    problems = []
    expected = start
    for first, last, block_id in sorted(ranges):
        if first < expected:
            problems.append(f"{what}: block {block_id} [{first}, {last}] overlaps serials before {expected}")
        elif first > expected:
            problems.append(f"{what}: serials [{expected}, {first - 1}] are in no block")
        expected = max(expected, last + 1)
    if expected <= end:
        problems.append(f"{what}: serials [{expected}, {end}] are in no block")
    elif expected > end + 1:
        problems.append(f"{what}: blocks run past the last serial {end} to {expected - 1}")
    return problems


async def verify() -> VerifyReport:
    report = VerifyReport()
    supplies = {s.issuance_id: s for s in await CreditSupply.all()}  # type: ignore[attr-defined]
    blocks_by_issuance: dict[int, list[SerialBlock]] = defaultdict(list)
    for block in await SerialBlock.all().order_by("issuance_id", "serial_start"):
        blocks_by_issuance[block.issuance_id].append(block)  # type: ignore[attr-defined]
        report.blocks += 1
    held: set[str] = set(await Reservation.filter(status="held").values_list("reference", flat=True))  # type: ignore[arg-type]
    retired_blocks: set[int] = set(await Retirement.all().values_list("block_id", flat=True))  # type: ignore[arg-type]
    for issuance in await Issuance.all().order_by("id"):
        report.issuances += 1
        name = f"issuance {issuance.public_id}"
        supply = supplies.get(issuance.id)
        if supply is None:
            report.problems.append(f"{name}: no supply row")
            continue
        counted = {c: getattr(supply, c) for c in _COUNTED}
        if sum(counted.values()) != supply.issued or supply.issued != issuance.quantity:
            report.problems.append(
                f"{name}: supply {counted} sums to {sum(counted.values())}, issued {supply.issued}, "
                f"issuance quantity {issuance.quantity}"
            )
        if min(counted.values()) < 0 or not 0 <= supply.buffer <= supply.tradable:
            report.problems.append(f"{name}: a negative counter or buffer {supply.buffer} outside tradable")
        blocks = blocks_by_issuance.get(issuance.id, [])
        report.problems += _block_problems(issuance, supply, blocks, held, retired_blocks)
    return report


def _block_problems(
    issuance: Issuance, supply: CreditSupply, blocks: list[SerialBlock], held: set[str], retired_blocks: set[int]
) -> list[str]:
    name = f"issuance {issuance.public_id}"
    problems: list[str] = []
    live = [b for b in blocks if b.status != "superseded"]
    problems += _covers(
        [(b.serial_start, b.serial_end, b.id) for b in live], issuance.serial_start, issuance.serial_end, name
    )
    by_status: dict[str, int] = defaultdict(int)
    buffer_tradable = 0
    children: dict[int, list[SerialBlock]] = defaultdict(list)
    for b in blocks:
        if b.quantity != b.serial_end - b.serial_start + 1:
            problems.append(f"{name}: block {b.id} holds {b.quantity} but spans [{b.serial_start}, {b.serial_end}]")
        if b.parent_id is not None:  # type: ignore[attr-defined]
            children[b.parent_id].append(b)  # type: ignore[attr-defined]
        if b.status == "superseded":
            continue
        by_status[b.status] += b.quantity
        if b.status == "tradable" and b.holder == BUFFER_POOL:
            buffer_tradable += b.quantity
        if b.status == "reserved" and b.reservation_ref not in held:
            problems.append(f"{name}: block {b.id} is reserved for {b.reservation_ref}, which holds nothing")
        if b.status == "retired" and b.id not in retired_blocks:
            problems.append(f"{name}: block {b.id} is retired with no retirement record")
    for status in _COUNTED:
        if by_status[status] != getattr(supply, status):
            problems.append(
                f"{name}: {status} blocks hold {by_status[status]} kg, the supply row says {getattr(supply, status)}"
            )
    if buffer_tradable != supply.buffer:
        problems.append(f"{name}: buffer-pool blocks hold {buffer_tradable} kg, the supply row says {supply.buffer}")
    for b in blocks:
        kids = children.get(b.id, [])
        if b.status == "superseded":
            if not kids:
                problems.append(f"{name}: superseded block {b.id} has no children")
            else:
                problems += _covers(
                    [(k.serial_start, k.serial_end, k.id) for k in kids],
                    b.serial_start,
                    b.serial_end,
                    f"{name} split of block {b.id}",
                )
        elif kids:
            problems.append(f"{name}: block {b.id} has children but is {b.status}, not superseded")
    return problems
