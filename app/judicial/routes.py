"""碳汇+司法 API and pages: the court's cases and closure, the defendant's payment link (which hands over to
the market's order, payment and certificate pages), the public case page and its fulfilment voucher."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath, JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from app.certificates import service as certificates
from app.core.auth import Role, principal_of, require_principal, requires
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.exports import csv_response
from app.core.i18n import request_language, t
from app.core.pages import page
from app.evidence import service as evidence
from app.evidence.routes import photo_too_large
from app.evidence.schemas import PhotoOut, photo_out
from app.judicial import service, tending
from app.judicial.schemas import (
    CaseIn,
    CourtCaseOut,
    PaymentIn,
    PaymentOut,
    PlantedOut,
    PublicCaseOut,
    TendingForm,
    TendingOut,
    TendingReport,
    TendingReviewIn,
    VoucherCertificateOut,
    VoucherOut,
)
from app.settings import PHOTO_BODY_CEILING_BYTES, Settings
from app.storage import storage_for
from models.judicial import RestorationCase

_COURT = [requires(Role.COURT)]
_PUBLIC = {"public": True}


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def public_out(settings: Settings, case: RestorationCase, lang: str) -> PublicCaseOut:
    state = await service.progress(case)
    facts = dict(await service.public_facts(settings, case, state, lang))
    return PublicCaseOut(
        **facts,
        page_url=service.case_url(settings.base_url, case),
        voucher_url=service.voucher_url(settings.base_url, case) if case.status != "open" else None,
    )


async def tending_out(case: RestorationCase) -> list[TendingOut]:
    checks = (await tending.states([case.id]))[case.id]
    photos = await tending.photos(case, [c.year for c in checks])
    return [
        TendingOut(
            c.year,
            c.opens_on,
            c.due_on,
            c.state,
            c.reported_on,
            c.late,
            [evidence.file_url(p.content_key) for p in photos[c.year]],
            c.note,
            c.rejection_reason,
            c.rejections,
        )
        for c in checks
    ]


async def court_out(settings: Settings, case: RestorationCase, lang: str) -> CourtCaseOut:
    """The court's view of a case: reads only (trees are counted when the planting review approves)."""
    return CourtCaseOut(
        case=await public_out(settings, case, lang),
        defendant_name=service.defendant_name(settings, case),
        pay_url=service.pay_url(settings.base_url, case),
        kg_pending=await service.pending_kg(case.id),
        defendant_linked=case.defendant_id is not None,  # type: ignore[attr-defined]
        tending_from=case.tending_from,
        tending_until=tending.anniversary(case.tending_from, case.tend_years) if case.tending_from else None,
        tending=await tending_out(case),
    )


async def voucher_out(settings: Settings, voucher: service.Voucher, lang: str) -> VoucherOut:
    url = service.voucher_url(settings.base_url, voucher.case)
    return VoucherOut(
        case=await public_out(settings, voucher.case, lang),
        certificates=[
            VoucherCertificateOut(c.code, c.kg, c.retired_at, c.links.page, c.serials, c.issuances)
            for c in voucher.certificates
        ],
        planted=[PlantedOut(p.log, p.planted_on, p.trees, p.species) for p in voucher.planted],
        same_county_kg=voucher.same_county_kg,
        other_county_kg=voucher.other_county_kg,
        url=url,
        qr_svg=certificates.qr_svg(url),
    )


def _ask(data: CaseIn) -> service.CaseAsk:
    values = msgspec.structs.asdict(data)
    values.pop("organisation", None)
    return service.CaseAsk(**values)


