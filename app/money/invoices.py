"""Organisations as buyers: orders placed on an organisation's behalf, and invoice requests over them.

Rules:
- a member holding the organiser role in an organisation (a company, foundation, collective or
  cooperative) may buy for it: the market's own `place_order` with purpose `organisation` and the
  organisation's name as beneficiary, plus a `money_org_order` row in the same transaction;
- an invoice request names a 发票抬头, a 税号 that is a valid unified social credit code (GB 32100-2015:
  18 characters with its check character), an email, and fulfilled orders of that organisation; its
  amount is their total, computed here, and each order is invoiced at most once (a unique key);
- the finance team (platform admin) exports every request as CSV (UTF-8, optional BOM for Excel).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta, timezone

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.accounts.service import new_public_id
from app.core.audit import record
from app.core.auth import Principal, Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.market import service as market
from app.money import messages  # noqa: F401  (registers the domain's messages)
from app.settings import Settings
from models.accounts import Organisation, User
from models.market import Order
from models.money import InvoiceOrder, InvoiceRequest, OrgOrder

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_ORDERS_PER_INVOICE = 200
BEIJING = timezone(timedelta(hours=8))


def uscc_valid(code: str) -> bool:
    """A unified social credit code: 18 characters of the code set whose last is the check character."""
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


async def organisation_for(principal: Principal, org_public_id: str) -> Organisation:
    """The organisation, if the principal may buy and ask for invoices for it (its organiser)."""
    org = await Organisation.get_or_none(public_id=org_public_id)
    if org is None:
        raise NotFound("money.organisation_not_found")
    if org.id not in principal.orgs_with(Role.ORGANISER.value):
        raise Forbidden("money.not_your_organisation")
    return org


async def place_org_order(
    settings: Settings,
    principal: Principal,
    org_public_id: str,
    listing: str,
    kg: int,
    *,
    purpose_note: str = "",
    beneficiary_shown: str = "full",
) -> Order:
    """A bulk order in the organisation's name (purpose organisation), through the market's own rules."""
    org = await organisation_for(principal, org_public_id)
    ask = market.OrderAsk(
        listing=listing,
        kg=kg,
        purpose="organisation",
        beneficiary=org.name,
        beneficiary_shown=beneficiary_shown,
        purpose_note=purpose_note,
    )
    return await place_for_organisation(settings, principal.user, org, ask)


async def place_for_organisation(settings: Settings, member: User, org: Organisation, ask: market.OrderAsk) -> Order:
    """A market order with `org` as the buyer (a `money_org_order` row), in one transaction.

    The caller has checked that `member` may buy for `org` (its organiser here; an event organiser in
    app/events); the order is the market's own, paid by the member who placed it.
    """
    async with in_transaction():
        order = await market.place_order(settings, member, ask)
        await OrgOrder.create(order_id=order.id, organisation_id=org.id)
        await record(
            actor=f"user:{member.public_id}",
            action="money.org_order.placed",
            entity_type="order",
            entity_id=order.public_id,
            after={"organisation": org.public_id, "kg": order.kg, "total_fen": order.total_fen},
        )
    return order


async def org_orders(principal: Principal, org_public_id: str, limit: int = 200) -> list[tuple[Order, str | None]]:
    """The organisation's orders, newest first, each with the invoice request covering it (if any)."""
    org = await organisation_for(principal, org_public_id)
    order_ids = await OrgOrder.filter(organisation_id=org.id).values_list("order_id", flat=True)
    orders = (
        await Order.filter(id__in=list(order_ids))
        .select_related("listing")
        .prefetch_related("lines__listing")
        .order_by("-id")
        .limit(limit)
    )
    invoiced = dict(
        await InvoiceOrder.filter(order_id__in=[o.id for o in orders]).values_list("order_id", "invoice__public_id")
    )
    return [(o, invoiced.get(o.id)) for o in orders]  # type: ignore[misc]


