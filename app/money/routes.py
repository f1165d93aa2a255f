"""Money API: sellers' income and payouts, the payout provider's notify route, organisations' orders and
invoice requests, and the finance team's CSV export."""

from __future__ import annotations

import re

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, JSONBody, Parameter, URLEncodedBody
from litestar.response import Stream, Template

from app.core.auth import Role, require_principal, requires
from app.core.errors import AppError, NotFound
from app.core.i18n import request_language, t
from app.core.pages import page
from app.market.routes import order_out
from app.money import invoices, payouts
from app.money.protocol import PayoutProvider
from app.money.schemas import (
    IncomeOut,
    InvoiceIn,
    InvoiceOut,
    OrgOrderIn,
    OrgOrderOut,
    PayeeIn,
    PayeeOut,
    PayoutIn,
    PayoutOut,
)
from app.settings import Settings
from models.accounts import Organisation
from models.market import Order
from models.money import InvoiceRequest, Payout

_SELLER = [requires(Role.SMALLHOLDER)]
_ORGANISER = [requires(Role.ORGANISER)]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _provider(request: Request) -> PayoutProvider:
    return request.app.state.payouts  # type: ignore[no-any-return]


def payout_out(p: Payout) -> PayoutOut:
    return PayoutOut(
        p.public_id, p.holder, p.amount_fen, p.status, p.provider, p.failure_reason, p.created_at, p.resolved_at
    )


def invoice_out(i: InvoiceRequest, organisation: str) -> InvoiceOut:
    return InvoiceOut(i.public_id, organisation, i.title, i.tax_id, i.email, i.amount_fen, i.order_count, i.created_at)


class PayoutsController(Controller):
    """A seller's income (their seller_income account) and payouts of it."""

    path = "/api/v1/money"
    tags = ["money"]

    @get("/income", summary="What I (and my collectives) earned and may be paid, in fen", guards=_SELLER)
    async def income(self, request: Request) -> list[IncomeOut]:
        balances = await payouts.balances_of(_settings(request), require_principal(request))
        return [IncomeOut(b.holder, b.payable_fen, b.in_flight_fen, b.paid_out_fen, b.payee) for b in balances]

    @put("/payee", summary="Where payouts go (encrypted at rest, shown masked)", guards=_SELLER)
    async def set_payee(self, request: Request, data: JSONBody[PayeeIn]) -> PayeeOut:
        shown = await payouts.set_payee(
            _settings(request), require_principal(request), data.holder, data.kind, data.account, data.name
        )
        return PayeeOut(data.holder, shown)

    @post("/payouts", summary="Be paid an amount of my payable income (at most what is there)", guards=_SELLER)
    async def request_payout(self, request: Request, data: JSONBody[PayoutIn]) -> PayoutOut:
        payout = await payouts.request_payout(
            _settings(request), _provider(request), require_principal(request), data.holder, data.amount_fen
        )
        return payout_out(payout)

    @get("/payouts", summary="My payouts, newest first", guards=_SELLER)
    async def list_payouts(self, request: Request) -> list[PayoutOut]:
        return [payout_out(p) for p in await payouts.payouts_of(require_principal(request))]

    @get("/payouts/{payout_id:str}", summary="One of my payouts", guards=_SELLER)
    async def get_payout(self, request: Request, payout_id: FromPath[str]) -> PayoutOut:
        return payout_out(await payouts.payout_for(require_principal(request), payout_id))


class PayoutNotifyController(Controller):
    path = "/api/v1/money"
    tags = ["money"]
    opt = {"public": True}  # the provider calls it; its signature, not a session, is the proof

    @post(
        "/payouts/notify/{provider_name:str}",
        summary="Payout provider notifications: verified, recorded once, settled once (4xx when refused)",
        status_code=200,
    )
    async def notify(self, request: Request, provider_name: FromPath[str]) -> Response[bytes]:
        provider = _provider(request)
        if provider_name != provider.name:
            raise NotFound("money.unknown_provider", provider=provider_name[:32])
        status, body, media_type = await payouts.receive(provider, dict(request.headers), await request.body())
        return Response(content=body, status_code=status, media_type=media_type)


