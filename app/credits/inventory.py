"""The inventory other domains call (the market first): reserve, release, retire, and expiry.

Rules, each kept by a lock or one conditional statement, never by read-then-write:
- units are taken only from tradable blocks not held by the buffer pool, under the issuance lock
  (app.credits.blocks), and the supply counters move in the same transaction;
- a reservation's reference is the caller's idempotency key: the same reference with the same request
  returns the first reservation, with another request it is a conflict;
- a reservation is released, retired or expired exactly once (one conditional update of its status),
  and each of its blocks goes back or forward exactly once (one conditional update per block);
- expiry is enforced in SQL by `reserved_until`: a reservation past it can no longer be retired, and
  its blocks are free for the next reservation of that issuance at once; the sweep only tidies up.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core import housekeeping
from app.core.audit import record
from app.core.errors import AppError, Conflict, NotFound
from app.credits import messages  # noqa: F401  (registers the domain's messages)
from app.credits.blocks import InventoryMoved, carve_many, lock_issuances, move_supply, now
from models.credits import BUFFER_POOL, CreditSupply, Issuance, Reservation, Retirement, SerialBlock
from models.registry import Project

MAX_RESERVATION_KG = 10**9
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.\-]{0,63}$")
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread from a printed certificate
PURPOSES = ("trip", "event", "court_case", "planting", "offset", "other")
SHOWN = ("full", "masked", "hidden")


def new_certificate_code() -> str:
    """16 characters of a 32-letter alphabet: 80 random bits."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))


def _check_reference(reference: str) -> None:
    if not _REFERENCE.match(reference or ""):
        raise AppError("credits.bad_reference", detail=[{"field": "reference"}])


def _request_hash(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


async def _candidate_issuances(issuance_public_id: str | None, project_public_id: str | None) -> list[int]:
    """Issuances a reservation may draw from, in ascending id (the lock order, and oldest first)."""
    if issuance_public_id is not None:
        issuance = await Issuance.get_or_none(public_id=issuance_public_id)
        if issuance is None:
            raise NotFound("credits.issuance_not_found")
        return [issuance.id]
    query = CreditSupply.all()
    if project_public_id is not None:
        project = await Project.get_or_none(public_id=project_public_id)
        if project is None:
            raise NotFound("credits.project_not_found")
        query = query.filter(issuance__project_id=project.id)
    # Units of lapsed reservations count as free: they are released under the lock before taking.
    rows = await query.values_list("issuance_id", "tradable", "buffer", "reserved")
    return sorted(issuance_id for issuance_id, tradable, buffer, reserved in rows if tradable > buffer or reserved)


async def _free_lapsed_blocks(issuance_id: int, at: datetime) -> int:
    """Blocks of this (locked) issuance whose reservation has lapsed go back to tradable, each once."""
    lapsed = await SerialBlock.filter(issuance_id=issuance_id, status="reserved", reserved_until__lte=at).values_list(
        "id", "quantity"
    )
    freed = 0
    for block_id, quantity in lapsed:
        if await SerialBlock.filter(id=block_id, status="reserved", reserved_until__lte=at).update(
            status="tradable", reservation_ref=None, reserved_until=None, updated_at=at
        ):
            freed += quantity
    await move_supply(issuance_id, reserved=-freed, tradable=freed)
    return freed


async def _sellable_blocks(issuance_id: int) -> list[SerialBlock]:
    return (
        await SerialBlock.filter(issuance_id=issuance_id, status="tradable")
        .exclude(holder=BUFFER_POOL)
        .order_by("serial_start")
    )


async def reserve(
    reference: str,
    kg: int,
    until: datetime,
    *,
    issuance_public_id: str | None = None,
    project_public_id: str | None = None,
    parts: dict[str, int] | None = None,
) -> Reservation:
    """Hold `kg` tradable units for `reference` until `until`: from one issuance, one project, the oldest,
    or exactly `parts` (issuance public id → kg, summing to `kg`: a market order split over listings).

    Whole blocks are taken first, the last one split if only part of it is needed. Refused, with
    nothing written, when fewer units are free than asked (for `parts`: than any one part asks).
    """
    _check_reference(reference)
    if isinstance(kg, bool) or not isinstance(kg, int) or not 0 < kg <= MAX_RESERVATION_KG:
        raise AppError("credits.bad_kg", detail=[{"field": "kg"}], field="kg", low=1, high=MAX_RESERVATION_KG)
    if parts is not None and (
        issuance_public_id is not None
        or project_public_id is not None
        or not parts
        or any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in parts.values())
        or sum(parts.values()) != kg
    ):
        raise AppError("credits.bad_kg", detail=[{"field": "kg"}], field="kg", low=1, high=MAX_RESERVATION_KG)
    hashed: list[object] = ["reserve", kg, until.isoformat(), issuance_public_id, project_public_id]
    if parts is not None:  # appended only then: a reservation without parts hashes as it always did
        hashed.append(sorted(parts.items()))
    request_hash = _request_hash(*hashed)
    if existing := await Reservation.get_or_none(reference=reference):
        return _replay(existing, request_hash)
    at = now()
    if until <= at:
        raise AppError("credits.until_in_the_past", detail=[{"field": "until"}])
    quota: dict[int, int] | None = None
    if parts is not None:
        ids = dict(await Issuance.filter(public_id__in=list(parts)).values_list("public_id", "id"))
        if len(ids) != len(parts):
            raise NotFound("credits.issuance_not_found")
        quota = {int(ids[p]): k for p, k in parts.items()}  # type: ignore[call-overload]
        candidates = sorted(quota)
    else:
        candidates = await _candidate_issuances(issuance_public_id, project_public_id)
    try:
        async with in_transaction():
            reservation = await Reservation.create(
                reference=reference, kg=kg, reserved_until=until, request_hash=request_hash
            )
            remaining = kg
            taken: dict[str, int] = {}
            for issuance_id in candidates:  # ascending: the lock order
                await lock_issuances([issuance_id])
                await _free_lapsed_blocks(issuance_id, at)
                supply = await CreditSupply.get(issuance_id=issuance_id)
                # With parts, each issuance gives at most its part: one short leaves `remaining` > 0 below,
                # and the whole reservation is refused.
                take = min(remaining if quota is None else quota[issuance_id], supply.tradable - supply.buffer)
                if take <= 0:
                    continue
                issuance = await Issuance.get(id=issuance_id)
                await carve_many(
                    issuance,
                    await _sellable_blocks(issuance_id),
                    take,
                    status="reserved",
                    reservation_ref=reference,
                    reserved_until=until,
                )
                await move_supply(issuance_id, tradable=-take, reserved=take)
                taken[issuance.public_id] = take
                remaining -= take
                if remaining == 0:
                    break
            if remaining:
                raise Conflict("credits.insufficient", requested=kg, available=kg - remaining)
            await record(
                actor="system:credits",
                action="credits.reserved",
                entity_type="reservation",
                entity_id=reference,
                after={"kg": kg, "until": until.isoformat(), "issuances": taken},
            )
            return reservation
    except IntegrityError as lost:
        # A concurrent request with this reference inserted first: answer as its replay (or conflict).
        if existing := await Reservation.get_or_none(reference=reference):
            return _replay(existing, request_hash)
        raise lost


