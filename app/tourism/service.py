"""碳汇+旅游: scenic spots, visitors' trip offsets through the market, and the benefit a certificate earns.

Rules:
- a scenic operator's staff (Role.SCENIC_OPERATOR in a scenic_operator organisation) register and edit
  their organisation's spots; every change is audited in its transaction;
- a visitor's offset is an ordinary market order (`market.place_order`, purpose "trip"), reserved,
  paid and retired by the market and payments machinery; this domain only adds one `SpotOrder` row
  keyed by the order, in the same transaction, so the certificate finds its spot and trip;
- the kg bought is the trip footprint's ceil (footprint.trip), recomputed here from the trip, never
  taken from the visitor, rounded up to the chosen listing's unit;
- a spot's benefit is granted once per certificate per spot: the (spot, certificate) pair is unique and
  the insert is the check, so two staff scanning at once get one grant and one 409 naming the first;
- only the spot's own operator grants it, and only on a certificate bought for that spot.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.certificates import service as certificates
from app.core.audit import record
from app.core.auth import Principal, Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING, t
from app.footprint import service as footprint
from app.footprint.schemas import Footprint, TripIn
from app.market import service as market
from app.regions import service as regions
from app.settings import Settings
from app.tourism import messages  # noqa: F401  (registers the domain's messages)
from models.accounts import Organisation, User
from models.market import Order
from models.tourism import Redemption, ScenicSpot, SpotOrder

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, no 1/I: read aloud and typed back
CODE_LENGTH = 8
MAX_ORIGINS = 20
MAX_KM = 20_000  # the footprint factor file's one-way distance limit
# How each preset distance is travelled on the trip form: road by car or coach, rail, air.
WAYS = (("car_petrol", "road_km"), ("coach", "road_km"), ("rail", "rail_km"), ("air", "air_km"))
KM_FIELDS = ("road_km", "rail_km", "air_km")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_spot_code(typed: str) -> str:
    return (typed or "").strip().upper()


# --- spots ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpotAsk:
    """A spot as the operator describes it; `None` in an edit keeps what is there."""

    name_zh: str | None = None
    name_en: str | None = None
    county_code: str | None = None
    latitude: Any = None
    longitude: Any = None
    origins: Any = None
    benefit_zh: str | None = None
    benefit_en: str | None = None
    active: bool | None = None


def _bad(key: str, field: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": field}], **params)


def _degrees(value: Any, limit: int, field: str) -> Decimal:
    try:
        d = Decimal(str(value)) if not isinstance(value, bool) and value is not None else None
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite() or not -limit <= d <= limit:
        raise _bad("tourism.bad_location", field)
    return d.quantize(Decimal("0.000001"))


def check_origins(raw: Any) -> list[dict[str, Any]]:
    """The origin presets, cleaned: each a name (zh, optional en) and whole one-way km by road, rail, air."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ORIGINS:
        raise _bad("tourism.no_origins", "origins", most=MAX_ORIGINS)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(raw, start=1):

        def refuse(reason: str, n: int = n, **params: Any) -> AppError:
            return AppError(reason, detail=[{"field": f"origins[{n - 1}]"}], n=n, **params)

        if not isinstance(item, Mapping):
            raise refuse("tourism.origin.name")
        name_zh = str(item.get("name_zh") or "").strip()
        name_en = str(item.get("name_en") or "").strip()
        if not 0 < len(name_zh) <= 32 or len(name_en) > 64:
            raise refuse("tourism.origin.name")
        if name_zh in seen:
            raise refuse("tourism.origin.duplicate")
        seen.add(name_zh)
        kms: dict[str, int | None] = {}
        for name in KM_FIELDS:
            value = item.get(name)
            if value is None or value == "":
                kms[name] = None
            elif isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_KM:
                kms[name] = value
            else:
                raise refuse("tourism.origin.distance", most=MAX_KM)
        if not any(kms.values()):
            raise refuse("tourism.origin.distance", most=MAX_KM)
        out.append({"key": f"o{n}", "name_zh": name_zh, "name_en": name_en, **kms})
    return out


