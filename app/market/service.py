"""The market: listings, orders that reserve kg until they are paid, exactly-once fulfilment, expiry.

Rules:
- a listing sells the kg of one issuance its seller owns (the issuance's `owner_holder`); one active
  listing per issuance (a partial unique index); what is left is what inventory can still sell;
- a price is `price_fen` for `price_unit_kg` kg and an order is a whole number of those units, so every
  total is exact integer fen (顺昌's ¥1 = 10 kg is 100 fen per 10 kg, 10 kg at least);
- placing an order locks the price, reserves the kg through credits.inventory with the reference
  `order:<public id>` until `expires_at`, and holds any points until the same moment — all in one
  transaction, or nothing;
- an order is fulfilled once, inside the payment notification's transaction: its kg are retired in the
  beneficiary's name, the points hold is posted, and the money is shared out (the platform fee is
  floor(total × fee_bps / 10000); the remainder fen goes to the seller); when it cannot be (expired,
  cancelled, paid already) the payments service refunds the payment instead;
- an unpaid order stops holding at `expires_at` whether or not the sweep has run (inventory and the
  ledger enforce it in SQL); the sweep expires each order once and releases its kg and points once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from app.accounts.service import new_public_id
from app.core import housekeeping
from app.core.audit import record
from app.core.auth import Principal, Role
from app.core.crypto import decrypt, mask_name
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.credits import inventory, lookup
from app.ledger import service as ledger
from app.market import messages  # noqa: F401  (registers the domain's messages)
from app.payments import service as payments
from app.payments.protocol import PaymentProvider
from app.points import service as points_service
from app.settings import Settings
from models.accounts import Organisation, User
from models.credits import Issuance, Retirement
from models.ledger import LedgerAccount
from models.market import Listing, Order, OrderLine
from models.payments import PaymentAttempt

PURPOSE = "market.order"
PURPOSES = ("personal", "trip", "event", "gift", "organisation")
# What each purpose is called on the retirement (credits.inventory.PURPOSES).
RETIREMENT_PURPOSE = {"personal": "offset", "trip": "trip", "event": "event", "gift": "other", "organisation": "offset"}
BENEFICIARY_SHOWN = ("full", "masked", "hidden")
SELLER_SHOWN = ("masked", "full", "collective")
MAX_ORDER_KG = 10_000_000
MAX_PRICE_FEN = 100_000_000


def now() -> datetime:
    return datetime.now(UTC)


def reference_of(order: Order) -> str:
    return f"order:{order.public_id}"


def _bad(key: str, field_name: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": field_name}], **params)


def _whole(value: object, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


# --- listings ---------------------------------------------------------------------------------------
async def _holders_of(principal: Principal) -> set[str]:
    """The owner_holder strings a smallholder may sell as: themself, and their collectives."""
    holders = {f"user:{principal.user.public_id}"}
    org_ids = principal.orgs_with(Role.SMALLHOLDER.value)
    if org_ids:
        holders |= {f"org:{p}" for p in await Organisation.filter(id__in=org_ids).values_list("public_id", flat=True)}
    return holders


async def _basis_of(issuance: Issuance) -> str:
    chain = await lookup.chain_of(issuance.id)
    bases = {e.basis for e in chain.estimates} if chain else set()
    return "ex_post" if bases == {"ex_post"} else "ex_ante"


async def create_listing(
    principal: Principal, issuance_public_id: str, price_fen: int, price_unit_kg: int, seller_shown: str
) -> Listing:
    issuance = await Issuance.get_or_none(public_id=issuance_public_id)
    if issuance is None:
        raise NotFound("market.issuance_not_found")
    if issuance.owner_holder not in await _holders_of(principal):
        raise Forbidden("market.not_your_issuance")
    if not _whole(price_fen, 1, MAX_PRICE_FEN):
        raise _bad("market.bad_price", "price_fen", high=MAX_PRICE_FEN)
    if not _whole(price_unit_kg, 1, MAX_ORDER_KG):
        raise _bad("market.bad_price_unit", "price_unit_kg", high=MAX_ORDER_KG)
    collective = issuance.owner_holder.startswith("org:")
    if seller_shown not in SELLER_SHOWN or (seller_shown == "collective") != collective:
        raise _bad("market.bad_seller_shown", "seller_shown", known="collective" if collective else "masked, full")
    try:
        async with in_transaction():
            listing = await Listing.create(
                public_id=new_public_id(),
                issuance=issuance,
                seller_holder=issuance.owner_holder,
                seller_shown=seller_shown,
                price_fen=price_fen,
                price_unit_kg=price_unit_kg,
                basis=await _basis_of(issuance),
                county_code=issuance.county_code,
                created_by=principal.user,
            )
            await record(
                actor=f"user:{principal.user.public_id}",
                action="market.listing.created",
                entity_type="listing",
                entity_id=listing.public_id,
                after={
                    "issuance": issuance.public_id,
                    "price_fen": price_fen,
                    "price_unit_kg": price_unit_kg,
                    "status": "active",
                },
            )
    except IntegrityError:
        raise Conflict("market.listing_exists") from None
    return listing


async def withdraw_listing(principal: Principal, listing_public_id: str) -> Listing:
    """Stop selling; orders already placed keep their reserved kg and locked price until they end."""
    listing = await listing_by_public_id(listing_public_id)
    if listing.seller_holder not in await _holders_of(principal):
        raise Forbidden("market.not_your_listing")
    async with in_transaction():
        if not await Listing.filter(id=listing.id, status="active").update(status="withdrawn", withdrawn_at=now()):
            raise Conflict("market.listing_withdrawn")
        await record(
            actor=f"user:{principal.user.public_id}",
            action="market.listing.withdrawn",
            entity_type="listing",
            entity_id=listing.public_id,
            before={"status": "active"},
            after={"status": "withdrawn"},
        )
    return await listing_by_public_id(listing_public_id)


async def listing_by_public_id(public_id: str) -> Listing:
    listing = await Listing.get_or_none(public_id=public_id).select_related("issuance", "issuance__project")
    if listing is None:
        raise NotFound("market.listing_not_found")
    return listing


@dataclass(frozen=True)
class ListingView:
    listing: Listing
    seller: str
    remaining_kg: int
    project_name: str
    project_public_id: str


async def seller_name(settings: Settings, listing: Listing) -> str:
    """The seller as they chose to be shown: masked (张**), in full, or the collective's name."""
    kind, _, public_id = listing.seller_holder.partition(":")
    if kind == "org":
        org = await Organisation.get_or_none(public_id=public_id)
        return org.name if org else ""
    user = await User.get_or_none(public_id=public_id)
    if user is None:
        return ""
    name = decrypt(settings.data_key, bytes(user.real_name_enc), "real_name") if user.real_name_enc else ""
    name = name or user.display_name or "林农"
    return name if listing.seller_shown == "full" else mask_name(name)


