"""Campaign rules: validating a campaign (file or API), upserting it by slug with an audit record, the
public views from counters, and booking / cancelling a slot by conditional updates.

Booking is write-first (STACK.md §1): one `UPDATE campaign_slot SET booked = booked + 1 WHERE id = ?
AND booked < capacity AND ends_at > now` takes a place or takes none, so a hundred people racing for
twenty places get exactly twenty; the (slot, user) unique key refuses a second booking and rolls the
place back with the rest of the transaction. Cancelling flips booked → cancelled by one conditional
update, so a place goes back exactly once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.accounts import service as accounts
from app.campaigns import live
from app.campaigns import messages as _messages  # noqa: F401  (registers the texts)
from app.campaigns.files import Problem
from app.campaigns.schemas import CampaignIn, SiteIn
from app.core import audit
from app.core.auth import Principal, Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING, t
from app.methodology import service as methodology
from app.regions import service as regions
from models.accounts import Organisation, User
from models.campaigns import Booking, Campaign, CheckIn, Site, Slot

DEMO_MARK = "【演示】"
RESERVED_SLUGS = frozenset({"bookings", "slots"})  # path segments of the campaigns API
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)  # west, south, east, north: a sanity box, not a border
MAX_CAPACITY = 100_000
MAX_RADIUS_M = 5000
SPECIES_METHODOLOGY = "SC-LCP-AFF"  # its tree.* rows are the tree species keys
BAMBOO_SPECIES = ("moso", "other")  # SC-LCP-BAM's species choices (app/methodology/schemas.py BambooIn)


# --- species -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def species_catalogue() -> dict[str, tuple[str, str]]:
    """Species keys a campaign may name → (zh name, en name): tree.<key> from the methodology's
    current parameter file, bamboo.<key> from the bamboo calculator's choices."""
    found: dict[str, tuple[str, str]] = {}
    for key, name_zh, name_sci in methodology.methodology(SPECIES_METHODOLOGY).species:
        found[f"tree.{key}"] = (name_zh, name_sci)
    for key in BAMBOO_SPECIES:
        label = f"methodology.field.bamboo_species.{key}"
        found[f"bamboo.{key}"] = (t(label, "zh"), t(label, "en"))
    return found


def species_name(key: str, lang: str) -> str:
    zh, en = species_catalogue().get(key, (key, key))
    return zh if lang == "zh" else en


# --- validation --------------------------------------------------------------------------------------


def _beijing(value: datetime) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _site_problems(index: int, site: SiteIn, data: CampaignIn) -> list[Problem]:
    at = f"sites[{index}]"
    found = []
    west, south, east, north = CHINA_BOUNDS
    if not (west <= site.lon <= east and south <= site.lat <= north):
        found.append(Problem(f"{at}.lon", "campaigns.site_position", {"lon": site.lon, "lat": site.lat}))
    region = regions.region(site.county)
    if region is None or not region.is_county_level:
        found.append(Problem(f"{at}.county", "regions.not_a_county", {"code": site.county}))
    if not 1 <= site.checkin_radius_m <= MAX_RADIUS_M:
        found.append(Problem(f"{at}.checkin_radius_m", "campaigns.site_radius", {"value": site.checkin_radius_m}))
    ordered = []
    for j, slot in enumerate(site.slots):
        where = f"{at}.slots[{j}]"
        if not 0 < slot.capacity <= MAX_CAPACITY:
            found.append(Problem(f"{where}.capacity", "campaigns.slot_capacity", {"value": slot.capacity}))
        if slot.ends <= slot.starts:
            found.append(
                Problem(
                    f"{where}.ends",
                    "campaigns.slot_times",
                    {"starts": _beijing(slot.starts), "ends": _beijing(slot.ends)},
                )
            )
            continue
        first, last = slot.starts.astimezone(BEIJING).date(), slot.ends.astimezone(BEIJING).date()
        if first < data.starts_on or last > data.ends_on:
            params = {"starts": _beijing(slot.starts), "first": data.starts_on, "last": data.ends_on}
            found.append(Problem(f"{where}.starts", "campaigns.slot_outside_dates", params))
        ordered.append((slot.starts, slot.ends, j))
    ordered.sort()
    for (starts, ends, j), (next_starts, _, k) in pairwise(ordered):
        if next_starts < ends:
            other = f"{at}.slots[{j}] {_beijing(starts)}–{_beijing(ends)}"
            found.append(Problem(f"{at}.slots[{k}].starts", "campaigns.slot_overlap", {"other": other}))
    return found