class JudicialController(Controller):
    """Courts' cases (court staff only), the public case and voucher, the defendant's payments."""

    path = "/api/v1/judicial"
    tags = ["judicial"]
    # Guards per handler: the public case and the court's actions share paths.

    @post("/cases", summary="Create a restoration case of my court (random public and payment codes)", guards=_COURT)
    async def create(self, request: Request, data: JSONBody[CaseIn]) -> CourtCaseOut:
        settings = _settings(request)
        case = await service.create_case(settings, require_principal(request), _ask(data), data.organisation)
        return await court_out(settings, await service.case_by_code(case.code), request_language(request))

    @get("/cases", summary="My court's cases, newest first, with the defendant and the payment link", guards=_COURT)
    async def mine(self, request: Request) -> list[CourtCaseOut]:
        settings, lang = _settings(request), request_language(request)
        return [await court_out(settings, c, lang) for c in await service.cases_of(require_principal(request))]

    @get(
        "/cases/{code:str}/court", summary="One of my court's cases with its tending checks (reads only)", guards=_COURT
    )
    async def court_case(self, request: Request, code: FromPath[str]) -> CourtCaseOut:
        case = await service.own_case(require_principal(request), code)
        return await court_out(_settings(request), case, request_language(request))

    @post("/cases/{code:str}/close", status_code=200, summary="Confirm closure of a fulfilled case", guards=_COURT)
    async def close(self, request: Request, code: FromPath[str]) -> PublicCaseOut:
        case = await service.close_case(require_principal(request), code)
        return await public_out(_settings(request), case, request_language(request))

    @get("/cases/{code:str}", summary="A case as the public may see it (defendant masked)", opt=_PUBLIC)
    async def public_case(self, request: Request, code: FromPath[str]) -> PublicCaseOut:
        return await public_out(_settings(request), await service.case_by_code(code), request_language(request))

    @get(
        "/cases/{code:str}/voucher",
        summary="The 生态修复履行凭证 of a fulfilled case: serials, parcels, trees (409 while open)",
        opt=_PUBLIC,
    )
    async def voucher(self, request: Request, code: FromPath[str]) -> VoucherOut:
        settings = _settings(request)
        return await voucher_out(settings, await service.voucher(settings, code), request_language(request))

    @post(
        "/pay/{pay_code:str}/orders",
        summary="Order kg toward the case (refused beyond what is owed); then pay the market order",
        guards=[requires(Role.CITIZEN)],
    )
    async def pay(self, request: Request, pay_code: FromPath[str], data: JSONBody[PaymentIn]) -> PaymentOut:
        order = await service.pay_toward(_settings(request), require_principal(request).user, pay_code, data.kg)
        return PaymentOut(
            order=order.public_id,
            kg=order.kg,
            total_fen=order.total_fen,
            cash_fen=order.cash_fen,
            expires_at=order.expires_at,
            order_url=f"/market/orders/{order.public_id}",
            pay_url=f"/api/v1/market/orders/{order.public_id}/pay",
        )

    @post(
        "/pay/{pay_code:str}/planting",
        status_code=200,
        summary="Plant for the case: links my account; my approved logs at its site then count",
        guards=[requires(Role.CITIZEN)],
    )
    async def plant(self, request: Request, pay_code: FromPath[str]) -> PublicCaseOut:
        case = await service.plant_for(pay_code, require_principal(request).user)
        return await public_out(_settings(request), case, request_language(request))

    @post(
        "/pay/{pay_code:str}/tending/{year:int}",
        summary="The defendant's 管护报告 for a tending year: multipart `photo` (required) and `note`",
        guards=[requires(Role.CITIZEN)],
        request_max_body_size=PHOTO_BODY_CEILING_BYTES,
        raises=[AppError, Conflict, NotFound, Forbidden],
    )
    async def report_tending(
        self,
        request: Request,
        pay_code: FromPath[str],
        year: FromPath[int],
        data: Annotated[TendingReport, Body(media_type=RequestEncodingType.MULTI_PART, multipart_form_part_limit=8)],
    ) -> PhotoOut:
        settings = _settings(request)
        case = await service.case_by_pay_code(pay_code)
        content = await data.photo.read()
        await data.photo.close()
        photo = await tending.report(
            settings, storage_for(settings), case, require_principal(request).user, year, content, data.note
        )
        return photo_out(photo, request_language(request))

    @post(
        "/cases/{code:str}/tending/{year:int}/review",
        status_code=200,
        summary="Accept (final) or reject with a reason a year's 管护报告: the case's court or its campaign's organiser",
        guards=[requires(Role.COURT, Role.ORGANISER)],
        raises=[AppError, Conflict, NotFound, Forbidden],
    )
    async def review_tending(
        self, request: Request, code: FromPath[str], year: FromPath[int], data: JSONBody[TendingReviewIn]
    ) -> TendingOut:
        principal = require_principal(request)
        case = await service.reviewable_case(principal, code)
        await tending.review(case, principal.user, year, data.decision, data.reason, data.report)
        return next(y for y in await tending_out(case) if y.year == year)

    @get(
        "/cases.csv",
        summary="My court's cases as CSV (UTF-8 with BOM): kg, trees, tending, deadline, same county; audited",
        guards=_COURT,
        media_type="text/csv",
    )
    async def export(self, request: Request) -> Response[bytes]:
        body = await service.court_csv(_settings(request), require_principal(request), request_language(request))
        return csv_response(body, "judicial-cases.csv")


# --- pages -----------------------------------------------------------------------------------------
class PayForm(msgspec.Struct):
    kg: str = ""


