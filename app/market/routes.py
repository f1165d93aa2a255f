"""Market API and pages: the public catalogue, sellers' listings and sales, buyers' orders and payment."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, URLEncodedBody
from litestar.response import Redirect, Template

from app.core.auth import Role, principal_of, require_principal, requires
from app.core.errors import AppError
from app.core.i18n import request_language, t
from app.core.pages import page
from app.market import service
from app.market.schemas import (
    ListingIn,
    ListingOut,
    OfferOut,
    OfferPartOut,
    OrderIn,
    OrderLineOut,
    OrderOut,
    PaymentOut,
    SaleOut,
)
from app.payments import service as payments
from app.payments.protocol import PaymentProvider
from app.points import service as points
from app.regions import service as regions
from app.settings import Settings
from models.market import Order
from models.payments import PaymentAttempt


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _provider(request: Request) -> PaymentProvider:
    return request.app.state.payments  # type: ignore[no-any-return]


def listing_out(view: service.ListingView) -> ListingOut:
    listing, issuance = view.listing, view.listing.issuance
    return ListingOut(
        id=listing.public_id,
        status=listing.status,
        seller=view.seller,
        seller_shown=listing.seller_shown,
        price_fen=listing.price_fen,
        price_unit_kg=listing.price_unit_kg,
        remaining_kg=view.remaining_kg,
        basis=listing.basis,
        county_code=listing.county_code,
        county=regions.full_name(listing.county_code) or listing.county_code,
        issuance=issuance.public_id,
        vintage=issuance.vintage,
        project=view.project_public_id,
        project_name=view.project_name,
        methodology=f"{issuance.methodology_id} {issuance.methodology_version}",
        created_at=listing.created_at,
    )


def certificate_url(code: str | None) -> str | None:
    return f"/certificates/{code}" if code else None


def order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.public_id,
        status=service._status_now(order),
        listing=order.listing.public_id,
        kg=order.kg,
        price_fen=order.price_fen,
        price_unit_kg=order.price_unit_kg,
        total_fen=order.total_fen,
        points=order.points,
        points_fen=order.points_fen,
        cash_fen=order.cash_fen,
        fee_fen=order.fee_fen,
        seller_fen=order.seller_fen,
        purpose=order.purpose,
        purpose_note=order.purpose_note,
        gift_recipient=order.gift_recipient,
        beneficiary=order.beneficiary,
        beneficiary_shown=order.beneficiary_shown,
        expires_at=order.expires_at,
        created_at=order.created_at,
        certificate_code=order.certificate_code,
        certificate_url=certificate_url(order.certificate_code),
        page_url=f"/market/orders/{order.public_id}",
        lines=[
            OrderLineOut(
                line.listing.public_id,
                line.kg,
                line.price_fen,
                line.price_unit_kg,
                line.total_fen,
                line.fee_fen,
                line.seller_fen,
            )
            for line in sorted(order.lines, key=lambda line: line.position)
        ],
    )


def payment_out(attempt: PaymentAttempt) -> PaymentOut:
    return PaymentOut(attempt.provider, attempt.out_trade_no, attempt.amount_fen, attempt.expires_at, attempt.client)


def _ask(data: OrderIn) -> service.OrderAsk:
    return service.OrderAsk(**msgspec.structs.asdict(data))


_PUBLIC = {"public": True}
_SELLER = [requires(Role.SMALLHOLDER)]


class MarketListingsController(Controller):
    """The catalogue (public) and sellers' listings and sales, on one path."""

    path = "/api/v1/market"
    tags = ["market"]

    @get("/listings", summary="Listings on sale, cheapest per kg first (no sign-in)", opt=_PUBLIC)
    async def listings(self, request: Request) -> list[ListingOut]:
        return [listing_out(v) for v in await service.catalogue(_settings(request))]

    @get(
        "/offer",
        summary='What "best" costs for kg now: the split over listings and the total (no sign-in)',
        opt=_PUBLIC,
        responses={409: ResponseSpec(None, description="The listings on sale cannot sell that many kg")},
    )
    async def offer(self, request: Request, kg: Annotated[int, Parameter(ge=1, le=10_000_000)]) -> OfferOut:
        found = await service.cheapest_offer(_settings(request), kg)
        parts = [
            OfferPartOut(p.listing, p.kg, p.price_fen, p.price_unit_kg, p.total_fen, p.project_name, p.seller)
            for p in found.parts
        ]
        return OfferOut(found.listing, found.kg, found.total_fen, parts)

    @get("/listings/{listing_id:str}", summary="One listing and what is left of it (no sign-in)", opt=_PUBLIC)
    async def listing(self, request: Request, listing_id: FromPath[str]) -> ListingOut:
        listing = await service.listing_by_public_id(listing_id)
        return listing_out(await service.view_of(_settings(request), listing))

    @post("/listings", summary="List an issuance I (or my collective) own, at a price per unit of kg", guards=_SELLER)
    async def create_listing(self, request: Request, data: JSONBody[ListingIn]) -> ListingOut:
        listing = await service.create_listing(
            require_principal(request), data.issuance, data.price_fen, data.price_unit_kg, data.seller_shown
        )
        found = await service.listing_by_public_id(listing.public_id)
        return listing_out(await service.view_of(_settings(request), found))

    @post("/listings/{listing_id:str}/withdraw", status_code=200, summary="Withdraw my listing", guards=_SELLER)
    async def withdraw(self, request: Request, listing_id: FromPath[str]) -> ListingOut:
        listing = await service.withdraw_listing(require_principal(request), listing_id)
        return listing_out(await service.view_of(_settings(request), listing))

    @get("/sales", summary="My sales: gross, platform fee and net per fulfilled order line", guards=_SELLER)
    async def sales(self, request: Request) -> list[SaleOut]:
        return [
            SaleOut(
                line.order.public_id,
                line.listing.public_id,
                line.kg,
                line.total_fen,
                line.fee_fen,
                line.seller_fen,
                line.order.resolved_at,
                line.order.certificate_code,
            )
            for line in await service.sales_of(require_principal(request))
        ]


