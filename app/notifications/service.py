"""The one way to tell a person something: `notify()` in the caller's transaction, the inbox, preferences.

`notify(user, kind, params, dedupe_key=...)` writes one in-app inbox row (title and body rendered in
Chinese and English from the kind's templates) and one outbox row per external channel the user has
enabled for that kind, all in one transaction: the caller's if it has one, so a rolled-back business
change never notifies anybody. `dedupe_key` is unique, so a replayed caller writes nothing twice.
The outbox relay (outbox.py) delivers the outbox rows afterwards.

Kinds are registered with `register_kind`; each says which external channels it offers and whether
they are on by default. The in-app inbox is always on.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from babel.dates import format_datetime
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.core import audit
from app.core.errors import AppError, NotFound
from app.core.i18n import BEIJING, LANGS, register_messages, t
from models.accounts import User
from models.notifications import Notification, NotificationPreference, OutboxMessage

log = structlog.get_logger("microsink.notifications")

INBOX = "inbox"
WECHAT = "wechat"
SMS = "sms"
EXTERNAL_CHANNELS = (WECHAT, SMS)

Params = Mapping[str, Any]


@dataclass(frozen=True)
class WechatTemplate:
    """A WeChat subscription message template: its id, the page it opens and its keyword data."""

    template_id: str
    page: str
    data: Callable[[Params, str], dict[str, str]]  # (params, lang) -> {"thing1": "...", ...}


@dataclass(frozen=True)
class SmsTemplate:
    """An approved SMS template (Chinese text, positional variables {1}, {2} …)."""

    template_id: str
    params: Callable[[Params], list[str]]


@dataclass(frozen=True)
class Kind:
    """What a kind of notification says and where it may go.

    `title` and `body` map a language to a `str.format` template over the params, or to a callable
    (params, lang) -> text when formatting needs more than substitution. `defaults` lists the external
    channels this kind offers, each on or off until the user chooses.
    """

    name: str
    label: Mapping[str, str]
    title: Mapping[str, Any]
    body: Mapping[str, Any]
    required: tuple[str, ...] = ()
    defaults: Mapping[str, bool] = field(default_factory=dict)
    wechat: WechatTemplate | None = None
    sms: SmsTemplate | None = None


_KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> None:
    """Add a kind; registering the same name twice is a programming error."""
    if kind.name in _KINDS and _KINDS[kind.name] != kind:
        raise ValueError(f"notification kind {kind.name} registered twice")
    for channel in kind.defaults:
        if channel not in EXTERNAL_CHANNELS:
            raise ValueError(f"kind {kind.name}: unknown channel {channel}")
    if (WECHAT in kind.defaults) != (kind.wechat is not None) or (SMS in kind.defaults) != (kind.sms is not None):
        raise ValueError(f"kind {kind.name}: each offered channel needs its template, and only those")
    _KINDS[kind.name] = kind


def kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: k.name)


def kind_of(name: str) -> Kind:
    kind = _KINDS.get(name)
    if kind is None:
        raise ValueError(f"notification kind {name!r} is not registered")
    return kind


def _render(template: Any, params: Params, lang: str) -> str:
    return template(params, lang) if callable(template) else str(template).format_map(dict(params))


class DedupeKeyReused(Exception):
    """A dedupe key was used before for another user or kind: the caller's keys are not specific enough."""


async def notify(user: User, kind: str, params: Params, *, dedupe_key: str) -> Notification:
    """Write the inbox row and one outbox row per enabled external channel, atomically.

    Call it inside the business transaction that causes the notification. A replay with the same
    `dedupe_key` returns the first notification and writes nothing.
    """
    spec = kind_of(kind)
    missing = [p for p in spec.required if p not in params]
    if missing:
        raise ValueError(f"notification {kind} needs params {missing}")
    if not dedupe_key or len(dedupe_key) > 128:
        raise ValueError("dedupe_key must be 1–128 characters")
    if existing := await Notification.get_or_none(dedupe_key=dedupe_key):
        return _replayed(existing, user, kind)
    texts = {
        f"{part}_{lang}": _render(getattr(spec, part)[lang], params, lang)
        for part in ("title", "body")
        for lang in LANGS
    }
    channels = await enabled_channels(user, spec)
    payloads = {channel: _payload(spec, channel, params, user) for channel in channels}
    now = datetime.now(UTC)
    try:
        # A savepoint inside the caller's transaction (or a transaction of its own): a concurrent
        # duplicate fails on the unique key here without aborting the caller's work.
        async with in_transaction():
            notification = await Notification.create(
                public_id=secrets.token_hex(13),
                user=user,
                kind=kind,
                params=dict(params),
                dedupe_key=dedupe_key,
                title_zh=texts["title_zh"][:128],
                title_en=texts["title_en"][:128],
                body_zh=texts["body_zh"],
                body_en=texts["body_en"],
            )
            for channel, payload in payloads.items():
                await OutboxMessage.create(
                    notification=notification, channel=channel, payload=payload, next_attempt_at=now
                )
    except IntegrityError:
        existing = await Notification.get_or_none(dedupe_key=dedupe_key)
        if existing is None:
            raise
        return _replayed(existing, user, kind)
    return notification