def _replay(existing: Reservation, request_hash: str) -> Reservation:
    if existing.request_hash != request_hash:
        raise Conflict("credits.reference_reused")
    return existing


async def _give_back(reference: str, at: datetime) -> int:
    """The reservation's blocks still reserved go back to tradable, each exactly once."""
    issuance_ids = sorted(await _issuances_of(reference))
    freed = 0
    for issuance_id in issuance_ids:
        await lock_issuances([issuance_id])
        here = 0
        for block in await SerialBlock.filter(issuance_id=issuance_id, reservation_ref=reference, status="reserved"):
            if await SerialBlock.filter(id=block.id, status="reserved", reservation_ref=reference).update(
                status="tradable", reservation_ref=None, reserved_until=None, updated_at=at
            ):
                here += block.quantity
        await move_supply(issuance_id, reserved=-here, tradable=here)
        freed += here
    return freed


async def _issuances_of(reference: str) -> set[int]:
    ids = await SerialBlock.filter(reservation_ref=reference, status="reserved").values_list("issuance_id", flat=True)
    return {int(i) for i in ids}  # type: ignore[call-overload]


@dataclass(frozen=True)
class Released:
    reservation: Reservation
    released_kg: int  # 0 when it had already been released or expired


async def release(reference: str) -> Released:
    """Give a reservation's units back (an order cancelled or unpaid); a second call changes nothing."""
    reservation = await Reservation.get_or_none(reference=reference)
    if reservation is None:
        raise NotFound("credits.reservation_not_found")
    at = now()
    outcome = "released" if reservation.reserved_until > at else "expired"
    async with in_transaction():
        if not await Reservation.filter(id=reservation.id, status="held").update(status=outcome, resolved_at=at):
            current = await Reservation.get(id=reservation.id)
            if current.status == "retired":
                raise Conflict("credits.reservation_retired")
            return Released(current, 0)
        freed = await _give_back(reference, at)
        await record(
            actor="system:credits",
            action=f"credits.reservation.{outcome}",
            entity_type="reservation",
            entity_id=reference,
            before={"status": "held"},
            after={"status": outcome, "kg_back": freed},
        )
    return Released(await Reservation.get(id=reservation.id), freed)


