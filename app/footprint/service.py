"""Footprint service: trip, day and event footprints from the pinned factor file, exact to the last digit.

Every line is quantity × factor in exact fractions (no binary floats); the total keeps its fractional kg and the
offset to buy is its ceiling in whole kg. The result names the factor set's version and SHA-256, so a purchase can
cite exactly what it offsets; the same inputs with the same file always give the same result, so nothing needs storing.
No HTTP here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from urllib.parse import urlencode

from app.core.errors import AppError, NotFound
from app.core.i18n import t
from app.footprint import messages as _messages  # noqa: F401  (registers the texts)
from app.footprint.factors import Factor, FactorSet, catalogue
from app.footprint.schemas import (
    CAR_MODES,
    GROUND_MODES,
    DayIn,
    EventIn,
    FactorSetOut,
    FactorUsed,
    Footprint,
    Line,
    PlaceOut,
    RouteOut,
    TripIn,
)

PURPOSE = {"trip": "trip", "day": "personal", "event": "event"}


def exact_decimal(q: Fraction) -> str:
    """The exact decimal expansion of q (every factor and input is a finite decimal, so q always has one)."""
    n, d = q.numerator, q.denominator
    twos = fives = 0
    rest = d
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        raise ValueError(f"{q} has no finite decimal expansion")
    places = max(twos, fives)
    scaled = abs(n) * 10**places // d
    digits = str(scaled).rjust(places + 1, "0")
    whole, frac = (digits[:-places], digits[-places:].rstrip("0")) if places else (digits, "")
    return ("-" if n < 0 else "") + whole + ("." + frac if frac else "")


def factor_set(version: str | None = None) -> FactorSet:
    found = catalogue().get(version)
    if found is None:
        known = ", ".join(s.version for s in catalogue().sets)
        raise NotFound("footprint.version_not_found", version=version, known=known)
    return found


def factor_used(f: Factor, lang: str) -> FactorUsed:
    return FactorUsed(
        key=f.key,
        label=f.label(lang),
        value=format(f.value, "f"),
        unit=f.unit,
        publisher=f.publisher,
        title=f.title,
        year=f.year,
        table=f.table,
        url=f.url,
        verified=f.verified,
        verification=f.verification,
        read_in=f.read_in,
        proxy=f.proxy,
        note=f.note,
    )


def factors_out(version: str | None, lang: str) -> FactorSetOut:
    fs = factor_set(version)
    return FactorSetOut(
        version=fs.version,
        sha256=fs.sha256,
        released=fs.released,
        factors=[factor_used(f, lang) for f in fs.factors.values()],
        limits=dict(fs.limits),
        places=[
            PlaceOut(p.key, p.name(lang), p.gb2260, format(p.lon, "f"), format(p.lat, "f"), p.role)
            for p in fs.places.values()
        ],
        routes=[RouteOut(a, b, km) for (a, b), km in fs.routes.items()],
        places_source=str(fs.places_meta.get("coordinates_source", "")),
    )


# ---- validity limits ------------------------------------------------------------------------------------


def _refuse(limit_key: str, field: str, limit: object, given: object) -> AppError:
    return AppError(
        f"footprint.limit.{limit_key}", detail={"field": field, "limit": str(limit)}, limit=limit, given=given
    )


def _at_most(fs: FactorSet, limit_key: str, field: str, given: int | Decimal) -> None:
    limit = fs.limit(limit_key)
    if given > limit:
        raise _refuse(limit_key, field, limit, given)


MAX_DECIMAL_PLACES = 6  # a typed km or kWh finer than a millimetre or a milliwatt-hour is a typo, not a measurement


def _decimal(fs: FactorSet, field: str, value: Decimal, limit_key: str | None, *, positive: bool = False) -> Fraction:
    """A typed decimal as an exact fraction, after the cheap checks on the Decimal itself.

    The limit and the number of decimal places are checked before converting: `Fraction(Decimal("1E+999999999"))`
    would build a billion-digit integer.
    """
    if not value.is_finite() or value < 0 or (positive and value == 0):
        key = "footprint.positive_number" if positive else "footprint.non_negative_number"
        raise AppError(key, detail={"field": field}, field=field, given=value)
    if limit_key is not None:
        _at_most(fs, limit_key, field, value)
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -MAX_DECIMAL_PLACES
        and value != value.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES))
    ):
        raise AppError("footprint.too_many_decimals", detail={"field": field}, field=field, places=MAX_DECIMAL_PLACES)
    return Fraction(value)


# ---- the calculation ------------------------------------------------------------------------------------


@dataclass
class _Builder:
    fs: FactorSet
    lang: str
    lines: list[Line]
    notes: set[str]
    total: Fraction = Fraction(0)

    def add(self, item: str, quantity: Fraction, quantity_unit_key: str, factor_key: str) -> None:
        f = self.fs.factor(factor_key)
        kg = quantity * f.exact
        self.total += kg
        self.lines.append(
            Line(
                item=item,
                label=t(f"footprint.item.{item}", self.lang),
                quantity=exact_decimal(quantity),
                quantity_unit=t(f"footprint.unit.{quantity_unit_key}", self.lang),
                factor=factor_used(f, self.lang),
                kg=exact_decimal(kg),
            )
        )
        if not f.verified:
            self.notes.add("footprint.note.unverified")
        if f.proxy:
            self.notes.add("footprint.note.proxy")

    def result(self, kind: str) -> Footprint:
        total = self.total
        if total == 0:
            raise AppError("footprint.nothing_entered", detail={"field": None})
        offset = math.ceil(total)
        purpose = PURPOSE[kind]
        return Footprint(
            kind=kind,  # type: ignore[arg-type]
            lines=self.lines,
            kg=exact_decimal(total),
            offset_kg=offset,
            factor_set_version=self.fs.version,
            factor_set_sha256=self.fs.sha256,
            purpose=purpose,
            buy_url="/market?" + urlencode({"kg": offset, "purpose": purpose}),
            notes=[t(k, self.lang) for k in sorted(self.notes)],
        )


def _mode_factor(mode: str, one_way_km: Fraction, radiative_forcing: bool, fs: FactorSet) -> str:
    if mode != "air":
        return f"factor.{mode}"
    boundary = fs.factor("design.air_band_boundary_km").exact
    band = "air_short_haul" if one_way_km < boundary else "air_long_haul"
    return f"factor.{band}{'_rf' if radiative_forcing else ''}"


def _travel_item(mode: str) -> tuple[str, str]:
    """(line item, quantity unit): passenger modes count passenger-km, cars count vehicle-km."""
    return ("car", "vehicle_km") if mode in CAR_MODES else (mode, "passenger_km")


def preset_distance(fs: FactorSet, origin: str, destination: str, mode: str) -> Fraction:
    """One-way km between two preset places: great-circle, × the routing factor for ground modes."""
    for key, field in ((origin, "origin"), (destination, "destination")):
        if key not in fs.places:
            raise AppError("footprint.unknown_place", detail={"field": field}, place=key)
    km = fs.routes.get((origin, destination)) or fs.routes.get((destination, origin))
    if km is None:
        raise AppError("footprint.no_route", detail={"field": "destination"}, origin=origin, destination=destination)
    if mode == "air":
        return Fraction(km)
    return Fraction(km) * fs.factor("design.ground_routing_factor").exact


def trip(data: TripIn, lang: str = "zh", version: str | None = None) -> Footprint:
    fs = factor_set(version)
    b = _Builder(fs, lang, [], set())
    if data.distance_km is not None:
        one_way = _decimal(fs, "distance_km", data.distance_km, "distance_km_max", positive=True)
    elif data.origin and data.destination:
        one_way = preset_distance(fs, data.origin, data.destination, data.mode)
        b.notes.add("footprint.note.preset_distance")
        if data.mode != "air":
            b.notes.add("footprint.note.routing_factor")
    else:
        raise AppError("footprint.distance_or_places", detail={"field": "distance_km"})
    _at_most(fs, "people_max", "people", data.people)
    _at_most(fs, "vehicles_max", "vehicles", data.vehicles)
    _at_most(fs, "hotel_nights_max", "hotel_nights", data.hotel_nights)
    _at_most(fs, "hotel_rooms_max", "hotel_rooms", data.hotel_rooms)
    legs = 2 if data.return_trip else 1
    item, unit = _travel_item(data.mode)
    travellers = data.vehicles if data.mode in CAR_MODES else data.people
    b.add(item, one_way * legs * travellers, unit, _mode_factor(data.mode, one_way, data.radiative_forcing, fs))
    if data.hotel_nights:
        b.add("hotel", Fraction(data.hotel_nights * data.hotel_rooms), "room_night", "factor.hotel_cn")
    return b.result("trip")


def day(data: DayIn, lang: str = "zh", version: str | None = None) -> Footprint:
    fs = factor_set(version)
    b = _Builder(fs, lang, [], set())
    _at_most(fs, "days_max", "days", data.days)
    kwh = _decimal(fs, "electricity_kwh_per_day", data.electricity_kwh_per_day, "electricity_kwh_per_day_max")
    if kwh:
        b.add("electricity", kwh * data.days, "kwh", "factor.grid_cn_national")
    for mode, km in data.commute_km_per_day.items():
        if mode not in GROUND_MODES:
            raise AppError(
                "footprint.unknown_commute_mode",
                detail={"field": "commute_km_per_day"},
                mode=mode,
                options=", ".join(GROUND_MODES),
            )
        per_day = _decimal(fs, "commute_km_per_day", km, "commute_km_per_day_max")
        if per_day:
            item, unit = _travel_item(mode)
            b.add(item, per_day * data.days, unit, f"factor.{mode}")
    return b.result("day")


def event(data: EventIn, lang: str = "zh", version: str | None = None) -> Footprint:
    fs = factor_set(version)
    b = _Builder(fs, lang, [], set())
    _at_most(fs, "attendees_max", "attendees", data.attendees)
    _at_most(fs, "event_days_max", "days", data.days)
    _at_most(fs, "event_room_nights_max", "hotel_room_nights", data.hotel_room_nights)
    _at_most(fs, "travel_groups_max", "travel", len(data.travel))
    kwh = _decimal(fs, "venue_kwh_per_day", data.venue_kwh_per_day, "venue_kwh_per_day_max")
    travellers = sum(g.count for g in data.travel if g.mode not in CAR_MODES)
    if travellers > data.attendees:
        raise AppError(
            "footprint.limit.travellers_exceed_attendees",
            detail={"field": "travel", "limit": str(data.attendees)},
            limit=data.attendees,
            given=travellers,
        )
    if kwh:
        b.add("venue_electricity", kwh * data.days, "kwh", "factor.grid_cn_national")
    if data.hotel_room_nights:
        b.add("hotel", Fraction(data.hotel_room_nights), "room_night", "factor.hotel_cn")
    for g in data.travel:
        one_way = _decimal(fs, "distance_km", g.distance_km, "distance_km_max", positive=True)
        item, unit = _travel_item(g.mode)
        # Every attendee travels there and back once.
        b.add(item, one_way * 2 * g.count, unit, _mode_factor(g.mode, one_way, data.radiative_forcing, fs))
    return b.result("event")
