"""Coupons API: offers (public), buying and my coupons (citizens), creating offers and redeeming (merchants)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from app.core.auth import Role, require_principal, requires
from app.core.i18n import request_language
from app.coupons import service


class OfferIn(msgspec.Struct, forbid_unknown_fields=True):
    merchant: Annotated[str, msgspec.Meta(min_length=1, max_length=26)]
    title_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    title_en: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    points_price: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    stock: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class OfferOut(msgspec.Struct):
    id: str
    title: str
    points_price: int
    stock: int


class BuyIn(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[UUID, msgspec.Meta(description="your purchase id: reuse it to retry safely")]
    offer: Annotated[str, msgspec.Meta(min_length=1, max_length=26)]


class RedeemIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class CouponOut(msgspec.Struct):
    code: str
    status: str
    issued_at: datetime
    redeemed_at: datetime | None


def _offer_out(o, lang: str) -> OfferOut:  # type: ignore[no-untyped-def]
    return OfferOut(o.public_id, o.title_en if lang == "en" else o.title_zh, o.points_price, o.stock)


def _coupon_out(c) -> CouponOut:  # type: ignore[no-untyped-def]
    return CouponOut(c.code, c.status, c.issued_at, c.redeemed_at)


class CouponOffersController(Controller):
    path = "/api/v1/coupons/offers"
    tags = ["coupons"]

    @get("/", summary="Offers in stock (public)", opt={"public": True})
    async def list_offers(self, request: Request) -> list[OfferOut]:
        lang = request_language(request)
        return [_offer_out(o, lang) for o in await service.offers()]

    @post("/", summary="Create an offer for my merchant", guards=[requires(Role.MERCHANT)])
    async def create(self, request: Request, data: JSONBody[OfferIn]) -> OfferOut:
        offer = await service.create_offer(
            require_principal(request), data.merchant, data.title_zh, data.title_en, data.points_price, data.stock
        )
        return _offer_out(offer, request_language(request))


class CouponsController(Controller):
    path = "/api/v1/coupons"
    tags = ["coupons"]
    guards = [requires(Role.CITIZEN)]

    @post("/buy", summary="Buy one coupon with points")
    async def buy(self, request: Request, data: JSONBody[BuyIn]) -> CouponOut:
        return _coupon_out(await service.buy(require_principal(request).user, data.offer, data.id))

    @get("/mine", summary="My coupons")
    async def mine(self, request: Request) -> list[CouponOut]:
        return [_coupon_out(c) for c in await service.mine(require_principal(request).user)]

    @get("/{code:str}/qr.svg", summary="My coupon's QR code, for the merchant to scan")
    async def qr(self, request: Request, code: FromPath[str]) -> Response[bytes]:
        svg = await service.qr_svg(require_principal(request).user, code)
        return Response(svg, media_type="image/svg+xml")


class CouponRedeemController(Controller):
    path = "/api/v1/coupons/redeem"
    tags = ["coupons"]
    guards = [requires(Role.MERCHANT)]

    @post("/", summary="Redeem a scanned coupon (once)", status_code=200)
    async def redeem(self, request: Request, data: JSONBody[RedeemIn]) -> CouponOut:
        return _coupon_out(await service.redeem(require_principal(request), data.code))
