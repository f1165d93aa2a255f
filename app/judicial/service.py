"""碳汇+司法: a court's restoration case, the defendant's payments toward it, its planting, voucher and closure.

Rules:
- a court's staff (Role.COURT in a court organisation) create cases; the 案号 is unique per court; the
  defendant's name is personal data: stored AES-GCM encrypted, shown masked (张*) on every public page;
- the defendant opens the payment link (a code apart from the public case code), signs in like any buyer
  and pays toward the kg through the market: each payment is an ordinary market order, linked to the case
  in the same transaction; the first account to pay or plant is linked as the case's defendant;
- partial payments add up; an order is refused when the kg asked exceed what is still owed after the
  kg already retired and the kg of unpaid orders still holding (read under the case row's lock), so the
  kg retired for a case never exceed the kg owed (also a CHECK); the fulfilment re-checks under the lock
  and refunds a payment that would;
- the retirements an order makes are linked to the case in the fulfilment's transaction, each retirement
  to one case only (UNIQUE): a retired serial is final (credits never moves a retired block), and it can
  never count for a second case;
- same county: JUDICIAL_SAME_COUNTY=prefer takes the cheapest listing of the damage county that can sell
  the kg, else the cheapest anywhere; require refuses kg from elsewhere; off takes the cheapest anywhere.
  Any kg retired outside the damage county flags the case 损益分离;
- planting: the defendant's approved planting logs of the case's campaign (and site, if one is named),
  planted on or after the case's day, count toward its trees, each log for one case only (UNIQUE); a log
  is counted in its approval's transaction (the planting review's hook), or, if approved before the
  defendant linked the case, when they link it; looking at a case writes nothing;
- a case is fulfilled when all kg are retired and all trees counted; only then is there a 生态修复履行凭证
  (voucher); the court confirms closure of a fulfilled case; every step is audited, without personal data.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.campaigns import service as campaigns
from app.certificates import service as certificates
from app.certificates.schemas import CertificateOut
from app.core.audit import record
from app.core.auth import Principal, Role
from app.core.crypto import decrypt, encrypt, mask_name
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.exports import csv_bytes
from app.core.i18n import BEIJING, t
from app.judicial import (
    messages,  # noqa: F401  (registers the domain's messages)
    tending,
)
from app.market import service as market
from app.payments import service as payments
from app.planting import service as planting
from app.regions import service as regions
from app.settings import Settings
from models.accounts import Organisation, User
from models.campaigns import Campaign
from models.credits import Issuance, Retirement
from models.judicial import CaseOrder, CasePlanting, CaseRetirement, RestorationCase
from models.market import Order
from models.planting import PlantingLog

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, no 1/I: read aloud and typed back
CODE_LENGTH = 10  # the public case code: 50 random bits
PAY_CODE_LENGTH = 12  # the defendant's payment link: 60 random bits
MAX_KG = market.MAX_ORDER_KG
MAX_TREES = 1_000_000
NAME_PURPOSE = "defendant_name"
STATUSES = ("open", "fulfilled", "closed")


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(typed: str) -> str:
    return "".join((typed or "").split()).replace("-", "").upper()


def now() -> datetime:
    return datetime.now(UTC)


def _bad(key: str, field_name: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": field_name}], **params)


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# --- cases ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseAsk:
    """A restoration order as the court writes it."""

    case_number: str
    cause: str
    damage_county_code: str
    defendant_name: str
    deadline: date
    kg_owed: int = 0
    trees_owed: int = 0
    tend_years: int = 0
    campaign: str | None = None  # slug
    site: str | None = None  # the campaign site's key
    court_name: str | None = None  # the court organisation's name if not given


async def court_of(principal: Principal, organisation_public_id: str | None = None) -> Organisation:
    """The court the staff member acts for: the one named, or their only one."""
    mine = principal.orgs_with(Role.COURT.value)
    if not mine:
        raise Forbidden("judicial.not_court")
    if organisation_public_id:
        org = await Organisation.get_or_none(public_id=organisation_public_id, kind="court")
        if org is None or org.id not in mine:
            raise Forbidden("judicial.not_court")
        return org
    if len(mine) > 1:
        raise _bad("judicial.which_court", "organisation")
    return await Organisation.get(id=next(iter(mine)))


async def _clean(ask: CaseAsk, court: Organisation) -> dict[str, Any]:
    number = (ask.case_number or "").strip()
    if not 0 < len(number) <= 64 or not number.isprintable():
        raise _bad("judicial.bad_case_number", "case_number")
    court_name = (ask.court_name or court.name).strip()
    if not 0 < len(court_name) <= 128:
        raise _bad("judicial.bad_court_name", "court_name")
    cause = (ask.cause or "").strip()
    if not 0 < len(cause) <= 200:
        raise _bad("judicial.bad_cause", "cause")
    county = regions.county(ask.damage_county_code or "", "damage_county_code").code
    name = (ask.defendant_name or "").strip()
    if not 0 < len(name) <= 64 or not name.isprintable():
        raise _bad("judicial.bad_defendant", "defendant_name")
    if not _whole(ask.kg_owed, 0, MAX_KG):
        raise _bad("judicial.bad_kg", "kg_owed", most=MAX_KG)
    if not _whole(ask.trees_owed, 0, MAX_TREES):
        raise _bad("judicial.bad_trees", "trees_owed", most=MAX_TREES)
    if not _whole(ask.tend_years, 0, 50):
        raise _bad("judicial.bad_tend_years", "tend_years")
    if ask.kg_owed + ask.trees_owed == 0:
        raise _bad("judicial.owes_nothing", "kg_owed")
    if not isinstance(ask.deadline, date) or ask.deadline < now().astimezone(BEIJING).date():
        raise _bad("judicial.bad_deadline", "deadline")
    campaign: Campaign | None = None
    site_key: str | None = None
    if ask.campaign:
        try:
            campaign = await campaigns.campaign(ask.campaign)
        except NotFound:
            raise _bad("judicial.unknown_campaign", "campaign") from None
        if ask.site:
            try:
                site_key = (await campaigns.site_of(campaign, ask.site)).key
            except NotFound:
                raise _bad("judicial.unknown_site", "site") from None
    elif ask.site:
        raise _bad("judicial.unknown_campaign", "campaign")
    if ask.trees_owed and campaign is None:
        raise _bad("judicial.trees_need_site", "campaign")
    return {
        "case_number": number,
        "court_name": court_name,
        "cause": cause,
        "damage_county_code": county,
        "defendant_name": name,
        "kg_owed": ask.kg_owed,
        "trees_owed": ask.trees_owed,
        "tend_years": ask.tend_years,
        "campaign": campaign,
        "site_key": site_key,
        "deadline": ask.deadline,
    }


async def create_case(
    settings: Settings, principal: Principal, ask: CaseAsk, organisation_public_id: str | None = None
) -> RestorationCase:
    court = await court_of(principal, organisation_public_id)
    values = await _clean(ask, court)
    if await RestorationCase.filter(organisation_id=court.id, case_number=values["case_number"]).exists():
        raise Conflict("judicial.case_exists", detail=[{"field": "case_number"}], number=values["case_number"])
    name = values.pop("defendant_name")
    for _ in range(5):  # a clash of random codes (1 in 32¹⁰) draws again; a clash of 案号 is a 409
        try:
            async with in_transaction():
                case = await RestorationCase.create(
                    code=new_code(CODE_LENGTH),
                    pay_code=new_code(PAY_CODE_LENGTH),
                    organisation=court,
                    defendant_name_enc=encrypt(settings.data_key, name, NAME_PURPOSE),
                    created_by=principal.user,
                    **values,
                )
                await record(
                    actor=f"user:{principal.user.public_id}",
                    action="judicial.case.created",
                    entity_type="restoration_case",
                    entity_id=case.code,
                    after={  # public facts only: never the defendant's name, nor the payment code
                        "court": court.public_id,
                        "case_number": case.case_number,
                        "cause": case.cause,
                        "damage_county_code": case.damage_county_code,
                        "kg_owed": case.kg_owed,
                        "trees_owed": case.trees_owed,
                        "tend_years": case.tend_years,
                        "campaign": values["campaign"].slug if values["campaign"] else None,
                        "site": case.site_key,
                        "deadline": case.deadline.isoformat(),
                        "status": "open",
                    },
                )
            return case
        except IntegrityError:
            if await RestorationCase.filter(organisation_id=court.id, case_number=values["case_number"]).exists():
                raise Conflict(
                    "judicial.case_exists", detail=[{"field": "case_number"}], number=values["case_number"]
                ) from None
    raise Conflict("error.conflict")


async def case_by_code(code: str) -> RestorationCase:
    case = await RestorationCase.get_or_none(code=normalise_code(code)).select_related("campaign")
    if case is None:
        raise NotFound("judicial.case_not_found")
    return case


async def case_by_pay_code(code: str) -> RestorationCase:
    case = await RestorationCase.get_or_none(pay_code=normalise_code(code)).select_related("campaign")
    if case is None:
        raise NotFound("judicial.case_not_found")
    return case


async def own_case(principal: Principal, code: str) -> RestorationCase:
    """A case of the staff member's court; another court's case is answered as unknown."""
    if not principal.orgs_with(Role.COURT.value):
        raise Forbidden("judicial.not_court")
    case = await case_by_code(code)
    if case.organisation_id not in principal.orgs_with(Role.COURT.value):  # type: ignore[attr-defined]
        raise NotFound("judicial.case_not_found")
    return case


async def reviewable_case(principal: Principal, code: str) -> RestorationCase:
    """A case whose 管护报告 the caller may review: staff of the court that owns it, or an organiser of the
    organisation running the campaign its trees were planted in. Anyone else's case is answered as unknown."""
    courts = principal.orgs_with(Role.COURT.value)
    organisers = principal.orgs_with(Role.ORGANISER.value)
    if not courts and not organisers:
        raise Forbidden("judicial.not_reviewer")
    case = await case_by_code(code)
    if case.organisation_id in courts:  # type: ignore[attr-defined]
        return case
    if case.campaign is not None and case.campaign.organisation_id in organisers:  # type: ignore[attr-defined]
        return case
    raise NotFound("judicial.case_not_found")


