"""Sign-in for the mini-app API (tokens) and for pages (cookie sessions), and the profile.

API routes authenticate with `Authorization: Bearer`; pages with the `ms_session` cookie and CSRF.
Pages never answer with JSON errors: they render the form again with the message.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Redirect, Template

from app.accounts import service as accounts
from app.accounts import signin
from app.accounts.schemas import (
    CodeForm,
    PhoneForm,
    ProfileIn,
    ProfileOut,
    RefreshIn,
    SignedOutOut,
    SmsSend,
    SmsSentOut,
    SmsSignIn,
    TokensOut,
    WeChatSignIn,
    profile_out,
)
from app.accounts.wechat import WeChatFailed, WeChatUnavailable
from app.core.auth import SESSION_COOKIE, Role, principal_of, require_principal, requires
from app.core.errors import AppError, Forbidden, TooManyRequests, Unauthorized
from app.core.i18n import register_messages, request_language, t
from app.core.net import client_ip
from app.core.pages import page
from app.settings import Settings

# What each endpoint may answer besides success, so the OpenAPI spec documents it.
_WECHAT_RAISES = [AppError, Forbidden, TooManyRequests, WeChatFailed, WeChatUnavailable]
_SEND_RAISES = [AppError, TooManyRequests, signin.SmsUnavailable]
_LOGIN_RAISES = [AppError, Forbidden]
_REFRESH_RAISES = [Unauthorized, Forbidden]
_SIGNED_IN_RAISES = [Unauthorized]


def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _tokens_out(settings: Settings, pair: signin.TokenPair) -> TokensOut:
    return TokensOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        user=profile_out(await signin.my_profile(pair.user)),
    )


class AuthController(Controller):
    """Signing in from the mini-app: anyone may call these."""

    path = "/api/v1/auth"
    tags = ["auth"]
    opt = {"public": True, "public_changes": ()}  # signing in changes no publicly cached answer
    security = [{}]  # OpenAPI: no token needed (the app-wide default asks for a bearer token)

    @post("/wechat", status_code=200, summary="Sign in with a wx.login() code", raises=_WECHAT_RAISES)
    async def wechat(self, request: Request, data: JSONBody[WeChatSignIn]) -> TokensOut:
        settings = _settings(request)
        signed_in = await signin.sign_in_with_wechat(settings, request.app.state.wechat_login, data.code)
        return await _tokens_out(settings, signin.token_pair(settings, signed_in))

    @post("/sms/send", status_code=200, summary="Send a sign-in code by SMS", raises=_SEND_RAISES)
    async def sms_send(self, request: Request, data: JSONBody[SmsSend]) -> SmsSentOut:
        settings = _settings(request)
        sent = await signin.send_sms_code(
            settings, request.app.state.counters, request.app.state.sms, data.phone, client_ip(request, settings)
        )
        return SmsSentOut(phone=sent.phone_masked, expires_in=sent.expires_in, resend_after=sent.resend_after)

    @post("/sms/login", status_code=200, summary="Sign in with phone number and SMS code", raises=_LOGIN_RAISES)
    async def sms_login(self, request: Request, data: JSONBody[SmsSignIn]) -> TokensOut:
        settings = _settings(request)
        signed_in = await signin.sign_in_with_sms(settings, data.phone, data.code)
        return await _tokens_out(settings, signin.token_pair(settings, signed_in))

    @post(
        "/refresh", status_code=200, summary="Rotate the refresh token for a new access token", raises=_REFRESH_RAISES
    )
    async def refresh(self, request: Request, data: JSONBody[RefreshIn]) -> TokensOut:
        settings = _settings(request)
        return await _tokens_out(settings, await signin.refresh_tokens(settings, data.refresh_token))


class SessionController(Controller):
    """The signed-in user's own sessions and profile."""

    path = "/api/v1"
    tags = ["auth"]
    guards = [requires(Role.CITIZEN)]

    @post("/auth/logout", status_code=200, summary="Sign this device out", raises=_SIGNED_IN_RAISES)
    async def logout(self, request: Request) -> SignedOutOut:
        principal = require_principal(request)
        await signin.sign_out(principal.user, principal.session)
        return SignedOutOut(sessions_revoked=1)

    @post("/auth/logout-all", status_code=200, summary="Sign out on every device", raises=_SIGNED_IN_RAISES)
    async def logout_all(self, request: Request) -> SignedOutOut:
        principal = require_principal(request)
        return SignedOutOut(sessions_revoked=await signin.sign_out_everywhere(principal.user))

    @get("/me", summary="My profile: masked phone and roles", raises=_SIGNED_IN_RAISES)
    async def me(self, request: Request) -> ProfileOut:
        return profile_out(await signin.my_profile(require_principal(request).user))

    @patch("/me", summary="Change my nickname, district or language", raises=_SIGNED_IN_RAISES)
    async def update_me(self, request: Request, data: JSONBody[ProfileIn]) -> ProfileOut:
        user = await accounts.update_profile(
            require_principal(request).user,
            display_name=data.display_name,
            district_code=data.district_code,
            language=data.language,
        )
        return profile_out(await signin.my_profile(user))