async def expire_overdue_reservations(at: datetime | None = None) -> int:
    """Mark lapsed reservations expired and free what they still hold: each exactly once. Returns how many."""
    at = at or now()
    expired = 0
    overdue = await Reservation.filter(status="held", reserved_until__lte=at).values_list("id", "reference")
    for reservation_id, reference in overdue:
        async with in_transaction():
            # The status condition makes each expiry happen once, whoever else is sweeping.
            if not await Reservation.filter(id=reservation_id, status="held", reserved_until__lte=at).update(
                status="expired", resolved_at=at
            ):
                continue
            freed = await _give_back(reference, at)
            await record(
                actor="system:credits",
                action="credits.reservation.expired",
                entity_type="reservation",
                entity_id=reference,
                before={"status": "held"},
                after={"status": "expired", "kg_back": freed},
            )
            expired += 1
    return expired


housekeeping.register("credits.expire_overdue_reservations", expire_overdue_reservations)


async def retire(
    reference: str,
    beneficiary: str,
    purpose: str,
    *,
    purpose_reference: str = "",
    beneficiary_shown: str = "full",
    holder: str | None = None,
) -> list[Retirement]:
    """Retire every unit a live reservation holds, once; a repeat returns the first retirement."""
    beneficiary = beneficiary.strip()
    if not 0 < len(beneficiary) <= 128:
        raise AppError("credits.bad_beneficiary", detail=[{"field": "beneficiary"}])
    if purpose not in PURPOSES:
        raise AppError("credits.bad_purpose", detail=[{"field": "purpose"}], known=", ".join(PURPOSES))
    if beneficiary_shown not in SHOWN:
        raise AppError("credits.bad_shown", detail=[{"field": "beneficiary_shown"}], known=", ".join(SHOWN))
    if len(purpose_reference) > 128 or (holder is not None and not 0 < len(holder) <= 64) or holder == BUFFER_POOL:
        raise AppError("credits.bad_retirement", detail=[{"field": "purpose_reference"}])
    reservation = await Reservation.get_or_none(reference=reference)
    if reservation is None:
        raise NotFound("credits.reservation_not_found")
    at = now()
    async with in_transaction():
        if not await Reservation.filter(id=reservation.id, status="held", reserved_until__gt=at).update(
            status="retired", resolved_at=at
        ):
            current = await Reservation.get(id=reservation.id)
            if current.status == "retired":
                return await retirements_of(reference)
            status = "expired" if current.status == "held" else current.status
            raise Conflict("credits.reservation_not_held", status=status)
        code = new_certificate_code()
        retired = 0
        for issuance_id in sorted(await _issuances_of(reference)):
            await lock_issuances([issuance_id])  # the blocks are read under the lock
            here = 0
            for block in await SerialBlock.filter(
                issuance_id=issuance_id, reservation_ref=reference, status="reserved", reserved_until__gt=at
            ).order_by("serial_start"):
                changes: dict[str, object] = {"status": "retired", "reserved_until": None, "updated_at": at}
                if holder is not None:
                    changes["holder"] = holder
                if not await SerialBlock.filter(id=block.id, status="reserved", reservation_ref=reference).update(
                    **changes
                ):
                    raise InventoryMoved(f"block {block.id} left reservation {reference}")
                await Retirement.create(
                    block_id=block.id,
                    reservation_ref=reference,
                    beneficiary=beneficiary,
                    beneficiary_shown=beneficiary_shown,
                    purpose=purpose,
                    purpose_reference=purpose_reference.strip(),
                    certificate_code=code,
                    retired_at=at,
                )
                here += block.quantity
            await move_supply(issuance_id, reserved=-here, retired=here)
            retired += here
        if retired != reservation.kg:  # its moment passed while we waited for a lock: it has lapsed
            raise Conflict("credits.reservation_not_held", status="expired")
        await record(
            actor="system:credits",
            action="credits.retired",
            entity_type="reservation",
            entity_id=reference,
            before={"status": "held"},
            after={"status": "retired", "kg": retired, "certificate": code, "purpose": purpose},
        )
    return await retirements_of(reference)


async def retirements_of(reference: str) -> list[Retirement]:
    return await Retirement.filter(reservation_ref=reference).select_related("block").order_by("id")


async def sellable_kg(issuance_public_id: str) -> int:
    """Units of an issuance free to reserve now (lapsed reservations counted as free)."""
    issuance = await Issuance.get_or_none(public_id=issuance_public_id)
    if issuance is None:
        raise NotFound("credits.issuance_not_found")
    supply = await CreditSupply.get(issuance_id=issuance.id)
    lapsed = await SerialBlock.filter(
        issuance_id=issuance.id, status="reserved", reserved_until__lte=now()
    ).values_list("quantity", flat=True)
    return supply.tradable - supply.buffer + sum(int(q) for q in lapsed)  # type: ignore[call-overload]
