"""碳汇+旅游 API and pages: operators' spots, posters, redemption and dashboard; the visitor's spot page
and trip offset (which hands over to the market's order, payment and certificate pages)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from app.core.auth import Role, principal_of, require_principal, requires
from app.core.errors import AppError
from app.core.exports import csv_response
from app.core.i18n import request_language, t
from app.core.pages import page, poster_response
from app.footprint.routes import trip_from_query
from app.market.routes import OffsetForm
from app.regions import service as regions
from app.settings import Settings
from app.tourism import poster as posters
from app.tourism import service
from app.tourism.schemas import (
    DashboardOut,
    DayFiguresOut,
    FiguresOut,
    OriginOut,
    RedemptionIn,
    RedemptionOut,
    SpotFiguresOut,
    SpotIn,
    SpotOut,
    SpotPatch,
)
from models.tourism import Redemption, ScenicSpot

_OPERATOR = [requires(Role.SCENIC_OPERATOR)]
_PUBLIC = {"public": True}


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def spot_out(spot: ScenicSpot, base_url: str) -> SpotOut:
    return SpotOut(
        code=spot.code,
        organisation=spot.organisation.public_id,
        organisation_name=spot.organisation.name,
        name_zh=spot.name_zh,
        name_en=spot.name_en,
        county_code=spot.county_code,
        county=regions.full_name(spot.county_code) or spot.county_code,
        latitude=float(spot.latitude),
        longitude=float(spot.longitude),
        origins=[msgspec.convert(o, OriginOut) for o in spot.origins],
        benefit_zh=spot.benefit_zh,
        benefit_en=spot.benefit_en,
        active=spot.active,
        page_url=posters.spot_url(base_url, spot),
        poster_png=f"/tourism/spots/{spot.code}/poster.png",
        poster_pdf=f"/tourism/spots/{spot.code}/poster.pdf",
        created_at=spot.created_at,
        updated_at=spot.updated_at,
    )


def _ask(data: SpotIn | SpotPatch) -> service.SpotAsk:
    values = msgspec.structs.asdict(data)
    values.pop("organisation", None)
    if values.get("origins") is not None:
        values["origins"] = [msgspec.structs.asdict(o) for o in values["origins"]]
    return service.SpotAsk(**values)


def figures_out(f: service.Figures) -> FiguresOut:
    return FiguresOut(f.visitors, f.kg, f.benefits)


def redemption_out(r: Redemption, spot: ScenicSpot) -> RedemptionOut:
    return RedemptionOut(spot.code, r.certificate_code, r.kg, spot.benefit_zh, spot.benefit_en, r.created_at)


class TourismOperatorController(Controller):
    """Scenic operators' staff: their spots, benefit redemption, figures."""

    path = "/api/v1/tourism"
    tags = ["tourism"]
    # Guards per handler: one spot path serves the public GET and the operator's PATCH.

    @get("/spots/{code:str}", summary="A scenic spot, its origins and benefit (no sign-in)", opt=_PUBLIC)
    async def spot(self, request: Request, code: FromPath[str]) -> SpotOut:
        return spot_out(await service.spot_by_code(code), _settings(request).base_url)

    @post("/spots", summary="Register a scenic spot of my operator (a random public code is drawn)", guards=_OPERATOR)
    async def register(self, request: Request, data: JSONBody[SpotIn]) -> SpotOut:
        spot = await service.register_spot(require_principal(request), _ask(data), data.organisation)
        return spot_out(await service.spot_by_code(spot.code), _settings(request).base_url)

    @get("/spots", summary="My operator's scenic spots", guards=_OPERATOR)
    async def mine(self, request: Request) -> list[SpotOut]:
        base = _settings(request).base_url
        return [spot_out(s, base) for s in await service.spots_of(require_principal(request))]

    @patch("/spots/{code:str}", summary="Change a spot of my operator (omitted fields stay)", guards=_OPERATOR)
    async def update(self, request: Request, code: FromPath[str], data: JSONBody[SpotPatch]) -> SpotOut:
        spot = await service.update_spot(require_principal(request), code, _ask(data))
        return spot_out(spot, _settings(request).base_url)

    @post(
        "/spots/{code:str}/redemptions",
        summary="Grant the spot's benefit on a visitor's certificate, once (409 names the first grant)",
        guards=_OPERATOR,
    )
    async def redeem(self, request: Request, code: FromPath[str], data: JSONBody[RedemptionIn]) -> RedemptionOut:
        granted = await service.redeem(require_principal(request), code, data.certificate)
        return redemption_out(granted, await service.spot_by_code(code))

    @get(
        "/dashboard", summary="Visitors, kg offset and benefits granted, per spot and per Beijing day", guards=_OPERATOR
    )
    async def dashboard(self, request: Request) -> DashboardOut:
        board = await service.dashboard(require_principal(request))
        return DashboardOut(
            total=figures_out(board.total),
            spots=[SpotFiguresOut(s.code, s.name_zh, figures_out(board.per_spot[s.code])) for s in board.spots],
            days=[DayFiguresOut(d, c, figures_out(f)) for d, c, f in board.per_day],
        )

    @get(
        "/dashboard.csv",
        summary="The dashboard per day and spot as CSV (UTF-8 with BOM, for Excel)",
        media_type="text/csv",
        guards=_OPERATOR,
    )
    async def dashboard_csv(self, request: Request) -> Response[bytes]:
        return csv_response(
            service.dashboard_csv(await service.dashboard(require_principal(request))), "microsink-tourism.csv"
        )