async def cases_of(principal: Principal) -> list[RestorationCase]:
    org_ids = principal.orgs_with(Role.COURT.value)
    if not org_ids:
        raise Forbidden("judicial.not_court")
    return await RestorationCase.filter(organisation_id__in=org_ids).select_related("campaign").order_by("-id")


def defendant_name(settings: Settings, case: RestorationCase) -> str:
    return decrypt(settings.data_key, bytes(case.defendant_name_enc), NAME_PURPOSE)


def defendant_masked(settings: Settings, case: RestorationCase) -> str:
    return mask_name(defendant_name(settings, case))


async def site_name(case: RestorationCase, lang: str) -> str:
    """活动名 · 地块名: where the trees are planted, empty when the order has none."""
    campaign = case.campaign
    if campaign is None:
        return ""
    title = campaign.title_en if lang == "en" and campaign.title_en else campaign.title_zh
    if not case.site_key:
        return str(title)
    site = await campaigns.site_of(campaign, case.site_key)
    return f"{title} · {site.name_en if lang == 'en' and site.name_en else site.name_zh}"


# --- progress ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    kg_owed: int
    kg_paid: int
    kg_pending: int  # in unpaid orders still holding their kg
    trees_owed: int
    trees_counted: int

    @property
    def kg_left(self) -> int:
        """What the defendant may still order: owed less retired less held by unpaid orders."""
        return max(self.kg_owed - self.kg_paid - self.kg_pending, 0)

    @property
    def trees_left(self) -> int:
        return max(self.trees_owed - self.trees_counted, 0)

    @property
    def fulfilled(self) -> bool:
        return self.kg_paid >= self.kg_owed and self.trees_counted >= self.trees_owed


