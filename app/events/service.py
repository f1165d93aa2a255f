"""大型活动碳中和: events with a footprint estimate, attendees' and the organiser's offsets, and the count.

Rules:
- an event organiser's staff (Role.EVENT_ORGANISER in an event_organiser, company or foundation
  organisation) register events for their organisation; the estimate is `footprint.event` over the
  inputs given (attendees, days, venue kWh, hotel room-nights, travel mix) with the footprint
  calculator's pinned, sourced factors; version and SHA-256 are stored with the exact kg;
- meals and materials are not estimated: the factor file has no sourced factor for them (docs/events.md);
- an attendee offsets their own travel through an ordinary market order (purpose event), its kg
  recomputed here from the trip with `footprint.trip`, never taken from the attendee; the organiser
  buys the remainder through the market with the organisation as buyer (`money.place_for_organisation`);
  either way one `EventOrder` row links the order to the event in the order's transaction;
- what counts is `EventRetirement`, one row per retired serial block, written inside the fulfilment's
  savepoint (a market linker) or when an attendee offers a certificate they bought; the table is
  UNIQUE on the retirement, so a block counts once and for one event however often it is offered;
- total = sum of those rows' kg (organiser + attendees); the event is neutral only when the total
  reaches ceil(estimate).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec
from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.certificates import service as certificates
from app.core.audit import record
from app.core.auth import Principal, Role
from app.core.db import dialect
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.exports import csv_bytes
from app.core.i18n import t
from app.events import messages  # noqa: F401  (registers the domain's messages)
from app.footprint import service as footprint
from app.footprint.schemas import EventIn, Footprint, TripIn
from app.market import service as market
from app.money import invoices as money
from app.regions import service as regions
from app.settings import Settings
from models.accounts import Organisation, User
from models.credits import Retirement
from models.events import Event, EventOrder, EventRetirement
from models.market import Order

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, no 1/I: read aloud and typed back
CODE_LENGTH = 8
SOURCES = ("attendee", "organiser")
# Retirement purposes an attendee may offer for an event: their trip or an event offset.
OFFERABLE_PURPOSES = ("trip", "event")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_event_code(typed: str) -> str:
    return (typed or "").strip().upper()


def _bad(key: str, field_name: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": field_name}], **params)


# --- events -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventAsk:
    """An event as the organiser describes it, with the inputs of its footprint estimate."""

    name_zh: str
    venue_zh: str
    county_code: str
    starts_on: date
    estimate: EventIn
    name_en: str = ""


async def organiser_of(principal: Principal, organisation_public_id: str | None = None) -> Organisation:
    """The organisation the staff member acts for: the one named, or their only one."""
    mine = principal.orgs_with(Role.EVENT_ORGANISER.value)
    if not mine:
        raise Forbidden("events.not_organiser")
    if organisation_public_id:
        org = await Organisation.get_or_none(public_id=organisation_public_id)
        if org is None or org.id not in mine:
            raise Forbidden("events.not_organiser")
        return org
    if len(mine) > 1:
        raise _bad("events.which_organiser", "organisation")
    return await Organisation.get(id=next(iter(mine)))


def _clean(ask: EventAsk) -> dict[str, Any]:
    name_zh, name_en, venue = ask.name_zh.strip(), ask.name_en.strip(), ask.venue_zh.strip()
    if not 0 < len(name_zh) <= 64 or len(name_en) > 128:
        raise _bad("events.bad_name", "name_zh")
    if not 0 < len(venue) <= 100:
        raise _bad("events.bad_venue", "venue_zh")
    county = regions.county(ask.county_code or "").code
    if not date(2000, 1, 1) <= ask.starts_on <= date(2100, 12, 31):
        raise _bad("events.bad_date", "starts_on")
    return {
        "name_zh": name_zh,
        "name_en": name_en,
        "venue_zh": venue,
        "county_code": county,
        "starts_on": ask.starts_on,
    }


def _estimate_field(refused: AppError) -> AppError:
    """A footprint refusal, its field named as the event form names it (estimate.<field>)."""
    if isinstance(refused.detail, dict) and refused.detail.get("field"):
        refused.detail = {**refused.detail, "field": f"estimate.{refused.detail['field']}"}
    return refused


def estimate_of(inputs: EventIn, lang: str = "zh", version: str | None = None) -> Footprint:
    try:
        return footprint.event(inputs, lang, version)
    except AppError as refused:
        raise _estimate_field(refused) from None


async def register_event(principal: Principal, ask: EventAsk, organisation_public_id: str | None = None) -> Event:
    org = await organiser_of(principal, organisation_public_id)
    values = _clean(ask)
    estimate = estimate_of(ask.estimate)
    inputs = msgspec.to_builtins(ask.estimate)
    for _ in range(5):  # a new random code; a clash (1 in 32⁸ per event) draws again
        try:
            async with in_transaction():
                event = await Event.create(
                    code=new_code(),
                    organisation=org,
                    created_by=principal.user,
                    inputs=inputs,
                    estimate_kg=estimate.kg,
                    estimate_offset_kg=estimate.offset_kg,
                    factor_set_version=estimate.factor_set_version,
                    factor_set_sha256=estimate.factor_set_sha256,
                    **values,
                )
                await record(
                    actor=f"user:{principal.user.public_id}",
                    action="events.event.registered",
                    entity_type="event",
                    entity_id=event.code,
                    after={
                        "organisation": org.public_id,
                        "name_zh": values["name_zh"],
                        "county_code": values["county_code"],
                        "starts_on": values["starts_on"].isoformat(),
                        "inputs": inputs,
                        "estimate_kg": estimate.kg,
                        "estimate_offset_kg": estimate.offset_kg,
                        "factor_set": f"{estimate.factor_set_version} {estimate.factor_set_sha256}",
                    },
                )
            return event
        except IntegrityError:
            continue
    raise Conflict("error.conflict")


async def event_by_code(code: str) -> Event:
    event = await Event.get_or_none(code=normalise_event_code(code)).select_related("organisation")
    if event is None:
        raise NotFound("events.event_not_found", code=(code or "")[:16])
    return event


async def own_event(principal: Principal, code: str) -> Event:
    event = await event_by_code(code)
    if event.organisation_id not in principal.orgs_with(Role.EVENT_ORGANISER.value):  # type: ignore[attr-defined]
        raise Forbidden("events.not_your_event", event=event.code)
    return event


async def events_of(principal: Principal) -> list[Event]:
    org_ids = principal.orgs_with(Role.EVENT_ORGANISER.value)
    if not org_ids:
        raise Forbidden("events.not_organiser")
    return await Event.filter(organisation_id__in=org_ids).select_related("organisation").order_by("-id")


def inputs_of(event: Event) -> EventIn:
    return msgspec.convert(event.inputs, EventIn, strict=False)


def estimate(event: Event, lang: str) -> Footprint:
    """The stored estimate's breakdown, recomputed with the factor set it was made with (same kg)."""
    return footprint.event(inputs_of(event), lang, event.factor_set_version)


