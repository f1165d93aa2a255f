"""Public serial lookup: any serial → its block, issuance, project, parcels, methodology and retirement.

Two spellings are accepted, and neither is parsed for meaning:
- a block's display string, exactly as printed (`AFF-510112-000042-2026-0000000001-0000000500`),
  found by equality on the stored string (a superseded block is shown with its children);
- `{issuance public id}:{serial number}`, one unit: the live block of that issuance holding it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.errors import NotFound
from models.credits import Issuance, LossEvent, Retirement, SerialBlock

MAX_SERIAL_LENGTH = 96


@dataclass(frozen=True)
class SerialView:
    asked: str
    unit: int | None  # the one serial asked for in the issuance:number spelling
    block: SerialBlock
    issuance: Issuance
    retirement: Retirement | None
    reversal: LossEvent | None
    children: list[SerialBlock]


def shown_beneficiary(retirement: Retirement) -> str | None:
    """The beneficiary as the buyer chose to show it: in full, masked (张*), or not at all."""
    if retirement.beneficiary_shown == "full":
        return retirement.beneficiary
    if retirement.beneficiary_shown == "masked":
        name = retirement.beneficiary
        return name[0] + "*" * min(max(len(name) - 1, 1), 6)
    return None


async def _find(serial: str) -> SerialBlock | None:
    issuance_id, sep, number = serial.rpartition(":")
    if sep:
        if not number.isdigit() or not issuance_id:
            return None
        return (
            await SerialBlock.filter(
                issuance__public_id=issuance_id, serial_start__lte=int(number), serial_end__gte=int(number)
            )
            .exclude(status="superseded")
            .select_related("issuance__project")
            .first()
        )
    return await SerialBlock.get_or_none(display=serial).select_related("issuance__project")


async def lookup(serial: str) -> SerialView:
    asked = serial.strip()
    block = await _find(asked) if 0 < len(asked) <= MAX_SERIAL_LENGTH else None
    if block is None:
        raise NotFound("credits.serial_not_found")
    retirement = reversal = None
    if block.status == "retired":
        retirement = await Retirement.get_or_none(block_id=block.id).select_related("reversal")
        reversal = retirement.reversal if retirement else None
    children: list[SerialBlock] = []
    if block.status == "superseded":
        children = await SerialBlock.filter(parent_id=block.id).order_by("serial_start")
    _, sep, number = asked.rpartition(":")
    unit = int(number) if sep else None
    return SerialView(asked, unit, block, block.issuance, retirement, reversal, children)  # type: ignore[arg-type]


async def issuance_view(public_id: str) -> tuple[Issuance, Any, list[SerialBlock]]:
    """An issuance with its supply row and its live blocks, in serial order."""
    issuance = await Issuance.get_or_none(public_id=public_id).select_related("project", "supply")
    if issuance is None:
        raise NotFound("credits.issuance_not_found")
    blocks = (
        await SerialBlock.filter(issuance_id=issuance.id)
        .exclude(status="superseded")
        .order_by("serial_start")
        .limit(500)
    )
    return issuance, issuance.supply, blocks  # type: ignore[attr-defined]