async def pending_kg(case_id: int, at: datetime | None = None) -> int:
    rows = await CaseOrder.filter(
        case_id=case_id, order__status="pending", order__expires_at__gt=at or now()
    ).values_list("kg", flat=True)
    return sum(int(kg) for kg in rows)  # type: ignore[call-overload]


async def progress(case: RestorationCase) -> Progress:
    return Progress(case.kg_owed, case.kg_paid, await pending_kg(case.id), case.trees_owed, case.trees_counted)


async def _settle(case_id: int, actor: str) -> bool:
    """Flip open → fulfilled once everything is in (inside a transaction); True if it did."""
    case = await RestorationCase.get(id=case_id)
    if case.status != "open" or case.kg_paid < case.kg_owed or case.trees_counted < case.trees_owed:
        return False
    at = now()
    if not await RestorationCase.filter(id=case_id, status="open").update(status="fulfilled", fulfilled_at=at):
        return False
    await record(
        actor=actor,
        action="judicial.case.fulfilled",
        entity_type="restoration_case",
        entity_id=case.code,
        before={"status": "open"},
        after={
            "status": "fulfilled",
            "kg_paid": case.kg_paid,
            "trees_counted": case.trees_counted,
            "separated": case.separated,
        },
    )
    return True


# --- the defendant's payments ----------------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    listing: str
    kg: int
    total_fen: int
    same_county: bool


