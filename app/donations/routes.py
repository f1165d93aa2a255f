"""Donations API and pages: donate trees (paid through the payments service), the result page with the
捐赠票据 request, points to a campaign's budget, and the organiser's list and receipt CSV export."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from app.campaigns import service as campaigns
from app.core.auth import Role, principal_of, require_principal, requires
from app.core.errors import AppError
from app.core.i18n import BEIJING, request_language, t
from app.core.pages import page
from app.donations import service
from app.donations.schemas import (
    DonateForm,
    DonationIn,
    DonationOut,
    PaidDonationOut,
    PaymentOut,
    PointsDonationIn,
    PointsDonationOut,
    PointsForm,
    ReceiptForm,
    ReceiptIn,
    ReceiptOut,
    TotalsOut,
)
from app.payments import service as payments
from app.payments.protocol import PaymentProvider
from app.settings import Settings
from models.campaigns import Campaign
from models.donations import Donation, DonationReceipt
from models.payments import PaymentAttempt


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _provider(request: Request) -> PaymentProvider:
    return request.app.state.payments  # type: ignore[no-any-return]


def donation_out(d: Donation, receipt: DonationReceipt | None) -> DonationOut:
    return DonationOut(
        id=d.public_id,
        campaign=d.campaign.slug,
        status=service.status_now(d),
        trees=d.trees,
        fen_per_tree=d.fen_per_tree,
        amount_fen=d.amount_fen,
        expires_at=d.expires_at,
        paid_at=d.paid_at,
        created_at=d.created_at,
        receipt=receipt.status if receipt else None,
        page_url=f"/donations/{d.public_id}",
    )


def receipt_out(d: Donation, r: DonationReceipt) -> ReceiptOut:
    return ReceiptOut(d.public_id, r.kind, r.title, r.tax_id, r.email, r.status, r.created_at, r.exported_at)


def payment_out(a: PaymentAttempt) -> PaymentOut:
    return PaymentOut(a.provider, a.out_trade_no, a.amount_fen, a.expires_at, a.client)


def totals_out(c: Campaign, x: service.Totals) -> TotalsOut:
    return TotalsOut(c.slug, x.trees_donated, x.donations_paid, x.fen_raised, x.points_donated, x.points_donations)


def _csv(export: service.ReceiptExport, slug: str) -> Response[bytes]:
    return Response(
        export.csv,
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="donation-receipts-{slug}.csv"',
            "X-Newly-Exported": str(export.newly_exported),
        },
    )


_CITIZEN = [requires(Role.CITIZEN)]
_ORGANISER = [requires(Role.ORGANISER)]


class CampaignDonationsController(Controller):
    """Donations under a campaign: give trees or points; totals; the organiser's list and export."""

    path = "/api/v1/campaigns/{slug:str}"
    tags = ["donations"]

    @post("/donations", summary="Donate N trees at the campaign's price (捐资尽责): pay it next", guards=_CITIZEN)
    async def donate(self, request: Request, slug: FromPath[str], data: JSONBody[DonationIn]) -> DonationOut:
        user = require_principal(request).user
        donation = await service.create_donation(user, slug, data.trees)
        return donation_out(await service.donation_for(user, donation.public_id), None)

    @post(
        "/points-donations",
        summary="Give points to the campaign's points budget (Idempotency-Key header required)",
        guards=_CITIZEN,
    )
    async def donate_points(
        self, request: Request, slug: FromPath[str], data: JSONBody[PointsDonationIn]
    ) -> PointsDonationOut:
        key = request.headers.get("idempotency-key", "")
        given = await service.donate_points(require_principal(request).user, slug, data.points, key)
        row = given.donation
        return PointsDonationOut(str(row.id), slug, row.points, row.created_at, given.replayed)

    @get("/donation-totals", summary="Trees and fen donated, points given: the campaign's totals", opt={"public": True})
    async def totals(self, slug: FromPath[str]) -> TotalsOut:
        c = await campaigns.campaign(slug)
        return totals_out(c, await service.totals_of(c))

    @get("/donations", summary="Paid donations of my campaign, with receipt request state", guards=_ORGANISER)
    async def paid(self, request: Request, slug: FromPath[str]) -> list[PaidDonationOut]:
        _, lines = await service.paid_donations(require_principal(request), slug)
        return [
            PaidDonationOut(
                x.donation.public_id,
                x.donation.trees,
                x.donation.amount_fen,
                x.donation.paid_at,
                x.receipt.status if x.receipt else None,
            )
            for x in lines
        ]

    @post(
        "/donation-receipts/export",
        summary="Every receipt request as CSV (UTF-8 with BOM); new ones become exported (final)",
        guards=_ORGANISER,
        status_code=200,
        media_type="text/csv",
    )
    async def export(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        return _csv(await service.export_receipts(require_principal(request), slug), slug)


class DonationsController(Controller):
    """A donor's own donations: pay, follow, ask for the receipt."""

    path = "/api/v1/donations"
    tags = ["donations"]
    guards = _CITIZEN

    @get("/", summary="My donations, newest first")
    async def mine(self, request: Request) -> list[DonationOut]:
        rows = await service.donations_of(require_principal(request).user)
        return [donation_out(d, await service.receipt_of(d)) for d in rows]

    @get("/{donation_id:str}", summary="One of my donations")
    async def one(self, request: Request, donation_id: FromPath[str]) -> DonationOut:
        d = await service.donation_for(require_principal(request).user, donation_id)
        return donation_out(d, await service.receipt_of(d))

    @post(
        "/{donation_id:str}/pay",
        status_code=200,
        summary="Start paying: what the page or mini-app needs",
        responses={503: ResponseSpec(None, description="The payment provider is unavailable: try again later")},
    )
    async def pay(self, request: Request, donation_id: FromPath[str]) -> PaymentOut:
        user = require_principal(request).user
        return payment_out(await service.pay(_settings(request), _provider(request), user, donation_id))

    @put("/{donation_id:str}/receipt", summary="Ask for (or change, until exported) the 捐赠票据 of a paid donation")
    async def receipt(self, request: Request, donation_id: FromPath[str], data: JSONBody[ReceiptIn]) -> ReceiptOut:
        user = require_principal(request).user
        ask = service.ReceiptAsk(data.kind, data.title, data.email, data.tax_id)
        r = await service.request_receipt(user, donation_id, ask)
        return receipt_out(await service.donation_for(user, donation_id), r)


# --- pages ------------------------------------------------------------------------------------------------
def _int(text: str) -> int:
    text = text.strip()
    try:
        return int(text) if text else 0
    except ValueError:
        return -1  # refused by the service with the field named


async def _donate_page(
    request: Request, slug: str, *, error: str = "", notice: str = "", trees: str = "1", status_code: int = 200
) -> Template:
    lang = request_language(request)
    c = await campaigns.campaign(slug)
    return page(
        request,
        "donations/donate.html",
        status_code=status_code,
        c=c,
        title=c.title_zh if lang == "zh" else c.title_en,
        box=await service.campaign_box(c, principal_of(request)),
        error=error,
        notice=notice,
        trees=trees,
    )


class DonationPages(Controller):
    include_in_schema = False

    @get("/campaigns/{slug:str}/donate", opt={"public": True})
    async def donate_page(self, request: Request, slug: FromPath[str]) -> Template:
        given = _int(request.query_params.get("given", ""))
        lang = request_language(request)
        notice = t("donations.page.points_done", lang, points=given) if given > 0 else ""
        return await _donate_page(request, slug, notice=notice)

    @post("/campaigns/{slug:str}/donate", guards=_CITIZEN, status_code=200)
    async def donate(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[DonateForm]
    ) -> Template | Redirect:
        lang = request_language(request)
        user = require_principal(request).user
        try:
            donation = await service.create_donation(user, slug, _int(data.trees))
        except AppError as refused:  # the form again, the problem named, the status kept (4xx)
            message = t(refused.key, lang, **refused.params)
            return await _donate_page(request, slug, error=message, trees=data.trees, status_code=refused.status_code)
        return await _start_payment(request, donation.public_id)

    @post("/campaigns/{slug:str}/donate-points", guards=_CITIZEN, status_code=200)
    async def donate_points(
        self, request: Request, slug: FromPath[str], data: URLEncodedBody[PointsForm]
    ) -> Template | Redirect:
        lang = request_language(request)
        try:
            given = await service.donate_points(require_principal(request).user, slug, _int(data.points), data.key)
        except AppError as refused:
            message = t(refused.key, lang, **refused.params)
            return await _donate_page(request, slug, error=message, status_code=refused.status_code)
        return Redirect(f"/campaigns/{slug}/donate?lang={lang}&given={given.donation.points}", status_code=303)

    @get("/donations/{donation_id:str}", guards=_CITIZEN)
    async def result(self, request: Request, donation_id: FromPath[str]) -> Template:
        return await _result_page(request, donation_id)

    @post("/donations/{donation_id:str}/pay", guards=_CITIZEN)
    async def pay(self, request: Request, donation_id: FromPath[str]) -> Redirect:
        return await _start_payment(request, donation_id)

    @post("/donations/{donation_id:str}/receipt", guards=_CITIZEN, status_code=200)
    async def receipt(
        self, request: Request, donation_id: FromPath[str], data: URLEncodedBody[ReceiptForm]
    ) -> Template | Redirect:
        lang = request_language(request)
        ask = service.ReceiptAsk(data.kind, data.title, data.email, data.tax_id)
        try:
            await service.request_receipt(require_principal(request).user, donation_id, ask)
        except AppError as refused:
            message = t(refused.key, lang, **refused.params)
            return await _result_page(request, donation_id, error=message, form=data, status_code=refused.status_code)
        return Redirect(f"/donations/{donation_id}?lang={lang}&saved=1#receipt", status_code=303)

    @get("/campaigns/{slug:str}/donations", guards=_ORGANISER)
    async def organiser_list(self, request: Request, slug: FromPath[str]) -> Template:
        lang = request_language(request)
        c, lines = await service.paid_donations(require_principal(request), slug)
        return page(
            request,
            "donations/organiser.html",
            c=c,
            title=c.title_zh if lang == "zh" else c.title_en,
            lines=lines,
            totals=await service.totals_of(c),
        )

    @post("/campaigns/{slug:str}/donations/receipts.csv", guards=_ORGANISER, status_code=200)
    async def export(self, request: Request, slug: FromPath[str]) -> Response[bytes]:
        return _csv(await service.export_receipts(require_principal(request), slug), slug)


async def _start_payment(request: Request, donation_id: str) -> Redirect:
    lang = request_language(request)
    if payments.in_app_only(_provider(request)):  # no prepay for a page that cannot call wx.requestPayment
        return Redirect(f"/donations/{donation_id}?lang={lang}", status_code=303)
    user = require_principal(request).user
    attempt = await service.pay(_settings(request), _provider(request), user, donation_id)
    target = attempt.client.get("confirm_url") or f"/donations/{donation_id}"
    base = _settings(request).base_url.rstrip("/")
    if target.startswith(base + "/"):  # stay on the host the payer is on
        target = target[len(base) :]
    return Redirect(f"{target}{'&' if '?' in target else '?'}lang={lang}", status_code=303)


async def _result_page(
    request: Request, donation_id: str, *, error: str = "", form: ReceiptForm | None = None, status_code: int = 200
) -> Template:
    lang = request_language(request)
    d = await service.donation_for(require_principal(request).user, donation_id)
    r = await service.receipt_of(d)
    if form is None:
        form = ReceiptForm(r.kind, r.title, r.tax_id, r.email) if r else ReceiptForm()
    return page(
        request,
        "donations/result.html",
        status_code=status_code,
        d=d,
        c=d.campaign,
        title=d.campaign.title_zh if lang == "zh" else d.campaign.title_en,
        status=service.status_now(d),
        receipt=r,
        form=form,
        error=error,
        saved=request.query_params.get("saved") == "1" and not error,
        duty_year=d.paid_at.astimezone(BEIJING).year if d.paid_at else None,
        in_app_only=payments.in_app_only(_provider(request)),
    )