def problems(data: CampaignIn) -> list[Problem]:
    """Everything wrong with a campaign that needs no database, each with its field path."""
    found: list[Problem] = []
    if data.slug in RESERVED_SLUGS:
        found.append(Problem("slug", "campaigns.slug_reserved", {"slug": data.slug}))
    demo_slug, demo_title = data.slug.startswith("demo-"), DEMO_MARK in data.title_zh
    if not (data.demo == demo_slug == demo_title):
        found.append(Problem("demo", "campaigns.demo_marking"))
    if data.ends_on < data.starts_on:
        found.append(Problem("ends_on", "campaigns.dates_order", {"starts": data.starts_on, "ends": data.ends_on}))
    goals = {"trees": data.goals.trees, "kg": data.goals.kg, "fen": data.goals.fen}
    if all(v is None for v in goals.values()):
        found.append(Problem("goals", "campaigns.goal_missing"))
    for name, value in goals.items():
        if value is not None and value <= 0:
            found.append(Problem(f"goals.{name}", "campaigns.goal_positive", {"value": value}))
    if not data.modes:
        found.append(Problem("modes", "campaigns.modes_empty"))
    for mode in {m for m in data.modes if data.modes.count(m) > 1}:
        found.append(Problem("modes", "campaigns.mode_duplicate", {"mode": mode}))
    price = data.donation_fen_per_tree
    if ("donate" in data.modes) != (price is not None) or (price is not None and price <= 0):
        found.append(Problem("donation_fen_per_tree", "campaigns.donation_price"))
    known = species_catalogue()
    for i, key in enumerate(data.species):
        if key not in known:
            found.append(
                Problem(f"species[{i}]", "campaigns.species_unknown", {"species": key, "options": ", ".join(known)})
            )
        elif data.species.index(key) != i:
            found.append(Problem(f"species[{i}]", "campaigns.species_duplicate", {"species": key}))
    if "plant" in data.modes and not data.species:
        found.append(Problem("species", "campaigns.species_missing"))
    if {"plant", "tend", "volunteer"} & set(data.modes) and not data.sites:
        found.append(Problem("sites", "campaigns.sites_missing"))
    keys: set[str] = set()
    for i, site in enumerate(data.sites):
        if site.key in keys:
            found.append(Problem(f"sites[{i}].key", "campaigns.site_duplicate", {"key": site.key}))
        keys.add(site.key)
        found += _site_problems(i, site, data)
    return found


def invalid(found: list[Problem]) -> AppError:
    """The API's 400 for a campaign with problems: the first in the message, all in `detail`."""
    detail = [
        {"field": p.field, "code": p.key, "message": p.message("zh"), "message_en": p.message("en")} for p in found
    ]
    return AppError(
        "campaigns.invalid", count=len(found), first=f"{found[0].field}: {found[0].message('zh')}", detail=detail
    )


# --- upsert ------------------------------------------------------------------------------------------


def _snapshot(campaign: Campaign, sites: Iterable[tuple[Site, list[Slot]]]) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "title_zh": campaign.title_zh,
        "title_en": campaign.title_en,
        "organisation_id": campaign.organisation_id,  # type: ignore[attr-defined]
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "goals": {"trees": campaign.goal_trees, "kg": campaign.goal_kg, "fen": campaign.goal_fen},
        "modes": campaign.modes,
        "donation_fen_per_tree": campaign.donation_fen_per_tree,
        "species": campaign.species,
        "demo": campaign.is_demo,
        "story_sha256": hashlib.sha256((campaign.story_zh + "\n" + campaign.story_en).encode()).hexdigest(),
        "sites": [
            {
                "key": site.key,
                "name_zh": site.name_zh,
                "lon": site.lon,
                "lat": site.lat,
                "county": site.county_code,
                "radius_m": site.checkin_radius_m,
                "window": [site.checkin_opens_min, site.checkin_closes_min],
                "slots": [[audit.iso_utc(s.starts_at), audit.iso_utc(s.ends_at), s.capacity] for s in slots],
            }
            for site, slots in sites
        ],
    }


