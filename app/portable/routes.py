"""Portable records: download mine, signed; anyone can fetch our keys and check a record."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from app.core.auth import Role, require_principal, requires
from app.core.i18n import register_messages, request_language, t
from app.portable import service


class VerifyOut(msgspec.Struct):
    valid: bool
    reason: str
    message: str
    subject: str | None = None
    issued_at: str | None = None


class PortableController(Controller):
    path = "/api/v1/portable"
    tags = ["portable records"]

    @get("/record", summary="My signed portable record (JSON)", guards=[requires(Role.CITIZEN)])
    async def record(self, request: Request) -> Response[dict[str, Any]]:
        user = require_principal(request).user
        envelope = await service.export_record(request.app.state.settings, user)
        headers = {"Content-Disposition": f'attachment; filename="microsink-record-{user.public_id}.json"'}
        return Response(envelope, headers=headers)

    @get("/keys", summary="The public keys that sign our records (public)", opt={"public": True})
    async def keys(self, request: Request) -> list[dict[str, str]]:
        return service.published_keys(request.app.state.settings)

    @post("/verify", summary="Check a record we signed (public)", status_code=200, opt={"public": True})
    async def verify(self, request: Request, data: JSONBody[dict[str, Any]]) -> VerifyOut:
        valid, reason = service.verify_record(request.app.state.settings, data)
        document = data.get("document") if valid else None
        return VerifyOut(
            valid=valid,
            reason=reason,
            message=t(f"portable.{reason}", request_language(request)),
            subject=document.get("subject") if document else None,
            issued_at=document.get("issued_at") if document else None,
        )


register_messages(
    {
        "portable.ok": {"zh": "记录完整，由本平台签发", "en": "Intact, and signed by this platform"},
        "portable.not_a_record": {
            "zh": "这不是一份可移植记录（缺少 document）",
            "en": "Not a portable record (no document)",
        },
        "portable.unsupported_signature": {"zh": "签名算法不受支持", "en": "Unsupported signature algorithm"},
        "portable.unknown_key": {"zh": "签名密钥不是本平台的", "en": "Signed with a key that is not ours"},
        "portable.unknown_format": {"zh": "记录格式未知", "en": "Unknown record format"},
        "portable.bad_signature": {
            "zh": "签名不符：记录在签发后被改动过",
            "en": "The signature does not match: the record was changed after it was signed",
        },
    }
)