def name_of(event: Event, lang: str) -> str:
    return event.name_en if lang == "en" and event.name_en else event.name_zh


@dataclass(frozen=True)
class EventChange:
    """What the organiser changes of an event; None leaves a field as it is."""

    name_zh: str | None = None
    name_en: str | None = None
    venue_zh: str | None = None
    county_code: str | None = None
    starts_on: date | None = None
    estimate: EventIn | None = None
    active: bool | None = None


async def linked(event: Event) -> bool:
    """Whether anything was sold or counted for the event: an order placed for it, or a retirement counted."""
    return await EventOrder.exists(event_id=event.id) or await EventRetirement.exists(event_id=event.id)


async def update_event(principal: Principal, code: str, change: EventChange) -> Event:
    """Change an event of the organiser's organisation; every change is audited.

    Names, venue, county, date and `active` may always change (a correction, a move, a postponement; an
    inactive event takes no new offsets). The estimate may change only while nothing is linked: once an
    order was placed or a certificate counted, it is what attendees and the organiser bought against and what
    "neutral" is measured by, and lowering it afterwards would turn a shortfall into a claim.
    """
    event = await own_event(principal, code)
    values = _clean(
        EventAsk(
            name_zh=event.name_zh if change.name_zh is None else change.name_zh,
            name_en=event.name_en if change.name_en is None else change.name_en,
            venue_zh=event.venue_zh if change.venue_zh is None else change.venue_zh,
            county_code=event.county_code if change.county_code is None else change.county_code,
            starts_on=event.starts_on if change.starts_on is None else change.starts_on,
            estimate=inputs_of(event),
        )
    )
    if change.active is not None:
        values["active"] = change.active
    new_inputs = msgspec.to_builtins(change.estimate) if change.estimate is not None else None
    if change.estimate is not None and new_inputs != event.inputs:
        made = estimate_of(change.estimate)
        values.update(
            inputs=new_inputs,
            estimate_kg=made.kg,
            estimate_offset_kg=made.offset_kg,
            factor_set_version=made.factor_set_version,
            factor_set_sha256=made.factor_set_sha256,
        )
    before = {k: getattr(event, k) for k in values}
    changed = {k: v for k, v in values.items() if before[k] != v}
    if not changed:
        return event
    async with in_transaction():
        # The event row's lock (FOR NO KEY UPDATE, see `_hold_event`) orders this against every link: the
        # organiser's remainder purchase takes the same lock, an attendee's order and a counted certificate take it FOR SHARE (`_hold_event`), so a new
        # estimate and a first link cannot pass each other: a link in flight is waited for and then seen.
        await Event.filter(id=event.id).select_for_update(no_key=True).first()
        if "inputs" in changed and await linked(event):
            raise Conflict("events.estimate_locked", event=event.code, detail=[{"field": "estimate"}])
        await Event.filter(id=event.id).update(**changed)
        await record(
            actor=f"user:{principal.user.public_id}",
            action="events.event.updated",
            entity_type="event",
            entity_id=event.code,
            before=_audited({k: before[k] for k in changed}),
            after=_audited(changed),
        )
    return await event_by_code(event.code)


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