async def _current(campaign: Campaign) -> list[tuple[Site, list[Slot]]]:
    sites = await Site.filter(campaign_id=campaign.id).order_by("id")
    slots = await Slot.filter(site_id__in=[s.id for s in sites]).order_by("starts_at", "id")
    return [(site, [s for s in slots if s.site_id == site.id]) for site in sites]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class UpsertResult:
    campaign: Campaign
    outcome: str  # created | updated | unchanged


async def _sync_slots(site: Site, wanted: SiteIn) -> None:
    existing = {s.starts_at: s for s in await Slot.filter(site_id=site.id)}
    wanted_starts = set()
    for slot in wanted.slots:
        starts, ends = slot.starts.astimezone(UTC), slot.ends.astimezone(UTC)
        wanted_starts.add(starts)
        row = existing.get(starts)
        if row is None:
            await Slot.create(site_id=site.id, starts_at=starts, ends_at=ends, capacity=slot.capacity)
            continue
        # Write first: the capacity changes only if the places already taken still fit.
        changed = await Slot.filter(id=row.id, booked__lte=slot.capacity).update(capacity=slot.capacity, ends_at=ends)
        if not changed:
            fresh = await Slot.get(id=row.id)
            raise Conflict(
                "campaigns.slot_capacity_below_booked",
                site=site.key,
                starts=_beijing(starts),
                booked=fresh.booked,
                capacity=slot.capacity,
            )
    for starts, row in existing.items():
        if starts not in wanted_starts:
            if await Booking.filter(slot_id=row.id).exists():
                raise Conflict("campaigns.slot_has_bookings", site=site.key, starts=_beijing(starts))
            await row.delete()


async def upsert(data: CampaignIn, *, actor: str, digest: str, source_file: str | None) -> UpsertResult:
    """Create or update the campaign `data.slug` (in the caller's transaction), audited before → after.

    The caller has checked `problems(data)`. An unchanged digest changes nothing and records nothing.
    """
    organisation = await Organisation.get_or_none(public_id=data.organiser)
    if organisation is None:
        raise AppError("campaigns.organiser_unknown", organiser=data.organiser, detail=[{"field": "organiser"}])
    campaign = await Campaign.filter(slug=data.slug).select_for_update().first()
    if campaign is not None and campaign.file_sha256 == digest and campaign.organisation_id == organisation.id:  # type: ignore[attr-defined]
        return UpsertResult(campaign, "unchanged")
    before = _snapshot(campaign, await _current(campaign)) if campaign else None
    values: dict[str, Any] = {
        "title_zh": data.title_zh,
        "title_en": data.title_en,
        "story_zh": data.story_zh,
        "story_en": data.story_en,
        "organisation_id": organisation.id,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "goal_trees": data.goals.trees,
        "goal_kg": data.goals.kg,
        "goal_fen": data.goals.fen,
        "modes": list(data.modes),
        "donation_fen_per_tree": data.donation_fen_per_tree,
        "species": list(data.species),
        "is_demo": data.demo,
        "source_file": source_file,
        "file_sha256": digest,
    }
    if campaign is None:
        campaign = await Campaign.create(slug=data.slug, **values)
    else:
        await Campaign.filter(id=campaign.id).update(**values)
        campaign = await Campaign.get(id=campaign.id)
    existing = {s.key: s for s in await Site.filter(campaign_id=campaign.id)}
    for wanted in data.sites:
        site_values: dict[str, Any] = {
            "name_zh": wanted.name_zh,
            "name_en": wanted.name_en,
            "lon": wanted.lon,
            "lat": wanted.lat,
            "county_code": wanted.county,
            "checkin_radius_m": wanted.checkin_radius_m,
            "checkin_opens_min": wanted.checkin_window.opens_minutes_before,
            "checkin_closes_min": wanted.checkin_window.closes_minutes_after,
        }
        site = existing.get(wanted.key)
        if site is None:
            site = await Site.create(campaign_id=campaign.id, key=wanted.key, **site_values)
        else:
            await Site.filter(id=site.id).update(**site_values)
        await _sync_slots(site, wanted)
    for key, site in existing.items():
        if key not in {w.key for w in data.sites}:
            slot_ids = await Slot.filter(site_id=site.id).values_list("id", flat=True)
            if await Booking.filter(slot_id__in=list(slot_ids)).exists():
                raise Conflict("campaigns.site_has_bookings", site=key)
            await Slot.filter(site_id=site.id).delete()
            await site.delete()
    after = _snapshot(campaign, await _current(campaign))
    outcome = "created" if before is None else "updated"
    await audit.record(
        actor=actor,
        action=f"campaign.{outcome}",
        entity_type="campaign",
        entity_id=campaign.slug,
        before=before,
        after={**after, "source": source_file or "api", "sha256": digest},
    )
    return UpsertResult(campaign, outcome)