def _clean(ask: SpotAsk, spot: ScenicSpot | None) -> dict[str, Any]:
    """The columns to write, each checked; on an edit only those given."""
    values: dict[str, Any] = {}
    creating = spot is None
    if creating or ask.name_zh is not None or ask.name_en is not None:
        name_zh = (ask.name_zh if ask.name_zh is not None else spot.name_zh if spot else "").strip()
        name_en = (ask.name_en if ask.name_en is not None else spot.name_en if spot else "").strip()
        if not 0 < len(name_zh) <= 64 or len(name_en) > 128:
            raise _bad("tourism.bad_name", "name_zh")
        values |= {"name_zh": name_zh, "name_en": name_en}
    if creating or ask.county_code is not None:
        values["county_code"] = regions.county(ask.county_code or "").code
    if creating or ask.latitude is not None:
        values["latitude"] = _degrees(ask.latitude, 90, "latitude")
    if creating or ask.longitude is not None:
        values["longitude"] = _degrees(ask.longitude, 180, "longitude")
    if creating or ask.origins is not None:
        values["origins"] = check_origins(ask.origins)
    if creating or ask.benefit_zh is not None or ask.benefit_en is not None:
        benefit_zh = (ask.benefit_zh if ask.benefit_zh is not None else spot.benefit_zh if spot else "").strip()
        benefit_en = (ask.benefit_en if ask.benefit_en is not None else spot.benefit_en if spot else "").strip()
        if not 0 < len(benefit_zh) <= 100 or len(benefit_en) > 200:
            raise _bad("tourism.bad_benefit", "benefit_zh")
        values |= {"benefit_zh": benefit_zh, "benefit_en": benefit_en}
    if ask.active is not None:
        values["active"] = bool(ask.active)
    elif creating:
        values["active"] = True
    return values


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


async def operator_of(principal: Principal, organisation_public_id: str | None = None) -> Organisation:
    """The scenic operator the staff member acts for: the one named, or their only one."""
    mine = principal.orgs_with(Role.SCENIC_OPERATOR.value)
    if not mine:
        raise Forbidden("tourism.not_operator")
    if organisation_public_id:
        org = await Organisation.get_or_none(public_id=organisation_public_id, kind="scenic_operator")
        if org is None or org.id not in mine:
            raise Forbidden("tourism.not_operator")
        return org
    if len(mine) > 1:
        raise _bad("tourism.which_operator", "organisation")
    return await Organisation.get(id=next(iter(mine)))


async def register_spot(principal: Principal, ask: SpotAsk, organisation_public_id: str | None = None) -> ScenicSpot:
    org = await operator_of(principal, organisation_public_id)
    values = _clean(ask, None)
    for _ in range(5):  # a new random code; a clash with an existing one (1 in 32⁸ per spot) draws again
        try:
            async with in_transaction():
                spot = await ScenicSpot.create(code=new_code(), organisation=org, created_by=principal.user, **values)
                await record(
                    actor=f"user:{principal.user.public_id}",
                    action="tourism.spot.registered",
                    entity_type="scenic_spot",
                    entity_id=spot.code,
                    after={"organisation": org.public_id, **_audited(values)},
                )
            return spot
        except IntegrityError:
            continue
    raise Conflict("error.conflict")


async def spot_by_code(code: str) -> ScenicSpot:
    spot = await ScenicSpot.get_or_none(code=normalise_spot_code(code)).select_related("organisation")
    if spot is None:
        raise NotFound("tourism.spot_not_found")
    return spot


async def own_spot(principal: Principal, code: str) -> ScenicSpot:
    spot = await spot_by_code(code)
    if spot.organisation_id not in principal.orgs_with(Role.SCENIC_OPERATOR.value):  # type: ignore[attr-defined]
        raise Forbidden("tourism.not_your_spot", spot=spot.code)
    return spot


async def update_spot(principal: Principal, code: str, ask: SpotAsk) -> ScenicSpot:
    spot = await own_spot(principal, code)
    values = _clean(ask, spot)
    before = {k: getattr(spot, k) for k in values}
    changed = {k: v for k, v in values.items() if before[k] != v}
    if changed:
        async with in_transaction():
            await ScenicSpot.filter(id=spot.id).update(**changed)
            await record(
                actor=f"user:{principal.user.public_id}",
                action="tourism.spot.updated",
                entity_type="scenic_spot",
                entity_id=spot.code,
                before=_audited({k: before[k] for k in changed}),
                after=_audited(changed),
            )
    return await spot_by_code(spot.code)


async def spots_of(principal: Principal) -> list[ScenicSpot]:
    org_ids = principal.orgs_with(Role.SCENIC_OPERATOR.value)
    if not org_ids:
        raise Forbidden("tourism.not_operator")
    return await ScenicSpot.filter(organisation_id__in=org_ids).select_related("organisation").order_by("id")


def name_of(spot: ScenicSpot, lang: str) -> str:
    return spot.name_en if lang == "en" and spot.name_en else spot.name_zh


def benefit_of(spot: ScenicSpot, lang: str) -> str:
    return spot.benefit_en if lang == "en" and spot.benefit_en else spot.benefit_zh


def origin_name(origin: Mapping[str, Any], lang: str) -> str:
    return str(origin.get("name_en") or origin["name_zh"]) if lang == "en" else str(origin["name_zh"])


