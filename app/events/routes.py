"""大型活动碳中和 API and pages: organisers' events and remainder purchase; the public event page (the
event's claim), the attendee page its QR poster opens, and the attendee's travel offset (which hands over
to the market's order, payment and certificate pages)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from app.core.auth import Principal, Role, principal_of, require_principal, requires
from app.core.errors import AppError
from app.core.exports import csv_response
from app.core.i18n import request_language, t
from app.core.pages import fmt_kg, page, poster_response
from app.events import poster as posters
from app.events import service
from app.events.schemas import (
    CertificateCountOut,
    EventCreateIn,
    EventOut,
    EventPatch,
    OfferIn,
    OfferOut,
    OrderPlacedOut,
    RemainderIn,
    TravelIn,
)
from app.footprint import service as footprint
from app.footprint.routes import GROUPS, event_from_query, trip_from_query
from app.footprint.schemas import MODES
from app.market.routes import OffsetForm
from app.regions import service as regions
from app.settings import Settings
from models.events import Event
from models.market import Order

_ORGANISER = [requires(Role.EVENT_ORGANISER)]
_CITIZEN = [requires(Role.CITIZEN)]
_PUBLIC = {"public": True}


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def event_out(event: Event, base_url: str, lang: str) -> EventOut:
    counted = await service.totals(event)
    base = base_url.rstrip("/")
    return EventOut(
        code=event.code,
        organisation=event.organisation.public_id,
        organisation_name=event.organisation.name,
        name_zh=event.name_zh,
        name_en=event.name_en,
        venue_zh=event.venue_zh,
        county_code=event.county_code,
        county=regions.full_name(event.county_code) or event.county_code,
        starts_on=event.starts_on,
        active=event.active,
        estimate=service.estimate(event, lang),
        estimate_kg=event.estimate_kg,
        estimate_offset_kg=event.estimate_offset_kg,
        retired_kg=counted.total,
        organiser_kg=counted.organiser,
        attendee_kg=counted.attendee,
        remaining_kg=max(event.estimate_offset_kg - counted.total, 0),
        neutral=service.neutral(event, counted),
        certificates=[CertificateCountOut(c, s, kg) for c, s, kg in counted.certificates],
        page_url=f"{base}/events/{event.code}",
        attendee_url=posters.attendee_url(base, event),
        poster_png=f"/events/{event.code}/poster.png",
        created_at=event.created_at,
    )


def placed_out(order: Order, event: Event, source: str) -> OrderPlacedOut:
    return OrderPlacedOut(
        order=order.public_id,
        event=event.code,
        source=source,
        kg=order.kg,
        total_fen=order.total_fen,
        expires_at=order.expires_at,
        order_url=f"/market/orders/{order.public_id}",
    )


class EventsController(Controller):
    """Event organisers' events and remainder; attendees' travel offsets and certificates; the public count."""

    path = "/api/v1/events"
    tags = ["events"]

    @post(
        "/", summary="Register an event with its footprint estimate (a random public code is drawn)", guards=_ORGANISER
    )
    async def register(self, request: Request, data: JSONBody[EventCreateIn]) -> EventOut:
        ask = service.EventAsk(
            name_zh=data.name_zh,
            name_en=data.name_en,
            venue_zh=data.venue_zh,
            county_code=data.county_code,
            starts_on=data.starts_on,
            estimate=data.estimate,
        )
        event = await service.register_event(require_principal(request), ask, data.organisation)
        return await event_out(
            await service.event_by_code(event.code), _settings(request).base_url, request_language(request)
        )

    @get("/", summary="My organisation's events", guards=_ORGANISER)
    async def mine(self, request: Request) -> list[EventOut]:
        base, lang = _settings(request).base_url, request_language(request)
        return [await event_out(e, base, lang) for e in await service.events_of(require_principal(request))]

    @get(
        "/export.csv",
        summary="My organisation's events with estimate and counted kg as CSV (UTF-8 with BOM, for Excel)",
        media_type="text/csv",
        guards=_ORGANISER,
    )
    async def export(self, request: Request) -> Response[bytes]:
        return csv_response(await service.export_csv(require_principal(request)), "microsink-events.csv")

    @get(
        "/{code:str}",
        summary="An event: estimate, retired kg by organiser and attendees (each serial once), neutral or not",
        opt=_PUBLIC,
    )
    async def event(self, request: Request, code: FromPath[str]) -> EventOut:
        event = await service.event_by_code(code)
        return await event_out(event, _settings(request).base_url, request_language(request))

    @patch(
        "/{code:str}",
        summary="Change an event of my organisation (omitted fields stay; the estimate only while nothing is linked)",
        guards=_ORGANISER,
    )
    async def update(self, request: Request, code: FromPath[str], data: JSONBody[EventPatch]) -> EventOut:
        change = service.EventChange(**msgspec.structs.asdict(data))
        event = await service.update_event(require_principal(request), code, change)
        return await event_out(event, _settings(request).base_url, request_language(request))

    @post(
        "/{code:str}/remainder",
        summary="The organiser buys what is still to offset, with the organisation as buyer (pay it as any order)",
        guards=_ORGANISER,
    )
    async def remainder(self, request: Request, code: FromPath[str], data: JSONBody[RemainderIn]) -> OrderPlacedOut:
        order = await service.buy_remainder(
            _settings(request), require_principal(request), code, data.kg, data.beneficiary_shown
        )
        return placed_out(order, await service.event_by_code(code), "organiser")

    @post(
        "/{code:str}/travel",
        summary="An attendee offsets their travel to the event (kg computed from the trip; pay it as any order)",
        guards=_CITIZEN,
    )
    async def travel(self, request: Request, code: FromPath[str], data: JSONBody[TravelIn]) -> OrderPlacedOut:
        event = await service.event_by_code(code)
        trip = service.travel(data.trip, request_language(request))
        order = await service.offset_travel(
            _settings(request), require_principal(request).user, event, trip, data.beneficiary, data.beneficiary_shown
        )
        return placed_out(order, event, "attendee")

    @post(
        "/{code:str}/retirements",
        summary="Count a certificate you bought (trip or event) toward the event; a block counts once, for one event",
        guards=_CITIZEN,
    )
    async def offer(self, request: Request, code: FromPath[str], data: JSONBody[OfferIn]) -> OfferOut:
        rows = await service.offer_certificate(require_principal(request), code, data.certificate)
        return OfferOut(rows[0].event.code, rows[0].certificate_code, sum(r.kg for r in rows), len(rows))


# --- pages -----------------------------------------------------------------------------------------
def _is_organiser_of(principal: Principal | None, event: Event) -> bool:
    if principal is None:
        return False
    return event.organisation_id in principal.orgs_with(Role.EVENT_ORGANISER.value)  # type: ignore[attr-defined]


async def _event_page(request: Request, code: str, *, error: str = "", status_code: int = 200) -> Template:
    event = await service.event_by_code(code)
    lang = request_language(request)
    out = await event_out(event, _settings(request).base_url, lang)
    return page(
        request,
        "events/event.html",
        status_code=status_code,
        event=event,
        e=out,
        name=service.name_of(event, lang),
        to_go=fmt_kg(out.remaining_kg, lang),
        organiser=_is_organiser_of(principal_of(request), event),
        remainder=await service.remainder_kg(event),
        error=error,
        punctuation={"colon": "：", "comma": "，"} if lang == "zh" else {"colon": ": ", "comma": ", "},
    )


class OfferForm(msgspec.Struct):
    certificate: str = ""


async def _attendee_page(
    request: Request, code: str, *, error: str = "", done: str = "", status_code: int = 200, typed: str = ""
) -> Template:
    event = await service.event_by_code(code)
    lang = request_language(request)
    return page(
        request,
        "events/attend.html",
        status_code=status_code,
        event=event,
        name=service.name_of(event, lang),
        modes=MODES,
        error=error,
        done=done,
        typed=typed,
        here=request.url.path,
        signed_in=principal_of(request) is not None,
    )


class EventPages(Controller):
    """The public event page, the attendee page, the QR poster (public; ordering needs sign-in)."""

    include_in_schema = False
    # Guards per handler: the attendee path serves the public GET and the signed-in POST.

    @get("/events/{code:str}", opt=_PUBLIC)
    async def event_page(self, request: Request, code: FromPath[str]) -> Template:
        return await _event_page(request, code)

    @get("/events/{code:str}/attend", opt=_PUBLIC)
    async def attend_page(self, request: Request, code: FromPath[str]) -> Template:
        return await _attendee_page(request, code)

    @get("/events/{code:str}/poster.png", opt=_PUBLIC)
    async def poster_png(self, request: Request, code: FromPath[str]) -> Response[bytes]:
        event = await service.event_by_code(code)
        return poster_response(await posters.poster(event, request_language(request), _settings(request).base_url))

    @post("/events/{code:str}/attend", guards=_CITIZEN)
    async def offer(self, request: Request, code: FromPath[str], data: URLEncodedBody[OfferForm]) -> Template:
        lang = request_language(request)
        try:
            rows = await service.offer_certificate(require_principal(request), code, data.certificate)
        except AppError as refused:
            return await _attendee_page(
                request,
                code,
                error=t(refused.key, lang, **refused.params),
                status_code=refused.status_code,
                typed=data.certificate,
            )
        done = t("events.page.counted", lang, code=rows[0].certificate_code, kg=fmt_kg(sum(r.kg for r in rows), lang))
        return await _attendee_page(request, code, done=done)

    @post("/events/{code:str}/remainder", guards=_ORGANISER)
    async def remainder(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        lang = request_language(request)
        try:
            order = await service.buy_remainder(_settings(request), require_principal(request), code)
        except AppError as refused:
            return await _event_page(
                request, code, error=t(refused.key, lang, **refused.params), status_code=refused.status_code
            )
        return Redirect(f"/market/orders/{order.public_id}?lang={lang}", status_code=303)


_EVENT_FIELDS = ("name_zh", "name_en", "venue_zh", "county_code", "starts_on")


def _form_values(event: Event) -> dict[str, str]:
    """An event as the edit form's fields (the registration form's names; travel as groups g1…)."""
    inputs = event.inputs
    values = {k: str(getattr(event, k)) for k in ("name_zh", "name_en", "venue_zh", "county_code")}
    values.update(starts_on=event.starts_on.isoformat(), submitted="1")
    if event.active:
        values["active"] = "1"
    for k in ("attendees", "days", "venue_kwh_per_day", "hotel_room_nights"):
        if inputs.get(k) is not None:
            values[k] = str(inputs[k])
    if inputs.get("radiative_forcing", True):
        values["radiative_forcing"] = "1"
    for n, group in zip(GROUPS, inputs.get("travel") or [], strict=False):
        values.update(
            {f"g{n}_mode": group["mode"], f"g{n}_count": str(group["count"]), f"g{n}_km": str(group["distance_km"])}
        )
    return values


async def _organiser_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    error: AppError | None = None,
    editing: Event | None = None,
) -> Template:
    lang = request_language(request)
    principal = require_principal(request)
    mine = await service.events_of(principal)
    edit_code = request.query_params.get("edit")
    if editing is None and edit_code:
        editing = await service.own_event(principal, edit_code)
    if editing is not None and values is None:
        values = _form_values(editing)
    counted = {e.code: await service.totals(e) for e in mine}
    field = None
    if error is not None:
        detail = error.detail[0] if isinstance(error.detail, list) and error.detail else error.detail
        field = str(detail.get("field") or "").removeprefix("estimate.") if isinstance(detail, dict) else None
    response = page(
        request,
        "events/organiser.html",
        events=mine,
        counted=counted,
        names={e.code: service.name_of(e, lang) for e in mine},
        v=values or {},
        modes=MODES,
        groups=GROUPS,
        limits=footprint.factor_set(None).limits,
        error=t(error.key, lang, **error.params) if error else None,
        error_field=field,
        editing=editing,
        estimate_locked=editing is not None and await service.linked(editing),
        too_many_groups=editing is not None and len(editing.inputs.get("travel") or []) > len(GROUPS),
        saved=request.query_params.get("saved", "")[:16],
    )
    if error is not None:
        response.status_code = error.status_code
    return response


class EventOrganiserPages(Controller):
    """The organiser's events and the form that registers one (no JavaScript)."""

    include_in_schema = False
    guards = _ORGANISER

    @get("/events/organiser")
    async def organiser_page(self, request: Request) -> Template:
        return await _organiser_page(request)

    @get("/events/organiser/events.csv", media_type="text/csv")
    async def export(self, request: Request) -> Response[bytes]:
        return csv_response(await service.export_csv(require_principal(request)), "microsink-events.csv")

    @post("/events/organiser")
    async def register(self, request: Request) -> Template | Redirect:
        lang = request_language(request)
        form = await request.form()
        values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        try:
            try:
                starts_on = date.fromisoformat(values.get("starts_on", ""))
            except ValueError:
                raise AppError("events.bad_date", detail=[{"field": "starts_on"}]) from None
            ask = service.EventAsk(
                name_zh=values.get("name_zh", ""),
                name_en=values.get("name_en", ""),
                venue_zh=values.get("venue_zh", ""),
                county_code=values.get("county_code", ""),
                starts_on=starts_on,
                estimate=event_from_query(values),
            )
            event = await service.register_event(require_principal(request), ask)
        except AppError as refused:
            return await _organiser_page(request, values=values, error=refused)
        return Redirect(f"/events/{event.code}?lang={lang}", status_code=303)

    @post("/events/organiser/{code:str}")
    async def edit(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        lang = request_language(request)
        principal = require_principal(request)
        event = await service.own_event(principal, code)
        form = await request.form()
        values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        try:
            await service.update_event(principal, event.code, _change_from_form(values))
        except AppError as refused:  # the form again as sent (without the estimate if it was locked meanwhile)
            return await _organiser_page(request, values=values, error=refused, editing=event)
        return Redirect(f"/events/organiser?lang={lang}&saved={event.code}", status_code=303)


def _change_from_form(values: dict[str, str]) -> service.EventChange:
    """The edit form as a change: every event field as sent; the estimate only when its fields were on the form
    (they are left off once the estimate is locked)."""
    try:
        starts_on = date.fromisoformat(values.get("starts_on", ""))
    except ValueError:
        raise AppError("events.bad_date", detail=[{"field": "starts_on"}]) from None
    return service.EventChange(
        name_zh=values.get("name_zh", ""),
        name_en=values.get("name_en", ""),
        venue_zh=values.get("venue_zh", ""),
        county_code=values.get("county_code", ""),
        starts_on=starts_on,
        active=bool(values.get("active")),
        estimate=event_from_query(values) if values.get("estimate") else None,
    )


_TRIP_FIELDS = (
    "mode",
    "distance_km",
    "origin",
    "destination",
    "people",
    "vehicles",
    "hotel_nights",
    "hotel_rooms",
    "return_trip",
    "radiative_forcing",
    "submitted",
)


def _trip_query(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in request.query_params.items() if k in _TRIP_FIELDS}


async def _offset_page(
    request: Request, code: str, *, form: OffsetForm | None = None, error: str = "", status_code: int = 200
) -> Template:
    event = await service.event_by_code(code)
    lang = request_language(request)
    q = _trip_query(request)
    trip = service.travel(trip_from_query(q), lang)
    offer: service.Offer | None = None
    unavailable = ""
    try:
        offer = await service.offer_for(_settings(request), trip.footprint.offset_kg)
    except AppError as none:
        unavailable = t(none.key, lang, **none.params)
    return page(
        request,
        "events/offset.html",
        status_code=status_code,
        event=event,
        name=service.name_of(event, lang),
        trip=trip,
        travel_line=service.travel_line(trip.record(), lang),
        offer=offer,
        unavailable=unavailable,
        form=form or OffsetForm(),
        error=error,
        back="/footprint/trip?" + urlencode({"event": event.code, **q, "lang": lang}),
        here=f"{request.url.path}?{request.url.query}",
        signed_in=principal_of(request) is not None,
    )


class EventOffsetPages(Controller):
    """The attendee's travel offset: anyone sees what it costs; ordering needs sign-in (one path, two guards)."""

    include_in_schema = False

    @get("/events/{code:str}/offset", opt=_PUBLIC)
    async def offset_page(self, request: Request, code: FromPath[str]) -> Template:
        return await _offset_page(request, code)

    @post("/events/{code:str}/offset", guards=_CITIZEN)
    async def offset(
        self, request: Request, code: FromPath[str], data: URLEncodedBody[OffsetForm]
    ) -> Template | Redirect:
        event = await service.event_by_code(code)
        lang = request_language(request)
        try:
            trip = service.travel(trip_from_query(_trip_query(request)), lang)
            order = await service.offset_travel(
                _settings(request),
                require_principal(request).user,
                event,
                trip,
                data.beneficiary,
                data.beneficiary_shown,
            )
        except AppError as refused:  # the form again, with the problem said beside it
            message = t(refused.key, lang, **refused.params)
            return await _offset_page(request, code, form=data, error=message, status_code=refused.status_code)
        return Redirect(f"/market/orders/{order.public_id}?lang={lang}", status_code=303)
