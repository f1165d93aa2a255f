"""Campaigns: the public pages and JSON mirrors, booking and check-in for citizens, the organiser's
campaign upsert and check-in QR."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, PathParameter, URLEncodedBody
from litestar.response import Redirect, Response, Template

from app.campaigns import checkin, service
from app.campaigns import poster as posters
from app.campaigns.schemas import (
    BookForm,
    BookingOut,
    CampaignIn,
    CampaignOut,
    CampaignSummaryOut,
    CancelForm,
    CheckInIn,
    CheckInOut,
    CheckInTokenOut,
    ProgressOut,
    SiteOut,
    SlotOut,
    SpeciesOut,
)
from app.certificates.service import qr_svg
from app.core.auth import Principal, Role, principal_of, require_principal, requires
from app.core.db import DB_INT_MAX
from app.core.errors import AppError, Forbidden
from app.core.i18n import BEIJING, request_language
from app.core.pages import page
from app.donations import service as donations
from app.planting import service as planting
from app.regions import service as regions
from app.settings import Settings
from app.teams import board as team_boards
from models.campaigns import Booking, Campaign, CheckIn, Site, Slot

# Bookings, cancellations and check-ins move a campaign's counters and places left, nothing else publicly
# cached (app/core/public_cache.py).
CAMPAIGN_COUNTERS = {"public_changes": ("campaigns",)}


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _title(c: Campaign, lang: str) -> str:
    return c.title_zh if lang == "zh" else c.title_en


def _progress(c: Campaign) -> list[ProgressOut]:
    return [ProgressOut(g.goal, g.target, g.reached, g.percent) for g in service.goals_of(c)]


def summary_out(c: Campaign, lang: str) -> CampaignSummaryOut:
    return CampaignSummaryOut(
        slug=c.slug,
        title=_title(c, lang),
        organiser=c.organisation.name,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        demo=c.is_demo,
        bookings=c.bookings_count,
        checkins=c.checkins_count,
        progress=_progress(c),
        page=f"/campaigns/{c.slug}",
    )


def slot_out(s: Slot) -> SlotOut:
    return SlotOut(s.id, s.starts_at, s.ends_at, s.capacity, s.booked, s.capacity - s.booked)


def site_out(site: Site, slots: list[Slot], lang: str) -> SiteOut:
    return SiteOut(
        key=site.key,
        name=site.name_zh if lang == "zh" else site.name_en,
        lon=site.lon,
        lat=site.lat,
        county_code=site.county_code,
        county_name=regions.full_name(site.county_code),
        checkin_radius_m=site.checkin_radius_m,
        checkin_opens_minutes_before=site.checkin_opens_min,
        checkin_closes_minutes_after=site.checkin_closes_min,
        slots=[slot_out(s) for s in slots],
    )


async def campaign_out(c: Campaign, lang: str) -> CampaignOut:
    sites = await service.sites_of(c)
    return CampaignOut(
        slug=c.slug,
        title=_title(c, lang),
        story=c.story_zh if lang == "zh" else c.story_en,
        organiser=c.organisation.name,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        demo=c.is_demo,
        modes=list(c.modes),
        donation_fen_per_tree=c.donation_fen_per_tree,
        species=[SpeciesOut(k, service.species_name(k, lang)) for k in c.species],
        bookings=c.bookings_count,
        checkins=c.checkins_count,
        progress=_progress(c),
        sites=[site_out(v.site, v.slots, lang) for v in sites],
        page=f"/campaigns/{c.slug}",
    )


def booking_out(b: Booking, done: CheckIn | None) -> BookingOut:
    return BookingOut(
        id=b.public_id,
        campaign=b.campaign.slug,
        site=b.slot.site.key,
        slot_id=b.slot.id,
        starts_at=b.slot.starts_at,
        ends_at=b.slot.ends_at,
        status=b.status,  # type: ignore[arg-type]
        checked_in_at=done.captured_at if done else None,
    )


async def _organised_site(principal: Principal, slug: str, key: str) -> tuple[Campaign, Site]:
    c = await service.campaign(slug)
    if c.organisation_id not in principal.orgs_with(Role.ORGANISER.value):  # type: ignore[attr-defined]
        raise Forbidden("campaigns.not_organiser", organisation=c.organisation.name)
    return c, await service.site_of(c, key)


class CampaignsController(Controller):
    path = "/api/v1/campaigns"
    tags = ["campaigns"]

    @get("/", summary="Campaigns, current and coming first", opt={"public": True})
    async def list_(self, request: Request) -> list[CampaignSummaryOut]:
        lang = request_language(request)
        return [summary_out(c, lang) for c in await service.campaigns()]

    @get("/bookings", summary="My bookings, soonest first", guards=[requires(Role.CITIZEN)])
    async def mine(self, request: Request) -> list[BookingOut]:
        return [booking_out(b, done) for b, done in await service.bookings_of(require_principal(request).user)]

    @get(
        "/{slug:str}",
        summary="One campaign: story, progress from counters, sites and slots",
        opt={"public": True, "public_cache": "campaigns"},
    )
    async def one(self, request: Request, slug: FromPath[str]) -> CampaignOut:
        return await campaign_out(await service.campaign(slug), request_language(request))

    @put(
        "/{slug:str}",
        summary="Create or update a campaign (the campaign-file structure); organisers of its organisation",
        guards=[requires(Role.ORGANISER)],
    )
    async def upsert(self, request: Request, slug: FromPath[str], data: JSONBody[CampaignIn]) -> CampaignOut:
        digest = hashlib.sha256(msgspec.json.encode(data)).hexdigest()
        result = await service.upsert_from_api(require_principal(request), slug, data, digest)
        return await campaign_out(await service.campaign(result.campaign.slug), request_language(request))

    @get(
        "/{slug:str}/sites/{key:str}/check-in-token",
        summary="The site's current check-in token (rotates every 60 s); organisers of the campaign",
        guards=[requires(Role.ORGANISER)],
    )
    async def token(self, request: Request, slug: FromPath[str], key: FromPath[str]) -> CheckInTokenOut:
        _, site = await _organised_site(require_principal(request), slug, key)
        now = checkin.current_token(_settings(request), site)
        return CheckInTokenOut(site.key, now.token, now.valid_from, now.valid_until, now.refresh_in_s)

    @post(
        "/slots/{slot_id:int}/bookings",
        summary="Book a place in a slot",
        guards=[requires(Role.CITIZEN)],
        opt=CAMPAIGN_COUNTERS,
    )
    async def book(self, request: Request, slot_id: Annotated[int, PathParameter(ge=1, le=DB_INT_MAX)]) -> BookingOut:
        user = require_principal(request).user
        return booking_out(await service.book(user, slot_id), None)

    @post(
        "/bookings/{booking_id:str}/cancel",
        summary="Cancel a booking (the place goes back exactly once)",
        guards=[requires(Role.CITIZEN)],
        opt=CAMPAIGN_COUNTERS,
        status_code=200,
    )
    async def cancel(self, request: Request, booking_id: FromPath[str]) -> BookingOut:
        booking = await service.cancel(require_principal(request).user, booking_id)
        return booking_out(booking, None)

    @post(
        "/bookings/{booking_id:str}/check-in",
        summary="Check in with the scanned QR token and the phone's position (captured_at for offline)",
        guards=[requires(Role.CITIZEN)],
        opt=CAMPAIGN_COUNTERS,
        status_code=200,
    )
    async def check_in(self, request: Request, booking_id: FromPath[str], data: JSONBody[CheckInIn]) -> CheckInOut:
        done = await checkin.check_in(
            _settings(request),
            require_principal(request).user,
            booking_id,
            data,
            leaderboard=request.app.state.leaderboard,
        )
        return CheckInOut(booking_id, "checked_in", done.captured_at, done.distance_m, done.offline)


# --- pages -------------------------------------------------------------------------------------------


def sites_svg(sites: list[service.SiteView], width: int = 320, padding: int = 24) -> str:
    """The check-in points as dots on a small north-up sketch (equirectangular), numbered as listed;
    as tall as the points' north-south spread needs (at least 96 px)."""
    if not sites:
        return ""
    lons = [v.site.lon for v in sites]
    lats = [v.site.lat for v in sites]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    k = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * k, north - south, 0.02)  # at least ~2 km across
    scale = (width - 2 * padding) / span
    height = max(96, round((north - south) * scale + 2 * padding))
    cx, cy = (west + east) / 2, (south + north) / 2
    dots = []
    for n, v in enumerate(sites, 1):
        x = width / 2 + (v.site.lon - cx) * k * scale
        y = height / 2 - (v.site.lat - cy) * scale
        dots.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="#1f6f43"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="12" fill="#fff">{n}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" class="sites-map"><rect width="{width}" height="{height}" fill="#f3f7f1" rx="8"/>'
        f'<text x="{width - 14}" y="20" font-size="12" fill="#5b6660" text-anchor="middle">N ↑</text>'
        + "".join(dots)
        + "</svg>"
    )


