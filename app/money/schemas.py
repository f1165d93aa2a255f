"""Request and response shapes of the money API: income and payouts, organisations' orders and invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from app.market.schemas import OrderOut

Fen = Annotated[int, msgspec.Meta(description="integer fen (分)")]
Holder = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, description="user:<public id> or org:<public id> (a collective)")
]


class IncomeOut(msgspec.Struct):
    holder: Holder
    payable_fen: Annotated[int, msgspec.Meta(description="seller shares not yet paid out: what a payout may take")]
    in_flight_fen: Annotated[int, msgspec.Meta(description="asked for, not yet confirmed by the provider")]
    paid_out_fen: Annotated[int, msgspec.Meta(description="confirmed paid by the provider")]
    payee: Annotated[str | None, msgspec.Meta(description="where payouts go, masked (银行卡 ****3445)")]


class PayeeIn(msgspec.Struct, forbid_unknown_fields=True):
    holder: Holder
    kind: Literal["bank", "wechat"]
    account: Annotated[str, msgspec.Meta(min_length=1, max_length=80, description="bank card number or WeChat openid")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="the account holder's name")]


class PayeeOut(msgspec.Struct):
    holder: str
    payee: Annotated[str, msgspec.Meta(description="masked: the full account is never shown again")]


class PayoutIn(msgspec.Struct, forbid_unknown_fields=True):
    holder: Holder
    amount_fen: Annotated[int, msgspec.Meta(ge=1, le=10**12, description="at least PAYOUT_MIN_FEN, at most payable")]


class PayoutOut(msgspec.Struct):
    id: str
    holder: str
    amount_fen: Fen
    status: Annotated[str, msgspec.Meta(description="requested | processing | paid | failed")]
    provider: str
    failure_reason: str
    created_at: datetime
    resolved_at: datetime | None


class OrgOrderIn(msgspec.Struct, forbid_unknown_fields=True):
    listing: Annotated[str, msgspec.Meta(min_length=1, max_length=26, description='a listing id, or "best"')]
    kg: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    purpose_note: Annotated[str, msgspec.Meta(max_length=100)] = ""
    beneficiary_shown: Literal["full", "masked", "hidden"] = "full"


class OrgOrderOut(msgspec.Struct):
    order: OrderOut
    invoice: Annotated[str | None, msgspec.Meta(description="the invoice request covering it, if any")]


class InvoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100, description="发票抬头")]
    tax_id: Annotated[str, msgspec.Meta(min_length=18, max_length=18, description="统一社会信用代码 (GB 32100-2015)")]
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    orders: Annotated[list[str], msgspec.Meta(min_length=1, max_length=200, description="fulfilled orders' ids")]


class InvoiceOut(msgspec.Struct):
    id: str
    organisation: str
    title: str
    tax_id: str
    email: str
    amount_fen: Fen
    order_count: int
    created_at: datetime