# ---------------------------------------------------------------------------------------------
# Pages


_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9/_.\-?=&%~]*$")


def _local_next(raw: str | None) -> str:
    """Only a same-site path may be a redirect target: one leading slash, then plain URL characters.

    Browsers drop tabs and newlines from URLs, so "/\t/evil.com" would become "//evil.com": anything
    outside the allowed characters is refused rather than cleaned.
    """
    if raw and _LOCAL_PATH.match(raw) and not urlsplit(raw).netloc:
        return raw
    return "/me"


def _with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def _form_page(
    request: Request,
    *,
    step: str,
    phone: str = "",
    next_path: str = "/me",
    error: AppError | None = None,
    notice: str | None = None,
) -> Template:
    lang = request_language(request)
    message = t(error.key, lang, **error.params) if error else None
    dev_outbox = signin.has_development_outbox(_settings(request), request.app.state.sms)
    response = page(
        request,
        "accounts/sign_in.html",
        step=step,
        phone=phone,
        next=next_path,
        error=message,
        notice=notice,
        dev_outbox=dev_outbox,
    )
    if error is not None:
        response.status_code = error.status_code
        if isinstance(error, TooManyRequests) and "retry_after" in error.params:
            response.headers["Retry-After"] = str(error.params["retry_after"])
    return response


def _session_cookie_response(response: Any, settings: Settings, value: str) -> Any:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.session_cookie_ttl_s,
        path="/",
        secure=settings.is_production,
        httponly=True,
        samesite="lax",
    )
    return response