class MarketOrdersController(Controller):
    path = "/api/v1/market/orders"
    tags = ["market"]
    guards = [requires(Role.CITIZEN)]

    @post("/", summary="Order kg of a listing: the price is locked and the kg reserved until expires_at")
    async def place(self, request: Request, data: JSONBody[OrderIn]) -> OrderOut:
        order = await service.place_order(_settings(request), require_principal(request).user, _ask(data))
        return order_out(await service.order_for(require_principal(request).user, order.public_id))

    @get("/", summary="My orders, newest first")
    async def mine(self, request: Request) -> list[OrderOut]:
        return [order_out(o) for o in await service.orders_of(require_principal(request).user)]

    @get("/{order_id:str}", summary="One of my orders")
    async def one(self, request: Request, order_id: FromPath[str]) -> OrderOut:
        return order_out(await service.order_for(require_principal(request).user, order_id))

    @post(
        "/{order_id:str}/pay",
        status_code=200,
        summary="Start paying: what the page or mini-app needs",
        responses={503: ResponseSpec(None, description="The payment provider is unavailable: try again later")},
    )
    async def pay(self, request: Request, order_id: FromPath[str]) -> PaymentOut:
        user = require_principal(request).user
        return payment_out(await service.pay(_settings(request), _provider(request), user, order_id))

    @post("/{order_id:str}/cancel", status_code=200, summary="Cancel an unpaid order: its kg and points go back")
    async def cancel(self, request: Request, order_id: FromPath[str]) -> OrderOut:
        return order_out(await service.cancel(_provider(request), require_principal(request).user, order_id))


class OffsetForm(msgspec.Struct):
    """The beneficiary part of an order form, as the offset pages of other domains (tourism, events) post it."""

    beneficiary: str = ""
    beneficiary_shown: str = "masked"


class OrderForm(msgspec.Struct):
    kg: str = ""
    purpose: str = "personal"
    beneficiary: str = ""
    beneficiary_shown: str = "masked"
    purpose_note: str = ""
    gift_recipient: str = ""
    points: str = ""


class BestForm(OrderForm):
    total_fen: str = ""  # the offer's total the buyer confirms


def _ask_of(listing: str, data: OrderForm, expected_total_fen: int = 0) -> service.OrderAsk:
    return service.OrderAsk(
        listing=listing,
        kg=_int(data.kg),
        purpose=data.purpose,
        beneficiary=data.beneficiary,
        beneficiary_shown=data.beneficiary_shown,
        purpose_note=data.purpose_note,
        gift_recipient=data.gift_recipient,
        points=_int(data.points),
        expected_total_fen=expected_total_fen,
    )


def _int(text: str, default: int = 0) -> int:
    text = text.strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        return -1  # refused by the service with the field named


class MarketPages(Controller):
    """The public catalogue and listing pages (zh/en, phone-first, no JavaScript)."""

    include_in_schema = False
    opt = {"public": True}

    @get("/market")
    async def catalogue(self, request: Request) -> Template:
        views = await service.catalogue(_settings(request))
        return page(request, "market/catalogue.html", views=views, county=lambda c: regions.full_name(c) or c)

    @get("/market/listings/{listing_id:str}")
    async def listing(self, request: Request, listing_id: FromPath[str]) -> Template:
        return await _listing_page(request, listing_id)

    @get("/market/best")
    async def best(self, request: Request, kg: FromQuery[str] = "") -> Template:
        """最优组合: the offer for kg over the cheapest listings, and (signed in) the form to order it."""
        return await _best_page(request, kg)


