"""Merchant coupons: offers with stock, bought with points, redeemed once by the merchant's staff.

Buying is one transaction: take one from stock by a conditional update (never below zero), move the
points from the buyer's wallet to the merchant's redemption account, and issue a random code. The
buyer's purchase id is the points transfer's id, so a retried purchase returns the same coupon.
Redeeming is one conditional update from issued to redeemed: a second scan is refused with the time of
the first.
"""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime
from uuid import UUID

import qrcode
import qrcode.image.svg
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.accounts import service as accounts
from app.core.auth import Principal, Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING, register_messages
from app.ledger import service as ledger
from app.points import service as points
from models.accounts import User
from models.coupons import Coupon, CouponOffer

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread at a till


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))


async def create_offer(
    principal: Principal, merchant_public_id: str, title_zh: str, title_en: str, points_price: int, stock: int
) -> CouponOffer:
    merchant = await accounts.organisation_by_public_id(merchant_public_id)
    if merchant.id not in principal.orgs_with(Role.MERCHANT):
        raise Forbidden("coupons.not_your_merchant")
    if not title_zh.strip() or not title_en.strip():
        raise AppError("coupons.bad_title", detail=[{"field": "title_zh"}])
    return await CouponOffer.create(
        public_id=accounts.new_public_id(),
        merchant=merchant,
        title_zh=title_zh.strip(),
        title_en=title_en.strip(),
        points_price=points_price,
        stock=stock,
    )


async def offers() -> list[CouponOffer]:
    return await CouponOffer.filter(active=True, stock__gt=0).order_by("points_price", "id")


class _AlreadyBought(Exception):
    pass


async def buy(user: User, offer_public_id: str, purchase_id: UUID) -> Coupon:
    """Buy one coupon with points; retrying with the same purchase id returns the same coupon."""
    if existing := await Coupon.get_or_none(transfer_id=purchase_id).prefetch_related("offer"):
        return _own(existing, user, offer_public_id)
    offer = await CouponOffer.get_or_none(public_id=offer_public_id, active=True)
    if offer is None:
        raise NotFound("coupons.offer_not_found")
    wallet = await points.wallet_of(user)
    sink = await ledger.open_account("points", "redemption_sink", f"org:{offer.merchant_id}", may_go_negative=True)  # type: ignore[attr-defined]
    try:
        async with in_transaction():
            # Take one from stock first: the row lock also serialises copies of this very purchase.
            if not await CouponOffer.filter(id=offer.id, active=True, stock__gte=1).update(stock=F("stock") - 1):
                if await Coupon.exists(transfer_id=purchase_id):
                    raise _AlreadyBought  # a copy of this purchase took the last one: this is its retry
                raise Conflict("coupons.sold_out")
            if await Coupon.exists(transfer_id=purchase_id):
                raise _AlreadyBought
            await ledger.transfer(
                purchase_id, wallet, sink, offer.points_price, "coupon.bought", f"offer:{offer.public_id}"
            )
            return await Coupon.create(code=_new_code(), offer=offer, user=user, transfer_id=purchase_id)
    except _AlreadyBought:
        return _own(await Coupon.get(transfer_id=purchase_id).prefetch_related("offer"), user, offer_public_id)


def _own(coupon: Coupon, user: User, offer_public_id: str) -> Coupon:
    """A replay only if it is the same person buying the same offer; otherwise the id was reused."""
    if coupon.user_id != user.id or coupon.offer.public_id != offer_public_id:  # type: ignore[attr-defined]
        raise Conflict("ledger.id_reused")
    return coupon


async def mine(user: User) -> list[Coupon]:
    return await Coupon.filter(user_id=user.id).prefetch_related("offer").order_by("-issued_at")


async def qr_svg(user: User, code: str) -> bytes:
    coupon = await Coupon.get_or_none(code=code, user_id=user.id)
    if coupon is None:
        raise NotFound("coupons.not_found")
    image = qrcode.make(coupon.code, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


async def redeem(principal: Principal, code: str) -> Coupon:
    """The merchant's staff scan a coupon: it works once, and only at the merchant that sold it."""
    coupon = await Coupon.get_or_none(code=code.strip().upper()).prefetch_related("offer")
    if coupon is None:
        raise NotFound("coupons.not_found")
    if coupon.offer.merchant_id not in principal.orgs_with(Role.MERCHANT):  # type: ignore[attr-defined]
        raise Forbidden("coupons.not_your_merchant")
    now = datetime.now(UTC)
    if not await Coupon.filter(id=coupon.id, status="issued").update(
        status="redeemed", redeemed_at=now, redeemed_by_id=principal.user.id
    ):
        first = await Coupon.get(id=coupon.id)
        when = first.redeemed_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if first.redeemed_at else "?"
        raise Conflict("coupons.already_redeemed", at=when)
    return await Coupon.get(id=coupon.id)


register_messages(
    {
        "coupons.not_your_merchant": {
            "zh": "您不是该商户的工作人员，不能为它操作",
            "en": "You are not staff of this merchant",
        },
        "coupons.bad_title": {"zh": "请填写中英文标题", "en": "Give a Chinese and an English title"},
        "coupons.offer_not_found": {"zh": "找不到这项优惠，或它已下架", "en": "No such offer, or it was withdrawn"},
        "coupons.sold_out": {"zh": "这项优惠已兑完", "en": "This offer is sold out"},
        "coupons.not_found": {"zh": "找不到这张券", "en": "No such coupon"},
        "coupons.already_redeemed": {
            "zh": "这张券已于 {at}（北京时间）核销，不能重复使用",
            "en": "This coupon was already redeemed at {at} (Beijing time)",
        },
    }
)