async def offer_for(settings: Settings, case: RestorationCase, kg: int) -> Offer:
    """The listing that sells `kg` for the case: the damage county's cheapest first when preferred."""
    fits = [
        v
        for v in await market.catalogue(settings, limit=500)
        if v.remaining_kg >= kg and kg % v.listing.price_unit_kg == 0
    ]
    local = [v for v in fits if v.listing.county_code == case.damage_county_code]
    rule = settings.judicial_same_county
    chosen = (local or ([] if rule == "require" else fits)) if rule != "off" else fits
    if not chosen:
        key = "judicial.nothing_in_county" if rule == "require" and fits else "judicial.nothing_on_sale"
        raise Conflict(key, detail=[{"field": "kg"}], kg=kg, county=regions.full_name(case.damage_county_code) or "?")
    view = chosen[0]  # the catalogue is cheapest per kg first
    return Offer(
        view.listing.public_id,
        kg,
        kg // view.listing.price_unit_kg * view.listing.price_fen,
        view.listing.county_code == case.damage_county_code,
    )


async def _link_defendant(case: RestorationCase, user: User) -> bool:
    """The first account to pay or plant for the case becomes its defendant; anyone else is refused.
    True when this call linked it: the caller then counts the logs approved before (`count_planting`)."""
    if case.defendant_id == user.id:  # type: ignore[attr-defined]
        return False
    if case.defendant_id is None and await RestorationCase.filter(id=case.id, defendant_id=None).update(  # type: ignore[attr-defined]
        defendant_id=user.id
    ):
        await record(
            actor=f"user:{user.public_id}",
            action="judicial.defendant.linked",
            entity_type="restoration_case",
            entity_id=case.code,
            after={"defendant_account": user.public_id},
        )
        case.defendant_id = user.id  # type: ignore[attr-defined]
        return True
    raise Forbidden("judicial.not_the_defendant")