# --- the visitor's trip -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Trip:
    """A trip to a spot as footprinted: what the order buys and the certificate shows."""

    origin: dict[str, Any] | None
    data: TripIn
    footprint: Footprint

    def record(self) -> dict[str, Any]:
        return {
            "origin": self.origin["key"] if self.origin else None,
            "origin_name_zh": self.origin["name_zh"] if self.origin else "",
            "origin_name_en": self.origin["name_en"] if self.origin else "",
            "mode": self.data.mode,
            "distance_km": str(self.data.distance_km) if self.data.distance_km is not None else None,
            "people": self.data.people,
            "vehicles": self.data.vehicles,
            "hotel_nights": self.data.hotel_nights,
            "return_trip": self.data.return_trip,
            "footprint_kg": self.footprint.kg,
            "offset_kg": self.footprint.offset_kg,
        }


def trip_to(spot: ScenicSpot, origin_key: str | None, data: TripIn, lang: str) -> Trip:
    """The footprint of a trip to `spot` (footprint.trip's numbers), from one of its origins or a typed distance."""
    origin = None
    if origin_key:
        origin = next((o for o in spot.origins if o["key"] == origin_key), None)
        if origin is None:
            raise _bad("tourism.unknown_origin", "origin")
    return Trip(origin, data, footprint.trip(data, lang))


def trip_line(spot: ScenicSpot, trip: Mapping[str, Any], lang: str) -> str:
    """成都 → 九寨沟，火车/高铁 350 千米，2 人，往返，住宿 1 晚."""
    origin = (trip.get("origin_name_en") or trip.get("origin_name_zh")) if lang == "en" else trip.get("origin_name_zh")
    km = trip.get("distance_km") or "?"
    return t(
        "tourism.page.trip_line",
        lang,
        origin=origin or "…",
        spot=name_of(spot, lang),
        way=t(f"tourism.way.{trip['mode']}", lang, km=km)
        if f"{trip['mode']}" in dict(WAYS)
        else f"{trip['mode']} {km} km",
        people=trip.get("people", 1),
        back=t("tourism.page.return", lang) if trip.get("return_trip") else "",
        nights=t("tourism.page.nights", lang, n=trip["hotel_nights"]) if trip.get("hotel_nights") else "",
    )


Offer = market.Offer


async def offer_for(settings: Settings, footprint_kg: int) -> Offer:
    """The cheapest listing that sells the footprint rounded up to its unit (market.cheapest_offer)."""
    return await market.cheapest_offer(settings, footprint_kg, "tourism.nothing_on_sale")


async def offset_trip(
    settings: Settings, buyer: User, spot: ScenicSpot, trip: Trip, beneficiary: str, beneficiary_shown: str = "masked"
) -> Order:
    """A market order for the trip's offset (purpose trip), linked to the spot in the same transaction."""
    if not spot.active:
        raise Conflict("tourism.spot_inactive", spot=spot.name_zh)
    offer = await offer_for(settings, trip.footprint.offset_kg)
    note = f"{spot.name_zh}（{spot.code}）：" + trip_line(spot, trip.record(), "zh")
    ask = market.OrderAsk(
        listing=offer.listing,
        kg=offer.kg,
        purpose="trip",
        beneficiary=beneficiary,
        beneficiary_shown=beneficiary_shown,
        purpose_note=note[:100],
    )
    async with in_transaction():  # place_order's own transaction nests inside: the order and its link, or nothing
        order = await market.place_order(settings, buyer, ask)
        await SpotOrder.create(order=order, spot=spot, trip=trip.record())
        await record(
            actor=f"user:{buyer.public_id}",
            action="tourism.order.linked",
            entity_type="order",
            entity_id=order.public_id,
            after={"spot": spot.code, "kg": offer.kg, "footprint_kg": trip.footprint.kg},
        )
    return order


# --- on the certificate -----------------------------------------------------------------------------
async def link_of_certificate(code: str) -> SpotOrder | None:
    return await SpotOrder.filter(order__certificate_code=code).select_related("spot", "order").first()


async def certificate_rows(code: str, lang: str) -> list[tuple[str, str]]:
    """The certificate page's lines about the spot: which spot (its code), the trip, the benefit's state."""
    link = await link_of_certificate(code)
    if link is None:
        return []
    spot = link.spot
    first = await Redemption.filter(spot_id=spot.id, certificate_code=code).first()
    state = (
        t("tourism.page.redeemed_at", lang, at=_moment(first.created_at))
        if first
        else t("tourism.page.not_redeemed", lang)
    )
    return [
        (t("tourism.page.certificate_spot", lang), f"{name_of(spot, lang)} · {spot.code}"),
        (t("tourism.page.certificate_trip", lang), trip_line(spot, link.trip, lang)),
        (
            t("tourism.page.certificate_benefit", lang),
            f"{benefit_of(spot, lang)}（{state}）" if lang == "zh" else f"{benefit_of(spot, lang)} ({state})",
        ),
    ]


