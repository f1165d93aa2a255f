"""Signing in: WeChat mini-program login, phone + SMS code, token pairs and cookie sessions.

Rules kept here:
- An SMS code is 6 random digits, stored only as a keyed HMAC bound to the phone's blind index; it
  lives `sms_code_ttl_s`, works once, and `sms_code_max_attempts` wrong tries lock it for good (the
  user must ask for a new one). Only the newest code of a phone counts.
- Sending is limited per phone (per minute and per day) and per client address (per hour) with the
  shared window counters, so the limits hold across workers when Redis is configured.
- Every sign-in opens an AuthSession: "token" for the mini-app (a short-lived access token naming
  the session plus an opaque refresh token) or "cookie" for pages. Only sha256 hashes of refresh
  tokens and cookie values are stored. A refresh rotates the token; presenting a rotated-out token
  again means it was copied, so the whole session is revoked.
- The WeChat session_key is stored encrypted on the user and never returned.
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.accounts import service as accounts
from app.accounts.wechat import WeChatLogin
from app.core import housekeeping
from app.core.auth import hash_secret, issue_access_token, new_secret
from app.core.cache import WindowCounters
from app.core.crypto import blind_index, encrypt
from app.core.errors import AppError, Forbidden, NotFound, TooManyRequests, Unauthorized
from app.core.i18n import register_messages
from app.notifications import service as notifications
from app.notifications.sms import SandboxSms, SmsProvider
from app.settings import Settings
from models.accounts import AuthSession, User
from models.signin import SmsCode

log = structlog.get_logger("microsink.signin")
TOKEN = "token"
COOKIE = "cookie"
# What a sign-in notification calls the device: the kind of session is all the server knows for sure.
DEVICE_LABELS = {TOKEN: "app", COOKIE: "browser"}
DEFAULT_SMS_TEMPLATE = "login"


@dataclass(frozen=True)
class SignedIn:
    """A new session: `secret` is the refresh token (kind token) or cookie value (kind cookie)."""

    user: User
    session: AuthSession
    secret: str
    created_user: bool = False


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


@dataclass(frozen=True)
class SmsCodeSent:
    phone_masked: str
    expires_in: int
    resend_after: int


class SmsUnavailable(AppError):
    """The SMS provider did not take the message; asking again later may work."""

    status_code = 503


def _now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------
# Sessions


async def _open_session(settings: Settings, user: User, kind: str, method: str) -> SignedIn:
    """Create the session row; call inside the sign-in transaction.

    Sign-ins and sign-outs are not written to the audit chain: it is public and permanent, and a
    person's sign-in history is theirs. The session rows are that history (private, in the export).
    """
    if not user.is_active or user.deleted_at is not None:
        raise Forbidden("signin.account_disabled")
    ttl = settings.refresh_token_ttl_s if kind == TOKEN else settings.session_cookie_ttl_s
    secret = new_secret()
    session = await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind=kind,
        secret_hash=hash_secret(secret),
        sign_in_method=method,
        expires_at=_now() + timedelta(seconds=ttl),
    )
    if await AuthSession.filter(user_id=user.id).exclude(id=session.id).exists():
        # Not the first sign-in ever: tell the user, so a stranger's sign-in does not go unnoticed.
        await notifications.notify(
            user,
            "account.signed_in_new_device",
            {"device": DEVICE_LABELS[kind], "method": method, "at": session.created_at.isoformat()},
            dedupe_key=f"signin:{session.public_id}",
        )
    return SignedIn(user=user, session=session, secret=secret)


def token_pair(settings: Settings, signed_in: SignedIn) -> TokenPair:
    access = issue_access_token(settings, signed_in.user.public_id, signed_in.session.public_id)
    return TokenPair(
        access_token=access, refresh_token=signed_in.secret, expires_in=settings.access_token_ttl_s, user=signed_in.user
    )


async def refresh_tokens(settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate a refresh token: the old one stops working, and using it again revokes the session."""
    presented = hash_secret(refresh_token)
    now = _now()
    session = await AuthSession.get_or_none(secret_hash=presented, kind=TOKEN)
    if session is None:
        rotated_out = await AuthSession.filter(previous_secret_hash=presented, kind=TOKEN).first()
        if rotated_out is not None:
            await _revoke_for_reuse(rotated_out)
            raise Unauthorized("signin.refresh_reused")
        raise Unauthorized("signin.refresh_invalid")
    if session.revoked_at is not None or session.expires_at <= now:
        raise Unauthorized("signin.refresh_expired")
    user = await User.get(id=session.user_id)  # type: ignore[attr-defined]
    if not user.is_active or user.deleted_at is not None:
        raise Forbidden("signin.account_disabled")
    fresh = new_secret()
    # Conditional on the presented hash: of two requests racing with one token, exactly one rotates.
    rotated = await AuthSession.filter(
        id=session.id, secret_hash=presented, revoked_at=None, expires_at__gt=now
    ).update(
        secret_hash=hash_secret(fresh),
        previous_secret_hash=presented,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s),
    )
    if not rotated:
        # Someone else rotated this very token a moment ago: it was presented twice.
        await _revoke_for_reuse(session)
        raise Unauthorized("signin.refresh_reused")
    return TokenPair(
        access_token=issue_access_token(settings, user.public_id, session.public_id),
        refresh_token=fresh,
        expires_in=settings.access_token_ttl_s,
        user=user,
    )


