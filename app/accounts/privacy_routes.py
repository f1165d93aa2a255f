"""The signed-in user's own personal data: real-name details, export, deletion."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody

from app.accounts import privacy
from app.core.auth import Role, require_principal, requires


class IdentityIn(msgspec.Struct, forbid_unknown_fields=True):
    real_name: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=18)]


class IdentityOut(msgspec.Struct):
    real_name: str | None
    id_number: str | None


class DeleteAccountIn(msgspec.Struct, forbid_unknown_fields=True):
    confirm: bool


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
        user = require_principal(request).user
        document = await privacy.export_user_data(request.app.state.settings, user)
        filename = f"microsink-{user.public_id}.json"
        return Response(document, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @post("/delete-account", summary="Delete (anonymise) my account", status_code=200)
    async def delete_account(self, request: Request, data: JSONBody[DeleteAccountIn]) -> dict[str, bool]:
        await privacy.delete_account(require_principal(request).user, confirmed=data.confirm)
        return {"deleted": True}
