"""Signed, portable records of what a person did here, and their verification.

A record is a JSON document (schema in docs/portable-record.md) with the person's points history and,
as those domains arrive, approved planting and retired credits. It is signed with the platform's
Ed25519 key over its canonical form (sorted keys, no spaces, UTF-8), so any platform holding our public
key (`GET /api/v1/portable/keys`) can check it offline, and `verify` here says whether it is intact.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.points import service as points
from app.settings import Settings
from models.accounts import User

FORMAT = "microsink.portable-record/1"
MAX_TRANSFERS = 10_000
ALGORITHM = "Ed25519"


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _private_key(settings: Settings) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(settings.record_signing_seed)


def public_key_raw(settings: Settings) -> bytes:
    return _private_key(settings).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(settings: Settings) -> str:
    """A short name for the key: the first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(public_key_raw(settings)).hexdigest()[:16]


def published_keys(settings: Settings) -> list[dict[str, str]]:
    raw = base64.urlsafe_b64encode(public_key_raw(settings)).decode()
    return [{"key_id": key_id(settings), "algorithm": ALGORITHM, "public_key": raw}]


async def export_record(settings: Settings, user: User) -> dict[str, Any]:
    """The person's record, signed. Points are whole numbers and never converted to tonnes."""
    wallet = await points.wallet_of(user)
    summary = await points.year_summary(user)
    lines = await points.history(user, "en", page=1, page_size=MAX_TRANSFERS + 1)
    complete = len(lines) <= MAX_TRANSFERS
    lines = lines[:MAX_TRANSFERS]
    document = {
        "format": FORMAT,
        "issuer": settings.base_url,
        "subject": f"user:{user.public_id}",
        "issued_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "points": {
            "balance": wallet.balance,
            "year": summary.year,
            "earned_this_year": summary.earned,
            "spent_this_year": summary.spent,
            "transfers_complete": complete,  # false: only the newest MAX_TRANSFERS movements are listed
            "transfers": [
                {"id": str(x.id), "at": x.at.astimezone(UTC).isoformat(), "amount": x.amount, "reason": x.reason}
                for x in lines
            ],
        },
        "planting": [],  # approved planting logs: arrive with the campaigns issue
        "retirements": [],  # retired sink credits with serials: arrive with the market issue
    }
    signature = _private_key(settings).sign(canonical(document))
    return {
        "document": document,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(settings),
            "value": base64.urlsafe_b64encode(signature).decode(),
        },
    }


def verify_record(settings: Settings, envelope: Any) -> tuple[bool, str]:
    """(valid, reason): checks the shape, that the key is ours, and the signature over the document."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("document"), dict):
        return False, "not_a_record"
    signature = envelope.get("signature")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        return False, "unsupported_signature"
    if signature.get("key_id") != key_id(settings):
        return False, "unknown_key"
    if envelope["document"].get("format") != FORMAT:
        return False, "unknown_format"
    try:
        value = base64.urlsafe_b64decode(str(signature.get("value", "")))
        Ed25519PublicKey.from_public_bytes(public_key_raw(settings)).verify(value, canonical(envelope["document"]))
    except (InvalidSignature, ValueError):
        return False, "bad_signature"
    return True, "ok"