EXPORT_COLUMNS = (
    "code",
    "name_zh",
    "name_en",
    "venue_zh",
    "county_code",
    "starts_on",
    "active",
    "estimate_kg",
    "estimate_offset_kg",
    "retired_kg",
    "organiser_kg",
    "attendee_kg",
    "remaining_kg",
    "neutral",
    "factor_set_version",
    "created_at",
)


async def export_csv(principal: Principal) -> bytes:
    """The organiser's events with their estimate and what was counted, one line each, as UTF-8 CSV with a
    BOM; who exported how many rows goes to the audit chain in the transaction that reads them."""
    async with in_transaction():
        mine, rows = await events_of(principal), []
        for event in mine:
            counted = await totals(event)
            rows.append(
                [
                    event.code,
                    event.name_zh,
                    event.name_en,
                    event.venue_zh,
                    event.county_code,
                    event.starts_on.isoformat(),
                    "yes" if event.active else "no",
                    event.estimate_kg,
                    event.estimate_offset_kg,
                    counted.total,
                    counted.organiser,
                    counted.attendee,
                    max(event.estimate_offset_kg - counted.total, 0),
                    "yes" if neutral(event, counted) else "no",
                    event.factor_set_version,
                    event.created_at.isoformat(),
                ]
            )
        await record(
            actor=f"user:{principal.user.public_id}",
            action="events.exported",
            entity_type="user",
            entity_id=principal.user.public_id,
            after={
                "export": "events",
                "organisations": sorted({e.organisation.public_id for e in mine}),
                "rows": len(rows),
                "format": "csv",
            },
        )
    return csv_bytes(EXPORT_COLUMNS, rows)


# --- buying -----------------------------------------------------------------------------------------
Offer = market.Offer