# --- pages -----------------------------------------------------------------------------------------
def _ways(spot: ScenicSpot, lang: str) -> list[dict[str, Any]]:
    """Each origin with a link per way that serves it, to the trip form pre-filled for this spot."""
    out = []
    for origin in spot.origins:
        links = []
        for mode, field in service.WAYS:
            km = origin.get(field)
            if km:
                query = {"spot": spot.code, "spot_origin": origin["key"], "mode": mode, "distance_km": km, "lang": lang}
                links.append((t(f"tourism.way.{mode}", lang, km=km), "/footprint/trip?" + urlencode(query)))
        out.append({"name": service.origin_name(origin, lang), "links": links})
    return out


_TRIP_FIELDS = (
    "mode",
    "distance_km",
    "people",
    "vehicles",
    "nights",
    "hotel_nights",
    "hotel_rooms",
    "return_trip",
    "spot_origin",
)


def _trip_query(request: Request) -> dict[str, str]:
    q = {k: v.strip() for k, v in request.query_params.items() if k in _TRIP_FIELDS}
    if "nights" in q:
        q["hotel_nights"] = q.pop("nights")
    return q


class TourismPages(Controller):
    """The visitor's pages (public; ordering needs sign-in) and the spot posters."""

    include_in_schema = False
    opt = _PUBLIC

    @get("/tourism/spots/{code:str}")
    async def spot_page(self, request: Request, code: FromPath[str]) -> Template:
        spot = await service.spot_by_code(code)
        lang = request_language(request)
        return page(
            request,
            "tourism/spot.html",
            spot=spot,
            name=service.name_of(spot, lang),
            benefit=service.benefit_of(spot, lang),
            county=regions.full_name(spot.county_code) or spot.county_code,
            ways=_ways(spot, lang),
            other_url="/footprint/trip?" + urlencode({"spot": spot.code, "lang": lang}),
        )

    @get("/tourism/spots/{code:str}/poster.png")
    async def poster_png(self, request: Request, code: FromPath[str]) -> Response[bytes]:
        return await self._poster(request, code, "png")

    @get("/tourism/spots/{code:str}/poster.pdf")
    async def poster_pdf(self, request: Request, code: FromPath[str]) -> Response[bytes]:
        return await self._poster(request, code, "pdf")

    async def _poster(self, request: Request, code: str, fmt: str) -> Response[bytes]:
        spot = await service.spot_by_code(code)
        body = await posters.poster(spot, request_language(request), fmt, _settings(request).base_url)
        return poster_response(body, fmt, f"spot-{spot.code}.pdf")