def _replayed(existing: Notification, user: User, kind: str) -> Notification:
    if existing.user_id != user.id or existing.kind != kind:  # type: ignore[attr-defined]
        raise DedupeKeyReused(existing.dedupe_key)
    return existing


def _user_lang(user: User) -> str:
    return "en" if (user.language or "").lower().startswith("en") else "zh"


def _payload(spec: Kind, channel: str, params: Params, user: User) -> dict[str, Any]:
    if channel == WECHAT:
        assert spec.wechat is not None
        lang = _user_lang(user)
        return {
            "template_id": spec.wechat.template_id,
            "page": spec.wechat.page,
            "data": spec.wechat.data(params, lang),
            "lang": "en_US" if lang == "en" else "zh_CN",
        }
    assert spec.sms is not None
    return {"template_id": spec.sms.template_id, "params": [str(p) for p in spec.sms.params(params)]}


def _reachable(user: User, channel: str) -> bool:
    """Whether we hold an address for the channel; a row we could never deliver is not written."""
    if channel == WECHAT:
        return bool(user.wechat_openid)
    return user.phone_enc is not None


async def preferences_of(user: User) -> dict[str, dict[str, bool]]:
    """kind → external channel → on/off, with the kind's defaults where the user has not chosen."""
    chosen = {(p.kind, p.channel): p.enabled for p in await NotificationPreference.filter(user_id=user.id)}
    return {k.name: {ch: chosen.get((k.name, ch), default) for ch, default in k.defaults.items()} for k in kinds()}


async def enabled_channels(user: User, spec: Kind) -> list[str]:
    if not spec.defaults:
        return []
    chosen = dict(
        await NotificationPreference.filter(user_id=user.id, kind=spec.name).values_list("channel", "enabled")
    )
    return [ch for ch, default in spec.defaults.items() if chosen.get(ch, default) and _reachable(user, ch)]


async def set_preferences(user: User, changes: list[tuple[str, str, bool]]) -> dict[str, dict[str, bool]]:
    """Apply (kind, channel, enabled) choices in one transaction, with an audit record."""
    for kind, channel, _ in changes:
        spec = _KINDS.get(kind)
        if spec is None:
            raise AppError("notifications.unknown_kind", kind=kind, detail=[{"field": "kind", "value": kind}])
        if channel == INBOX:
            raise AppError("notifications.inbox_always_on")
        if channel not in spec.defaults:
            raise AppError(
                "notifications.channel_not_offered",
                kind=kind,
                channel=channel,
                channels="、".join(spec.defaults) or "-",
                detail=[{"field": "channel", "value": channel}],
            )
    before = await preferences_of(user)
    async with in_transaction():
        for kind, channel, enabled in changes:
            updated = await NotificationPreference.filter(user_id=user.id, kind=kind, channel=channel).update(
                enabled=enabled
            )
            if not updated:
                try:
                    async with in_transaction():
                        await NotificationPreference.create(user=user, kind=kind, channel=channel, enabled=enabled)
                except IntegrityError:  # a concurrent first choice: ours is the later one
                    await NotificationPreference.filter(user_id=user.id, kind=kind, channel=channel).update(
                        enabled=enabled
                    )
        after = await preferences_of(user)
        await audit.record(
            actor=audit.actor_of(user),
            action="notification_preferences.changed",
            entity_type="user",
            entity_id=user.public_id,
            before=before,
            after=after,
        )
    return after


# ---- the inbox ----


@dataclass(frozen=True)
class InboxPage:
    items: list[Notification]
    total: int
    unread: int


async def inbox(user: User, *, page: int, page_size: int, unread_only: bool = False) -> InboxPage:
    query = Notification.filter(user_id=user.id)
    if unread_only:
        query = query.filter(read_at=None)
    items = await query.order_by("-created_at", "-id").offset((page - 1) * page_size).limit(page_size)
    total = await query.count()
    unread = await Notification.filter(user_id=user.id, read_at=None).count()
    return InboxPage(items=items, total=total, unread=unread)


