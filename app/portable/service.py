"""Signed, portable records of what a person did here; their verification; moving points out.

A record is a JSON document (schema in docs/portable-record.md) with the person's points history and,
as those domains arrive, approved planting and retired credits. It is signed with the platform's
Ed25519 key over its canonical form (sorted keys, no spaces, UTF-8), so any platform holding our public
key (`GET /api/v1/portable/keys`) can check it offline, and `check_record` here says whether it is
intact, ours or a trusted platform's (app/portable/issuers.py).

An export may be addressed to another platform (`audience`) with the claim code that platform gave
the person, and may move points out: one ledger transfer from the wallet to the account of points
moved out to that platform, recorded in the signed document, so they can be credited there once and
can no longer be spent here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core import audit
from app.core.errors import AppError, Conflict
from app.core.i18n import register_messages
from app.ledger import service as ledger
from app.points import service as points
from app.portable import issuers as trust
from app.portable.issuers import TrustedIssuer, key_id_of, normalise_url
from app.settings import Settings
from models.accounts import User
from models.portable import PortableMoveOut

FORMAT = "microsink.portable-record/1"
MAX_TRANSFERS = 10_000
ALGORITHM = "Ed25519"
MOVED_OUT_REASON = "portable.moved_out"


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _private_key(settings: Settings) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(settings.record_signing_seed)


def public_key_raw(settings: Settings) -> bytes:
    return _private_key(settings).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(settings: Settings) -> str:
    """A short name for the key: the first 16 hex digits of the SHA-256 of the raw public key."""
    return key_id_of(public_key_raw(settings))


def our_url(settings: Settings) -> str:
    return normalise_url(settings.base_url)


def published_keys(settings: Settings) -> list[dict[str, str]]:
    raw = base64.urlsafe_b64encode(public_key_raw(settings)).decode()
    return [{"key_id": key_id(settings), "algorithm": ALGORITHM, "public_key": raw}]


def sign_document(settings: Settings, document: dict[str, Any]) -> dict[str, Any]:
    """The envelope: the document and our Ed25519 signature over its canonical form."""
    signature = _private_key(settings).sign(canonical(document))
    return {
        "document": document,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(settings),
            "value": base64.urlsafe_b64encode(signature).decode(),
        },
    }


@dataclass(frozen=True)
class MoveOut:
    """Move `amount` points out with this export; `id` is the ledger transfer's id (idempotency key)."""

    id: UUID
    amount: int


def _audience(settings: Settings, audience: str | None, claim_code: str | None, move_out: MoveOut | None) -> str | None:
    if audience is None:
        if claim_code or move_out:
            raise AppError("portable.audience_needed", detail=[{"field": "audience"}])
        return None
    try:
        url = normalise_url(audience)
    except ValueError:
        raise AppError("portable.bad_audience", detail=[{"field": "audience"}]) from None
    if url == our_url(settings):
        raise AppError("portable.bad_audience", detail=[{"field": "audience"}])
    return url


def _destination(settings: Settings, audience: str | None, claim_code: str | None) -> TrustedIssuer:
    """Points move only to a trusted platform with a points agreement, and only with its claim code."""
    if audience is None or not claim_code:
        raise AppError("portable.move_out_needs_claim", detail=[{"field": "claim_code"}])
    destination = trust.trusted(settings).get(audience)
    if destination is None or not destination.accepts_points:
        raise AppError("portable.move_out_not_agreed", audience=audience, detail=[{"field": "audience"}])
    return destination


def _same_move_out(row: PortableMoveOut, user: User, destination: TrustedIssuer, claim_code: str, amount: int) -> None:
    if (row.user_id, row.audience, row.claim_code, row.amount) != (user.id, destination.url, claim_code, amount):  # type: ignore[attr-defined]
        raise Conflict("ledger.id_reused")


async def move_out(user: User, destination: TrustedIssuer, claim_code: str, request: MoveOut) -> PortableMoveOut:
    """Take the points out of the wallet (never past what is available, holds counted) once per id."""
    if existing := await PortableMoveOut.get_or_none(id=request.id):
        _same_move_out(existing, user, destination, claim_code, request.amount)
        return existing
    wallet = await points.wallet_of(user)
    moved_out = await ledger.open_account("points", "portable_moved_out", f"issuer:{destination.slug}")
    try:
        async with in_transaction():
            # The row first: a concurrent copy of this very move-out waits here, then fails on the key.
            row = await PortableMoveOut.create(
                id=request.id, user=user, audience=destination.url, claim_code=claim_code, amount=request.amount
            )
            await ledger.transfer(
                request.id, wallet, moved_out, request.amount, MOVED_OUT_REASON, f"to:{destination.slug}"
            )
            await audit.record(
                actor=audit.actor_of(user),
                action="portable.moved_out",
                entity_type="portable_move_out",
                entity_id=request.id,
                after={"audience": destination.url, "amount": request.amount},
            )
            return row
    except IntegrityError:
        existing = await PortableMoveOut.get_or_none(id=request.id)
        if existing is None:
            raise
        _same_move_out(existing, user, destination, claim_code, request.amount)
        return existing