async def _offset_page(
    request: Request, code: str, *, form: OffsetForm | None = None, error: str = "", status_code: int = 200
) -> Template:
    spot = await service.spot_by_code(code)
    lang = request_language(request)
    q = _trip_query(request)
    trip = service.trip_to(spot, q.get("spot_origin"), trip_from_query(q), lang)
    offer: service.Offer | None = None
    unavailable = ""
    try:
        offer = await service.offer_for(_settings(request), trip.footprint.offset_kg)
    except AppError as none:
        unavailable = t(none.key, lang, **none.params)
    back = "/footprint/trip?" + urlencode({"spot": spot.code, **q, "lang": lang})
    return page(
        request,
        "tourism/offset.html",
        status_code=status_code,
        spot=spot,
        name=service.name_of(spot, lang),
        benefit=service.benefit_of(spot, lang),
        trip=trip,
        trip_line=service.trip_line(spot, trip.record(), lang),
        offer=offer,
        unavailable=unavailable,
        form=form or OffsetForm(),
        error=error,
        back=back,
        here=f"{request.url.path}?{request.url.query}",
        signed_in=principal_of(request) is not None,
    )


class TourismOffsetPages(Controller):
    """The trip's offset: anyone sees what it costs; ordering needs sign-in (guards per handler, one path)."""

    include_in_schema = False

    @get("/tourism/spots/{code:str}/offset", opt=_PUBLIC)
    async def offset_page(self, request: Request, code: FromPath[str]) -> Template:
        return await _offset_page(request, code)

    @post("/tourism/spots/{code:str}/offset", guards=[requires(Role.CITIZEN)])
    async def offset(
        self, request: Request, code: FromPath[str], data: URLEncodedBody[OffsetForm]
    ) -> Template | Redirect:
        spot = await service.spot_by_code(code)
        lang = request_language(request)
        try:
            trip = service.trip_to(
                spot, _trip_query(request).get("spot_origin"), trip_from_query(_trip_query(request)), lang
            )
            order = await service.offset_trip(
                _settings(request),
                require_principal(request).user,
                spot,
                trip,
                data.beneficiary,
                data.beneficiary_shown,
            )
        except AppError as refused:  # the form again, with the problem said beside it
            message = t(refused.key, lang, **refused.params)
            return await _offset_page(request, code, form=data, error=message, status_code=refused.status_code)
        return Redirect(f"/market/orders/{order.public_id}?lang={lang}", status_code=303)


class TourismOperatorPages(Controller):
    """The operator's dashboard page, with the benefit redemption form (no JavaScript)."""

    include_in_schema = False
    guards = _OPERATOR

    @get("/tourism/operator")
    async def dashboard_page(self, request: Request) -> Template:
        return await _dashboard_page(request)

    @get("/tourism/operator.csv", media_type="text/csv")
    async def dashboard_csv(self, request: Request) -> Response[bytes]:
        return csv_response(
            service.dashboard_csv(await service.dashboard(require_principal(request))), "microsink-tourism.csv"
        )

    @post("/tourism/operator/redeem")
    async def redeem(self, request: Request, data: URLEncodedBody[RedeemForm]) -> Template:
        lang = request_language(request)
        try:
            granted = await service.redeem(require_principal(request), data.spot, data.certificate)
        except AppError as refused:
            return await _dashboard_page(
                request, error=t(refused.key, lang, **refused.params), status_code=refused.status_code, typed=data
            )
        spot = await service.spot_by_code(data.spot)
        done = t(
            "tourism.page.redeemed",
            lang,
            benefit=service.benefit_of(spot, lang),
            code=granted.certificate_code,
            kg=granted.kg,
        )
        return await _dashboard_page(request, done=done)


class RedeemForm(msgspec.Struct):
    spot: str = ""
    certificate: str = ""


async def _dashboard_page(
    request: Request, *, error: str = "", done: str = "", status_code: int = 200, typed: RedeemForm | None = None
) -> Template:
    board = await service.dashboard(require_principal(request))
    lang = request_language(request)
    return page(
        request,
        "tourism/dashboard.html",
        status_code=status_code,
        board=board,
        names={s.code: service.name_of(s, lang) for s in board.spots},
        error=error,
        done=done,
        typed=typed or RedeemForm(),
    )