async def upsert_from_api(principal: Principal, slug: str, data: CampaignIn, digest: str) -> UpsertResult:
    """The organiser API: the same structure and rules as a file; only organisers of the organisation
    named (and of the campaign's current organisation) may write it."""
    if slug != data.slug:
        raise AppError("campaigns.slug_path_mismatch", path=slug, slug=data.slug, detail=[{"field": "slug"}])
    found = problems(data)
    if found:
        raise invalid(found)
    mine = principal.orgs_with(Role.ORGANISER.value)
    async with in_transaction():
        organisation = await Organisation.get_or_none(public_id=data.organiser)
        if organisation is None:
            raise AppError("campaigns.organiser_unknown", organiser=data.organiser, detail=[{"field": "organiser"}])
        if organisation.id not in mine:
            raise Forbidden("campaigns.not_organiser", organisation=organisation.name)
        current = await Campaign.get_or_none(slug=slug).prefetch_related("organisation")
        if current is not None and current.organisation_id not in mine:  # type: ignore[attr-defined]
            raise Forbidden("campaigns.not_organiser", organisation=current.organisation.name)
        return await upsert(data, actor=audit.actor_of(principal.user), digest=digest, source_file=None)


# --- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    goal: str
    target: int
    reached: int

    @property
    def percent(self) -> int:
        return min(100, self.reached * 100 // self.target)


def goals_of(campaign: Campaign) -> list[Goal]:
    """Progress against each goal, from the counters on the campaign row (never a COUNT)."""
    rows = [
        ("trees", campaign.goal_trees, campaign.trees_planted),
        ("kg", campaign.goal_kg, campaign.kg_removed),
        ("fen", campaign.goal_fen, campaign.fen_raised),
    ]
    return [Goal(name, target, reached) for name, target, reached in rows if target]


async def campaigns() -> list[Campaign]:
    """Every campaign, current and coming first, demo ones after real ones."""
    rows = await Campaign.all().prefetch_related("organisation")
    today = datetime.now(BEIJING).date()
    return sorted(rows, key=lambda c: (c.is_demo, c.ends_on < today, c.starts_on, c.slug))


async def campaign(slug: str) -> Campaign:
    # One round trip (a join), not two: the public page is the hot path (bench/campaign_page.py).
    found = await Campaign.filter(slug=slug).select_related("organisation").first()
    if found is None:
        raise NotFound("campaigns.not_found")
    return found


@dataclass(frozen=True)
class SiteView:
    site: Site
    slots: list[Slot]


async def sites_of(campaign: Campaign) -> list[SiteView]:
    return [SiteView(site, slots) for site, slots in await _current(campaign)]


async def site_of(campaign: Campaign, key: str) -> Site:
    site = await Site.get_or_none(campaign_id=campaign.id, key=key)
    if site is None:
        raise NotFound("campaigns.site_not_found")
    return site


# --- bookings ----------------------------------------------------------------------------------------


async def book(user: User, slot_id: int, *, now: datetime | None = None) -> Booking:
    """Take one place in the slot for the user, or refuse (full, over, already booked). The booking comes
    with its slot, the slot's site and the campaign loaded."""
    now = now or datetime.now(UTC)
    try:
        async with in_transaction():
            taken = await Slot.filter(id=slot_id, booked__lt=F("capacity"), ends_at__gt=now).update(
                booked=F("booked") + 1
            )
            slot = await Slot.get_or_none(id=slot_id).select_related("site__campaign")
            if slot is None:
                raise NotFound("campaigns.slot_not_found")
            if not taken:
                if slot.ends_at <= now:
                    raise Conflict("campaigns.slot_over")
                raise Conflict("campaigns.slot_full", capacity=slot.capacity)
            campaign_id = slot.site.campaign_id  # type: ignore[attr-defined]
            # A cancelled booking of the same slot comes back to life rather than a second row.
            revived = await Booking.filter(slot_id=slot_id, user_id=user.id, status="cancelled").update(status="booked")
            if revived:
                booking = await Booking.get(slot_id=slot_id, user_id=user.id)
            else:
                booking = await Booking.create(
                    public_id=accounts.new_public_id(), slot_id=slot_id, campaign_id=campaign_id, user_id=user.id
                )
            await Campaign.filter(id=campaign_id).update(bookings_count=F("bookings_count") + 1)
            # The slot, site and campaign just read go with the answer: the caller need not read them again.
            booking.slot, booking.campaign = slot, slot.site.campaign
            await audit.record(
                actor=audit.actor_of(user),
                action="campaign.booking.booked",
                entity_type="campaign_booking",
                entity_id=booking.public_id,
                before={"status": "cancelled"} if revived else None,
                after={"status": "booked", "slot_id": slot_id, "campaign_id": campaign_id},
            )
    except IntegrityError:
        # (slot, user) is unique: this person already holds the slot; the place taken above rolled back.
        raise Conflict("campaigns.already_booked") from None
    await live.publish_progress(campaign_id)  # committed: tell the live pages (never raises)
    return booking


async def my_booking(user: User, public_id: str) -> Booking:
    booking = await Booking.get_or_none(public_id=public_id, user_id=user.id).prefetch_related("slot__site", "campaign")
    if booking is None:
        raise NotFound("campaigns.booking_not_found")
    return booking


async def cancel(user: User, public_id: str) -> Booking:
    """Give the place back, exactly once: only a booked booking flips to cancelled."""
    async with in_transaction():
        flipped = await Booking.filter(public_id=public_id, user_id=user.id, status="booked").update(status="cancelled")
        booking = await my_booking(user, public_id)
        if not flipped:
            raise Conflict("campaigns.booking_not_cancellable", status=t(f"campaigns.status.{booking.status}"))
        await Slot.filter(id=booking.slot_id, booked__gt=0).update(booked=F("booked") - 1)  # type: ignore[attr-defined]
        await Campaign.filter(id=booking.campaign_id, bookings_count__gt=0).update(  # type: ignore[attr-defined]
            bookings_count=F("bookings_count") - 1
        )
        await audit.record(
            actor=audit.actor_of(user),
            action="campaign.booking.cancelled",
            entity_type="campaign_booking",
            entity_id=public_id,
            before={"status": "booked"},
            after={"status": "cancelled"},
        )
    await live.publish_progress(booking.campaign_id)  # type: ignore[attr-defined]  # committed: tell the live pages
    return booking


async def bookings_of(user: User, campaign: Campaign | None = None) -> list[tuple[Booking, CheckIn | None]]:
    """The user's bookings (of one campaign or all), soonest slot first, with their check-ins."""
    query = Booking.filter(user_id=user.id)
    if campaign is not None:
        query = query.filter(campaign_id=campaign.id)
    rows = await query.prefetch_related("slot__site", "campaign")
    checkins = {c.booking_id: c for c in await CheckIn.filter(booking_id__in=[b.id for b in rows])}  # type: ignore[attr-defined]
    rows.sort(key=lambda b: (b.status == "cancelled", b.slot.starts_at))
    return [(b, checkins.get(b.id)) for b in rows]


# --- personal data -----------------------------------------------------------------------------------


async def _export(user: User) -> list[dict[str, Any]]:
    """The person's bookings and check-ins (with the position their phone sent) for the data export."""
    return [
        {
            "booking": b.public_id,
            "campaign": b.campaign.slug,
            "site": b.slot.site.key,
            "slot_starts_at": b.slot.starts_at.isoformat(),
            "status": b.status,
            "booked_at": b.created_at.isoformat(),
            "check_in": None
            if done is None
            else {
                "captured_at": done.captured_at.isoformat(),
                "lon": done.lon,
                "lat": done.lat,
                "distance_m": done.distance_m,
                "offline": done.offline,
            },
        }
        for b, done in await bookings_of(user)
    ]


async def _erase(user: User) -> None:
    """Account deletion: forget where the phone was at check-in; bookings and counts stay (they are the
    campaign's record, tied only to the anonymised account)."""
    booking_ids = await Booking.filter(user_id=user.id).values_list("id", flat=True)
    await CheckIn.filter(booking_id__in=list(booking_ids)).update(lon=None, lat=None)


privacy.register_exporter("campaigns", _export)
privacy.register_eraser("campaigns", _erase)