async def _revoke_for_reuse(session: AuthSession) -> None:
    async with in_transaction():
        revoked = await AuthSession.filter(id=session.id, revoked_at=None).update(
            revoked_at=_now(), revoked_reason="refresh_reuse"
        )
        if revoked:
            log.warning("refresh_token_reused", session=session.public_id)


async def sign_out(user: User, session: AuthSession) -> None:
    """Revoke one session: its access tokens stop working at once (the middleware checks the row)."""
    async with in_transaction():
        await AuthSession.filter(id=session.id, revoked_at=None).update(revoked_at=_now(), revoked_reason="sign_out")


async def sign_out_everywhere(user: User) -> int:
    """Revoke every session of the user; returns how many were still open."""
    async with in_transaction():
        return await accounts.revoke_all_sessions(user, reason="sign_out_everywhere")


async def end_cookie_session(cookie_value: str) -> None:
    session = await AuthSession.get_or_none(secret_hash=hash_secret(cookie_value), kind=COOKIE, revoked_at=None)
    if session is not None:
        user = await User.get(id=session.user_id)  # type: ignore[attr-defined]
        await sign_out(user, session)


async def my_profile(user: User) -> dict[str, Any]:
    return accounts.profile(user, await accounts.roles_of(user))


# ---------------------------------------------------------------------------------------------
# WeChat mini-program


async def sign_in_with_wechat(settings: Settings, wechat: WeChatLogin, code: str, kind: str = TOKEN) -> SignedIn:
    identity = await wechat.code2session(code)
    user, created = await accounts.find_or_create_by_openid(identity.openid, identity.unionid)
    sealed_key = encrypt(settings.data_key, identity.session_key, "wechat_session_key")
    async with in_transaction():
        await User.filter(id=user.id).update(wechat_session_key_enc=sealed_key)
        user.wechat_session_key_enc = sealed_key
        signed_in = await _open_session(settings, user, kind, "wechat")
    return SignedIn(user=user, session=signed_in.session, secret=signed_in.secret, created_user=created)


# ---------------------------------------------------------------------------------------------
# Phone + SMS code


def _code_hash(settings: Settings, phone_index: str, code: str) -> str:
    return blind_index(settings.blind_index_key, f"{phone_index}:{code}", "sms_code")


async def _take_send_allowance(
    settings: Settings, counters: WindowCounters, phone_index: str, client_ip: str
) -> list[str]:
    """Count this send against every limit; on the first refusal give the others back and raise 429."""
    limits = [
        (f"sms:ip-hour:{client_ip}", settings.sms_per_ip_per_hour, 3600, "signin.sms_ip_limit"),
        (f"sms:phone-minute:{phone_index}", settings.sms_per_phone_per_minute, 60, "signin.sms_too_soon"),
        (f"sms:phone-day:{phone_index}", settings.sms_per_phone_per_day, 86400, "signin.sms_daily_limit"),
    ]
    taken: list[str] = []
    for key, limit, window_s, message in limits:
        hit = await counters.hit(key, limit, window_s)
        taken.append(key)
        if not hit.allowed:
            for k in taken:  # a refused request does not use up anyone's allowance
                await counters.undo(k)
            raise TooManyRequests(
                message,
                retry_after=hit.retry_after,
                seconds=hit.retry_after,
                minutes=max(1, math.ceil(hit.retry_after / 60)),
                limit=limit,
            )
    return taken


