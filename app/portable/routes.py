"""Portable records: download mine (signed, optionally addressed to another platform and moving points),
check any record, and import records of trusted platforms with a claim code."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from app.core.auth import Role, require_principal, requires
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import register_messages, request_language, t
from app.ledger.service import InsufficientBalance
from app.portable import imports, service
from app.portable import issuers as trust
from app.portable.schemas import (
    ClaimOut,
    EntriesOut,
    ExportIn,
    ImportedOut,
    ImportOut,
    IssuerOut,
    IssuerTotalsOut,
    PointsOut,
    TotalsOut,
)
from app.settings import Settings

_IMPORT_RAISES = [AppError, Forbidden, NotFound, Conflict, imports.RecordTooLarge]


class VerifyOut(msgspec.Struct):
    valid: bool
    reason: str
    message: str
    subject: str | None = None
    issued_at: str | None = None
    issuer: str | None = None


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _download(envelope: dict[str, Any], public_id: str) -> Response[dict[str, Any]]:
    headers = {"Content-Disposition": f'attachment; filename="microsink-record-{public_id}.json"'}
    return Response(envelope, headers=headers)


def _import_out(done: imports.Imported, lang: str) -> ImportOut:
    r = done.record
    return ImportOut(
        id=r.public_id,
        issuer=r.issuer,
        issuer_name=done.issuer.name(lang) if done.issuer else r.issuer,
        issued_at=r.issued_at,
        imported_at=r.created_at,
        replayed=done.replayed,
        planting=EntriesOut(r.planting_listed, r.planting_new, r.planting_listed - r.planting_new),
        retirements=EntriesOut(r.retirements_listed, r.retirements_new, r.retirements_listed - r.retirements_new),
        points=PointsOut(
            moved_out=r.moved_out_amount,
            rate=r.rate,
            credited=r.points_credited,
            already_credited=r.moved_out_amount > 0 and r.credit_transfer_id is None,
        ),
    )


def _totals(x: imports.Totals) -> TotalsOut:
    return TotalsOut(x.plantings, x.trees, x.retirements, x.kg, x.points)


class PortableController(Controller):
    path = "/api/v1/portable"
    tags = ["portable records"]

    @get("/record", summary="My signed portable record (JSON)", guards=[requires(Role.CITIZEN)])
    async def record(self, request: Request) -> Response[dict[str, Any]]:
        user = require_principal(request).user
        return _download(await service.export_record(_settings(request), user), user.public_id)

    @post(
        "/exports",
        summary="My signed record addressed to another platform, optionally moving points out to it",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
        raises=[AppError, Conflict, InsufficientBalance],
    )
    async def export(self, request: Request, data: JSONBody[ExportIn]) -> Response[dict[str, Any]]:
        user = require_principal(request).user
        move = service.MoveOut(data.move_out.id, data.move_out.amount) if data.move_out else None
        envelope = await service.export_record(
            _settings(request), user, audience=data.audience, claim_code=data.claim_code, move=move
        )
        return _download(envelope, user.public_id)

    @get("/keys", summary="The public keys that sign our records (public)", opt={"public": True})
    async def keys(self, request: Request) -> list[dict[str, str]]:
        return service.published_keys(_settings(request))

    @get(
        "/issuers",
        summary="The platforms whose records we import, and their points rates (public)",
        opt={"public": True},
    )
    async def issuers(self, request: Request) -> list[IssuerOut]:
        lang = request_language(request)
        return [
            IssuerOut(
                issuer=i.url,
                name=i.name(lang),
                points_rate=i.rate_text,
                accepts_points=i.accepts_points,
                keys=[{"key_id": k, "algorithm": service.ALGORITHM} for k in sorted(i.keys)],
            )
            for i in trust.trusted(_settings(request)).values()
        ]

    @post(
        "/verify",
        summary="Check a record we or a trusted platform signed (public)",
        status_code=200,
        opt={"public": True},
    )
    async def verify(self, request: Request, data: JSONBody[dict[str, Any]]) -> VerifyOut:
        checked = service.check_record(_settings(request), data)
        lang = request_language(request)
        document = data.get("document") if checked.valid else None
        issuer = data.get("document", {}).get("issuer") if isinstance(data.get("document"), dict) else None
        name = checked.issuer.name(lang) if checked.issuer else ""
        return VerifyOut(
            valid=checked.valid,
            reason=checked.reason,
            message=t(f"portable.{checked.reason}", lang, name=name, issuer=str(issuer)[:200]),
            subject=document.get("subject") if document else None,
            issued_at=document.get("issued_at") if document else None,
            issuer=document.get("issuer") if document else None,
        )

    @post(
        "/claims",
        summary="A one-time claim code, to give another platform when exporting to us",
        guards=[requires(Role.CITIZEN)],
        raises=[Conflict],
    )
    async def claim(self, request: Request) -> ClaimOut:
        code, claim = await imports.issue_claim(_settings(request), require_principal(request).user)
        return ClaimOut(code=code, audience=service.our_url(_settings(request)), expires_at=claim.expires_at)

    @post(
        "/imports",
        summary="Import a record signed by a trusted platform (the same record again adds nothing)",
        guards=[requires(Role.CITIZEN)],
        request_max_body_size=imports.MAX_RECORD_BYTES,
        raises=_IMPORT_RAISES,
    )
    async def import_record(self, request: Request, data: JSONBody[dict[str, Any]]) -> Response[ImportOut]:
        done = await imports.import_record(_settings(request), require_principal(request).user, data)
        return Response(_import_out(done, request_language(request)), status_code=200 if done.replayed else 201)

    @get(
        "/imported",
        summary="My plantings, retirements and points from other platforms",
        guards=[requires(Role.CITIZEN)],
    )
    async def imported(
        self, request: Request, year: Annotated[int | None, QueryParameter(ge=2000, le=2100)] = None
    ) -> ImportedOut:
        lang = request_language(request)
        found = await imports.summary(require_principal(request).user, year)
        settings = _settings(request)

        def named(url: str) -> str:
            issuer = imports.issuer_named(settings, url)
            return issuer.name(lang) if issuer else url

        return ImportedOut(
            year=found.year,
            this_year=_totals(found.this_year),
            all_time=_totals(found.all_time),
            by_issuer=[IssuerTotalsOut(url, named(url), _totals(x)) for url, x in found.by_issuer.items()],
            imports=[
                _import_out(imports.Imported(r, imports.issuer_named(settings, r.issuer), replayed=False), lang)
                for r in found.imports
            ],
        )


register_messages(
    {
        "portable.ok": {"zh": "记录完整，由本平台签发", "en": "Intact, and signed by this platform"},
        "portable.ok_foreign": {"zh": "记录完整，由{name}签发", "en": "Intact, and signed by {name}"},
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
