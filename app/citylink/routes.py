"""Linked city carbon account: the citizen API and page, and the in-app sandbox city platform."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.stores.base import Store

from app.citylink import sandbox, service
from app.citylink.provider import CityAccountProvider
from app.citylink.schemas import CallbackIn, ConsentForm, DeliveryOut, LinkOut, LinkStartOut, StatusOut
from app.core.auth import Role, require_principal, requires
from app.core.errors import AppError
from app.core.i18n import register_messages, request_language
from app.core.pages import page
from app.settings import Settings

STATE_STORE = "citylink_state"
PAGE = "/me/city-account"


def _provider(request: Request) -> CityAccountProvider | None:
    return getattr(request.app.state, "city_account", None)


def _store(request: Request) -> Store:
    return request.app.stores.get(STATE_STORE)


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def _status_out(request: Request) -> StatusOut:
    status = await service.status_of(require_principal(request).user, _provider(request))
    link = status.link
    return StatusOut(
        offered=status.offered,
        linked=link is not None,
        link=LinkOut(link.public_id, link.provider, link.account_id, link.linked_at) if link else None,
        deliveries=[
            DeliveryOut(d.kind, d.source_event_id, d.status, d.attempts, d.created_at, d.delivered_at)
            for d in status.deliveries
        ],
    )


class CityAccountController(Controller):
    path = "/api/v1/city-account"
    tags = ["city account"]
    guards = [requires(Role.CITIZEN)]

    @get("/", summary="My city carbon account link and the latest pushes of my verified records")
    async def status(self, request: Request) -> StatusOut:
        return await _status_out(request)

    @post("/link", status_code=200, summary="Start linking: the city platform's authorisation URL (OAuth2 + PKCE)")
    async def start(self, request: Request) -> LinkStartOut:
        principal = require_principal(request)
        url = await service.start_linking(
            _store(request), _provider(request), principal.user, principal.session.public_id
        )
        return LinkStartOut(url)

    @post("/callback", status_code=200, summary="Finish linking with the code and state the platform redirected with")
    async def callback(self, request: Request, data: JSONBody[CallbackIn]) -> StatusOut:
        principal = require_principal(request)
        await service.complete_linking(
            _settings(request),
            _store(request),
            _provider(request),
            principal.user,
            principal.session.public_id,
            state=data.state,
            code=data.code,
            error=data.error,
        )
        return await _status_out(request)

    @post("/unlink", status_code=200, summary="Unlink: pushes stop, undelivered records are cancelled")
    async def unlink(self, request: Request) -> StatusOut:
        await service.unlink(_settings(request), _provider(request), require_principal(request).user)
        return await _status_out(request)


def _page_url(lang: str, done: str | None = None) -> str:
    query = {"lang": lang, **({"done": done} if done else {})}
    return f"{PAGE}?{urlencode(query)}"


class CityAccountPages(Controller):
    """/me/city-account: link status, link/unlink, recent pushes (works without JavaScript)."""

    include_in_schema = False
    guards = [requires(Role.CITIZEN)]

    async def _render(self, request: Request, *, error: AppError | None = None) -> Template:
        user = require_principal(request).user
        status = await service.status_of(user, _provider(request))
        done = request.query_params.get("done")
        return page(
            request,
            "citylink/account.html",
            status_code=error.status_code if error else 200,
            status=status,
            error=error,
            done=done if done in ("linked", "unlinked") else None,
        )

    @get(PAGE)
    async def account_page(self, request: Request) -> Template:
        return await self._render(request)

    @post(PAGE + "/link")
    async def link(self, request: Request) -> Template | Redirect:
        principal = require_principal(request)
        try:
            url = await service.start_linking(
                _store(request), _provider(request), principal.user, principal.session.public_id
            )
        except AppError as exc:
            return await self._render(request, error=exc)
        return Redirect(url, status_code=303)

    @get(PAGE + "/callback")
    async def callback(self, request: Request) -> Template | Redirect:
        principal = require_principal(request)
        q = request.query_params
        try:
            await service.complete_linking(
                _settings(request),
                _store(request),
                _provider(request),
                principal.user,
                principal.session.public_id,
                state=q.get("state", ""),
                code=q.get("code"),
                error=q.get("error"),
            )
        except AppError as exc:
            return await self._render(request, error=exc)
        return Redirect(_page_url(request_language(request), "linked"), status_code=303)

    @post(PAGE + "/unlink")
    async def unlink(self, request: Request) -> Template | Redirect:
        try:
            await service.unlink(_settings(request), _provider(request), require_principal(request).user)
        except AppError as exc:
            return await self._render(request, error=exc)
        return Redirect(_page_url(request_language(request), "unlinked"), status_code=303)


# --- the sandbox city platform (mounted only with CITY_ACCOUNT_PROVIDER=sandbox) ------------------


def _redirect_with(redirect_uri: str, **params: str) -> Redirect:
    separator = "&" if "?" in redirect_uri else "?"
    return Redirect(redirect_uri + separator + urlencode({k: v for k, v in params.items() if v}), status_code=303)


class SandboxAuthorisePages(Controller):
    """The sandbox platform's consent page: what a person sees on the city platform's side."""

    include_in_schema = False
    opt = {"public": True}
    path = "/sandbox/city-account/authorize"

    def _refuse(self, request: Request, exc: sandbox.OAuthError, state: str, redirect_uri: str) -> Template | Redirect:
        if exc.status == 302:  # client and redirect URI are sound: the client hears of the error
            return _redirect_with(redirect_uri, error=exc.error, error_description=exc.description, state=state)
        return page(request, "citylink/sandbox_error.html", status_code=400, error=exc)

    @get("/")
    async def consent_page(self, request: Request) -> Template | Redirect:
        params = dict(request.query_params)
        try:
            ask = sandbox.check_authorise_request(_settings(request), params)
        except sandbox.OAuthError as exc:
            return self._refuse(request, exc, params.get("state", ""), params.get("redirect_uri", ""))
        other = "en" if request_language(request) == "zh" else "zh"
        switch = urlencode({**{k: v for k, v in params.items() if k != "lang"}, "lang": other})
        return page(
            request,
            "citylink/sandbox_consent.html",
            ask=ask,
            account=sandbox.new_account_id(),
            switch_url=f"{request.url.path}?{switch}",  # the language switch keeps the authorisation request
        )

    @post("/")
    async def decide(self, request: Request, data: URLEncodedBody[ConsentForm]) -> Template | Redirect:
        params = _fields(data)
        try:
            ask = sandbox.check_authorise_request(_settings(request), params)
        except sandbox.OAuthError as exc:
            return self._refuse(request, exc, data.state, data.redirect_uri)
        if data.decision != "allow":
            return _redirect_with(
                ask.redirect_uri, error="access_denied", error_description="the person declined", state=ask.state
            )
        account = data.account.strip()[:64] or sandbox.new_account_id()
        code = await sandbox.grant(ask, account)
        return _redirect_with(ask.redirect_uri, code=code, state=ask.state)


def _fields(form: ConsentForm) -> dict[str, str]:
    return {name: getattr(form, name) for name in form.__struct_fields__}


def _oauth_error(exc: sandbox.OAuthError) -> Response[dict[str, str]]:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="sandbox-city-account"'
    return Response({"error": exc.error, "error_description": exc.description}, status_code=exc.status, headers=headers)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


class SandboxPlatformController(Controller):
    """The sandbox platform's endpoints: token, revocation, records receiver (docs/city-account.md)."""

    include_in_schema = False
    opt = {"public": True}
    path = "/api/v1/sandbox/city-account"

    @post("/oauth/token", status_code=200)
    async def token(self, request: Request) -> Response[dict[str, Any]]:
        try:
            body = await sandbox.token(
                _settings(request), request.headers.get("authorization", ""), await _form(request)
            )
        except sandbox.OAuthError as exc:
            return _oauth_error(exc)  # type: ignore[return-value]
        return Response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @post("/oauth/revoke", status_code=200)
    async def revoke(self, request: Request) -> Response[dict[str, str]]:
        try:
            await sandbox.revoke(_settings(request), request.headers.get("authorization", ""), await _form(request))
        except sandbox.OAuthError as exc:
            return _oauth_error(exc)
        return Response({})

    @post("/records", status_code=200)
    async def records(self, request: Request) -> Response[dict[str, str]]:
        try:
            first, receipt = await sandbox.receive(_settings(request), dict(request.headers), await request.body())
        except sandbox.ReceiverError as exc:
            headers = {}
            if exc.error == "invalid_token":
                headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{exc.description}"'
            return Response(
                {"error": exc.error, "error_description": exc.description}, status_code=exc.status, headers=headers
            )
        return Response({"status": "accepted" if first else "duplicate", "event_id": receipt.event_id})