class SignInPages(Controller):
    """Phone + SMS sign-in for the H5 pages; the session lives in the `ms_session` cookie."""

    include_in_schema = False
    opt = {"public": True, "public_changes": ()}  # signing in changes no publicly cached answer

    @get("/sign-in")
    async def sign_in_page(self, request: Request) -> Template | Redirect:
        target = _local_next(request.query_params.get("next"))
        if principal_of(request) is not None:
            return Redirect(_with_lang(target, request_language(request)), status_code=303)
        return _form_page(request, step="phone", next_path=target)

    @post("/sign-in/send")
    async def send_code(self, request: Request, data: URLEncodedBody[PhoneForm]) -> Template:
        settings = _settings(request)
        target = _local_next(data.next)
        try:
            sent = await signin.send_sms_code(
                settings, request.app.state.counters, request.app.state.sms, data.phone, client_ip(request, settings)
            )
        except AppError as exc:
            return _form_page(request, step="phone", phone=data.phone, next_path=target, error=exc)
        lang = request_language(request)
        notice = t("signin.page.code_sent", lang, phone=sent.phone_masked, minutes=max(1, sent.expires_in // 60))
        return _form_page(request, step="code", phone=data.phone.strip(), next_path=target, notice=notice)

    @post("/sign-in/verify")
    async def verify_code(self, request: Request, data: URLEncodedBody[CodeForm]) -> Template | Redirect:
        settings = _settings(request)
        target = _local_next(data.next)
        try:
            signed_in = await signin.sign_in_with_sms(settings, data.phone, data.code, kind=signin.COOKIE)
        except AppError as exc:
            step = "phone" if exc.key == "accounts.invalid_phone" else "code"
            return _form_page(request, step=step, phone=data.phone, next_path=target, error=exc)
        redirect = Redirect(_with_lang(target, request_language(request)), status_code=303)
        return _session_cookie_response(redirect, settings, signed_in.secret)

    @post("/sign-out")
    async def sign_out(self, request: Request) -> Redirect:
        if cookie := request.cookies.get(SESSION_COOKIE):
            await signin.end_cookie_session(cookie)
        redirect = Redirect(_with_lang("/", request_language(request)), status_code=303)
        redirect.delete_cookie(SESSION_COOKIE, path="/")
        return redirect

    @post("/sign-out-all")
    async def sign_out_all(self, request: Request) -> Redirect:
        principal = principal_of(request)
        if principal is not None:
            await signin.sign_out_everywhere(principal.user)
        redirect = Redirect(_with_lang("/", request_language(request)), status_code=303)
        redirect.delete_cookie(SESSION_COOKIE, path="/")
        return redirect

    @get("/me")
    async def me_page(self, request: Request) -> Template | Redirect:
        principal = principal_of(request)
        if principal is None:  # pages send people to the form instead of answering 401
            return Redirect(_with_lang("/sign-in?next=/me", request_language(request)), status_code=303)
        return page(request, "accounts/me.html", profile=await signin.my_profile(principal.user))

    @get("/dev/sms-outbox")
    async def sms_outbox(self, request: Request) -> Template:
        """Development only: the codes the sandbox provider 'sent'. Never exists in production."""
        messages = signin.development_outbox(_settings(request), request.app.state.sms)
        return page(request, "accounts/sms_outbox.html", messages=messages)


register_messages(
    {
        "signin.page.title": {"zh": "登录微碳汇", "en": "Sign in to MicroSink"},
        "signin.page.lead": {
            "zh": "输入手机号，我们会发送 6 位验证码。首次登录将自动创建账号。",
            "en": "Enter your mobile number and we will text you a 6-digit code. First sign-in creates your account.",
        },
        "signin.page.phone": {"zh": "手机号", "en": "Mobile number"},
        "signin.page.send": {"zh": "获取验证码", "en": "Send code"},
        "signin.page.code": {"zh": "短信验证码", "en": "SMS code"},
        "signin.page.verify": {"zh": "登录", "en": "Sign in"},
        "signin.page.resend": {"zh": "没收到？重新获取验证码", "en": "No code? Send a new one"},
        "signin.page.change_phone": {"zh": "更换手机号", "en": "Use another number"},
        "signin.page.code_sent": {
            "zh": "验证码已发送至 {phone}，{minutes} 分钟内有效。",
            "en": "A code was sent to {phone}; it is valid for {minutes} minutes.",
        },
        "signin.page.dev_outbox": {
            "zh": "开发环境：短信不会真正发出，请在短信发件箱查看验证码",
            "en": "Development: no SMS is really sent; read the code in the SMS outbox",
        },
        "signin.page.privacy": {
            "zh": "您的手机号仅加密保存，用于登录和账户安全。",
            "en": "Your number is stored encrypted and used only for sign-in and account security.",
        },
        "me.title": {"zh": "我的账户", "en": "My account"},
        "me.phone": {"zh": "手机号", "en": "Mobile number"},
        "me.wechat": {"zh": "微信", "en": "WeChat"},
        "me.wechat_linked": {"zh": "已关联", "en": "linked"},
        "me.wechat_not_linked": {"zh": "未关联", "en": "not linked"},
        "me.roles": {"zh": "我的角色", "en": "My roles"},
        "me.member_since": {"zh": "注册时间", "en": "Member since"},
        "me.sign_out": {"zh": "退出登录", "en": "Sign out"},
        "me.sign_out_all": {"zh": "在所有设备上退出", "en": "Sign out on all devices"},
        "me.not_set": {"zh": "未绑定", "en": "not set"},
        "me.role.citizen": {"zh": "公众", "en": "Citizen"},
        "me.role.smallholder": {"zh": "林农/牧民", "en": "Smallholder"},
        "me.role.organiser": {"zh": "活动组织者", "en": "Organiser"},
        "me.role.verifier": {"zh": "核证审核员", "en": "Verifier"},
        "me.role.court": {"zh": "法院", "en": "Court"},
        "me.role.scenic_operator": {"zh": "景区运营方", "en": "Scenic operator"},
        "me.role.event_organiser": {"zh": "活动主办方", "en": "Event organiser"},
        "me.role.merchant": {"zh": "合作商户", "en": "Merchant"},
        "me.role.platform_admin": {"zh": "平台管理员", "en": "Platform admin"},
        "outbox.title": {"zh": "短信发件箱（仅开发环境）", "en": "SMS outbox (development only)"},
        "outbox.lead": {
            "zh": "沙盒短信服务不会真正发送短信；这里列出最近“发送”的验证码。生产环境中此页面不存在。",
            "en": "The sandbox SMS provider sends nothing; the latest codes it 'sent' are listed here. This page does not exist in production.",
        },
        "outbox.empty": {"zh": "还没有发送过短信。", "en": "No messages yet."},
        "outbox.phone": {"zh": "手机号", "en": "Phone"},
        "outbox.code": {"zh": "验证码", "en": "Code"},
        "outbox.time": {"zh": "时间", "en": "Time"},
    }
)