async def mark_read(user: User, public_id: str) -> Notification:
    """Mark one of the user's own notifications read; someone else's is simply not found."""
    notification = await Notification.get_or_none(public_id=public_id, user_id=user.id)
    if notification is None:
        raise NotFound("notifications.not_found")
    if notification.read_at is None:
        now = datetime.now(UTC)
        # Conditional: a concurrent mark keeps the first read time.
        await Notification.filter(id=notification.id, read_at=None).update(read_at=now)
        await notification.refresh_from_db(fields=["read_at"])
    return notification


async def mark_all_read(user: User) -> int:
    return await Notification.filter(user_id=user.id, read_at=None).update(read_at=datetime.now(UTC))


def title_of(n: Notification, lang: str) -> str:
    return n.title_en if lang == "en" else n.title_zh


def body_of(n: Notification, lang: str) -> str:
    return n.body_en if lang == "en" else n.body_zh


# ---- personal data: export and erasure (PIPL) ----


async def _export(user: User) -> dict[str, Any]:
    rows = await Notification.filter(user_id=user.id).order_by("created_at")
    return {
        "inbox": [
            {
                "id": n.public_id,
                "kind": n.kind,
                "params": n.params,
                "title": {"zh": n.title_zh, "en": n.title_en},
                "body": {"zh": n.body_zh, "en": n.body_en},
                "created_at": n.created_at.isoformat(),
                "read_at": n.read_at.isoformat() if n.read_at else None,
            }
            for n in rows
        ],
        "preferences": await preferences_of(user),
    }


async def _erase(user: User) -> None:
    ids = await Notification.filter(user_id=user.id).values_list("id", flat=True)
    if ids:
        await OutboxMessage.filter(notification_id__in=list(ids)).delete()
    await Notification.filter(user_id=user.id).delete()
    await NotificationPreference.filter(user_id=user.id).delete()


privacy.register_exporter("notifications", _export)
privacy.register_eraser("notifications", _erase)


# ---- the first kinds ----


def local_time(iso: str, lang: str) -> str:
    """An ISO-8601 instant as Beijing time in the reader's language."""
    value = datetime.fromisoformat(iso)
    return format_datetime(value, "yyyy-MM-dd HH:mm", tzinfo=BEIJING, locale="zh_CN" if lang == "zh" else "en")


def _device(params: Params, lang: str) -> str:
    """ "app" and "browser" are our own words for a session's kind; anything else is a device's name."""
    device = str(params["device"])
    return t(f"notifications.device.{device}", lang) if device in ("app", "browser") else device


def _method(params: Params, lang: str) -> str:
    return t(f"notifications.method.{params['method']}", lang)


def _role(params: Params, lang: str) -> str:
    return t(f"notifications.role.{params['role']}", lang)


def _clip(text: str, n: int = 20) -> str:
    """WeChat `thing` values take at most 20 characters."""
    return text if len(text) <= n else text[: n - 1] + "…"


register_messages(
    {
        "notifications.not_found": {"zh": "找不到这条通知", "en": "Notification not found"},
        "notifications.unknown_kind": {"zh": "未知的通知类型 {kind}", "en": "Unknown notification kind {kind}"},
        "notifications.inbox_always_on": {
            "zh": "站内信始终开启，无法关闭；您可以关闭微信或短信提醒",
            "en": "The in-app inbox is always on; you can turn WeChat or SMS off instead",
        },
        "notifications.channel_not_offered": {
            "zh": "通知类型 {kind} 不支持渠道 {channel}；可选：{channels}",
            "en": "Notification kind {kind} is not sent by {channel}; choose from: {channels}",
        },
        "notifications.method.sms": {"zh": "短信验证码", "en": "SMS code"},
        "notifications.method.wechat": {"zh": "微信", "en": "WeChat"},
        "notifications.role.smallholder": {"zh": "林农/牧民", "en": "smallholder"},
        "notifications.role.organiser": {"zh": "活动组织者", "en": "organiser"},
        "notifications.role.merchant": {"zh": "合作商户", "en": "merchant"},
        "notifications.role.verifier": {"zh": "核证员", "en": "verifier"},
        "notifications.role.court": {"zh": "法院", "en": "court"},
        "notifications.role.scenic_operator": {"zh": "景区运营方", "en": "scenic operator"},
        "notifications.role.event_organiser": {"zh": "活动主办方", "en": "event organiser"},
        "notifications.role.platform_admin": {"zh": "平台管理员", "en": "platform administrator"},
        "notifications.kind.account.signed_in_new_device": {"zh": "新设备登录提醒", "en": "Sign-in from a new device"},
        "notifications.kind.account.role_granted": {"zh": "角色授予", "en": "Role granted"},
        "notifications.kind.system.announcement": {"zh": "平台公告", "en": "Announcements"},
        "notifications.channel.inbox": {"zh": "站内信", "en": "Inbox"},
        "notifications.channel.wechat": {"zh": "微信订阅消息", "en": "WeChat message"},
        "notifications.channel.sms": {"zh": "短信", "en": "SMS"},
        "notifications.page.title": {"zh": "消息通知", "en": "Notifications"},
        "notifications.page.unread": {"zh": "未读 {count} 条", "en": "{count} unread"},
        "notifications.page.mark_all_read": {"zh": "全部标为已读", "en": "Mark all as read"},
        "notifications.page.new": {"zh": "未读", "en": "unread"},
        "notifications.page.empty": {"zh": "暂时没有通知。", "en": "No notifications yet."},
        "notifications.page.newer": {"zh": "较新", "en": "Newer"},
        "notifications.page.older": {"zh": "较早", "en": "Older"},
        "notifications.device.app": {"zh": "手机小程序或应用", "en": "the mini-app or a phone app"},
        "notifications.device.browser": {"zh": "网页浏览器", "en": "a web browser"},
    }
)

