"""Payments: the notify route per provider (no sign-in, no CSRF, raw body) and the sandbox confirm page."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from app.core import audit
from app.core.auth import Role, require_principal, requires
from app.core.errors import AppError, NotFound
from app.core.i18n import request_language
from app.core.pages import page
from app.payments import service
from app.payments.protocol import PaymentProvider, ProviderRefused
from app.payments.sandbox import SandboxProvider
from app.payments.schemas import FailedRefundOut, RefundedElsewhereOut, SettleByHandIn, SettledOut
from app.settings import Settings
from models.payments import SandboxTrade


def _provider(request: Request) -> PaymentProvider:
    return request.app.state.payments  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


class PaymentNotifyController(Controller):
    path = "/api/v1/payments"
    tags = ["payments"]
    opt = {"public": True}  # the provider calls it; its signature, not a session, is the proof

    @post(
        "/notify/{provider_name:str}",
        summary="Provider notifications: verified, recorded once, acted on once (4xx when refused)",
        status_code=200,
    )
    async def notify(self, request: Request, provider_name: FromPath[str]) -> Response[bytes]:
        provider = _provider(request)
        if provider_name != provider.name:
            raise NotFound("payments.unknown_provider", provider=provider_name[:32])
        status, body, media_type = await service.receive(
            _settings(request), provider, dict(request.headers), await request.body()
        )
        return Response(content=body, status_code=status, media_type=media_type)


class PaymentsAdminController(Controller):
    path = "/api/v1/admin/payments"
    tags = ["admin", "payments"]
    guards = [requires(Role.PLATFORM_ADMIN)]

    @get("/refunds-failed", summary="Refunds the provider reported failed or closed: to pay back by hand")
    async def failed_refunds(self, limit: Annotated[int, QueryParameter(ge=1, le=200)] = 200) -> list[FailedRefundOut]:
        return [
            FailedRefundOut(
                a.out_trade_no,
                a.out_refund_no,
                a.provider,
                a.purpose,
                a.subject,
                a.amount_fen,
                a.refund_reason,
                a.paid_at,
                a.created_at,
            )
            for a in await service.failed_refunds(limit)
        ]

    @get(
        "/refunded-elsewhere",
        summary="Payments the provider reported refunded outside us: ended unfulfilled, for an operator to check",
    )
    async def refunded_elsewhere(
        self, limit: Annotated[int, QueryParameter(ge=1, le=200)] = 200
    ) -> list[RefundedElsewhereOut]:
        return [
            RefundedElsewhereOut(
                a.out_trade_no, a.provider, a.provider_transaction_id, a.purpose, a.subject, a.amount_fen, a.created_at
            )
            for a in await service.refunded_elsewhere(limit)
        ]

    @post(
        "/refunds-failed/{out_trade_no:str}/settle",
        summary="Record that an operator paid a failed refund back by other means (money leaves clearing once)",
        status_code=200,
    )
    async def settle_by_hand(
        self, request: Request, out_trade_no: FromPath[str], data: JSONBody[SettleByHandIn]
    ) -> SettledOut:
        attempt = await service.settle_by_hand(
            audit.actor_of(require_principal(request).user), out_trade_no, data.way, data.reference, data.note
        )
        return SettledOut(attempt.out_trade_no, attempt.status, attempt.amount_fen, attempt.refunded_at)


class SandboxForm(msgspec.Struct):
    t: str = ""


class SandboxPayPages(Controller):
    """The sandbox provider's confirm page: what the payer would see in WeChat, with 支付 and 取消."""

    include_in_schema = False
    opt = {"public": True}  # the link's token (bound to the trade) is the proof, as a cashier page's would be

    @get("/payments/sandbox/{out_trade_no:str}")
    async def confirm_page(
        self, request: Request, out_trade_no: FromPath[str], t: Annotated[str, QueryParameter()] = ""
    ) -> Template:
        _, trade = await _trade(request, out_trade_no, t)
        attempt = await service.attempt_by_out_trade_no(out_trade_no)
        return page(
            request,
            "payments/sandbox.html",
            trade=trade,
            token=t,
            back=service.return_path(attempt),
            expired=trade.status == "created" and trade.expires_at <= service._now(),
        )

    @post("/payments/sandbox/{out_trade_no:str}/pay")
    async def pay(self, request: Request, out_trade_no: FromPath[str], data: URLEncodedBody[SandboxForm]) -> Any:
        sandbox, _ = await _trade(request, out_trade_no, data.t)
        try:
            signed = await sandbox.pay(out_trade_no)
        except ProviderRefused:
            return Redirect(
                f"/payments/sandbox/{out_trade_no}?t={data.t}&lang={request_language(request)}", status_code=303
            )
        # The sandbox sends itself its signed callback through the notify entry point WeChat's take.
        await service.receive(_settings(request), sandbox, signed.headers, signed.body)
        attempt = await service.attempt_by_out_trade_no(out_trade_no)
        return Redirect(f"{service.return_path(attempt)}?lang={request_language(request)}", status_code=303)

    @post("/payments/sandbox/{out_trade_no:str}/cancel")
    async def cancel(self, request: Request, out_trade_no: FromPath[str], data: URLEncodedBody[SandboxForm]) -> Any:
        # As in WeChat, a payer who backs out changes nothing: the order stays payable until it expires.
        await _trade(request, out_trade_no, data.t)
        attempt = await service.attempt_by_out_trade_no(out_trade_no)
        return Redirect(f"{service.return_path(attempt)}?lang={request_language(request)}", status_code=303)


async def _trade(request: Request, out_trade_no: str, token: str) -> tuple[SandboxProvider, SandboxTrade]:
    sandbox = _provider(request)
    if not isinstance(sandbox, SandboxProvider):
        raise NotFound("error.not_found")
    if not hmac.compare_digest(token.encode(), sandbox.page_token(out_trade_no).encode()):
        raise AppError("payments.sandbox.bad_link", status_code=404)
    trade = await SandboxTrade.get_or_none(out_trade_no=out_trade_no)
    if trade is None:
        raise NotFound("payments.not_found")
    return sandbox, trade