async def export_record(
    settings: Settings,
    user: User,
    *,
    audience: str | None = None,
    claim_code: str | None = None,
    move: MoveOut | None = None,
) -> dict[str, Any]:
    """The person's record, signed. Points are whole numbers and never converted to tonnes.

    Addressed to `audience` with its `claim_code`, it can be imported there once by the person the
    code was issued to; with `move`, those points leave the wallet first and the record says so.
    """
    url = _audience(settings, audience, claim_code, move)
    claim_code = claim_code.strip() if claim_code else None
    moved: PortableMoveOut | None = None
    if move is not None:
        moved = await move_out(user, _destination(settings, url, claim_code), claim_code or "", move)
    wallet = await points.wallet_of(user)
    summary = await points.year_summary(user)
    lines = await points.history(user, "en", page=1, page_size=MAX_TRANSFERS + 1)
    complete = len(lines) <= MAX_TRANSFERS
    lines = lines[:MAX_TRANSFERS]
    document: dict[str, Any] = {
        "format": FORMAT,
        "issuer": our_url(settings),
        "subject": f"user:{user.public_id}",
        "issued_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "audience": url,
        "claim_code": claim_code,
        "points": {
            "balance": wallet.balance,
            "year": summary.year,
            "earned_this_year": summary.earned,
            "spent_this_year": summary.spent,
            "moved_out": None
            if moved is None
            else {
                "transfer_id": str(moved.id),
                "amount": moved.amount,
                "at": moved.created_at.astimezone(UTC).replace(microsecond=0).isoformat(),
            },
            "transfers_complete": complete,  # false: only the newest MAX_TRANSFERS movements are listed
            "transfers": [
                {"id": str(x.id), "at": x.at.astimezone(UTC).isoformat(), "amount": x.amount, "reason": x.reason}
                for x in lines
            ],
        },
        "planting": [],  # approved planting logs: arrive with the campaigns issue (shape in the schema doc)
        "retirements": [],  # retired sink credits with serials: arrive with the market issue
    }
    return sign_document(settings, document)


@dataclass(frozen=True)
class Checked:
    """What checking a record found: `reason` is a message key suffix (portable.<reason>)."""

    valid: bool
    reason: str
    issuer: TrustedIssuer | None = None  # the trusted platform that signed it (None: us, or not valid)
    own: bool = False  # signed by this platform


def check_record(settings: Settings, envelope: Any) -> Checked:
    """Check the shape, that the issuer is us or a trusted platform, its key, and the signature."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("document"), dict):
        return Checked(False, "not_a_record")
    document = envelope["document"]
    signature = envelope.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return Checked(False, "unsupported_signature")
    if document.get("format") != FORMAT:
        return Checked(False, "unknown_format")
    try:
        issuer_url = normalise_url(str(document.get("issuer", "")))
    except ValueError:
        return Checked(False, "unknown_issuer")
    issuer: TrustedIssuer | None = None
    if issuer_url == our_url(settings):
        keys = {key_id(settings): public_key_raw(settings)}
    elif issuer := trust.trusted(settings).get(issuer_url):
        keys = issuer.keys
    else:
        return Checked(False, "unknown_issuer")
    public = keys.get(str(signature.get("key_id")))
    if public is None:
        return Checked(False, "unknown_issuer_key" if issuer else "unknown_key", issuer)
    try:
        value = base64.urlsafe_b64decode(str(signature.get("value", "")))
        Ed25519PublicKey.from_public_bytes(public).verify(value, canonical(document))
    except (InvalidSignature, ValueError):
        return Checked(False, "bad_signature", issuer)
    return Checked(True, "ok_foreign" if issuer else "ok", issuer, own=issuer is None)


register_messages(
    {
        "portable.audience_needed": {
            "zh": "填写了领取码或转出积分时，须同时填写目标平台地址（audience）",
            "en": "A claim code or moving points out needs the destination platform's address (audience)",
        },
        "portable.bad_audience": {
            "zh": "目标平台地址（audience）须为另一个平台的 http(s) 网址",
            "en": "audience must be the http(s) address of another platform",
        },
        "portable.move_out_needs_claim": {
            "zh": "转出积分须填写目标平台地址和它发给您的领取码",
            "en": "Moving points out needs the destination's address and the claim code it gave you",
        },
        "portable.move_out_not_agreed": {
            "zh": "本平台与 {audience} 没有积分互认协议，积分不能转出到那里（成就记录仍可导出）",
            "en": "There is no points agreement with {audience}, so points cannot move there "
            "(achievements can still be exported)",
        },
        "points.reason.portable.moved_out": {"zh": "积分转出至其他平台", "en": "Points moved to another platform"},
    }
)
