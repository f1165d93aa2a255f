"""Reversals: carbon lost on the ground (fire, pests, land conversion) is made good by cancelling units.

The loss is first taken from the project's own unsold units of the affected issuances (newest
issuance first), then, for what was already sold, reserved or retired, from the buffer pool: the
affected issuances' own buffer blocks first, then the rest of the pool, oldest issuance first. If the
pool cannot cover it the whole reversal is refused, saying by how much, and nothing is written. When
the buffer is drawn, the retirements of the affected issuances are flagged so certificates show it.
Everything happens in one transaction holding the locks of every issuance it may touch.
"""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from app.accounts import service as accounts
from app.core.audit import actor_of, record
from app.core.auth import Principal
from app.core.errors import AppError, Conflict, NotFound
from app.credits import messages  # noqa: F401  (registers the domain's messages)
from app.credits.blocks import carve, lock_issuances, move_supply, now
from models.credits import BUFFER_POOL, CreditSupply, Issuance, LossEvent, Retirement, SerialBlock
from models.registry import Project

CAUSES = ("fire", "pests", "land_conversion", "felling", "other")


async def _affected(project: Project, parcel_public_ids: list[str]) -> list[Issuance]:
    """The project's issuances resting on any of the named parcels (all of them when none are named)."""
    issuances = await Issuance.filter(project_id=project.id).order_by("-id")
    if not parcel_public_ids:
        return issuances
    named = set(parcel_public_ids)
    known = {p for i in issuances for p in i.parcel_public_ids}
    if unknown := sorted(named - known):
        raise AppError("credits.loss_parcel_unknown", detail=[{"field": "parcels"}], parcel=unknown[0])
    return [i for i in issuances if named & set(i.parcel_public_ids)]


async def record_loss(
    principal: Principal,
    project_public_id: str,
    cause: str,
    occurred_on: date,
    loss_kg: int,
    *,
    parcel_public_ids: list[str] | None = None,
    note: str = "",
) -> LossEvent:
    """Record a loss of `loss_kg` issued kg on a project and cancel units to cover it."""
    if cause not in CAUSES:
        raise AppError("credits.bad_cause", detail=[{"field": "cause"}], known=", ".join(CAUSES))
    if isinstance(loss_kg, bool) or not isinstance(loss_kg, int) or loss_kg <= 0:
        raise AppError("credits.bad_kg", detail=[{"field": "loss_kg"}], field="loss_kg", low=1, high=10**9)
    project = await Project.get_or_none(public_id=project_public_id)
    if project is None:
        raise NotFound("credits.project_not_found")
    affected = await _affected(project, parcel_public_ids or [])
    if not affected:
        raise Conflict("credits.loss_nothing_issued")
    pool_ids: list[int] = await CreditSupply.filter(buffer__gt=0).values_list("issuance_id", flat=True)  # type: ignore[assignment]
    affected_ids = [i.id for i in affected]
    at = now()
    async with in_transaction():
        await lock_issuances([*affected_ids, *pool_ids])
        losses: list[int] = await LossEvent.filter(project_id=project.id).values_list("loss_kg", flat=True)  # type: ignore[assignment]
        earlier = sum(losses)
        exposure = min(sum(i.owner_kg for i in affected), sum(i.owner_kg for i in await _all(project)) - earlier)
        if loss_kg > exposure:
            raise Conflict("credits.loss_too_large", loss=loss_kg, maximum=max(exposure, 0))

        remaining = loss_kg
        by_id = {i.id: i for i in affected}
        for issuance in affected:  # newest first: its units are the least likely to be sold already
            remaining -= await _cancel(issuance, _unsold(issuance.id), remaining, buffer=False)
            if remaining == 0:
                break
        cancelled_unsold = loss_kg - remaining

        drawn = remaining
        if drawn:
            pool_order = affected_ids + sorted(set(pool_ids) - set(affected_ids))
            pool_blocks: list[int] = await SerialBlock.filter(  # type: ignore[assignment]
                status="tradable", holder=BUFFER_POOL, issuance_id__in=pool_order
            ).values_list("quantity", flat=True)
            in_pool = sum(pool_blocks)
            if in_pool < drawn:
                raise Conflict("credits.buffer_short", needed=drawn, available=in_pool, short=drawn - in_pool)
            for issuance_id in pool_order:
                issuance = by_id.get(issuance_id) or await Issuance.get(id=issuance_id)
                remaining -= await _cancel(issuance, _buffer(issuance_id), remaining, buffer=True)
                if remaining == 0:
                    break

        event = await LossEvent.create(
            public_id=accounts.new_public_id(),
            project=project,
            parcel_public_ids=sorted(set(parcel_public_ids or [])),
            cause=cause,
            occurred_on=occurred_on,
            loss_kg=loss_kg,
            cancelled_unsold_kg=cancelled_unsold,
            buffer_drawn_kg=drawn,
            note=note.strip()[:2000],
            recorded_by=principal.user,
        )
        flagged = 0
        if drawn:
            retired_blocks = await SerialBlock.filter(issuance_id__in=affected_ids, status="retired").values_list(
                "id", flat=True
            )
            flagged = await Retirement.filter(block_id__in=retired_blocks, reversal_id=None).update(
                reversal_id=event.id
            )
        await record(
            actor=actor_of(principal.user),
            action="credits.reversed",
            entity_type="loss_event",
            entity_id=event.public_id,
            after={
                "project": project.public_id,
                "cause": cause,
                "occurred_on": occurred_on.isoformat(),
                "loss_kg": loss_kg,
                "cancelled_unsold_kg": cancelled_unsold,
                "buffer_drawn_kg": drawn,
                "issuances": [i.public_id for i in affected],
                "retirements_flagged": flagged,
                "at": at.isoformat(),
            },
        )
    return event


async def _all(project: Project) -> list[Issuance]:
    return await Issuance.filter(project_id=project.id)


def _unsold(issuance_id: int):  # type: ignore[no-untyped-def]
    return (
        SerialBlock.filter(issuance_id=issuance_id, status="tradable")
        .exclude(holder=BUFFER_POOL)
        .order_by("serial_start")
    )


def _buffer(issuance_id: int):  # type: ignore[no-untyped-def]
    return SerialBlock.filter(issuance_id=issuance_id, status="tradable", holder=BUFFER_POOL).order_by("serial_start")


async def _cancel(issuance: Issuance, blocks_query, wanted: int, *, buffer: bool) -> int:  # type: ignore[no-untyped-def]
    """Cancel up to `wanted` kg of the (locked) issuance's blocks; returns how many were cancelled."""
    cancelled = 0
    for block in await blocks_query:
        if cancelled == wanted:
            break
        part = min(wanted - cancelled, block.quantity)
        await carve(issuance, block, part, status="cancelled")
        cancelled += part
    if cancelled:
        await move_supply(issuance.id, tradable=-cancelled, cancelled=cancelled, buffer=-cancelled if buffer else 0)
    return cancelled