certificates.register_page_rows(certificate_rows)


def _moment(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


# --- benefit redemption -----------------------------------------------------------------------------
async def redeem(principal: Principal, spot_code: str, typed_certificate: str) -> Redemption:
    """Grant the spot's benefit on a certificate, once: the unique (spot, certificate) insert decides."""
    spot = await own_spot(principal, spot_code)
    if not spot.active:
        raise Conflict("tourism.spot_inactive", spot=spot.name_zh)
    code = certificates.normalise_code(typed_certificate)
    order = await Order.get_or_none(certificate_code=code, status="fulfilled") if code else None
    if order is None:
        raise NotFound("tourism.certificate_not_found", detail=[{"field": "certificate"}])
    link = await SpotOrder.get_or_none(order_id=order.id).select_related("spot")
    if link is None:
        raise Conflict("tourism.certificate_not_for_spot", detail=[{"field": "certificate"}])
    if link.spot.id != spot.id:
        key = (
            "tourism.certificate_other_operator"
            if link.spot.organisation_id != spot.organisation_id  # type: ignore[attr-defined]
            else "tourism.certificate_other_spot"
        )
        raise Conflict(key, detail=[{"field": "certificate"}], spot=link.spot.name_zh, code=link.spot.code)
    try:
        async with in_transaction():
            granted = await Redemption.create(
                spot=spot, certificate_code=code, order=order, kg=order.kg, granted_by=principal.user
            )
            await record(
                actor=f"user:{principal.user.public_id}",
                action="tourism.benefit.granted",
                entity_type="scenic_spot",
                entity_id=spot.code,
                after={"certificate": code, "order": order.public_id, "kg": order.kg, "benefit": spot.benefit_zh},
            )
        return granted
    except IntegrityError:
        first = await Redemption.get(spot_id=spot.id, certificate_code=code)
        raise Conflict(
            "tourism.already_redeemed",
            detail={"first_redeemed_at": first.created_at.isoformat(), "spot": spot.code},
            at=_moment(first.created_at),
            place=f"{spot.name_zh}（{spot.code}）",
        ) from None


# --- the operator's dashboard -----------------------------------------------------------------------
@dataclass
class Figures:
    visitors: int = 0
    kg: int = 0
    benefits: int = 0


@dataclass(frozen=True)
class Dashboard:
    spots: list[ScenicSpot]
    per_spot: dict[str, Figures]
    per_day: list[tuple[date, str, Figures]]  # (Beijing day, spot code, figures), newest first
    total: Figures


async def dashboard(principal: Principal) -> Dashboard:
    """Certificates linked to the operator's spots (visitors), their kg, benefits granted: per spot and per day."""
    spots = await spots_of(principal)
    by_id = {s.id: s.code for s in spots}
    per_spot = {s.code: Figures() for s in spots}
    days: dict[tuple[date, str], Figures] = defaultdict(Figures)
    total = Figures()
    linked = await SpotOrder.filter(spot_id__in=list(by_id), order__status="fulfilled").values_list(
        "spot_id", "order__kg", "order__resolved_at"
    )
    for spot_id, kg, at in linked:
        code = by_id[spot_id]
        for figures in (per_spot[code], days[(at.astimezone(BEIJING).date(), code)], total):
            figures.visitors += 1
            figures.kg += kg
    for spot_id, at in await Redemption.filter(spot_id__in=list(by_id)).values_list("spot_id", "created_at"):
        code = by_id[spot_id]
        for figures in (per_spot[code], days[(at.astimezone(BEIJING).date(), code)], total):
            figures.benefits += 1
    per_day = sorted(((d, c, f) for (d, c), f in days.items()), key=lambda row: (row[0], row[1]), reverse=True)
    return Dashboard(spots, per_spot, per_day, total)


CSV_COLUMNS = ("day", "spot_code", "spot_name", "visitors", "kg_offset", "benefits_granted")


def dashboard_csv(board: Dashboard, rows: Sequence[tuple[date, str, Figures]] | None = None) -> bytes:
    """One line per day and spot, UTF-8 with a byte-order mark so Excel reads the Chinese names."""
    names = {s.code: s.name_zh for s in board.spots}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for day, code, f in rows if rows is not None else board.per_day:
        writer.writerow([day.isoformat(), code, names[code], f.visitors, f.kg, f.benefits])
    return ("\ufeff" + buffer.getvalue()).encode()