def city_account_handlers(settings: Settings) -> list[type[Controller]]:
    """The controllers to mount: the sandbox platform only when it is the provider."""
    handlers: list[type[Controller]] = [CityAccountController, CityAccountPages]
    if settings.city_account_provider == "sandbox":
        handlers += [SandboxAuthorisePages, SandboxPlatformController]
    return handlers


register_messages(
    {
        "citylink.page.title": {"zh": "城市碳账户", "en": "City carbon account"},
        "citylink.page.lead": {
            "zh": "关联城市碳普惠账户（如“碳惠天府”）后，经核证的植树和碳汇注销记录会自动同步过去，每条只计一次。",
            "en": "Link your city carbon-inclusion account (such as 碳惠天府) and your verified plantings and "
            "retired credits are sent there automatically, each counted once.",
        },
        "citylink.page.linked": {"zh": "已关联", "en": "Linked"},
        "citylink.page.not_linked": {"zh": "未关联", "en": "Not linked"},
        "citylink.page.account": {"zh": "城市账号", "en": "City account"},
        "citylink.page.provider": {"zh": "平台", "en": "Platform"},
        "citylink.page.since": {"zh": "关联时间", "en": "Linked since"},
        "citylink.page.link": {"zh": "去城市碳账户平台授权关联", "en": "Link on the city platform"},
        "citylink.page.unlink": {"zh": "解除关联", "en": "Unlink"},
        "citylink.page.unlink_note": {
            "zh": "解除后不再同步新记录，尚未送达的记录将被取消。",
            "en": "After unlinking nothing more is sent, and records not yet delivered are cancelled.",
        },
        "citylink.page.done.linked": {"zh": "关联成功", "en": "Linked"},
        "citylink.page.done.unlinked": {"zh": "已解除关联", "en": "Unlinked"},
        "citylink.page.deliveries": {"zh": "最近同步", "en": "Recent pushes"},
        "citylink.page.no_deliveries": {"zh": "暂无同步记录", "en": "Nothing pushed yet"},
        "citylink.page.not_offered": {
            "zh": "本平台暂未开通城市碳账户关联。",
            "en": "Linking a city carbon account is not offered here.",
        },
        "citylink.kind.planting.approved": {"zh": "植树核证通过", "en": "Planting approved"},
        "citylink.kind.credits.retired": {"zh": "碳汇注销", "en": "Credits retired"},
        "citylink.status.pending": {"zh": "等待发送", "en": "Waiting"},
        "citylink.status.sending": {"zh": "发送中", "en": "Sending"},
        "citylink.status.delivered": {"zh": "已送达", "en": "Delivered"},
        "citylink.status.failed": {"zh": "发送失败", "en": "Failed"},
        "citylink.status.cancelled": {"zh": "已取消", "en": "Cancelled"},
        "citylink.provider.sandbox": {"zh": "沙盒城市平台（开发）", "en": "Sandbox city platform (development)"},
        "citylink.provider.oauth2": {"zh": "城市碳普惠平台", "en": "City carbon-inclusion platform"},
        "citylink.sandbox.title": {"zh": "沙盒城市碳账户 · 授权", "en": "Sandbox city carbon account · Consent"},
        "citylink.sandbox.banner": {
            "zh": "这是开发用的沙盒城市平台，不是真实的城市碳账户。",
            "en": "This is the development sandbox city platform, not a real city carbon account.",
        },
        "citylink.sandbox.ask": {
            "zh": "“微碳汇”请求向您的城市碳账户推送经核证的减排记录（植树、碳汇注销）。",
            "en": "MicroSink asks to push your verified records (plantings, retired credits) to your city account.",
        },
        "citylink.sandbox.account": {"zh": "沙盒城市账号", "en": "Sandbox city account"},
        "citylink.sandbox.allow": {"zh": "同意授权", "en": "Allow"},
        "citylink.sandbox.deny": {"zh": "拒绝", "en": "Deny"},
        "citylink.sandbox.bad_request": {
            "zh": "授权请求无效，无法返回申请方：{error}",
            "en": "Invalid authorisation request; it cannot be returned to the client: {error}",
        },
    }
)