async def offer_for(settings: Settings, kg: int) -> Offer:
    """The cheapest listing that sells `kg` rounded up to its unit (market.cheapest_offer)."""
    return await market.cheapest_offer(settings, kg, "events.nothing_on_sale")


def _open(event: Event) -> None:
    if not event.active:
        raise Conflict("events.inactive", event=event.name_zh)


_SHARE_EVENT_PG = "SELECT active FROM events_event WHERE id = $1 FOR SHARE"


async def _hold_event(event: Event) -> None:
    """First in a transaction that links something to the event (an attendee's order, a counted certificate):
    lock the event row FOR SHARE until it ends, and check under that lock that the event still takes offsets.

    An edit locks the row FOR NO KEY UPDATE and then looks for links. A link holding the share lock makes the edit wait
    until the link is committed, so it sees it (estimate refused); an edit holding its lock makes the link wait and
    read the row as the edit left it (an event deactivated meanwhile takes no new offset). Links do not wait for
    each other (shares do not conflict). The link row's foreign key takes a KEY SHARE lock on the event too, but
    that one does not conflict with FOR NO KEY UPDATE (a plain UPDATE's lock), and it comes after the order is
    placed: not relied on. SQLite runs one writing transaction at a time, so a read is enough there.
    """
    if dialect() == "postgres":
        rows = await get_connection("default").execute_query_dict(_SHARE_EVENT_PG, [event.id])
        active = bool(rows and rows[0]["active"])
    else:
        row = await Event.get_or_none(id=event.id)
        active = bool(row and row.active)
    if not active:
        raise Conflict("events.inactive", event=event.name_zh)


@dataclass(frozen=True)
class Travel:
    """An attendee's travel to the event as footprinted: what their order buys."""

    data: TripIn
    footprint: Footprint

    def record(self) -> dict[str, Any]:
        return {
            "mode": self.data.mode,
            "distance_km": str(self.data.distance_km) if self.data.distance_km is not None else None,
            "origin": self.data.origin,
            "people": self.data.people,
            "vehicles": self.data.vehicles,
            "return_trip": self.data.return_trip,
            "hotel_nights": self.data.hotel_nights,
            "footprint_kg": self.footprint.kg,
            "offset_kg": self.footprint.offset_kg,
            "factor_set": self.footprint.factor_set_version,
        }


def travel(data: TripIn, lang: str = "zh") -> Travel:
    return Travel(data, footprint.trip(data, lang))


def travel_line(trip: Mapping[str, Any], lang: str) -> str:
    """火车/高铁 360 千米，2 人，往返 (what the certificate and the offset page say)."""
    mode = t(f"footprint.mode.{trip['mode']}", lang)
    km = trip.get("distance_km") or "?"
    return t(
        "events.page.travel_line",
        lang,
        mode=mode,
        km=km,
        people=trip.get("people", 1),
        back=t("events.page.return", lang) if trip.get("return_trip") else "",
    )


async def offset_travel(
    settings: Settings, buyer: User, event: Event, trip: Travel, beneficiary: str, beneficiary_shown: str = "masked"
) -> Order:
    """A market order for an attendee's travel offset (purpose event), linked to the event in one transaction."""
    _open(event)
    offer = await offer_for(settings, trip.footprint.offset_kg)
    note = f"{event.name_zh}（{event.code}）参会出行：" + travel_line(trip.record(), "zh")
    ask = market.OrderAsk(
        listing=offer.listing,
        kg=offer.kg,
        purpose="event",
        beneficiary=beneficiary,
        beneficiary_shown=beneficiary_shown,
        purpose_note=note[:100],
    )
    async with in_transaction():  # place_order's own transaction nests inside: the order and its link, or nothing
        await _hold_event(event)
        order = await market.place_order(settings, buyer, ask)
        await EventOrder.create(order=order, event=event, source="attendee", trip=trip.record())
        await record(
            actor=f"user:{buyer.public_id}",
            action="events.order.linked",
            entity_type="order",
            entity_id=order.public_id,
            after={"event": event.code, "source": "attendee", "kg": offer.kg, "footprint_kg": trip.footprint.kg},
        )
    return order


