"""Moving units between states: the issuance lock, carving a block, and moving supply counters.

Every change to an issuance's blocks happens inside a transaction that first touches the issuance's
supply row with an UPDATE (`lock_issuances`). On PostgreSQL that is a row lock held to the commit, on
SQLite the database write lock, so the blocks read after it cannot change under the caller; every
block change is still a conditional update on the state it expects, and a miss rolls everything back.
Several issuances are always locked in ascending id order, so two transactions never wait on each
other in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import F

from models.credits import CreditSupply, Issuance, SerialBlock

SERIAL_DIGITS = 10  # up to 9,999,999,999 kg (10 Mt) per project, far above any micro-sink
PROJECT_DIGITS = 6


class InventoryMoved(RuntimeError):
    """A block was not in the state the locked read said: a bug, never a user error; rolls back."""


def now() -> datetime:
    return datetime.now(UTC)


def display(issuance: Issuance, start: int, end: int) -> str:
    """The serial string people see: {class}-{county}-{project}-{vintage}-{start}-{end}, zero-padded.

    Derived from stored integers and stored with the block for lookup; nothing ever parses it.
    """
    return (
        f"{issuance.class_code}-{issuance.county_code}-{issuance.project_id:0{PROJECT_DIGITS}d}-"  # type: ignore[attr-defined]
        f"{issuance.vintage}-{start:0{SERIAL_DIGITS}d}-{end:0{SERIAL_DIGITS}d}"
    )


async def lock_issuances(issuance_ids: Iterable[int]) -> None:
    """Take each issuance's supply row lock, in ascending id order."""
    at = now()
    for issuance_id in sorted(set(issuance_ids)):
        await CreditSupply.filter(issuance_id=issuance_id).update(updated_at=at)


async def move_supply(issuance_id: int, **deltas: int) -> None:
    """Move kg between the supply counters of one issuance in one UPDATE (the CHECK keeps the sum)."""
    changes: dict[str, Any] = {}
    for column, delta in deltas.items():
        if delta > 0:
            changes[column] = F(column) + delta
        elif delta < 0:
            changes[column] = F(column) - (-delta)
    if changes:
        await CreditSupply.filter(issuance_id=issuance_id).update(**changes)


async def carve(issuance: Issuance, block: SerialBlock, quantity: int, **new_state: Any) -> SerialBlock:
    """Put the first `quantity` serials of `block` in `new_state`; returns the block now holding them.

    A whole block changes in place. A part splits it: the parent becomes superseded and two children
    exactly cover its range, the head in the new state and the tail as the parent was.
    """
    if not 0 < quantity <= block.quantity:
        raise InventoryMoved(f"cannot take {quantity} from block {block.id} of {block.quantity}")
    if quantity == block.quantity:
        if not await SerialBlock.filter(id=block.id, status=block.status).update(**new_state, updated_at=now()):
            raise InventoryMoved(f"block {block.id} is no longer {block.status}")
        for key, value in new_state.items():
            setattr(block, key, value)
        return block
    if not await SerialBlock.filter(id=block.id, status=block.status).update(status="superseded", updated_at=now()):
        raise InventoryMoved(f"block {block.id} is no longer {block.status}")
    kept = {
        "issuance_id": block.issuance_id,  # type: ignore[attr-defined]
        "status": block.status,
        "holder": block.holder,
        "reservation_ref": block.reservation_ref,
        "reserved_until": block.reserved_until,
        "parent_id": block.id,
    }
    head_end = block.serial_start + quantity - 1
    head = await SerialBlock.create(
        **{**kept, **new_state},
        serial_start=block.serial_start,
        serial_end=head_end,
        quantity=quantity,
        display=display(issuance, block.serial_start, head_end),
    )
    await SerialBlock.create(
        **kept,
        serial_start=head_end + 1,
        serial_end=block.serial_end,
        quantity=block.quantity - quantity,
        display=display(issuance, head_end + 1, block.serial_end),
    )
    return head


async def carve_many(
    issuance: Issuance, blocks: list[SerialBlock], quantity: int, **new_state: Any
) -> list[SerialBlock]:
    """Take `quantity` from `blocks` in order (whole blocks, then a split of the last one)."""
    taken: list[SerialBlock] = []
    remaining = quantity
    for block in blocks:
        if remaining == 0:
            break
        part = min(remaining, block.quantity)
        taken.append(await carve(issuance, block, part, **new_state))
        remaining -= part
    if remaining:
        raise InventoryMoved(f"issuance {issuance.id}: blocks hold {quantity - remaining} of the {quantity} counted")
    return taken