async def pay_toward(settings: Settings, buyer: User, pay_code: str, kg: object) -> Order:
    """A market order for `kg` of the case's kg, linked to the case: refused beyond what is still owed."""
    case = await case_by_pay_code(pay_code)
    if not _whole(kg, 1, MAX_KG):
        raise _bad("judicial.bad_payment_kg", "kg", most=MAX_KG)
    assert isinstance(kg, int)
    async with in_transaction():
        # The case row's lock orders this against other payments and fulfilments of the same case (it is
        # taken before any inventory lock, as the fulfilment takes it: no deadlock).
        locked = await RestorationCase.filter(id=case.id).select_for_update().first()
        assert locked is not None
        locked.campaign = case.campaign
        if locked.status != "open":
            raise Conflict(f"judicial.case_{locked.status}", number=locked.case_number)
        if locked.kg_owed == 0:
            raise Conflict("judicial.no_kg_owed", detail=[{"field": "kg"}])
        linked = await _link_defendant(locked, buyer)
        state = await progress(locked)
        if kg > state.kg_left:
            raise Conflict(
                "judicial.overpay",
                detail=[{"field": "kg"}],
                kg=kg,
                left=state.kg_left,
                owed=state.kg_owed,
                paid=state.kg_paid,
                pending=state.kg_pending,
            )
        offer = await offer_for(settings, locked, kg)
        ask = market.OrderAsk(
            listing=offer.listing,
            kg=kg,
            purpose="personal",
            beneficiary=defendant_masked(settings, locked),
            beneficiary_shown="full",  # already masked: the name itself never reaches the retirement
            purpose_note=f"碳汇+司法 {locked.case_number}"[:100],
        )
        order = await market.place_order(settings, buyer, ask)
        await CaseOrder.create(order=order, case=locked, kg=kg, same_county=offer.same_county)
        await record(
            actor=f"user:{buyer.public_id}",
            action="judicial.order.linked",
            entity_type="restoration_case",
            entity_id=locked.code,
            after={"order": order.public_id, "kg": kg, "total_fen": offer.total_fen, "same_county": offer.same_county},
        )
    if linked:  # trees the defendant planted before paying count now (the approval could not know the case)
        await count_planting(locked)
    return order


async def _linker(order: Order) -> market.Link | None:
    """For the market's fulfilment: an order placed for a case retires as court_case under its 案号."""
    link = await CaseOrder.get_or_none(order_id=order.id)
    if link is None:
        return None
    case = await RestorationCase.filter(id=link.case_id).select_for_update().first()  # type: ignore[attr-defined]
    assert case is not None
    if case.kg_paid + order.kg > case.kg_owed:  # never more kg than owed, even if something slipped past
        raise payments.NotFulfillable("case_overpaid")

    async def on_retired(retirements: list[Retirement]) -> None:
        await _count_retirements(case, order, retirements)

    return market.Link(on_retired, retirement_purpose="court_case", purpose_reference=case.case_number)


market.register_linker(_linker)


async def _count_retirements(case: RestorationCase, order: Order, retirements: list[Retirement]) -> None:
    issuance_ids = {r.block.issuance_id for r in retirements}  # type: ignore[attr-defined]
    county_of = dict(await Issuance.filter(id__in=issuance_ids).values_list("id", "county_code"))
    kg = 0
    elsewhere = False
    serials = []
    for r in retirements:
        county = str(county_of[r.block.issuance_id])  # type: ignore[attr-defined]
        same = county == case.damage_county_code
        elsewhere |= not same
        # UNIQUE retirement: a retirement already counted for a case fails here and refunds the payment.
        try:
            async with in_transaction():
                await CaseRetirement.create(
                    retirement_id=r.id,
                    case_id=case.id,
                    order_id=order.id,
                    kg=r.block.quantity,
                    county_code=county,
                    same_county=same,
                )
        except IntegrityError:
            raise payments.NotFulfillable("retirement_counted") from None
        kg += r.block.quantity
        serials.append(r.block.display)
    changes: dict[str, Any] = {"kg_paid": F("kg_paid") + kg}
    if elsewhere:
        changes["separated"] = True
    await RestorationCase.filter(id=case.id).update(**changes)
    await record(
        actor="system:judicial",
        action="judicial.payment.retired",
        entity_type="restoration_case",
        entity_id=case.code,
        before={"kg_paid": case.kg_paid},
        after={
            "kg_paid": case.kg_paid + kg,
            "order": order.public_id,
            "certificate": retirements[0].certificate_code,
            "serials": serials,
            "same_county": not elsewhere,
        },
    )
    await _settle(case.id, "system:judicial")