async def pending_kg(event: Event, source: str | None = None) -> int:
    """kg of the event's orders placed but not yet paid, and still holding their kg."""
    query = EventOrder.filter(event_id=event.id, order__status="pending", order__expires_at__gt=market.now())
    if source:
        query = query.filter(source=source)
    return sum(await query.values_list("order__kg", flat=True))  # type: ignore[arg-type]


async def remainder_kg(event: Event) -> int:
    """What the organiser still has to buy: ceil(estimate) − counted − the organiser's unpaid orders."""
    counted = (await totals(event)).total
    return max(event.estimate_offset_kg - counted - await pending_kg(event, "organiser"), 0)


async def buy_remainder(
    settings: Settings, principal: Principal, code: str, kg: int | None = None, beneficiary_shown: str = "full"
) -> Order:
    """The organiser's order for the remainder (or part of it), with the organisation as buyer."""
    event = await own_event(principal, code)
    _open(event)
    left = await remainder_kg(event)
    if left <= 0:
        raise Conflict("events.nothing_left", detail=[{"field": "kg"}])
    if kg is not None and (isinstance(kg, bool) or not 1 <= kg <= left):
        raise _bad("events.bad_kg", "kg", left=left)
    offer = await offer_for(settings, kg or left)
    org = await Organisation.get(id=event.organisation_id)  # type: ignore[attr-defined]
    ask = market.OrderAsk(
        listing=offer.listing,
        kg=offer.kg,
        purpose="event",
        beneficiary=org.name,
        beneficiary_shown=beneficiary_shown,
        purpose_note=f"{event.name_zh}（{event.code}）主办方碳中和"[:100],
    )
    async with in_transaction():
        # The event row's lock serialises the organiser's orders: two presses at once buy the remainder once
        # (the second, under the lock, sees the first order's kg as pending and is refused or trimmed away).
        # NO KEY: a payment's fulfilment inserts the event's retirement rows, whose foreign key takes KEY SHARE
        # on this row after locking inventory; FOR UPDATE would wait for it while holding what it waits on.
        locked = await Event.filter(id=event.id).select_for_update(no_key=True).first()
        if locked is None or not locked.active:  # deactivated meanwhile
            raise Conflict("events.inactive", event=event.name_zh)
        if offer.kg > await remainder_kg(event):
            raise Conflict("events.nothing_left", detail=[{"field": "kg"}])
        order = await money.place_for_organisation(settings, principal.user, org, ask)
        await EventOrder.create(order=order, event=event, source="organiser")
        await record(
            actor=f"user:{principal.user.public_id}",
            action="events.order.linked",
            entity_type="order",
            entity_id=order.public_id,
            after={"event": event.code, "source": "organiser", "kg": offer.kg, "remainder_kg": left},
        )
    return order


# --- counting retirements -----------------------------------------------------------------------------
async def _link(
    event: Event, retirements: list[Retirement], source: str, order: Order | None, actor: str
) -> list[EventRetirement]:
    """One row per retired block, in the caller's transaction; a block already counted fails on the UNIQUE."""
    rows = []
    for r in retirements:
        rows.append(
            await EventRetirement.create(
                event=event,
                retirement_id=r.id,
                certificate_code=r.certificate_code,
                kg=r.block.quantity,
                source=source,
                order=order,
                linked_by=actor,
            )
        )
    await record(
        actor=actor,
        action="events.retirement.counted",
        entity_type="event",
        entity_id=event.code,
        after={
            "certificate": retirements[0].certificate_code,
            "source": source,
            "kg": sum(r.kg for r in rows),
            "blocks": len(rows),
        },
    )
    return rows