async def view_of(settings: Settings, listing: Listing) -> ListingView:
    issuance = listing.issuance
    remaining = await inventory.sellable_kg(issuance.public_id) if listing.status == "active" else 0
    project = issuance.project
    return ListingView(listing, await seller_name(settings, listing), remaining, project.name, project.public_id)


async def catalogue(settings: Settings, *, limit: int = 50) -> list[ListingView]:
    """Active listings with kg left, cheapest per kg first."""
    listings = (
        await Listing.filter(status="active").select_related("issuance", "issuance__project").order_by("id").limit(500)
    )
    views = [await view_of(settings, item) for item in listings]
    views = [v for v in views if v.remaining_kg >= v.listing.price_unit_kg]
    # Cheapest per kg first, compared exactly as fractions: a/b < c/d ⇔ a·d < c·b.
    views.sort(key=lambda v: (v.listing.price_fen * 10**9 // v.listing.price_unit_kg, v.listing.id))
    return views[:limit]


# --- orders -----------------------------------------------------------------------------------------
BEST = "best"  # in place of a listing id: the cheapest listings per kg that together have the kg (a split)
ALLOCATION_TRIES = 50  # a try fails only when another order took kg meanwhile; each retry reads afresh


@dataclass(frozen=True)
class Part:
    """One listing's share of an order or offer: whole units of it at its price."""

    listing: Listing
    kg: int
    total_fen: int
    project_name: str = ""  # as the catalogue shows it: what the buyer recognises the listing by
    seller: str = ""  # as the seller chose to be shown


async def allocate(settings: Settings, kg: int) -> list[Part]:
    """Split `kg` over the catalogue, cheapest per kg first (ties: the oldest listing), each part a whole
    number of its listing's units and no more than it has left now. 409 `market.not_enough_on_sale`
    (naming the kg on sale) when the catalogue together has less; `market.nothing_fits` when it has
    enough but not in units that add up to `kg`."""
    parts: list[Part] = []
    remaining = kg
    on_sale = 0
    for view in await catalogue(settings, limit=500):
        listing = view.listing
        unit = listing.price_unit_kg
        whole = view.remaining_kg // unit * unit
        on_sale += whole
        take = min(remaining, whole) // unit * unit
        if take:
            parts.append(Part(listing, take, take // unit * listing.price_fen, view.project_name, view.seller))
            remaining -= take
    if remaining:
        if on_sale < kg:
            raise Conflict("market.not_enough_on_sale", detail=[{"field": "kg"}], asked=kg, available=on_sale)
        raise Conflict("market.nothing_fits", detail=[{"field": "kg"}], kg=kg)
    return parts


@dataclass(frozen=True)
class OfferPart:
    listing: str  # the listing's public id
    kg: int
    price_fen: int
    price_unit_kg: int
    total_fen: int
    project_name: str = ""
    seller: str = ""


@dataclass(frozen=True)
class Offer:
    """What an offset of some kg costs now: one listing, or a split over the cheapest (`listing` "best").
    Ordering it re-allocates and locks the price of what is on sale at that moment."""

    listing: str  # the listing's public id, or BEST when the kg are split over several listings
    kg: int  # the kg asked, rounded up to a whole number of units
    total_fen: int  # what the buyer pays: Σ of the parts
    parts: tuple[OfferPart, ...] = ()


def _offer_part(part: Part) -> OfferPart:
    listing = part.listing
    return OfferPart(
        listing.public_id,
        part.kg,
        listing.price_fen,
        listing.price_unit_kg,
        part.total_fen,
        part.project_name,
        part.seller,
    )


async def cheapest_offer(settings: Settings, kg: int, nothing_key: str = "market.nothing_fits") -> Offer:
    """The cheapest way to buy `kg` rounded up to whole units (a footprint's offset never buys less than
    the footprint): from the cheapest listing if it has enough, else split cheapest-first. The kg are
    rounded up to the unit of the cheapest listing that makes a split add up. 409 `nothing_key` when the
    whole catalogue cannot sell it."""
    views = await catalogue(settings, limit=500)
    units = list(dict.fromkeys(v.listing.price_unit_kg for v in views))
    for unit in units:
        whole = -(-max(kg, 1) // unit) * unit
        try:
            parts = await allocate(settings, whole)
        except Conflict:
            continue
        listing = parts[0].listing.public_id if len(parts) == 1 else BEST
        return Offer(listing, whole, sum(p.total_fen for p in parts), tuple(_offer_part(p) for p in parts))
    raise Conflict(nothing_key, detail=[{"field": "kg"}], kg=kg)


async def best_offer(settings: Settings, kg: int) -> Offer:
    """The catalogue page's "best available" (最优组合): what `kg` (whole, 1 … MAX_ORDER_KG) costs now,
    rounded up to whole units. 400 `market.bad_kg`; 409 `market.not_enough_on_sale` (naming what is on
    sale) when the whole catalogue has less, `market.nothing_fits` when its units cannot make it up."""
    if not _whole(kg, 1, MAX_ORDER_KG):
        raise _bad("market.bad_kg", "kg", high=MAX_ORDER_KG)
    try:
        return await cheapest_offer(settings, kg)
    except Conflict:
        views = await catalogue(settings, limit=500)
        on_sale = sum(v.remaining_kg // v.listing.price_unit_kg * v.listing.price_unit_kg for v in views)
        if on_sale < kg:
            raise Conflict("market.not_enough_on_sale", detail=[{"field": "kg"}], asked=kg, available=on_sale) from None
        raise


@dataclass(frozen=True)
class OrderAsk:
    listing: str
    kg: int
    purpose: str
    beneficiary: str
    beneficiary_shown: str = "masked"
    purpose_note: str = ""
    gift_recipient: str = ""
    points: int = 0
    # The total the buyer saw (an offer page's confirm): 0 for none. An order whose parts now cost
    # another total is refused (409 market.offer_changed) before anything is reserved.
    expected_total_fen: int = 0


def _check_ask(ask: OrderAsk) -> tuple[str, str, str]:
    if not _whole(ask.kg, 1, MAX_ORDER_KG):
        raise _bad("market.bad_kg", "kg", high=MAX_ORDER_KG)
    if ask.purpose not in PURPOSES:
        raise _bad("market.bad_purpose", "purpose", known=", ".join(PURPOSES))
    beneficiary, note, recipient = ask.beneficiary.strip(), ask.purpose_note.strip(), ask.gift_recipient.strip()
    if not 0 < len(beneficiary) <= 64:
        raise _bad("market.bad_beneficiary", "beneficiary")
    if ask.beneficiary_shown not in BENEFICIARY_SHOWN:
        raise _bad("market.bad_beneficiary_shown", "beneficiary_shown", known=", ".join(BENEFICIARY_SHOWN))
    if len(note) > 100:
        raise _bad("market.bad_purpose_note", "purpose_note")
    if ask.purpose == "gift" and not 0 < len(recipient) <= 64:
        raise _bad("market.gift_needs_recipient", "gift_recipient")
    if not _whole(ask.points, 0, 10**12):
        raise _bad("market.bad_points", "points")
    return beneficiary, note, recipient if ask.purpose == "gift" else ""


async def place_order(settings: Settings, buyer: User, ask: OrderAsk) -> Order:
    """Lock the price, reserve the kg and hold the points until the order expires: all or nothing.

    "best" splits the kg over the cheapest listings; the split is re-read on each try, and a try that
    finds a listing's kg taken meanwhile is rolled back whole and tried again on a fresh read."""
    beneficiary, note, recipient = _check_ask(ask)
    if ask.listing != BEST:
        listing = await listing_by_public_id(ask.listing)
        if listing.status != "active":
            raise Conflict("market.listing_withdrawn")
        if ask.kg % listing.price_unit_kg:
            raise _bad("market.kg_not_whole_units", "kg", unit=listing.price_unit_kg)
        parts = [Part(listing, ask.kg, ask.kg // listing.price_unit_kg * listing.price_fen)]
        return await _place(settings, buyer, ask, parts, beneficiary, note, recipient, best=False)
    for _ in range(ALLOCATION_TRIES):
        parts = await allocate(settings, ask.kg)
        try:
            return await _place(settings, buyer, ask, parts, beneficiary, note, recipient, best=True)
        except _PartTaken:
            continue  # another order took some of a part's kg after we read the catalogue: read again
    raise Conflict("market.busy", detail=[{"field": "kg"}])


class _PartTaken(Exception):
    """A part of a "best" order found fewer kg than the catalogue said (or its listing withdrawn): the
    try is rolled back whole."""


async def _place(
    settings: Settings,
    buyer: User,
    ask: OrderAsk,
    parts: list[Part],
    beneficiary: str,
    note: str,
    recipient: str,
    *,
    best: bool,
) -> Order:
    total = sum(p.total_fen for p in parts)
    if ask.expected_total_fen and total != ask.expected_total_fen:
        raise Conflict("market.offer_changed", detail=[{"field": "kg"}])
    if total > ledger.MAX_AMOUNT:  # the ledger books no single amount above it: refuse before anyone pays
        raise _bad("market.order_too_large", "kg", maximum_fen=ledger.MAX_AMOUNT, maximum_yuan=ledger.MAX_AMOUNT // 100)
    first = parts[0].listing
    split_order = len(parts) > 1
    rate = settings.market_points_per_fen
    points_fen = min(ask.points // rate, total - 1)  # points pay part of a price, never all of it
    points = points_fen * rate
    at = now()
    expires_at = at + timedelta(minutes=settings.market_reservation_minutes)
    public_id = new_public_id()
    reference = f"order:{public_id}"
    async with in_transaction():
        # The listing rows are re-read inside the transaction: a withdrawal that committed first wins.
        ids = [p.listing.id for p in parts]
        if await Listing.filter(id__in=ids, status="active").count() != len(ids):
            if best:
                raise _PartTaken
            raise Conflict("market.listing_withdrawn")
        order = await Order.create(
            public_id=public_id,
            buyer=buyer,
            listing=first,
            seller_holder=first.seller_holder,
            kg=ask.kg,
            # A split order's price is the whole order's, so kg / unit × price = total still holds.
            price_fen=total if split_order else first.price_fen,
            price_unit_kg=ask.kg if split_order else first.price_unit_kg,
            total_fen=total,
            points=points,
            points_fen=points_fen,
            cash_fen=total - points_fen,
            fee_bps=settings.market_platform_fee_bps,
            purpose=ask.purpose,
            purpose_note=note,
            gift_recipient=recipient,
            beneficiary=beneficiary,
            beneficiary_shown=ask.beneficiary_shown,
            expires_at=expires_at,
            points_hold_id=payments.transfer_id(reference, "points-hold") if points else None,
        )
        for position, part in enumerate(parts):
            await OrderLine.create(
                order=order,
                position=position,
                listing=part.listing,
                seller_holder=part.listing.seller_holder,
                kg=part.kg,
                price_fen=part.listing.price_fen,
                price_unit_kg=part.listing.price_unit_kg,
                total_fen=part.total_fen,
            )
        try:
            # One reservation for every part, each part from its own listing's issuance, under the
            # issuance locks in ascending id: no oversell, and a short part refuses the whole order.
            await inventory.reserve(
                reference, ask.kg, expires_at, parts={p.listing.issuance.public_id: p.kg for p in parts}
            )
        except Conflict as short:
            if short.key != "credits.insufficient":
                raise
            if best:
                raise _PartTaken from None
            raise Conflict(
                "market.not_enough", detail=[{"field": "kg"}], asked=ask.kg, available=short.params.get("available", 0)
            ) from None
        if points:
            try:
                await ledger.hold(
                    order.points_hold_id,  # type: ignore[arg-type]
                    await points_service.wallet_of(buyer),
                    await _points_sink(),
                    points,
                    expires_at,
                    "purchase.points",
                    reference,
                )
            except ledger.InsufficientBalance:
                raise Conflict("market.not_enough_points", detail=[{"field": "points"}], points=points) from None
        await record(
            actor=f"user:{buyer.public_id}",
            action="market.order.placed",
            entity_type="order",
            entity_id=public_id,
            after={
                "status": "pending",
                "listing": first.public_id,
                "lines": [{"listing": p.listing.public_id, "kg": p.kg, "total_fen": p.total_fen} for p in parts],
                "kg": ask.kg,
                "total_fen": total,
                "points": points,
                "expires_at": expires_at.isoformat(),
            },
        )
    return order


async def _points_sink() -> LedgerAccount:
    return await ledger.open_account("points", "redemption_sink", "market", may_go_negative=True)


async def order_for(buyer: User, public_id: str) -> Order:
    order = (
        await Order.get_or_none(public_id=public_id, buyer_id=buyer.id)
        .select_related("listing")
        .prefetch_related("lines__listing")
    )
    if order is None:
        raise NotFound("market.order_not_found")
    return order


async def orders_of(buyer: User, limit: int = 50) -> list[Order]:
    return (
        await Order.filter(buyer_id=buyer.id)
        .select_related("listing")
        .prefetch_related("lines__listing")
        .order_by("-id")
        .limit(limit)
    )


def payable(order: Order, at: datetime | None = None) -> bool:
    return order.status == "pending" and order.expires_at > (at or now())


async def pay(settings: Settings, provider: PaymentProvider, buyer: User, public_id: str) -> PaymentAttempt:
    """Start (or resume) paying an order that still holds its kg."""
    order = await order_for(buyer, public_id)
    if not payable(order):
        raise Conflict(f"market.order_{_status_now(order)}", detail={"status": _status_now(order)})
    return await payments.start(
        settings,
        provider,
        purpose=PURPOSE,
        subject=order.public_id,
        amount_fen=order.cash_fen,
        description=f"微碳汇 碳汇 {order.kg} 千克",
        expires_at=order.expires_at,
        payer_openid=buyer.wechat_openid,
    )


def _status_now(order: Order) -> str:
    """What the order is now: a pending order past its moment is expired even before the sweep."""
    return "expired" if order.status == "pending" and order.expires_at <= now() else order.status


async def _end(order: Order, status: str, actor: str, at: datetime, reason: str = "") -> bool:
    """Expire or cancel a pending order once: release its kg and its points hold (inside a transaction)."""
    condition = {"expires_at__lte": at} if status == "expired" else {"expires_at__gt": at}
    if not await Order.filter(id=order.id, status="pending", **condition).update(status=status, resolved_at=at):
        return False
    released = await inventory.release(reference_of(order))
    if order.points_hold_id is not None:
        try:
            await ledger.void_hold(order.points_hold_id)
        except Conflict:
            pass  # the hold had expired with the order (the ledger enforces that in SQL): nothing held
    await record(
        actor=actor,
        action=f"market.order.{status}",
        entity_type="order",
        entity_id=order.public_id,
        before={"status": "pending"},
        after={
            "status": status,
            "kg_back": released.released_kg,
            "points_back": order.points,
            **({"reason": reason} if reason else {}),
        },
    )
    return True


async def end_unpaid(subject: str, actor: str) -> bool:
    """Its payment was refunded outside us (payments' `refunded_elsewhere`): the order is never fulfilled
    by it and gives back its kg and points once, as the expiry sweep would — `expired` when its moment
    has passed, `cancelled` before. A fulfilled, expired or cancelled order is left as it is (False).
    Runs inside the payments service's transaction."""
    order = await Order.get_or_none(public_id=subject)
    if order is None:
        return False
    at = now()
    status = "expired" if order.expires_at <= at else "cancelled"
    return await _end(order, status, actor, at, reason="payment_refunded_elsewhere")


async def cancel(provider: PaymentProvider, buyer: User, public_id: str) -> Order:
    order = await order_for(buyer, public_id)
    async with in_transaction():
        if not await _end(order, "cancelled", f"user:{buyer.public_id}", now()):
            status = _status_now(await order_for(buyer, public_id))
            raise Conflict(f"market.order_{status}", detail={"status": status})
    await payments.close_open(provider, PURPOSE, order.public_id)  # a payment still arriving is refunded
    return await order_for(buyer, public_id)


async def expire_overdue_orders(at: datetime | None = None) -> int:
    """The sweep: expire each overdue unpaid order once and give back its kg and points."""
    at = at or now()
    expired = 0
    for order in await Order.filter(status="pending", expires_at__lte=at).order_by("id").limit(1000):
        async with in_transaction():
            if await _end(order, "expired", "system:market", at):
                expired += 1
    if expired:
        # Their points holds lapsed with them (the ledger enforces that in SQL): mark them expired now.
        await ledger.expire_overdue_holds(at)
    return expired


housekeeping.register("market.expire_overdue_orders", expire_overdue_orders)


# --- fulfilment (called by the payments service inside the notification's transaction) -------------
def split(total_fen: int, fee_bps: int) -> tuple[int, int]:
    """(platform fee, seller share): the fee is floored, so the remainder fen goes to the seller."""
    fee = total_fen * fee_bps // 10_000
    return fee, total_fen - fee


@dataclass(frozen=True)
class Link:
    """What a domain that placed an order for something of its own (a court case, an event) does in its
    fulfilment: `on_retired(retirements)` runs in the fulfilment's transaction right after the retirement
    (the link commits with it or neither does; raising payments.NotFulfillable refunds the payment), and
    the retirement's purpose and reference may be its own (a case: court_case under its 案号)."""

    on_retired: Callable[[list[Retirement]], Awaitable[None]]
    retirement_purpose: str | None = None  # None: the order's own purpose
    purpose_reference: str | None = None  # None: the order's purpose note


Linker = Callable[[Order], Awaitable[Link | None]]
_LINKERS: list[Linker] = []


def register_linker(linker: Linker) -> None:
    """`linker(order)` returns a Link for orders it placed, None for others (called in the fulfilment)."""
    if linker not in _LINKERS:
        _LINKERS.append(linker)


async def _link_of(order: Order) -> Link | None:
    for linker in _LINKERS:
        if (link := await linker(order)) is not None:
            return link
    return None


async def _fulfil(settings: Settings, subject: str, attempt: PaymentAttempt) -> None:
    # The order row is locked first, then the reservation (retire), then the points hold: the order in
    # which cancel and the expiry sweep (`_end`) take them, so the two never deadlock on PostgreSQL; a
    # cancel that lands meanwhile waits for this transaction and then finds the order fulfilled.
    order = await Order.filter(public_id=subject).select_for_update().first()
    if order is None:
        raise payments.NotFulfillable("unknown_order")
    if attempt.amount_fen != order.cash_fen:
        raise payments.NotFulfillable("amount_differs")
    at = now()
    if order.status == "fulfilled":
        raise payments.NotFulfillable("paid_twice")
    if not payable(order, at):
        raise payments.NotFulfillable(_status_now(order))
    reference = reference_of(order)
    note = order.purpose_note
    if order.purpose == "gift":
        note = f"赠予 {order.gift_recipient}" + (f"：{note}" if note else "")
    link = await _link_of(order)
    try:
        retired = await inventory.retire(
            reference,
            order.beneficiary,
            (link and link.retirement_purpose) or RETIREMENT_PURPOSE[order.purpose],
            purpose_reference=((link and link.purpose_reference) or note)[:128],
            beneficiary_shown=order.beneficiary_shown,
            holder=f"user:{(await User.get(id=order.buyer_id)).public_id}",  # type: ignore[attr-defined]
        )
    except Conflict as lapsed:  # the reservation lapsed or was released meanwhile
        raise payments.NotFulfillable(str(lapsed.params.get("status", "expired"))) from None
    if link is not None:
        await link.on_retired(retired)
    code = retired[0].certificate_code
    # Each line is split on its own (its fee floored), so every seller gets their own remainder fen.
    lines = await OrderLine.filter(order_id=order.id).order_by("position")
    shares = [split(line.total_fen, order.fee_bps) for line in lines]
    fee, seller = sum(f for f, _ in shares), sum(s for _, s in shares)
    # The one conditional update that fulfils an order once, and never after its moment.
    if not await Order.filter(id=order.id, status="pending", expires_at__gt=at).update(
        status="fulfilled", certificate_code=code, fee_fen=fee, seller_fen=seller, resolved_at=at
    ):
        raise payments.NotFulfillable("paid_twice")
    for line, (line_fee, line_seller) in zip(lines, shares, strict=True):
        await OrderLine.filter(id=line.id).update(fee_fen=line_fee, seller_fen=line_seller)
        line.fee_fen, line.seller_fen = line_fee, line_seller
    if order.points_hold_id is not None:
        try:
            await ledger.post_hold(order.points_hold_id, payments.transfer_id(reference, "points-posted"))
        except Conflict:
            raise payments.NotFulfillable("points_expired") from None
    await _share_out(order, reference, lines)
    await record(
        actor=f"system:payments:{attempt.provider}",
        action="market.order.fulfilled",
        entity_type="order",
        entity_id=order.public_id,
        before={"status": "pending"},
        after={
            "status": "fulfilled",
            "certificate": code,
            "kg": order.kg,
            "total_fen": order.total_fen,
            "fee_fen": fee,
            "seller_fen": seller,
            "payment": attempt.out_trade_no,
        },
    )


def _label(name: str, line: OrderLine) -> str:
    """The transfer-id label of a line's share: the first line keeps the single-listing order's label."""
    return name if line.position == 0 else f"{name}-{line.position}"


async def _share_out(order: Order, reference: str, lines: list[OrderLine]) -> None:
    """Clearing holds the payment; the points' part comes from the platform; then each line's seller
    share and fee (one transfer each, ids derived from the order and the line's position)."""
    clearing = await payments.clearing_account()
    if order.points_fen:
        funding = await ledger.open_account("fen", "points_funding", "platform", may_go_negative=True)
        await ledger.transfer(
            payments.transfer_id(reference, "points-fen"),
            funding,
            clearing,
            order.points_fen,
            "market.points",
            reference,
        )
    for line in lines:
        if line.seller_fen:
            income = await ledger.open_account("fen", "seller_income", line.seller_holder)
            await ledger.transfer(
                payments.transfer_id(reference, _label("seller", line)),
                clearing,
                income,
                line.seller_fen,
                "market.seller_share",
                reference,
            )
        if line.fee_fen:
            platform = await ledger.open_account("fen", "platform_fee", "platform")
            await ledger.transfer(
                payments.transfer_id(reference, _label("fee", line)),
                clearing,
                platform,
                line.fee_fen,
                "market.platform_fee",
                reference,
            )


payments.register_fulfiller(PURPOSE, _fulfil, lambda subject: f"/market/orders/{subject}", end_unpaid=end_unpaid)


# --- sellers' view ----------------------------------------------------------------------------------
async def sales_of(principal: Principal, limit: int = 200) -> list[OrderLine]:
    """The seller's fulfilled order lines (a split order is a sale for each of its sellers), newest first."""
    holders = await _holders_of(principal)
    return (
        await OrderLine.filter(seller_holder__in=holders, order__status="fulfilled")
        .select_related("order", "listing")
        .order_by("-order__resolved_at", "-id")
        .limit(limit)
    )


@dataclass(frozen=True)
class Income:
    sales: int
    kg_sold: int
    gross_fen: int
    fee_fen: int
    net_fen: int


async def income_of(principal: Principal) -> Income | None:
    """A seller's fulfilled sales (order lines) added up by the database: count, kg, gross, fee and net fen."""
    fulfilled = Subquery(Order.filter(status="fulfilled").values("id"))
    rows = (
        await OrderLine.filter(seller_holder__in=await _holders_of(principal), order_id__in=fulfilled)
        .annotate(n=Count("id"), kg_sold=Sum("kg"), gross=Sum("total_fen"), fee=Sum("fee_fen"), net=Sum("seller_fen"))
        .values("n", "kg_sold", "gross", "fee", "net")
    )
    row = rows[0] if rows else None
    if not row or not row["n"]:
        return None
    return Income(int(row["n"]), int(row["kg_sold"]), int(row["gross"]), int(row["fee"]), int(row["net"]))