async def request_invoice(
    principal: Principal, org_public_id: str, title: str, tax_id: str, email: str, order_ids: list[str]
) -> InvoiceRequest:
    org = await organisation_for(principal, org_public_id)
    title, tax_id, email = (title or "").strip(), (tax_id or "").strip().upper(), (email or "").strip()
    if not 0 < len(title) <= 100 or not title.isprintable():
        raise AppError("money.bad_invoice_title", detail=[{"field": "title"}])
    if not uscc_valid(tax_id):
        raise AppError("money.bad_tax_id", detail=[{"field": "tax_id"}])
    if len(email) > 254 or not _EMAIL.match(email):
        raise AppError("money.bad_email", detail=[{"field": "email"}])
    wanted = list(dict.fromkeys(order_ids or []))
    if not 0 < len(wanted) <= MAX_ORDERS_PER_INVOICE:
        raise AppError("money.bad_invoice_orders", detail=[{"field": "orders"}], maximum=MAX_ORDERS_PER_INVOICE)
    orders = await Order.filter(public_id__in=wanted)
    mine = set(await OrgOrder.filter(organisation_id=org.id).values_list("order_id", flat=True))
    found = {o.public_id: o for o in orders if o.id in mine}
    for public_id in wanted:
        order = found.get(public_id)
        if order is None:
            raise NotFound("money.order_not_found", order=public_id[:26])
        if order.status != "fulfilled":
            raise Conflict("money.order_not_paid", order=public_id, status=order.status)
    amount = sum(found[p].total_fen for p in wanted)
    try:
        async with in_transaction():
            invoice = await InvoiceRequest.create(
                public_id=new_public_id(),
                organisation_id=org.id,
                requested_by_id=principal.user.id,
                title=title,
                tax_id=tax_id,
                email=email,
                amount_fen=amount,
                order_count=len(wanted),
            )
            # One row per order, unique on the order: an order already invoiced fails the whole request.
            for public_id in wanted:
                await InvoiceOrder.create(invoice_id=invoice.id, order_id=found[public_id].id)
            await record(
                actor=f"user:{principal.user.public_id}",
                action="money.invoice.requested",
                entity_type="invoice_request",
                entity_id=invoice.public_id,
                after={"organisation": org.public_id, "amount_fen": amount, "orders": wanted},
            )
    except IntegrityError:
        raise Conflict("money.order_invoiced") from None
    return invoice


CSV_COLUMNS = (
    "invoice_request",
    "requested_at_beijing",
    "organisation",
    "title",
    "tax_id",
    "email",
    "amount_fen",
    "amount_yuan",
    "order_count",
    "orders",
)


def yuan(fen: int) -> str:
    """12345 → '123.45', from the integer: no float ever."""
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _cell(value: object) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def csv_chunks(*, bom: bool = False, batch: int = 500) -> AsyncIterator[bytes]:
    """Every invoice request, oldest first, as UTF-8 CSV for the finance team."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()
    last = 0
    while True:
        rows = await InvoiceRequest.filter(id__gt=last).select_related("organisation").order_by("id").limit(batch)
        if not rows:
            return
        covered: dict[int, list[str]] = {}
        for invoice_id, order_public_id in (
            await InvoiceOrder.filter(invoice_id__in=[r.id for r in rows])
            .order_by("id")
            .values_list("invoice_id", "order__public_id")
        ):
            covered.setdefault(invoice_id, []).append(order_public_id)  # type: ignore[arg-type]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for r in rows:
            writer.writerow(
                [
                    r.public_id,
                    r.created_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                    _cell(r.organisation.name),
                    _cell(r.title),
                    r.tax_id,
                    _cell(r.email),
                    r.amount_fen,
                    yuan(r.amount_fen),
                    r.order_count,
                    " ".join(covered.get(r.id, [])),
                ]
            )
        yield buffer.getvalue().encode()
        last = rows[-1].id