# --- planting ---------------------------------------------------------------------------------------
def _fits(case: RestorationCase, log: PlantingLog, site_key: str | None) -> bool:
    """The log is the defendant's, of the case's campaign (and site), planted on or after the case's day."""
    return (
        log.user_id == case.defendant_id  # type: ignore[attr-defined]
        and log.campaign_id == case.campaign_id  # type: ignore[attr-defined]
        and log.status == "approved"
        and log.planted_on >= case.created_at.astimezone(BEIJING).date()
        and (not case.site_key or site_key == case.site_key)
    )


async def _count_log(case_id: int, log: PlantingLog) -> bool:
    """Link one approved log to the case and add its trees, under the case row's lock (inside a
    transaction); False if the case needs no more trees or the log already counts for a case (UNIQUE)."""
    locked = await RestorationCase.filter(id=case_id).select_for_update().first()
    assert locked is not None
    if locked.status != "open" or locked.trees_counted >= locked.trees_owed:
        return False
    try:
        async with in_transaction():
            await CasePlanting.create(log_id=log.id, case_id=case_id, trees=log.count)
    except IntegrityError:
        return False  # counted already (a replay, or for another case meanwhile)
    await RestorationCase.filter(id=case_id).update(trees_counted=F("trees_counted") + log.count)
    await record(
        actor="system:judicial",
        action="judicial.planting.counted",
        entity_type="restoration_case",
        entity_id=locked.code,
        before={"trees_counted": locked.trees_counted},
        after={
            "trees_counted": locked.trees_counted + log.count,
            "planting_log": log.public_id,
            "planted_on": log.planted_on.isoformat(),
        },
    )
    if locked.trees_counted + log.count >= locked.trees_owed:
        await tending.start(locked, log.planted_on)
    await _settle(case_id, "system:judicial")
    return True


async def _on_log_approved(log: PlantingLog) -> None:
    """The planting review's hook, in the approval's transaction: the log counts for the defendant's
    oldest open case of its campaign (and site) that still needs trees; once per log, as the approval is."""
    candidates = await RestorationCase.filter(
        defendant_id=log.user_id,  # type: ignore[attr-defined]
        campaign_id=log.campaign_id,  # type: ignore[attr-defined]
        status="open",
        trees_owed__gt=F("trees_counted"),
    ).order_by("id")
    if not candidates:
        return
    site_key = await _site_key_of(log)
    for case in candidates:
        if _fits(case, log, site_key) and await _count_log(case.id, log):
            return


async def _site_key_of(log: PlantingLog) -> str | None:
    keys = await PlantingLog.filter(id=log.id).values_list("booking__slot__site__key", flat=True)
    return str(keys[0]) if keys and keys[0] is not None else None


planting.register_approval_hook(_on_log_approved)


async def count_planting(case: RestorationCase) -> int:
    """Catch up the logs approved before the defendant's account was linked to the case (the approval's
    hook could not know them then): called when the defendant links it (`plant_for`, or a first payment
    through `pay_toward`), never on a view."""
    if case.status != "open" or not case.trees_owed or case.defendant_id is None:  # type: ignore[attr-defined]
        return 0
    if case.trees_counted >= case.trees_owed:
        return 0
    since = case.created_at.astimezone(BEIJING).date()
    logs = PlantingLog.filter(
        user_id=case.defendant_id,  # type: ignore[attr-defined]
        campaign_id=case.campaign_id,  # type: ignore[attr-defined]
        status="approved",
        planted_on__gte=since,
    )
    if case.site_key:
        logs = logs.filter(booking__slot__site__key=case.site_key)
    taken = set(await CasePlanting.filter(log__user_id=case.defendant_id).values_list("log_id", flat=True))  # type: ignore[attr-defined]
    added = 0
    for log in await logs.order_by("id"):
        if log.id in taken:
            continue
        async with in_transaction():
            if await _count_log(case.id, log):
                added += log.count
    if added:
        fresh = await RestorationCase.get(id=case.id)
        case.trees_counted, case.status = fresh.trees_counted, fresh.status
    return added


