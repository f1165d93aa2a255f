"""Request and response shapes of the market API (they make its OpenAPI spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

PublicId = Annotated[str, msgspec.Meta(min_length=1, max_length=26)]
Fen = Annotated[int, msgspec.Meta(description="integer fen (分)")]


class ListingIn(msgspec.Struct, forbid_unknown_fields=True):
    """Offer an issuance you own: `price_fen` buys `price_unit_kg` kg (¥1 = 10 kg is 100 per 10)."""

    issuance: PublicId
    price_fen: Annotated[int, msgspec.Meta(ge=1, le=100_000_000, description="fen for price_unit_kg kg")]
    price_unit_kg: Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="kg the price buys")] = 1
    seller_shown: Literal["masked", "full", "collective"] = "masked"


class ListingOut(msgspec.Struct):
    id: str
    status: str
    seller: Annotated[str, msgspec.Meta(description="as the seller chose: masked 张**, in full, or the collective")]
    seller_shown: str
    price_fen: Fen
    price_unit_kg: int
    remaining_kg: Annotated[int, msgspec.Meta(description="kg inventory can still sell now")]
    basis: Annotated[str, msgspec.Meta(description="ex_ante | ex_post")]
    county_code: str
    county: str
    issuance: str
    vintage: int
    project: str
    project_name: str
    methodology: str
    created_at: datetime


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    listing: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=26, description='a listing id, or "best": the cheapest listing that has the kg'
        ),
    ]
    kg: Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="a whole multiple of the listing's price_unit_kg")]
    purpose: Literal["personal", "trip", "event", "gift", "organisation"]
    beneficiary: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="the name on the certificate")]
    beneficiary_shown: Literal["full", "masked", "hidden"] = "masked"
    purpose_note: Annotated[str, msgspec.Meta(max_length=100)] = ""
    gift_recipient: Annotated[str, msgspec.Meta(max_length=64, description="required for a gift")] = ""
    points: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000, description="points toward the price")] = 0


class OrderLineOut(msgspec.Struct):
    """One listing's part of an order, at its own locked price; fee and share once fulfilled."""

    listing: str
    kg: int
    price_fen: Fen
    price_unit_kg: int
    total_fen: Fen
    fee_fen: Fen
    seller_fen: Fen


class OrderOut(msgspec.Struct):
    id: str
    status: Annotated[str, msgspec.Meta(description="pending | fulfilled | expired | cancelled")]
    listing: str
    kg: int
    price_fen: Fen
    price_unit_kg: int
    total_fen: Fen
    points: int
    points_fen: Fen
    cash_fen: Fen
    fee_fen: Annotated[int, msgspec.Meta(description="platform fee, once fulfilled")]
    seller_fen: Annotated[int, msgspec.Meta(description="the seller's share, once fulfilled")]
    purpose: str
    purpose_note: str
    gift_recipient: str
    beneficiary: str
    beneficiary_shown: str
    expires_at: datetime
    created_at: datetime
    certificate_code: str | None
    certificate_url: str | None
    page_url: str
    lines: Annotated[
        list[OrderLineOut],
        msgspec.Meta(
            description="one per listing: a single-listing order has one; a split (best) order one per listing, "
            "cheapest per kg first. For a split order `listing` is the first line's and price_fen/price_unit_kg "
            "are the whole order's (total_fen for kg)"
        ),
    ] = []


class OfferPartOut(msgspec.Struct):
    listing: str
    kg: int
    price_fen: Fen
    price_unit_kg: int
    total_fen: Fen
    project_name: Annotated[str, msgspec.Meta(description="the listing's project, as the catalogue names it")] = ""
    seller: Annotated[str, msgspec.Meta(description="the seller, shown as they chose (masked, full or hidden)")] = ""


class OfferOut(msgspec.Struct):
    """What ordering `kg` with listing "best" costs now; the order locks what is on sale at that moment."""

    listing: Annotated[str, msgspec.Meta(description='the one listing, or "best" when split over several')]
    kg: Annotated[int, msgspec.Meta(description="the kg asked, rounded up to whole units")]
    total_fen: Annotated[int, msgspec.Meta(description="what the buyer pays: the sum of the parts")]
    parts: Annotated[list[OfferPartOut], msgspec.Meta(description="one per listing, cheapest per kg first")]


class PaymentOut(msgspec.Struct):
    provider: str
    out_trade_no: str
    amount_fen: Fen
    expires_at: datetime
    client: Annotated[
        dict[str, str],
        msgspec.Meta(description="sandbox: {confirm_url}; wechatpay: the wx.requestPayment parameters"),
    ]


class SaleOut(msgspec.Struct):
    order: str
    listing: str
    kg: int
    gross_fen: Fen
    fee_fen: Fen
    net_fen: Fen
    fulfilled_at: datetime | None
    certificate_code: str | None