def slot_time(slot: Slot) -> str:
    """ "03-12 09:00–12:00" in Beijing time (the end's date only when it differs)."""
    starts, ends = slot.starts_at.astimezone(BEIJING), slot.ends_at.astimezone(BEIJING)
    return (
        f"{starts:%m-%d %H:%M}–{ends:%H:%M}"
        if starts.date() == ends.date()
        else f"{starts:%m-%d %H:%M}–{ends:%m-%d %H:%M}"
    )


async def _campaign_page(request: Request, slug: str, *, error: AppError | None = None, notice: str = "") -> Template:
    lang = request_language(request)
    c = await service.campaign(slug)
    sites = await service.sites_of(c)
    principal = principal_of(request)
    mine = await service.bookings_of(principal.user, c) if principal else []
    held = {b.slot.id: b.status for b, _ in mine if b.status != "cancelled"}
    logs = await planting.logs_of_bookings([b for b, _ in mine])
    return page(
        request,
        "campaigns/campaign.html",
        status_code=error.status_code if error else 200,
        c=c,
        title=_title(c, lang),
        story=[p.strip() for p in (c.story_zh if lang == "zh" else c.story_en).split("\n\n") if p.strip()],
        goals=service.goals_of(c),
        sites=sites,
        county_names={v.site.id: regions.full_name(v.site.county_code) for v in sites},
        map_svg=sites_svg(sites),
        species=[service.species_name(k, lang) for k in c.species],
        mine=mine,
        held=held,
        now=datetime.now(UTC),
        error=error,
        notice=notice,
        when=slot_time,
        logs=logs,
        organiser=bool(principal and c.organisation_id in principal.orgs_with(Role.ORGANISER.value)),  # type: ignore[attr-defined]
        recent=await planting.recent_approved(_settings(request), c, lang),
        boards=await team_boards.campaign_boards(c.id, 10, request.app.stores.get("teams")),
        donation=await donations.campaign_box(c, principal),
    )