class OrganisationBuyingController(Controller):
    """An organisation's organisers buy in its name and ask for invoices."""

    path = "/api/v1/money/organisations/{org_id:str}"
    tags = ["money"]
    guards = _ORGANISER

    @post("/orders", summary="A bulk order in the organisation's name (purpose organisation); pay it as any order")
    async def place(self, request: Request, org_id: FromPath[str], data: JSONBody[OrgOrderIn]) -> OrgOrderOut:
        order = await invoices.place_org_order(
            _settings(request),
            require_principal(request),
            org_id,
            data.listing,
            data.kg,
            purpose_note=data.purpose_note,
            beneficiary_shown=data.beneficiary_shown,
        )
        return OrgOrderOut(
            order_out(await Order.get(id=order.id).select_related("listing").prefetch_related("lines__listing")), None
        )

    @get("/orders", summary="The organisation's orders, each with its invoice request if any")
    async def orders(self, request: Request, org_id: FromPath[str]) -> list[OrgOrderOut]:
        rows = await invoices.org_orders(require_principal(request), org_id)
        return [OrgOrderOut(order_out(o), invoice) for o, invoice in rows]

    @post("/invoices", summary="Ask for a 发票 over fulfilled orders (each order once)")
    async def invoice(self, request: Request, org_id: FromPath[str], data: JSONBody[InvoiceIn]) -> InvoiceOut:
        principal = require_principal(request)
        found = await invoices.request_invoice(principal, org_id, data.title, data.tax_id, data.email, data.orders)
        org = await invoices.organisation_for(principal, org_id)
        return invoice_out(found, org.public_id)


class InvoiceExportController(Controller):
    path = "/api/v1/money"
    tags = ["money"]

    @get(
        "/invoices.csv",
        summary="Every invoice request as CSV for the finance team (UTF-8)",
        media_type="text/csv",
        guards=[requires(Role.PLATFORM_ADMIN)],
    )
    async def export(
        self, bom: bool = Parameter(default=False, description="start with a UTF-8 byte-order mark, for Excel")
    ) -> Stream:
        return Stream(
            invoices.csv_chunks(bom=bom),
            media_type="text/csv",
            headers={
                "Content-Disposition": 'attachment; filename="microsink-invoice-requests.csv"',
                "Cache-Control": "no-store",
            },
        )


class PayeeForm(msgspec.Struct):
    holder: str = ""
    kind: str = "bank"
    account: str = ""
    name: str = ""


class PayoutForm(msgspec.Struct):
    holder: str = ""
    amount: str = ""


_YUAN = re.compile(r"^([0-9]{1,10})(?:\.([0-9]{1,2}))?$")


def fen_of(yuan: str) -> int | None:
    """'12.3' → 1230, from the digits: no float ever; anything else → None."""
    match = _YUAN.match(yuan.strip())
    if not match:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


class IncomePages(Controller):
    """A seller's income and payouts, for a phone, without JavaScript."""

    include_in_schema = False
    guards = _SELLER

    async def _page(self, request: Request, *, error: str = "", done: str = "", status_code: int = 200) -> Template:
        settings, principal = _settings(request), require_principal(request)
        balances = await payouts.balances_of(settings, principal)
        org_ids = [b.holder[4:] for b in balances if b.holder.startswith("org:")]
        names = {
            f"org:{p}": n
            for p, n in await Organisation.filter(public_id__in=org_ids).values_list("public_id", "name")  # type: ignore[misc]
        }
        return page(
            request,
            "money/income.html",
            status_code=status_code,
            balances=balances,
            names=names,
            payouts=await payouts.payouts_of(principal, limit=20),
            minimum=settings.payout_min_fen,
            error=error,
            done=done,
        )

    @get("/money")
    async def income_page(self, request: Request) -> Template:
        return await self._page(request)

    @post("/money/payee")
    async def payee(self, request: Request, data: URLEncodedBody[PayeeForm]) -> Template:
        lang = request_language(request)
        try:
            shown = await payouts.set_payee(
                _settings(request), require_principal(request), data.holder, data.kind, data.account, data.name
            )
        except AppError as refused:
            return await self._page(
                request, error=t(refused.key, lang, **refused.params), status_code=refused.status_code
            )
        return await self._page(request, done=t("money.page.payee_saved", payee=shown))

    @post("/money/payouts")
    async def payout(self, request: Request, data: URLEncodedBody[PayoutForm]) -> Template:
        settings, lang = _settings(request), request_language(request)
        amount = fen_of(data.amount)
        try:
            if amount is None:
                raise AppError("money.bad_amount", minimum=settings.payout_min_fen)
            made = await payouts.request_payout(
                settings, _provider(request), require_principal(request), data.holder, amount
            )
        except AppError as refused:
            return await self._page(
                request, error=t(refused.key, lang, **refused.params), status_code=refused.status_code
            )
        return await self._page(
            request, done=t("money.page.requested", status=t(f"money.page.status.{made.status}", lang))
        )
