"""Campaign live progress (SSE) and the organiser dashboard: page, JSON and CSV exports.

Kept apart from routes.py so the later parts of issue 7 (planting, teams, donations) merge cleanly.
"""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Response, ServerSentEvent, Template

from app.campaigns import dashboard, live, service
from app.campaigns.live_schemas import DashboardOut, DashboardSiteOut, DashboardSlotOut
from app.campaigns.schemas import ProgressOut
from app.core.auth import Role, require_principal, requires
from app.core.errors import NotFound
from app.core.i18n import request_language
from app.core.pages import page


def _live(request: Request) -> live.LiveChannels:
    return request.app.plugins.get(live.LiveChannels)


def dashboard_out(board: dashboard.Dashboard) -> DashboardOut:
    c = board.campaign
    return DashboardOut(
        campaign=c.slug,
        bookings=c.bookings_count,
        checkins=c.checkins_count,
        trees_approved=board.trees_approved,
        kg_removed=c.kg_removed,
        funds_raised_fen=board.funds_raised_fen,
        pending_reviews=board.pending_reviews,
        progress=[ProgressOut(g.goal, g.target, g.reached, g.percent) for g in board.goals],
        slots=[
            DashboardSlotOut(s.site_key, s.slot_id, s.starts, s.ends, s.capacity, s.booked, s.capacity - s.booked)
            for s in board.slots
        ],
        sites=[DashboardSiteOut(s.site_key, s.site_name, s.checkins) for s in board.sites],
        exports=[f"/api/v1/campaigns/{c.slug}/exports/{what}.csv" for what in dashboard.EXPORTS],
    )


def _csv_response(body: bytes, slug: str, what: str) -> Response[bytes]:
    return Response(
        body,
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
        headers={
            "Content-Disposition": f'attachment; filename="campaign-{slug}-{what}.csv"',
            "Cache-Control": "no-store",
        },
    )


async def _export(request: Request, slug: str, file: str) -> Response[bytes]:
    # A path parameter is a whole segment in Litestar, so the ".csv" is taken off here.
    what = file.removesuffix(".csv")
    if not file.endswith(".csv") or what not in dashboard.EXPORTS:
        raise NotFound("campaigns.dashboard.export_unknown", what=what, options=", ".join(dashboard.EXPORTS))
    principal = require_principal(request)
    c = await dashboard.organised(principal, slug)
    return _csv_response(await dashboard.export_csv(principal, c, what, request_language(request)), slug, what)


class CampaignDashboardController(Controller):
    path = "/api/v1/campaigns"
    tags = ["campaigns"]
    guards = [requires(Role.ORGANISER)]

    @get("/{slug:str}/dashboard", summary="Organiser dashboard: counters, goals, bookings per slot, check-ins per site")
    async def board(self, request: Request, slug: FromPath[str]) -> DashboardOut:
        c = await dashboard.organised(require_principal(request), slug)
        return dashboard_out(await dashboard.dashboard(c, request_language(request)))

    @get(
        "/{slug:str}/exports/{file:str}",
        summary="CSV export (bookings per slot, or check-ins with people masked), UTF-8 with BOM; audited",
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
    )
    async def export(self, request: Request, slug: FromPath[str], file: FromPath[str]) -> Response[bytes]:
        """`file` is bookings.csv or checkins.csv."""
        return await _export(request, slug, file)


class CampaignLivePages(Controller):
    include_in_schema = False

    @get("/campaigns/{slug:str}/live", opt={"public": True})
    async def progress_stream(self, request: Request, slug: FromPath[str]) -> ServerSentEvent:
        """Server-Sent Events: the current progress, then each change (app/campaigns/live.py)."""
        c = await service.campaign(slug)
        return ServerSentEvent(
            live.progress_stream(_live(request), c),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},  # nginx must not buffer a stream
        )

    @get("/campaigns/{slug:str}/dashboard", guards=[requires(Role.ORGANISER)])
    async def dashboard_page(self, request: Request, slug: FromPath[str]) -> Template:
        lang = request_language(request)
        c = await dashboard.organised(require_principal(request), slug)
        return page(
            request,
            "campaigns/dashboard.html",
            headers={"Cache-Control": "no-store"},
            c=c,
            title=c.title_zh if lang == "zh" else c.title_en,
            board=await dashboard.dashboard(c, lang),
            exports=dashboard.EXPORTS,
        )

    @get("/campaigns/{slug:str}/dashboard/{file:str}", guards=[requires(Role.ORGANISER)])
    async def export(self, request: Request, slug: FromPath[str], file: FromPath[str]) -> Response[bytes]:
        """`file` is bookings.csv or checkins.csv."""
        return await _export(request, slug, file)