async def _linker(order: Order) -> market.Link | None:
    """An event's order counts its retired blocks toward the event, inside the fulfilment's transaction.

    No event lock here: the order's `EventOrder` row was committed when the order was placed (under
    `_hold_event` or the remainder's lock), so the estimate was fixed before this order could be paid; and an
    order placed before the event was deactivated still counts when paid (counted ones stay)."""
    link = await EventOrder.get_or_none(order_id=order.id).select_related("event")
    if link is None:
        return None

    async def count(retirements: list[Retirement]) -> None:
        if retirements:
            await _link(link.event, retirements, link.source, order, "system:market")

    return market.Link(on_retired=count)


market.register_linker(_linker)


async def offer_certificate(principal: Principal, code: str, typed_certificate: str) -> list[EventRetirement]:
    """An attendee counts a certificate they bought (a trip or event offset) toward the event, once."""
    event = await event_by_code(code)
    _open(event)
    cert = certificates.normalise_code(typed_certificate)
    order = await Order.get_or_none(certificate_code=cert, status="fulfilled") if cert else None
    if order is None or order.buyer_id != principal.user.id:  # type: ignore[attr-defined]
        # Someone else's certificate is answered like an unknown one: a public code is not a claim.
        raise NotFound("events.certificate_not_found", detail=[{"field": "certificate"}])
    retirements = await Retirement.filter(certificate_code=cert).select_related("block").order_by("id")
    if any(r.purpose not in OFFERABLE_PURPOSES for r in retirements):
        raise Conflict("events.certificate_wrong_purpose", detail=[{"field": "certificate"}])
    try:
        async with in_transaction():
            await _hold_event(event)
            return await _link(event, retirements, "attendee", order, f"user:{principal.user.public_id}")
    except IntegrityError:
        first = (
            await EventRetirement.filter(retirement_id__in=[r.id for r in retirements]).select_related("event").first()
        )
        if first is None:
            raise
        if first.event.id == event.id:
            raise Conflict(
                "events.already_counted", detail={"field": "certificate", "event": event.code}, event=event.name_zh
            ) from None
        raise Conflict(
            "events.counted_elsewhere",
            detail={"field": "certificate", "event": first.event.code},
            event=first.event.name_zh,
            code=first.event.code,
        ) from None


@dataclass
class Totals:
    organiser: int = 0
    attendee: int = 0
    certificates: list[tuple[str, str, int]] = field(default_factory=list)  # (code, source, kg), oldest first

    @property
    def total(self) -> int:
        return self.organiser + self.attendee


async def totals(event: Event) -> Totals:
    """Counted kg by source (each retired block once: the rows are unique on the retirement)."""
    out = Totals()
    per_certificate: dict[tuple[str, str], int] = {}
    for code, source, kg in (
        await EventRetirement.filter(event_id=event.id).order_by("id").values_list("certificate_code", "source", "kg")
    ):
        per_certificate[(code, source)] = per_certificate.get((code, source), 0) + int(kg)
        setattr(out, source, getattr(out, source) + int(kg))
    out.certificates = [(code, source, kg) for (code, source), kg in per_certificate.items()]
    return out


def neutral(event: Event, counted: Totals) -> bool:
    """Neutral only when what was retired reaches the estimate: ceil(kg) ≤ total (kg is exact, total whole)."""
    return counted.total >= event.estimate_offset_kg


# --- on the certificate ------------------------------------------------------------------------------
async def certificate_rows(code: str, lang: str) -> list[tuple[str, str]]:
    """The certificate page's lines about the event it counts for."""
    link = await EventRetirement.filter(certificate_code=code).select_related("event").first()
    if link is None:
        return []
    event = link.event
    rows = [
        (t("events.page.certificate_event", lang), f"{name_of(event, lang)} · {event.code}"),
        (t("events.page.certificate_counted", lang), t(f"events.source.{link.source}", lang)),
    ]
    eo = await EventOrder.get_or_none(order_id=link.order_id) if link.order_id else None  # type: ignore[attr-defined]
    if eo is not None and eo.trip:
        rows.append((t("events.page.certificate_travel", lang), travel_line(eo.trip, lang)))
    return rows


certificates.register_page_rows(certificate_rows)