class CampaignPages(Controller):
    include_in_schema = False

    @get("/campaigns", opt={"public": True, "public_cache": "campaigns"})
    async def list_page(self, request: Request) -> Template:
        return page(request, "campaigns/index.html", campaigns=await service.campaigns(), goals_of=service.goals_of)

    @get("/campaigns/{slug:str}", opt={"public": True, "public_cache": "campaigns"})
    async def campaign_page(self, request: Request, slug: FromPath[str]) -> Template:
        notice = {"booked": "campaigns.page.booked_notice", "cancelled": "campaigns.page.cancelled_notice"}.get(
            request.query_params.get("done", "")
        )
        return await _campaign_page(request, slug, notice=notice or "")

    @get("/campaigns/{slug:str}/poster.png", opt={"public": True})
    async def share_poster(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        """分享海报: progress from the counters and a QR of the page; cached a minute, as progress moves."""
        body = await posters.poster(
            await service.campaign(slug), request_language(request), _settings(request).base_url
        )
        headers = {"Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie"}
        return Response(body, media_type="image/png", headers=headers)

    @post("/campaigns/{slug:str}/book", guards=[requires(Role.CITIZEN)], status_code=200, opt=CAMPAIGN_COUNTERS)
    async def book(self, request: Request, slug: FromPath[str], data: URLEncodedBody[BookForm]) -> Template | Redirect:
        lang = request_language(request)
        try:
            if not data.slot.isdigit():
                raise AppError("campaigns.slot_not_found", status_code=404)
            await service.book(require_principal(request).user, int(data.slot))
        except AppError as exc:
            return await _campaign_page(request, slug, error=exc)
        return Redirect(f"/campaigns/{slug}?lang={lang}&done=booked#mine", status_code=303)

    @post("/campaigns/{slug:str}/cancel", guards=[requires(Role.CITIZEN)], status_code=200, opt=CAMPAIGN_COUNTERS)
    async def cancel(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[CancelForm]
    ) -> Template | Redirect:
        lang = request_language(request)
        try:
            await service.cancel(require_principal(request).user, data.booking)
        except AppError as exc:
            return await _campaign_page(request, slug, error=exc)
        return Redirect(f"/campaigns/{slug}?lang={lang}&done=cancelled#mine", status_code=303)

    @get("/campaigns/{slug:str}/sites/{key:str}/check-in", guards=[requires(Role.ORGANISER)])
    async def checkin_page(self, request: Request, slug: FromPath[str], key: FromPath[str]) -> Template:
        lang = request_language(request)
        c, site = await _organised_site(require_principal(request), slug, key)
        now = checkin.current_token(_settings(request), site)
        return page(
            request,
            "campaigns/checkin.html",
            headers={"Refresh": str(now.refresh_in_s), "Cache-Control": "no-store"},
            c=c,
            title=_title(c, lang),
            site_name=site.name_zh if lang == "zh" else site.name_en,
            qr=qr_svg(now.token),
            token=now,
            step=checkin.STEP_S,
            until=now.valid_until.astimezone(BEIJING).strftime("%H:%M:%S"),
        )
