"""Request and response shapes of the donations API (they make its OpenAPI spec), and page forms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Fen = Annotated[int, msgspec.Meta(description="integer fen (分)")]


class DonationIn(msgspec.Struct, forbid_unknown_fields=True):
    trees: Annotated[int, msgspec.Meta(ge=1, le=10_000, description="whole trees, at the campaign's price per tree")]


class DonationOut(msgspec.Struct):
    id: str
    campaign: str
    status: Annotated[str, msgspec.Meta(description="pending | paid | expired")]
    trees: int
    fen_per_tree: Fen
    amount_fen: Fen
    expires_at: datetime
    paid_at: datetime | None
    created_at: datetime
    receipt: Annotated[str | None, msgspec.Meta(description="null | requested | exported")]
    page_url: str


class ReceiptIn(msgspec.Struct, forbid_unknown_fields=True):
    """A 捐赠票据 request: a person's name or an organisation's title, an optional 税号, an email."""

    kind: Literal["personal", "organisation"]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="name or organisation title")]
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    tax_id: Annotated[
        str, msgspec.Meta(max_length=20, description="unified social credit code (GB 32100-2015), optional")
    ] = ""


class ReceiptOut(msgspec.Struct):
    donation: str
    kind: str
    title: str
    tax_id: str
    email: str
    status: Annotated[str, msgspec.Meta(description="requested (changeable) | exported (final)")]
    created_at: datetime
    exported_at: datetime | None


class PaymentOut(msgspec.Struct):
    provider: str
    out_trade_no: str
    amount_fen: Fen
    expires_at: datetime
    client: Annotated[
        dict[str, str], msgspec.Meta(description="sandbox: {confirm_url}; wechatpay: the wx.requestPayment parameters")
    ]


class PointsDonationIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[int, msgspec.Meta(ge=10, le=100_000, description="points per donation: 10 to 100000")]


class PointsDonationOut(msgspec.Struct):
    id: Annotated[str, msgspec.Meta(description="the ledger transfer's id (from you and your Idempotency-Key)")]
    campaign: str
    points: int
    created_at: datetime
    replayed: bool


class TotalsOut(msgspec.Struct):
    campaign: str
    trees_donated: int
    donations_paid: int
    fen_raised: Fen
    points_donated: int
    points_donations: int


class PaidDonationOut(msgspec.Struct):
    id: str
    trees: int
    amount_fen: Fen
    paid_at: datetime | None
    receipt: str | None


class DonateForm(msgspec.Struct):
    """The campaign page's donate form (unknown fields such as _csrf_token are ignored)."""

    trees: str = ""


class PointsForm(msgspec.Struct):
    points: str = ""
    key: str = ""


class ReceiptForm(msgspec.Struct):
    kind: str = "personal"
    title: str = ""
    tax_id: str = ""
    email: str = ""
