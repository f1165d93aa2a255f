"""Notifications: the inbox and preferences API (bearer token) and the inbox page (cookie session)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from app.core.auth import Role, principal_of, require_principal, requires
from app.core.i18n import request_language, t
from app.core.pages import page
from app.notifications import service
from app.notifications.schemas import (
    ChannelChoice,
    InboxOut,
    KindPreferences,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
)
from models.notifications import Notification


def _out(n: Notification, lang: str) -> NotificationOut:
    return NotificationOut(
        id=n.public_id,
        kind=n.kind,
        title=service.title_of(n, lang),
        body=service.body_of(n, lang),
        params=n.params,
        read=n.read_at is not None,
        read_at=n.read_at,
        created_at=n.created_at,
    )


def _preferences_out(prefs: dict[str, dict[str, bool]], lang: str) -> PreferencesOut:
    items = []
    for kind in service.kinds():
        channels = [ChannelChoice(channel=service.INBOX, enabled=True, locked=True)]
        channels += [ChannelChoice(channel=ch, enabled=on) for ch, on in prefs.get(kind.name, {}).items()]
        items.append(KindPreferences(kind=kind.name, label=kind.label.get(lang) or kind.label["zh"], channels=channels))
    return PreferencesOut(items=items)


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    guards = [requires(Role.CITIZEN)]

    @get("/", summary="My inbox, newest first, with the unread count")
    async def list_inbox(
        self,
        request: Request,
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        unread_only: FromQuery[bool] = False,
    ) -> InboxOut:
        lang = request_language(request)
        result = await service.inbox(
            require_principal(request).user, page=page, page_size=page_size, unread_only=unread_only
        )
        return InboxOut([_out(n, lang) for n in result.items], result.total, result.unread, page, page_size)

    @post("/{notification_id:str}/read", summary="Mark one notification read", status_code=200)
    async def mark_read(self, request: Request, notification_id: FromPath[str]) -> NotificationOut:
        n = await service.mark_read(require_principal(request).user, notification_id)
        return _out(n, request_language(request))

    @post("/read-all", summary="Mark every notification read", status_code=200)
    async def mark_all_read(self, request: Request) -> ReadAllOut:
        return ReadAllOut(marked=await service.mark_all_read(require_principal(request).user))

    @get("/preferences", summary="Which kinds reach me on which channel")
    async def get_preferences(self, request: Request) -> PreferencesOut:
        prefs = await service.preferences_of(require_principal(request).user)
        return _preferences_out(prefs, request_language(request))

    @put("/preferences", summary="Turn WeChat or SMS on or off per kind (the inbox is always on)")
    async def set_preferences(self, request: Request, data: JSONBody[PreferencesIn]) -> PreferencesOut:
        changes = [(p.kind, p.channel, p.enabled) for p in data.preferences]
        prefs = await service.set_preferences(require_principal(request).user, changes)
        return _preferences_out(prefs, request_language(request))


class NotificationPagesController(Controller):
    path = "/notifications"
    include_in_schema = False

    @get("/", opt={"public": True})
    async def inbox_page(
        self, request: Request, page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1
    ) -> Template | Redirect:
        principal = principal_of(request)
        lang = request_language(request)
        if principal is None:  # anyone may open the link; the inbox itself needs signing in
            return Redirect(f"/sign-in?lang={lang}&next=/notifications")
        result = await service.inbox(principal.user, page=page_number, page_size=20)
        items = [_out(n, lang) for n in result.items]
        return page(
            request,
            "notifications/inbox.html",
            items=items,
            unread=result.unread,
            total=result.total,
            page_number=page_number,
            has_next=page_number * 20 < result.total,
            heading=t("notifications.page.title", lang),
        )

    @post("/read-all", guards=[requires(Role.CITIZEN)], status_code=303)
    async def read_all_page(self, request: Request) -> Redirect:
        await service.mark_all_read(require_principal(request).user)
        return Redirect(f"/notifications?lang={request_language(request)}", status_code=303)