async def _best_page(
    request: Request, kg: str, *, form: OrderForm | None = None, error: str = "", status_code: int = 200
) -> Template:
    settings = _settings(request)
    offer = None
    try:
        if kg.strip():  # no kg yet: the empty form
            offer = await service.best_offer(settings, _int(kg[:12]))
    except AppError as refused:  # bad kg, or the catalogue cannot sell it: said beside the form
        error = error or t(refused.key, request_language(request), **refused.params)
        status_code = status_code if status_code != 200 else refused.status_code
    principal = principal_of(request)
    return page(
        request,
        "market/best.html",
        status_code=status_code,
        offer=offer,
        asked=kg.strip()[:12],
        asked_kg=_int(kg[:12]),
        form=form or OrderForm(),
        error=error,
        points_available=(await points.balance_of(principal.user)).available if principal else 0,
        points_rate=settings.market_points_per_fen,
        minutes=settings.market_reservation_minutes,
    )


async def _listing_page(
    request: Request, listing_id: str, *, form: OrderForm | None = None, error: str = "", status_code: int = 200
) -> Template:
    settings = _settings(request)
    view = await service.view_of(settings, await service.listing_by_public_id(listing_id))
    principal = principal_of(request)
    available = (await points.balance_of(principal.user)).available if principal else 0
    return page(
        request,
        "market/listing.html",
        status_code=status_code,
        view=view,
        out=listing_out(view),
        form=form or OrderForm(kg=str(view.listing.price_unit_kg)),
        error=error,
        points_available=available,
        points_rate=settings.market_points_per_fen,
        minutes=settings.market_reservation_minutes,
    )


class MarketOrderPages(Controller):
    """Ordering, paying and following an order, for the signed-in buyer."""

    include_in_schema = False
    guards = [requires(Role.CITIZEN)]

    @post("/market/listings/{listing_id:str}/order")
    async def order(
        self, request: Request, listing_id: FromPath[str], data: URLEncodedBody[OrderForm]
    ) -> Template | Redirect:
        try:
            order = await service.place_order(
                _settings(request), require_principal(request).user, _ask_of(listing_id, data)
            )
        except AppError as refused:  # the form again, with the problem named beside it
            message = t(refused.key, request_language(request), **refused.params)
            return await _listing_page(request, listing_id, form=data, error=message, status_code=refused.status_code)
        return Redirect(f"/market/orders/{order.public_id}?lang={request_language(request)}", status_code=303)

    @post("/market/best/order")
    async def order_best(self, request: Request, data: URLEncodedBody[BestForm]) -> Template | Redirect:
        """Confirm the best-available offer: a split order at the total shown, or the offer page again."""
        ask = _ask_of(service.BEST, data, expected_total_fen=_int(data.total_fen) if data.total_fen else 0)
        try:
            order = await service.place_order(_settings(request), require_principal(request).user, ask)
        except AppError as refused:  # the new offer, with the problem named beside it
            message = t(refused.key, request_language(request), **refused.params)
            return await _best_page(request, data.kg, form=data, error=message, status_code=refused.status_code)
        return Redirect(f"/market/orders/{order.public_id}?lang={request_language(request)}", status_code=303)

    @get("/market/orders/{order_id:str}")
    async def order_page(self, request: Request, order_id: FromPath[str]) -> Template:
        user = require_principal(request).user
        order = await service.order_for(user, order_id)
        attempts = await payments.attempts_of(service.PURPOSE, order.public_id)
        return page(
            request,
            "market/order.html",
            order=order,
            out=order_out(order),
            status=service._status_now(order),
            refunded=sum(1 for a in attempts if a.status in ("refunded", "refund_due")),
            # WeChat Pay (JSAPI) pays only inside the mini-program: a phone browser is told to open it there.
            in_app_only=payments.in_app_only(_provider(request)),
        )

    @get("/market/orders")
    async def orders_page(self, request: Request) -> Template:
        user = require_principal(request).user
        return page(request, "market/orders.html", orders=[order_out(o) for o in await service.orders_of(user)])

    @post("/market/orders/{order_id:str}/pay")
    async def pay(self, request: Request, order_id: FromPath[str]) -> Redirect:
        user = require_principal(request).user
        if payments.in_app_only(_provider(request)):  # no prepay for a page that cannot call wx.requestPayment
            return Redirect(f"/market/orders/{order_id}?lang={request_language(request)}", status_code=303)
        attempt = await service.pay(_settings(request), _provider(request), user, order_id)
        target = attempt.client.get("confirm_url") or f"/market/orders/{order_id}"
        base = _settings(request).base_url.rstrip("/")
        if target.startswith(base + "/"):  # stay on the host the payer is on
            target = target[len(base) :]
        return Redirect(f"{target}{'&' if '?' in target else '?'}lang={request_language(request)}", status_code=303)

    @post("/market/orders/{order_id:str}/cancel")
    async def cancel(self, request: Request, order_id: FromPath[str]) -> Redirect:
        await service.cancel(_provider(request), require_principal(request).user, order_id)
        return Redirect(f"/market/orders/{order_id}?lang={request_language(request)}", status_code=303)