class JudicialPages(Controller):
    """The public case page and voucher (no sign-in)."""

    include_in_schema = False
    opt = _PUBLIC

    @get("/judicial/cases/{code:str}")
    async def case_page(self, request: Request, code: FromPath[str]) -> Template:
        settings, lang = _settings(request), request_language(request)
        case = await service.case_by_code(code)
        return page(
            request,
            "judicial/case.html",
            case=await public_out(settings, case, lang),
            status_label=service.status_label(case, lang),
        )

    @get("/judicial/cases/{code:str}/voucher")
    async def voucher_page(self, request: Request, code: FromPath[str]) -> Template:
        settings, lang = _settings(request), request_language(request)
        voucher = await service.voucher(settings, code)  # 409 page while the case is open
        out = await voucher_out(settings, voucher, lang)
        until = ""
        if voucher.case.tending_from:
            until = tending.anniversary(voucher.case.tending_from, voucher.case.tend_years).isoformat()
        return page(
            request,
            "judicial/voucher.html",
            v=out,
            status_label=service.status_label(voucher.case, lang),
            tend_until=until,
            fulfilled_at=service.moment(voucher.case.fulfilled_at),
            closed_at=service.moment(voucher.case.closed_at),
        )


async def _pay_page(
    request: Request,
    pay_code: str,
    *,
    error: str = "",
    typed: str = "",
    status_code: int = 200,
    tending_error: tuple[int, str] | None = None,
    note: str = "",
) -> Template:
    settings, lang = _settings(request), request_language(request)
    case = await service.case_by_pay_code(pay_code)
    principal = principal_of(request)
    state = await service.progress(case)
    is_defendant = principal is not None and principal.user.id == case.defendant_id  # type: ignore[attr-defined]
    sent = request.query_params.get("sent", "")
    return page(
        request,
        "judicial/pay.html",
        status_code=status_code,
        case=await public_out(settings, case, lang),
        status_label=service.status_label(case, lang),
        state=state,
        pay_code=case.pay_code,
        campaign_slug=case.campaign.slug if case.campaign else None,
        error=error,
        typed=typed or (str(state.kg_left) if state.kg_left else ""),
        here=f"/judicial/pay/{case.pay_code}",
        signed_in=principal is not None,
        is_defendant=is_defendant,
        tending=await tending_out(case) if case.tending_from else [],
        tending_error=tending_error,
        tending_sent=int(sent) if sent.isdigit() else None,
        note=note,
    )


class JudicialPayPages(Controller):
    """The defendant's payment link: anyone with it sees what is owed; paying needs sign-in."""

    include_in_schema = False

    @get("/judicial/pay/{pay_code:str}", opt=_PUBLIC)
    async def pay_page(self, request: Request, pay_code: FromPath[str]) -> Template:
        return await _pay_page(request, pay_code)

    @post("/judicial/pay/{pay_code:str}", guards=[requires(Role.CITIZEN)])
    async def pay(
        self, request: Request, pay_code: FromPath[str], data: URLEncodedBody[PayForm]
    ) -> Template | Redirect:
        lang = request_language(request)
        try:
            kg: object = int(data.kg.strip()) if data.kg.strip().isdigit() else data.kg
            order = await service.pay_toward(_settings(request), require_principal(request).user, pay_code, kg)
        except AppError as refused:  # the form again, with the problem said beside it
            return await _pay_page(
                request,
                pay_code,
                error=t(refused.key, lang, **refused.params),
                typed=data.kg,
                status_code=refused.status_code,
            )
        return Redirect(f"/market/orders/{order.public_id}?lang={lang}", status_code=303)

    @post(
        "/judicial/pay/{pay_code:str}/tending/{year:int}",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
        request_max_body_size=PHOTO_BODY_CEILING_BYTES,
        exception_handlers={RequestEntityTooLarge: photo_too_large},
    )
    async def report_tending(
        self,
        request: Request,
        pay_code: FromPath[str],
        year: FromPath[int],
        data: Annotated[TendingForm, Body(media_type=RequestEncodingType.MULTI_PART, multipart_form_part_limit=8)],
    ) -> Template | Redirect:
        """The 管护报告 form under each due year of the payment page (no JavaScript)."""
        settings, lang = _settings(request), request_language(request)
        case = await service.case_by_pay_code(pay_code)
        content = b""
        if data.photo is not None:
            content = await data.photo.read()
            await data.photo.close()
        try:
            if not content:
                raise AppError("judicial.tending_photo_required", detail=[{"field": "photo"}])
            await tending.report(
                settings, storage_for(settings), case, require_principal(request).user, year, content, data.note
            )
        except AppError as refused:  # the page again, the problem said under the year's form
            return await _pay_page(
                request,
                pay_code,
                tending_error=(year, t(refused.key, lang, **refused.params)),
                status_code=refused.status_code,
                note=data.note,
            )
        return Redirect(f"/judicial/pay/{case.pay_code}?lang={lang}&sent={year}", status_code=303)


