"""The signed-in user's own personal data: real-name details, export, deletion."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Template

from app.accounts import privacy
from app.core.auth import SESSION_COOKIE, Role, require_principal, requires
from app.core.errors import AppError
from app.core.i18n import register_messages
from app.core.pages import page


class IdentityIn(msgspec.Struct, forbid_unknown_fields=True):
    real_name: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=18)]


class IdentityOut(msgspec.Struct):
    real_name: str | None
    id_number: str | None


class DeleteAccountIn(msgspec.Struct, forbid_unknown_fields=True):
    # Any, not bool: lenient decoding would turn 1 or "true" into True, and this cannot be undone.
    confirm: Annotated[Any, msgspec.Meta(description="must be the JSON value true")]


async def _export_download(request: Request) -> Response[dict]:
    user = require_principal(request).user
    document = await privacy.export_user_data(request.app.state.settings, user)
    filename = f"microsink-{user.public_id}.json"
    return Response(document, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class DeleteAccountForm(msgspec.Struct):
    confirm: str = ""  # the checkbox sends "yes" when ticked, nothing otherwise


class PrivacyController(Controller):
    path = "/api/v1/me"
    tags = ["me"]
    guards = [requires(Role.CITIZEN)]

    @put("/identity", summary="Set real name and ID number (stored encrypted, shown masked)")
    async def set_identity(self, request: Request, data: JSONBody[IdentityIn]) -> IdentityOut:
        user = require_principal(request).user
        shown = await privacy.set_identity(request.app.state.settings, user, data.real_name, data.id_number)
        return IdentityOut(**shown)

    @get("/identity", summary="Real-name details, masked")
    async def get_identity(self, request: Request) -> IdentityOut:
        return IdentityOut(**privacy.masked_identity(request.app.state.settings, require_principal(request).user))

    @get("/export", summary="Download all my data (JSON)")
    async def export(self, request: Request) -> Response[dict]:
        return await _export_download(request)

    @post("/delete-account", summary="Delete (anonymise) my account", status_code=200)
    async def delete_account(self, request: Request, data: JSONBody[DeleteAccountIn]) -> dict[str, bool]:
        await privacy.delete_account(require_principal(request).user, confirmed=data.confirm is True)
        return {"deleted": True}


class PrivacyPages(Controller):
    """The same rights from the H5 pages (cookie session): download my data, delete my account."""

    include_in_schema = False
    guards = [requires(Role.CITIZEN)]

    @get("/me/export.json")
    async def export(self, request: Request) -> Response[dict]:
        return await _export_download(request)

    @get("/me/delete")
    async def confirm_page(self, request: Request) -> Template:
        return page(request, "accounts/delete.html")

    @post("/me/delete", status_code=200)
    async def delete(self, request: Request, data: URLEncodedBody[DeleteAccountForm]) -> Template:
        try:
            await privacy.delete_account(require_principal(request).user, confirmed=data.confirm == "yes")
        except AppError as exc:
            return page(request, "accounts/delete.html", error=exc, status_code=exc.status_code)
        done = page(request, "accounts/deleted.html", principal=None)
        done.delete_cookie(SESSION_COOKIE, path="/")
        return done


register_messages(
    {
        "me.my_data": {"zh": "我的数据", "en": "My data"},
        "me.notifications": {"zh": "消息通知", "en": "Notifications"},
        "me.export": {"zh": "下载我的全部数据（JSON）", "en": "Download all my data (JSON)"},
        "me.delete": {"zh": "注销账号", "en": "Delete my account"},
        "delete.title": {"zh": "注销账号", "en": "Delete my account"},
        "delete.explain": {
            "zh": "注销后，您的手机号、微信关联和实名信息将被清除，所有设备退出登录，此操作不可恢复。"
            "您参与过的公开记录（如审计日志）只保留随机编号，不含个人信息。建议先下载您的数据。",
            "en": "Deleting erases your phone number, WeChat link and real-name details and signs out every device; "
            "it cannot be undone. Public records you took part in (such as the audit log) keep only a random id, "
            "never personal data. Download your data first if you want a copy.",
        },
        "delete.confirm": {"zh": "我已了解，确认注销且不可恢复", "en": "I understand; delete my account for good"},
        "delete.button": {"zh": "注销账号", "en": "Delete account"},
        "delete.done": {
            "zh": "您的账号已注销，感谢您参与林草碳普惠。",
            "en": "Your account is deleted. Thank you for taking part.",
        },
    }
)