async def plant_for(case_pay_code: str, user: User) -> RestorationCase:
    """The defendant says they will plant for the case (links the account); their approved logs then count."""
    case = await case_by_pay_code(case_pay_code)
    async with in_transaction():
        await _link_defendant(case, user)
    await count_planting(case)
    return await case_by_code(case.code)


# --- closure ----------------------------------------------------------------------------------------
async def close_case(principal: Principal, code: str) -> RestorationCase:
    """The court confirms closure of a fulfilled case, once."""
    case = await own_case(principal, code)
    async with in_transaction():
        if not await RestorationCase.filter(id=case.id, status="fulfilled").update(
            status="closed", closed_at=now(), closed_by_id=principal.user.id
        ):
            current = await RestorationCase.get(id=case.id)
            raise Conflict(
                "judicial.close_not_fulfilled" if current.status == "open" else "judicial.case_closed",
                number=case.case_number,
            )
        await record(
            actor=f"user:{principal.user.public_id}",
            action="judicial.case.closed",
            entity_type="restoration_case",
            entity_id=case.code,
            before={"status": "fulfilled"},
            after={"status": "closed"},
        )
    return await case_by_code(case.code)


# --- what the public sees --------------------------------------------------------------------------
@dataclass(frozen=True)
class Planted:
    log: str
    planted_on: date
    trees: int
    species: str


@dataclass
class Voucher:
    """The 生态修复履行凭证: the case and everything that fulfilled it, public facts only."""

    case: RestorationCase
    defendant: str  # masked
    certificates: list[CertificateOut] = field(default_factory=list)
    planted: list[Planted] = field(default_factory=list)
    same_county_kg: int = 0
    other_county_kg: int = 0


async def fulfilment_of(settings: Settings, case: RestorationCase) -> Voucher:
    """The certificates of the case's paid orders and the planting logs counted for it."""
    voucher = Voucher(case, defendant_masked(settings, case))
    order_ids = await CaseOrder.filter(case_id=case.id).values_list("order_id", flat=True)
    codes = await (
        Order.filter(id__in=list(order_ids), status="fulfilled")
        .order_by("resolved_at", "id")
        .values_list("certificate_code", flat=True)
    )
    for code in codes:
        voucher.certificates.append(await certificates.certificate(str(code), settings.base_url))
    for kg, same in await CaseRetirement.filter(case_id=case.id).values_list("kg", "same_county"):
        if same:
            voucher.same_county_kg += int(kg)  # type: ignore[call-overload]
        else:
            voucher.other_county_kg += int(kg)  # type: ignore[call-overload]
    log_ids = await CasePlanting.filter(case_id=case.id).values_list("log_id", flat=True)
    for log in await PlantingLog.filter(id__in=list(log_ids)).order_by("planted_on", "id"):
        voucher.planted.append(Planted(log.public_id, log.planted_on, log.count, log.species))
    return voucher


async def voucher(settings: Settings, code: str) -> Voucher:
    """The voucher of a fulfilled (or closed) case; an open case has none yet (409 saying what is left)."""
    case = await case_by_code(code)
    if case.status == "open":
        state = await progress(case)
        kg_left, trees_left = state.kg_owed - state.kg_paid, state.trees_left
        which = "both" if kg_left and trees_left else "kg" if kg_left else "trees"
        raise Conflict(
            f"judicial.not_fulfilled.{which}",
            number=case.case_number,
            kg_left=kg_left,
            trees_left=trees_left,
        )
    return await fulfilment_of(settings, case)


def voucher_url(base_url: str, case: RestorationCase) -> str:
    return f"{base_url.rstrip('/')}/judicial/cases/{case.code}/voucher"


def case_url(base_url: str, case: RestorationCase) -> str:
    return f"{base_url.rstrip('/')}/judicial/cases/{case.code}"


def pay_url(base_url: str, case: RestorationCase) -> str:
    return f"{base_url.rstrip('/')}/judicial/pay/{case.pay_code}"


def moment(at: datetime | None) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if at else ""