class ReviewForm(msgspec.Struct):
    decision: str = ""
    reason: str = ""
    report: str = ""  # the report the page showed (hidden field)


class CaseForm(msgspec.Struct):
    case_number: str = ""
    cause: str = ""
    damage_county_code: str = ""
    defendant_name: str = ""
    deadline: str = ""
    kg_owed: str = "0"
    trees_owed: str = "0"
    tend_years: str = "0"
    campaign: str = ""
    site: str = ""


def _form_ask(form: CaseForm) -> service.CaseAsk:
    """The form's text as the service's ask: numbers and the date that do not parse are refused naming the field."""

    refusals = {
        "kg_owed": "judicial.bad_kg",
        "trees_owed": "judicial.bad_trees",
        "tend_years": "judicial.bad_tend_years",
    }

    def whole(value: str, name: str) -> int:
        value = value.strip() or "0"
        if not value.isdigit():
            most = service.MAX_KG if name == "kg_owed" else service.MAX_TREES
            raise AppError(refusals[name], detail=[{"field": name}], most=most)
        return int(value)

    try:
        deadline = date.fromisoformat(form.deadline.strip())
    except ValueError:
        raise AppError("judicial.bad_deadline", detail=[{"field": "deadline"}]) from None
    return service.CaseAsk(
        case_number=form.case_number,
        cause=form.cause,
        damage_county_code=form.damage_county_code.strip(),
        defendant_name=form.defendant_name,
        deadline=deadline,
        kg_owed=whole(form.kg_owed, "kg_owed"),
        trees_owed=whole(form.trees_owed, "trees_owed"),
        tend_years=whole(form.tend_years, "tend_years"),
        campaign=form.campaign.strip() or None,
        site=form.site.strip() or None,
    )


class JudicialCourtPages(Controller):
    """The court's list of cases with payment links and closure (no JavaScript)."""

    include_in_schema = False
    guards = _COURT

    @get("/judicial/court")
    async def court_page(self, request: Request) -> Template:
        return await _court_page(request)

    @post("/judicial/court/cases")
    async def create(self, request: Request, data: URLEncodedBody[CaseForm]) -> Template:
        lang = request_language(request)
        try:
            case = await service.create_case(_settings(request), require_principal(request), _form_ask(data))
        except AppError as refused:
            return await _court_page(
                request, error=t(refused.key, lang, **refused.params), status_code=refused.status_code, form=data
            )
        return await _court_page(request, done=t("judicial.court.created", lang, number=case.case_number))

    @post("/judicial/court/cases/{code:str}/close")
    async def close(self, request: Request, code: FromPath[str]) -> Template:
        lang = request_language(request)
        try:
            case = await service.close_case(require_principal(request), code)
        except AppError as refused:
            return await _court_page(
                request, error=t(refused.key, lang, **refused.params), status_code=refused.status_code
            )
        return await _court_page(request, done=t("judicial.court.closed", lang, number=case.case_number))

    @post("/judicial/court/cases/{code:str}/tending/{year:int}/review")
    async def review_tending(
        self, request: Request, code: FromPath[str], year: FromPath[int], data: URLEncodedBody[ReviewForm]
    ) -> Template:
        """通过 / 退回 (with a reason) under each submitted tending year of the court's list."""
        lang = request_language(request)
        principal = require_principal(request)
        try:
            case = await service.reviewable_case(principal, code)
            report = int(data.report) if data.report.isdigit() else None
            await tending.review(case, principal.user, year, data.decision, data.reason, report)
        except AppError as refused:
            return await _court_page(
                request, error=t(refused.key, lang, **refused.params), status_code=refused.status_code
            )
        key = "judicial.tending.accepted_done" if data.decision == "accept" else "judicial.tending.rejected_done"
        return await _court_page(request, done=f"{case.case_number}：{t(key, lang, year=year)}")


async def _court_page(
    request: Request, *, error: str = "", done: str = "", status_code: int = 200, form: CaseForm | None = None
) -> Template:
    settings, lang = _settings(request), request_language(request)
    cases = [await court_out(settings, c, lang) for c in await service.cases_of(require_principal(request))]
    return page(
        request,
        "judicial/court.html",
        status_code=status_code,
        cases=cases,
        error=error,
        done=done,
        form=form or CaseForm(),
    )
