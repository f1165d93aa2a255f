"""The organiser's dashboard of one campaign: counters and goals, bookings per slot, check-ins per site,
and the CSV exports (bookings per slot; check-ins and planting logs with the people masked), each export
audited.

Only organisers of the campaign's organisation see any of it (the same rule as the check-in QR).
Counters come from the campaign and slot rows; check-ins per site are counted here (an organiser page,
not the public hot path).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count
from tortoise.transactions import in_transaction

from app.campaigns import messages_live as _messages  # noqa: F401  (registers the texts)
from app.campaigns import service
from app.core import audit
from app.core.auth import Principal, Role
from app.core.crypto import mask_name, mask_phone
from app.core.errors import Forbidden
from app.core.exports import csv_bytes
from app.core.i18n import BEIJING, t
from app.planting import service as planting
from models.accounts import User
from models.campaigns import Campaign, CheckIn
from models.planting import PlantingLog

EXPORTS = ("bookings", "checkins", "logs")


async def organised(principal: Principal, slug: str) -> Campaign:
    """The campaign, if the principal is an organiser of its organisation; else 403."""
    c = await service.campaign(slug)
    if c.organisation_id not in principal.orgs_with(Role.ORGANISER.value):  # type: ignore[attr-defined]
        raise Forbidden("campaigns.dashboard.not_organiser", organisation=c.organisation.name)
    return c


@dataclass(frozen=True)
class SlotLine:
    site_key: str
    site_name: str
    slot_id: int
    starts: str  # Beijing time, "2027-03-12 09:00"
    ends: str
    capacity: int
    booked: int


@dataclass(frozen=True)
class SiteLine:
    site_key: str
    site_name: str
    checkins: int


@dataclass(frozen=True)
class Dashboard:
    campaign: Campaign
    goals: list[service.Goal]
    slots: list[SlotLine]
    sites: list[SiteLine]
    # Pending reviews: planting logs waiting for the organiser's decision (app/planting).
    pending_reviews: int
    # Funds raised (fen) and trees approved read the campaign's counters, which donations and
    # planting-log approval move (and then call app.campaigns.live.publish_progress).
    funds_raised_fen: int
    trees_approved: int


def _bj(value: object) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined, no-any-return]


async def dashboard(c: Campaign, lang: str) -> Dashboard:
    views = await service.sites_of(c)
    names = {v.site.id: v.site.name_zh if lang == "zh" else v.site.name_en for v in views}
    counted = dict(
        await CheckIn.filter(booking__campaign_id=c.id)
        .annotate(n=Count("id"))
        .group_by("booking__slot__site_id")
        .values_list("booking__slot__site_id", "n")
    )
    return Dashboard(
        campaign=c,
        goals=service.goals_of(c),
        slots=[
            SlotLine(v.site.key, names[v.site.id], s.id, _bj(s.starts_at), _bj(s.ends_at), s.capacity, s.booked)
            for v in views
            for s in v.slots
        ],
        sites=[SiteLine(v.site.key, names[v.site.id], int(counted.get(v.site.id, 0))) for v in views],
        pending_reviews=await planting.pending_count(c),
        funds_raised_fen=c.fen_raised,
        trees_approved=c.trees_planted,
    )


async def _bookings_rows(c: Campaign, lang: str) -> tuple[list[str], list[list[object]]]:
    board = await dashboard(c, lang)
    header = [t(f"campaigns.dashboard.csv.{k}", lang) for k in ("site", "site_name", "slot", "starts", "ends")]
    header += [t(f"campaigns.dashboard.csv.{k}", lang) for k in ("capacity", "booked", "left")]
    rows: list[list[object]] = [
        [s.site_key, s.site_name, s.slot_id, s.starts, s.ends, s.capacity, s.booked, s.capacity - s.booked]
        for s in board.slots
    ]
    return header, rows


def _person(user: User) -> str:
    """A person as the organiser's exports show them: the masked phone, else the masked nickname."""
    return mask_phone(user.phone_prefix3, user.phone_last4) or (
        mask_name(user.display_name) if user.display_name else "—"
    )


async def _checkins_rows(c: Campaign, lang: str) -> tuple[list[str], list[list[object]]]:
    found = (
        await CheckIn.filter(booking__campaign_id=c.id)
        .order_by("captured_at", "id")
        .prefetch_related("booking__user", "booking__slot__site")
    )
    keys = ("booking", "site", "slot_starts", "checked_in_at", "offline", "distance_m", "person")
    header = [t(f"campaigns.dashboard.csv.{k}", lang) for k in keys]
    rows: list[list[object]] = []
    for done in found:
        b = done.booking
        person = _person(b.user)
        rows.append(
            [
                b.public_id,
                b.slot.site.key,
                _bj(b.slot.starts_at),
                done.captured_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                "1" if done.offline else "0",
                done.distance_m,
                person,
            ]
        )
    return header, rows


async def _logs_rows(c: Campaign, lang: str) -> tuple[list[str], list[list[object]]]:
    """Every planting log of the campaign with its review outcome, the planter masked as on the check-ins."""
    found = await PlantingLog.filter(campaign_id=c.id).order_by("planted_on", "id").prefetch_related("user")
    photos = await planting.photos_of(found)
    keys = ("log", "planted_on", "species", "trees", "status", "photos", "flagged", "reviewed_at", "points", "person")
    header = [t(f"campaigns.dashboard.csv.{k}", lang) for k in keys]
    rows: list[list[object]] = []
    for log in found:
        shot = photos.get(log.id, [])
        rows.append(
            [
                log.public_id,
                log.planted_on.isoformat(),
                service.species_name(log.species, lang),
                log.count,
                t(f"planting.status.{log.status}", lang),
                len(shot),
                sum(1 for p in shot if p.flags),
                log.reviewed_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if log.reviewed_at else "",
                log.points_awarded,
                _person(log.user),
            ]
        )
    return header, rows


_ROWS = {"bookings": _bookings_rows, "checkins": _checkins_rows, "logs": _logs_rows}


async def export_csv(principal: Principal, c: Campaign, what: str, lang: str) -> bytes:
    """One export as UTF-8 CSV with a BOM; who exported what (and how many rows) goes to the audit chain
    in the same transaction that reads the rows."""
    async with in_transaction():
        header, rows = await _ROWS[what](c, lang)
        await audit.record(
            actor=audit.actor_of(principal.user),
            action="campaign.exported",
            entity_type="campaign",
            entity_id=c.slug,
            after={"export": what, "rows": len(rows), "format": "csv"},
        )
    return csv_bytes(header, rows)