async def _give_back(counters: WindowCounters, keys: list[str]) -> None:
    for key in keys:
        await counters.undo(key)


async def send_sms_code(
    settings: Settings, counters: WindowCounters, sms: SmsProvider, phone: str, client_ip: str
) -> SmsCodeSent:
    phone_id = accounts.phone_identity(settings, phone)
    number, index = phone_id.number, phone_id.index
    taken = await _take_send_allowance(settings, counters, index, client_ip)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = _now()
    try:
        async with in_transaction():
            # Write first: supersede the phone's live code, then insert the new one (unique while live).
            await SmsCode.filter(phone_index=index, used_at=None, superseded_at=None).update(superseded_at=now)
            row = await SmsCode.create(
                phone_index=index,
                code_hash=_code_hash(settings, index, code),
                expires_at=now + timedelta(seconds=settings.sms_code_ttl_s),
            )
    except IntegrityError:
        # A concurrent send for the same phone won the race.
        await _give_back(counters, taken)
        raise TooManyRequests("signin.sms_too_soon", retry_after=60, seconds=60, minutes=1, limit=1) from None
    minutes = max(1, settings.sms_code_ttl_s // 60)
    try:
        message_id = await sms.send(
            number,
            login_template_id(settings),
            [code, str(minutes)],
        )
    except Exception as exc:  # any provider failure: nothing was sent, so nothing should count
        await SmsCode.filter(id=row.id).delete()
        await _give_back(counters, taken)
        raise SmsUnavailable("signin.sms_send_failed") from exc
    await SmsCode.filter(id=row.id).update(provider_message_id=str(message_id)[:64])
    return SmsCodeSent(
        phone_masked=phone_id.masked,
        expires_in=settings.sms_code_ttl_s,
        resend_after=60 // max(1, settings.sms_per_phone_per_minute),
    )


async def sign_in_with_sms(settings: Settings, phone: str, code: str, kind: str = TOKEN) -> SignedIn:
    phone_id = accounts.phone_identity(settings, phone)
    number, index = phone_id.number, phone_id.index
    code = (code or "").strip()
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise AppError(
            "signin.code_format", detail=[{"field": "code", "source": "body", "message": "six digits expected"}]
        )
    maximum = settings.sms_code_max_attempts
    now = _now()
    row = await SmsCode.filter(phone_index=index, superseded_at=None).order_by("-id").first()
    if row is None:
        raise AppError("signin.code_not_requested")
    if row.used_at is not None:
        raise AppError("signin.code_used")
    if row.attempts >= maximum:
        raise AppError("signin.code_locked", maximum=maximum)
    if row.expires_at <= now:
        raise AppError("signin.code_expired")
    # Count the try before comparing, in one bounded update: a burst of parallel guesses gets no more
    # than `maximum` comparisons between them, however they interleave.
    counted = await SmsCode.filter(id=row.id, used_at=None, attempts__lt=maximum).update(attempts=F("attempts") + 1)
    if not counted:
        raise AppError("signin.code_locked", maximum=maximum)
    if not hmac.compare_digest(row.code_hash, _code_hash(settings, index, code)):
        attempts = (await SmsCode.get(id=row.id)).attempts
        if attempts >= maximum:
            raise AppError("signin.code_locked", maximum=maximum)
        raise AppError("signin.code_wrong", remaining=maximum - attempts)
    async with in_transaction():
        # Claim the code with one conditional update: of two requests with the right code, one wins.
        claimed = await SmsCode.filter(
            id=row.id, used_at=None, superseded_at=None, attempts__lte=maximum, expires_at__gt=now
        ).update(used_at=now)
        if not claimed:
            raise AppError("signin.code_used")
        user, created = await accounts.find_or_create_by_phone(settings, number)
        signed_in = await _open_session(settings, user, kind, "sms")
    return SignedIn(user=user, session=signed_in.session, secret=signed_in.secret, created_user=created)


def login_template_id(settings: Settings) -> str:
    return settings.sms_login_template_id or settings.provider_template_id("sms", DEFAULT_SMS_TEMPLATE)


def has_development_outbox(settings: Settings, sms: SmsProvider) -> bool:
    """The sandbox provider's outbox page exists outside production only."""
    return not settings.is_production and isinstance(sms, SandboxSms)


def development_outbox(settings: Settings, sms: SmsProvider) -> list[tuple[Any, bool]]:
    """What the sandbox provider 'sent', each with whether it is a sign-in code; not in production."""
    if not has_development_outbox(settings, sms):
        raise NotFound("error.not_found")
    assert isinstance(sms, SandboxSms)  # has_development_outbox checked it
    login = login_template_id(settings)
    return [(message, message.template_id == login) for message in sms.outbox()]


async def purge_old_codes(older_than_s: int = 2 * 86400) -> int:
    """Delete codes long past their expiry (the daily limit lives in the counters, not here)."""
    return await SmsCode.filter(expires_at__lt=_now() - timedelta(seconds=older_than_s)).delete()


housekeeping.register("signin.purge_old_codes", purge_old_codes)


register_messages(
    {
        "signin.code_format": {
            "zh": "验证码（code）应为 6 位数字，请检查短信后重新输入",
            "en": "code: the verification code is 6 digits; check the SMS and enter it again",
        },
        "signin.code_not_requested": {
            "zh": "此手机号还没有获取验证码，请先点击“获取验证码”",
            "en": "No code was requested for this number; tap “Send code” first",
        },
        "signin.code_used": {
            "zh": "此验证码已使用过，请重新获取验证码",
            "en": "This code has already been used; request a new one",
        },
        "signin.code_expired": {
            "zh": "验证码已过期，请重新获取验证码",
            "en": "The code has expired; request a new one",
        },
        "signin.code_locked": {
            "zh": "验证码已输错 {maximum} 次，已失效；请重新获取验证码",
            "en": "The code was entered wrongly {maximum} times and no longer works; request a new one",
        },
        "signin.code_wrong": {
            "zh": "验证码不正确，还可以再试 {remaining} 次",
            "en": "Wrong code; {remaining} tries left",
        },
        "signin.sms_too_soon": {
            "zh": "验证码发送过于频繁，请 {seconds} 秒后再试",
            "en": "A code was just sent to this number; try again in {seconds} seconds",
        },
        "signin.sms_daily_limit": {
            "zh": "此手机号 24 小时内已获取 {limit} 次验证码，已达上限，请 {minutes} 分钟后再试",
            "en": "This number has received {limit} codes in 24 hours, the limit; try again in {minutes} minutes",
        },
        "signin.sms_ip_limit": {
            "zh": "您所在的网络获取验证码过于频繁，请 {minutes} 分钟后再试",
            "en": "Too many codes were requested from your network; try again in {minutes} minutes",
        },
        "signin.sms_send_failed": {
            "zh": "短信发送失败，请稍后重新获取验证码",
            "en": "The SMS could not be sent; please request a code again shortly",
        },
        "signin.account_disabled": {
            "zh": "此账号已停用或注销，无法登录；如有疑问请联系客服",
            "en": "This account is disabled or deleted and cannot sign in; contact support if this is unexpected",
        },
        "signin.refresh_invalid": {
            "zh": "刷新令牌无效，请重新登录",
            "en": "Invalid refresh token; please sign in again",
        },
        "signin.refresh_expired": {
            "zh": "登录已失效，请重新登录",
            "en": "Your session has ended; please sign in again",
        },
        "signin.refresh_reused": {
            "zh": "此刷新令牌已被使用过，为保护您的账号，该设备已退出登录；请重新登录",
            "en": "This refresh token was already used; to protect your account this device was signed out. Please sign in again",
        },
    }
)
