"""Footprint API (public): trip, day and event breakdowns and the factor list; and the /footprint pages (no JavaScript)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Template

from app.core.errors import AppError, NotFound
from app.core.i18n import request_language, t
from app.core.pages import page
from app.footprint import service
from app.footprint.schemas import MODES, DayIn, EventIn, FactorSetOut, Footprint, TripIn

Version = Annotated[
    str | None,
    QueryParameter(pattern=r"^\d{1,4}\.\d{1,4}\.\d{1,4}$", description="factor-set version; newest if omitted"),
]
_RAISES = [AppError, NotFound]
KINDS = ("trip", "day", "event")
GROUPS = (1, 2, 3)  # travel groups on the event form
COMMUTE_MODES = ("metro", "bus", "car_petrol", "car_diesel", "car_hybrid", "rail", "coach")


class FootprintController(Controller):
    path = "/api/v1/footprint"
    tags = ["footprint"]
    opt = {"public": True}

    @get(
        "/factors",
        summary="Every emission factor with its source, the limits and the preset places (public)",
        raises=_RAISES,
    )
    async def factors(self, request: Request, version: Version = None) -> FactorSetOut:
        return service.factors_out(version, request_language(request))

    @post(
        "/trip",
        status_code=200,
        summary="Footprint of a trip: kg, each line with its factor, ceil(kg) to offset",
        raises=_RAISES,
    )
    async def trip(self, request: Request, data: JSONBody[TripIn], version: Version = None) -> Footprint:
        return service.trip(data, request_language(request), version)

    @post(
        "/day",
        status_code=200,
        summary="Footprint of everyday electricity and commuting over some days",
        raises=_RAISES,
    )
    async def day(self, request: Request, data: JSONBody[DayIn], version: Version = None) -> Footprint:
        return service.day(data, request_language(request), version)

    @post(
        "/event",
        status_code=200,
        summary="Footprint of an event: venue electricity, hotel, attendees' travel",
        raises=_RAISES,
    )
    async def event(self, request: Request, data: JSONBody[EventIn], version: Version = None) -> Footprint:
        return service.event(data, request_language(request), version)


# ---- pages: GET forms whose fields are the query string, so a QR code can pre-fill them ------------------

_TICKED = {"on", "1", "true", "yes"}
# Short names a scenic-spot QR code may use (issue 8): /footprint/trip?to=jiuzhaigou&people=2&nights=1
_ALIASES = {"to": "destination", "from": "origin", "nights": "hotel_nights"}


def _query(request: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in request.query_params.items():
        out[_ALIASES.get(name, name)] = value.strip()
    return out


def _convert(kind: type[Any], raw: Mapping[str, Any]) -> Any:
    try:
        return msgspec.convert(dict(raw), type=kind, strict=False)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("$.", 1)[-1].rstrip("`").split(".")[0].split("[")[0] if "$." in str(exc) else None
        raise AppError("error.validation", detail={"field": field}, fields=str(exc)) from exc


def _checkbox(q: Mapping[str, str], raw: dict[str, Any], name: str) -> None:
    """A ticked box is true; an unticked box on a submitted form (hidden `submitted=1`) is false; a link that does
    not mention the box (a QR code) leaves the default."""
    if name in q:
        raw[name] = q[name] in _TICKED
    elif q.get("submitted"):
        raw[name] = False


def trip_from_query(q: Mapping[str, str]) -> TripIn:
    raw: dict[str, Any] = {}
    for name in ("mode", "distance_km", "origin", "destination", "people", "vehicles", "hotel_nights", "hotel_rooms"):
        if q.get(name):
            raw[name] = q[name]
    if "distance_km" in raw:  # a typed distance wins over the preset places
        raw.pop("origin", None)
        raw.pop("destination", None)
    for name in ("return_trip", "radiative_forcing"):
        _checkbox(q, raw, name)
    return _convert(TripIn, raw)  # type: ignore[no-any-return]


def day_from_query(q: Mapping[str, str]) -> DayIn:
    raw: dict[str, Any] = {k: q[k] for k in ("days", "electricity_kwh_per_day") if q.get(k)}
    raw["commute_km_per_day"] = {m: q[f"km_{m}"] for m in COMMUTE_MODES if q.get(f"km_{m}")}
    return _convert(DayIn, raw)  # type: ignore[no-any-return]


def event_from_query(q: Mapping[str, str]) -> EventIn:
    raw: dict[str, Any] = {k: q[k] for k in ("attendees", "days", "venue_kwh_per_day", "hotel_room_nights") if q.get(k)}
    _checkbox(q, raw, "radiative_forcing")
    travel = []
    for n in GROUPS:
        count, km = q.get(f"g{n}_count", ""), q.get(f"g{n}_km", "")
        if count or km:
            travel.append({"mode": q.get(f"g{n}_mode", "coach"), "count": count or "0", "distance_km": km or "0"})
    raw["travel"] = travel
    return _convert(EventIn, raw)  # type: ignore[no-any-return]


PARSERS = {"trip": trip_from_query, "day": day_from_query, "event": event_from_query}
CALCULATORS = {"trip": service.trip, "day": service.day, "event": service.event}


class FootprintPages(Controller):
    """The public calculator: a GET form per kind and a result page, complete without JavaScript."""

    include_in_schema = False
    opt = {"public": True}

    @get("/footprint")
    async def index(self, request: Request) -> Template:
        return page(request, "footprint/index.html", kinds=KINDS)

    @get("/footprint/factors")
    async def factor_list(self, request: Request) -> Template:
        lang = request_language(request)
        return page(
            request, "footprint/factors.html", fs=service.factors_out(None, lang), punctuation=_punctuation(lang)
        )

    @get("/footprint/{kind:str}")
    async def form(self, request: Request, kind: FromPath[str]) -> Template:
        if kind not in KINDS:
            raise NotFound("error.not_found")
        return self._form(request, kind, _query(request))

    @get("/footprint/{kind:str}/result")
    async def result(self, request: Request, kind: FromPath[str]) -> Template:
        if kind not in KINDS:
            raise NotFound("error.not_found")
        q = _query(request)
        lang = request_language(request)
        try:
            footprint = CALCULATORS[kind](PARSERS[kind](q), lang)  # type: ignore[operator]
        except AppError as exc:
            if isinstance(exc, NotFound):
                raise
            return self._form(request, kind, q, error=exc)
        back = f"/footprint/{kind}?{request.url.query}"
        if kind == "trip" and q.get("spot"):
            footprint = msgspec.structs.replace(footprint, buy_url=_spot_offset_url(q, footprint))
        elif kind == "trip" and q.get("event"):
            footprint = msgspec.structs.replace(footprint, buy_url=_event_offset_url(q))
        return page(
            request,
            "footprint/result.html",
            f=footprint,
            kind=kind,
            back=back,
            switch_url=_switch(request),
            punctuation=_punctuation(lang),
        )

    def _form(self, request: Request, kind: str, values: dict[str, str], error: AppError | None = None) -> Template:
        lang = request_language(request)
        fs = service.factor_set(None)
        response = page(
            request,
            f"footprint/{kind}.html",
            v=values,
            modes=MODES,
            commute_modes=COMMUTE_MODES,
            groups=GROUPS,
            origins=[(p.key, p.name(lang)) for p in fs.origins()],
            destinations=[(p.key, p.name(lang)) for p in fs.destinations()],
            limits=fs.limits,
            fs=fs,
            error=t(error.key, lang, **error.params) if error else None,
            error_field=(error.detail or {}).get("field") if error and isinstance(error.detail, dict) else None,
            switch_url=_switch(request),
        )
        if error is not None:
            response.status_code = error.status_code
        return response


# --- 碳汇+旅游 (issue 8): a trip form opened from a scenic spot's QR code carries `spot` (and the
# spot's origin preset `spot_origin`); its result's buy button goes to the spot's offset page with the
# trip, which recomputes the footprint and links the market order to the spot (app/tourism).
_SPOT_TRIP_FIELDS = ("mode", "distance_km", "people", "vehicles", "hotel_nights", "hotel_rooms", "spot_origin")


def _spot_offset_url(q: Mapping[str, str], footprint: Footprint) -> str:
    trip = {k: q[k] for k in _SPOT_TRIP_FIELDS if q.get(k)}
    if q.get("submitted") or "return_trip" in q:
        trip["return_trip"] = q.get("return_trip", "")
    return f"/tourism/spots/{q['spot']}/offset?" + urlencode(trip)


# --- end 碳汇+旅游


# --- 大型活动碳中和 (issue 8): a trip form opened from an event's attendee page carries `event`; its
# result's buy button goes to the event's offset page with the trip, which recomputes the footprint and
# links the market order to the event (app/events).
_EVENT_TRIP_FIELDS = (
    "mode",
    "distance_km",
    "origin",
    "destination",
    "people",
    "vehicles",
    "hotel_nights",
    "hotel_rooms",
)


def _event_offset_url(q: Mapping[str, str]) -> str:
    trip = {k: q[k] for k in _EVENT_TRIP_FIELDS if q.get(k)}
    for box in ("return_trip", "radiative_forcing"):
        if q.get("submitted") or box in q:
            trip[box] = q.get(box, "")
    trip["submitted"] = "1" if q.get("submitted") else ""
    return f"/events/{q['event']}/offset?" + urlencode({k: v for k, v in trip.items() if v or k in q})


# --- end 大型活动碳中和


def _punctuation(lang: str) -> dict[str, str]:
    return {"colon": "：", "comma": "，"} if lang == "zh" else {"colon": ": ", "comma": ", "}


def _switch(request: Request) -> str:
    """The language switch keeps the form's values (a QR-prefilled form stays prefilled)."""
    lang = request_language(request)
    params = [(k, v) for k, v in request.query_params.items() if k != "lang"]
    params.append(("lang", "en" if lang == "zh" else "zh"))
    return f"{request.url.path}?{urlencode(params)}"