register_kind(
    Kind(
        name="account.signed_in_new_device",
        label={"zh": "新设备登录提醒", "en": "Sign-in from a new device"},
        required=("device", "method", "at"),
        title={"zh": "新设备登录提醒", "en": "Sign-in from a new device"},
        body={
            "zh": lambda p, lang: (
                f"您的账号于 {local_time(p['at'], lang)}（北京时间）在新设备“{_device(p, lang)}”上通过{_method(p, lang)}登录。"
                "如非本人操作，请立即在“我的”页面选择“在所有设备上退出”，并联系客服。"
            ),
            "en": lambda p, lang: (
                f"Your account signed in on a new device, “{_device(p, lang)}”, by {_method(p, lang)} at "
                f"{local_time(p['at'], lang)} (Beijing time). If this was not you, choose “Sign out everywhere” on "
                "the Me page now and contact support."
            ),
        },
        defaults={WECHAT: True, SMS: True},
        wechat=WechatTemplate(
            template_id="account-signed-in-new-device",
            page="pages/me/devices",
            data=lambda p, lang: {
                "thing1": _clip(_device(p, "zh")),
                "time2": local_time(p["at"], "zh"),
                "thing3": _clip(_method(p, lang)),
            },
        ),
        sms=SmsTemplate(
            template_id="account-signed-in-new-device",
            params=lambda p: [_clip(_device(p, "zh"), 12), local_time(p["at"], "zh")],
        ),
    )
)

register_kind(
    Kind(
        name="account.role_granted",
        label={"zh": "角色授予", "en": "Role granted"},
        required=("role", "organisation"),
        title={
            "zh": lambda p, lang: f"您已获得“{_role(p, lang)}”角色",
            "en": lambda p, lang: f"You now hold the role: {_role(p, lang)}",
        },
        body={
            "zh": lambda p, lang: (
                f"您在“{p['organisation'] or '微碳汇平台'}”获得了“{_role(p, lang)}”角色，重新打开小程序即可使用相应功能。"
            ),
            "en": lambda p, lang: (
                f"You now hold the role {_role(p, lang)} in “{p['organisation'] or 'the MicroSink platform'}”. "
                "Reopen the mini-app to use what the role allows."
            ),
        },
        defaults={WECHAT: True, SMS: False},
        wechat=WechatTemplate(
            template_id="account-role-granted",
            page="pages/me/index",
            data=lambda p, lang: {
                "thing1": _clip(_role(p, lang)),
                "thing2": _clip(str(p["organisation"] or ("微碳汇平台" if lang == "zh" else "MicroSink"))),
            },
        ),
        sms=SmsTemplate(template_id="account-role-granted", params=lambda p: [_clip(_role(p, "zh"), 12)]),
    )
)

register_kind(
    Kind(
        name="system.announcement",
        label={"zh": "平台公告", "en": "Announcements"},
        required=("title_zh", "title_en", "body_zh", "body_en"),
        title={"zh": "{title_zh}", "en": "{title_en}"},
        body={"zh": "{body_zh}", "en": "{body_en}"},
        defaults={WECHAT: False},
        wechat=WechatTemplate(
            template_id="system-announcement",
            page="pages/notifications/index",
            data=lambda p, lang: {"thing1": _clip(str(p["title_en" if lang == "en" else "title_zh"]))},
        ),
    )
)