# --- on the certificate -----------------------------------------------------------------------------
async def certificate_rows(code: str, lang: str) -> list[tuple[str, str]]:
    """A certificate retired for a case names the court's case and links its public page."""
    link = (
        await CaseOrder.filter(order__certificate_code=code, order__status="fulfilled").select_related("case").first()
    )
    if link is None:
        return []
    case = link.case
    return [
        (t("judicial.page.certificate_case", lang), f"{case.court_name} {case.case_number} · {case.code}"),
    ]


certificates.register_page_rows(certificate_rows)


def status_label(case: RestorationCase, lang: str) -> str:
    return t(f"judicial.status.{case.status}", lang)


async def public_facts(settings: Settings, case: RestorationCase, state: Progress, lang: str) -> Mapping[str, Any]:
    """What the public case page and JSON show: never the name, never the payment code."""
    return {
        "code": case.code,
        "case_number": case.case_number,
        "court_name": case.court_name,
        "cause": case.cause,
        "damage_county_code": case.damage_county_code,
        "damage_county": regions.full_name(case.damage_county_code) or case.damage_county_code,
        "defendant": defendant_masked(settings, case),
        "kg_owed": state.kg_owed,
        "kg_paid": state.kg_paid,
        "trees_owed": state.trees_owed,
        "trees_counted": min(state.trees_counted, state.trees_owed),
        "tend_years": case.tend_years,
        "site": await site_name(case, lang),
        "deadline": case.deadline,
        "status": case.status,
        "separated": case.separated,
        "fulfilled_at": case.fulfilled_at,
        "closed_at": case.closed_at,
    }


# --- the court's export -----------------------------------------------------------------------------
CSV_COLUMNS = (
    "case_number",
    "code",
    "court",
    "cause",
    "defendant",
    "county",
    "kg_owed",
    "kg_paid",
    "kg_pending",
    "same_county",
    "trees_owed",
    "trees_planted",
    "tend_years",
    "tending_from",
    "tending_until",
    "tending_done",
    "tending_submitted",
    "tending_overdue",
    "tending_due",
    "deadline",
    "deadline_passed",
    "status",
)


async def court_csv(settings: Settings, principal: Principal, lang: str) -> bytes:
    """The court's cases as UTF-8 CSV with a BOM (for Excel), defendants masked as on public pages; who
    exported how many rows goes to the audit chain in the transaction that reads them."""
    on = now().astimezone(BEIJING).date()
    yes, no = t("judicial.csv.yes", lang), t("judicial.csv.no", lang)
    async with in_transaction():
        cases = await cases_of(principal)
        checks = await tending.states([c.id for c in cases], on)
        rows: list[list[object]] = []
        for case in cases:
            counts = tending.summary(checks[case.id])
            until = tending.anniversary(case.tending_from, case.tend_years) if case.tending_from else None
            rows.append(
                [
                    case.case_number,
                    case.code,
                    case.court_name,
                    case.cause,
                    defendant_masked(settings, case),
                    case.damage_county_code,
                    case.kg_owed,
                    case.kg_paid,
                    await pending_kg(case.id),
                    no if case.separated else yes,
                    case.trees_owed,
                    min(case.trees_counted, case.trees_owed),
                    case.tend_years,
                    case.tending_from.isoformat() if case.tending_from else "",
                    until.isoformat() if until else "",
                    counts["done"],
                    counts["submitted"],
                    counts["overdue"],
                    counts["due"],
                    case.deadline.isoformat(),
                    yes if case.status == "open" and case.deadline < on else no,
                    status_label(case, lang),
                ]
            )
        for org_id in sorted(principal.orgs_with(Role.COURT.value)):
            org = await Organisation.get(id=org_id)
            await record(
                actor=f"user:{principal.user.public_id}",
                action="judicial.cases.exported",
                entity_type="organisation",
                entity_id=org.public_id,
                after={"rows": len([c for c in cases if c.organisation_id == org_id]), "format": "csv"},  # type: ignore[attr-defined]
            )
    return csv_bytes([t(f"judicial.csv.{c}", lang) for c in CSV_COLUMNS], rows)
