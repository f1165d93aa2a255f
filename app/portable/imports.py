"""Importing signed records from trusted platforms: claim codes, one import per record, counted once.

The protocol (docs/portable-record.md): a person signed in here asks for a one-time claim code; at
the other platform they export their record addressed to us (`audience`) with that code, moving
points out there if they wish; they bring the signed record back and import it. Rules:

- the record must be signed by a trusted issuer's key, addressed to us, and name a claim code we
  issued to the importing person, unused, and not expired when the record was signed;
- the claim code is taken by one conditional update, so a record imports once however many
  requests race; the same record again answers with what its import did, adding nothing;
- plantings and retirements are stored unique on (issuer, kind, entry id): the same tree in two
  exports, or in exports imported by two accounts, counts once;
- points count only if the issuer moved them out (its wallet was debited, the signed record names
  the transfer): credited once, floor(amount × rate), by a ledger transfer whose id is uuid5 of
  (issuer, moved-out transfer id), from that issuer's import account. Points merely listed in the
  history stay spendable there and are never credited here.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import msgspec
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.accounts.service import new_public_id
from app.core import audit
from app.core.crypto import blind_index
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING, register_messages
from app.ledger import service as ledger
from app.points import service as points
from app.portable import issuers as trust
from app.portable.issuers import TrustedIssuer, normalise_url
from app.portable.schemas import DocumentIn, PlantingIn, RetirementIn
from app.portable.service import canonical, check_record, our_url
from app.settings import Settings
from models.accounts import User
from models.portable import ImportedEntry, PortableClaim, PortableImport, PortableMoveOut

CLAIM_TTL = timedelta(days=3)  # time to export at the other platform; the import itself may come later
CLOCK_SKEW = timedelta(minutes=5)  # between our clock and the issuer's
MAX_OPEN_CLAIMS = 5
MAX_ENTRIES = 10_000  # per list (planting, retirements) in one record
MAX_RECORD_BYTES = 5_000_000
IMPORTED_REASON = "portable.imported"
# Namespace of the credit transfer ids: uuid5(NAMESPACE, "<issuer URL>|<moved-out transfer id>").
CREDIT_NAMESPACE = UUID("5b0e7c7a-3f7e-5c52-9d0c-6d6963726f73")
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread


def credit_id(issuer_url: str, moved_out_transfer_id: str) -> UUID:
    """The id of the one transfer that credits a move-out here: the same for every record naming it."""
    return uuid5(CREDIT_NAMESPACE, f"{issuer_url}|{moved_out_transfer_id}")


class RecordTooLarge(AppError):
    status_code = 413


def normalise_code(code: str) -> str:
    """'abcd-efgh jkmn' → 'ABCDEFGHJKMN': how people type codes back."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_hash(settings: Settings, code: str) -> str:
    return blind_index(settings.blind_index_key, normalise_code(code), "portable-claim")


def _now() -> datetime:
    return datetime.now(UTC)


async def issue_claim(settings: Settings, user: User) -> tuple[str, PortableClaim]:
    """A new one-time claim code for `user` (shown once; only its keyed hash is kept)."""
    now = _now()
    if await PortableClaim.filter(user_id=user.id, used_at=None, expires_at__gt=now).count() >= MAX_OPEN_CLAIMS:
        raise Conflict("portable.too_many_claims", maximum=MAX_OPEN_CLAIMS)
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))  # 60 bits
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    async with in_transaction():
        claim = await PortableClaim.create(user=user, code_hash=_code_hash(settings, code), expires_at=now + CLAIM_TTL)
        await audit.record(
            actor=audit.actor_of(user),
            action="portable.claim_issued",
            entity_type="portable_claim",
            entity_id=claim.id,
            after={"expires_at": claim.expires_at.isoformat()},
        )
    return code, claim


@dataclass(frozen=True)
class Imported:
    record: PortableImport
    issuer: TrustedIssuer | None  # None when the issuer has since left the trusted list
    replayed: bool


def _parse(raw: dict[str, Any]) -> DocumentIn:
    for name in ("planting", "retirements"):
        if isinstance(raw.get(name), list) and len(raw[name]) > MAX_ENTRIES:
            raise RecordTooLarge("portable.too_large", maximum=MAX_ENTRIES)
    try:
        document = msgspec.convert(raw, DocumentIn)
    except msgspec.ValidationError as exc:
        raise AppError("portable.bad_document", problem=str(exc), detail=[{"field": "document"}]) from None
    stamps = [document.issued_at] + ([document.points.moved_out.at] if document.points.moved_out else [])
    if any(stamp.tzinfo is None for stamp in stamps):
        raise AppError("portable.bad_document", problem="times need a UTC offset", detail=[{"field": "document"}])
    return document


def _unique(entries: list[Any]) -> list[Any]:
    """One entry per id (the first), in id order so racing imports insert in the same order."""
    seen: dict[str, Any] = {}
    for entry in entries:
        seen.setdefault(entry.id, entry)
    return [seen[k] for k in sorted(seen)]


async def _claim_for(settings: Settings, user: User, document: DocumentIn) -> PortableClaim:
    if not document.claim_code:
        raise AppError("portable.claim_missing")
    claim = await PortableClaim.get_or_none(code_hash=_code_hash(settings, document.claim_code))
    if claim is None:
        raise NotFound("portable.claim_unknown")
    if claim.user_id != user.id:  # type: ignore[attr-defined]
        raise Forbidden("portable.claim_not_yours")
    if claim.used_at is not None:
        raise Conflict("portable.claim_used", at=claim.used_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"))
    if not claim.created_at - CLOCK_SKEW <= document.issued_at <= claim.expires_at:
        raise Conflict("portable.claim_expired")
    return claim


class _ClaimTaken(Exception):
    """Another request used the claim code first."""


async def import_record(settings: Settings, user: User, envelope: Any) -> Imported:
    """Import a trusted platform's signed record for `user`; the same record again adds nothing."""
    checked = check_record(settings, envelope)
    if checked.own:
        raise AppError("portable.own_record")
    if not checked.valid or checked.issuer is None:
        document = envelope.get("document") if isinstance(envelope, dict) else None
        named = document.get("issuer") if isinstance(document, dict) else None
        raise AppError(f"portable.{checked.reason}", issuer=str(named)[:200])
    issuer = checked.issuer
    raw = envelope["document"]
    document = _parse(raw)
    try:
        addressed_to_us = document.audience is not None and normalise_url(document.audience) == our_url(settings)
    except ValueError:
        addressed_to_us = False
    if not addressed_to_us:
        raise AppError("portable.wrong_audience", audience=str(document.audience)[:200])
    digest = hashlib.sha256(canonical(raw)).hexdigest()
    if done := await PortableImport.get_or_none(issuer=issuer.url, document_sha256=digest):
        return _replay(done, user, issuer)
    claim = await _claim_for(settings, user, document)
    moved = document.points.moved_out
    if moved is not None and not issuer.accepts_points:
        raise Conflict("portable.points_not_accepted", name=issuer.name_zh, name_en=issuer.name_en)
    wallet = await points.wallet_of(user)
    source = await ledger.open_account("points", "portable_import", f"issuer:{issuer.slug}", may_go_negative=True)
    try:
        record = await _import(user, issuer, claim, document, digest, wallet, source)
    except _ClaimTaken:
        if done := await PortableImport.get_or_none(issuer=issuer.url, document_sha256=digest):
            return _replay(done, user, issuer)
        raise Conflict("portable.claim_used", at="-") from None
    return Imported(record, issuer, replayed=False)


def _replay(done: PortableImport, user: User, issuer: TrustedIssuer) -> Imported:
    if done.user_id != user.id:  # type: ignore[attr-defined]
        raise Forbidden("portable.claim_not_yours")
    return Imported(done, issuer, replayed=True)


async def _import(
    user: User,
    issuer: TrustedIssuer,
    claim: PortableClaim,
    document: DocumentIn,
    digest: str,
    wallet: Any,
    source: Any,
) -> PortableImport:
    plantings: list[PlantingIn] = _unique(document.planting)
    retirements: list[RetirementIn] = _unique(document.retirements)
    moved = document.points.moved_out
    credit = credit_id(issuer.url, moved.transfer_id) if moved else None
    async with in_transaction():
        # Write first: the claim is taken by one conditional update; a racing copy waits, then finds none.
        if not await PortableClaim.filter(id=claim.id, used_at=None).update(used_at=_now()):
            raise _ClaimTaken
        values = {
            "public_id": new_public_id(),
            "user": user,
            "claim_id": claim.id,
            "issuer": issuer.url,
            "subject": document.subject,
            "document_sha256": digest,
            "issued_at": document.issued_at,
            "planting_listed": len(plantings),
            "retirements_listed": len(retirements),
            "moved_out_transfer_id": moved.transfer_id if moved else None,
            "moved_out_amount": moved.amount if moved else 0,
            "rate": issuer.rate_text if moved else "",
        }
        record = await _create_import(values, credit)
        if record.credit_transfer_id is not None and moved is not None:
            credited = issuer.credit_for(moved.amount)
            if credited > 0:
                reference = f"from:{issuer.slug}:{moved.transfer_id}"[:128]
                await ledger.transfer(record.credit_transfer_id, source, wallet, credited, IMPORTED_REASON, reference)
                record.points_credited = credited
        record.planting_new = await _store(record, user, issuer, "planting", plantings)
        record.retirements_new = await _store(record, user, issuer, "retirement", retirements)
        await record.save(update_fields=["points_credited", "planting_new", "retirements_new"])
        await audit.record(
            actor=audit.actor_of(user),
            action="portable.imported",
            entity_type="portable_import",
            entity_id=record.public_id,
            after={
                "issuer": issuer.url,
                "planting_new": record.planting_new,
                "retirements_new": record.retirements_new,
                "moved_out": record.moved_out_amount,
                "points_credited": record.points_credited,
            },
        )
        return record


async def _create_import(values: dict[str, Any], credit_id: UUID | None) -> PortableImport:
    """The import row, marked as the one that redeems the move-out unless another import already did.

    The marker is a unique column: a concurrent import naming the same move-out (another record of
    the same issuer) waits on it and then takes the unmarked path, so the points are credited once.
    """
    if credit_id is not None:
        try:
            async with in_transaction():  # a savepoint: the unique failure leaves the import going
                return await PortableImport.create(**values, credit_transfer_id=credit_id)
        except IntegrityError:
            if not await PortableImport.exists(credit_transfer_id=credit_id):
                raise
    return await PortableImport.create(**values)


async def _store(record: PortableImport, user: User, issuer: TrustedIssuer, kind: str, entries: list[Any]) -> int:
    """Store the entries not yet counted (whoever imported them); returns how many this import added."""
    rows = []
    for entry in entries:
        if kind == "planting":
            details = {"species": entry.species, "region": entry.region, "campaign": entry.campaign}
            if entry.approved_on:
                details["approved_on"] = entry.approved_on.isoformat()
            rows.append(
                ImportedEntry(
                    user=user,
                    portable_import=record,
                    issuer=issuer.url,
                    kind=kind,
                    entry_id=entry.id,
                    occurred_on=entry.planted_on,
                    trees=entry.trees,
                    details=details,
                )
            )
        else:
            details = {"serials": entry.serials, "purpose": entry.purpose, "certificate": entry.certificate}
            rows.append(
                ImportedEntry(
                    user=user,
                    portable_import=record,
                    issuer=issuer.url,
                    kind=kind,
                    entry_id=entry.id,
                    occurred_on=entry.retired_on,
                    kg=entry.kg,
                    details=details,
                )
            )
    if rows:
        await ImportedEntry.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return await ImportedEntry.filter(portable_import_id=record.id, kind=kind).count()


# ---- what a person sees ----


@dataclass
class Totals:
    plantings: int = 0
    trees: int = 0
    retirements: int = 0
    kg: int = 0
    points: int = 0


@dataclass
class Summary:
    """Achievements and points from other platforms: this Beijing-time year, all time, per issuer."""

    year: int
    this_year: Totals
    all_time: Totals
    by_issuer: dict[str, Totals] = field(default_factory=dict)
    imports: list[PortableImport] = field(default_factory=list)


def _add(totals: Totals, kind: str, trees: int, kg: int) -> None:
    if kind == "planting":
        totals.plantings += 1
        totals.trees += trees
    else:
        totals.retirements += 1
        totals.kg += kg


async def summary(user: User, year: int | None = None) -> Summary:
    year = year or datetime.now(BEIJING).year
    result = Summary(year=year, this_year=Totals(), all_time=Totals())
    by_issuer: dict[str, Totals] = defaultdict(Totals)
    entries = await ImportedEntry.filter(user_id=user.id).values_list("issuer", "kind", "occurred_on", "trees", "kg")
    for issuer, kind, occurred_on, trees, kg in entries:
        _add(result.all_time, kind, trees, kg)
        _add(by_issuer[issuer], kind, trees, kg)
        if isinstance(occurred_on, date) and occurred_on.year == year:
            _add(result.this_year, kind, trees, kg)
    result.imports = await PortableImport.filter(user_id=user.id).order_by("-created_at", "-id")
    for record in result.imports:
        result.all_time.points += record.points_credited
        by_issuer[record.issuer].points += record.points_credited
        if record.created_at.astimezone(BEIJING).year == year:
            result.this_year.points += record.points_credited
    result.by_issuer = dict(sorted(by_issuer.items()))
    return result


def issuer_named(settings: Settings, url: str) -> TrustedIssuer | None:
    return trust.trusted(settings).get(url)


# ---- personal data (PIPL): export and erasure ----


async def _export(user: User) -> dict[str, Any]:
    imports = await PortableImport.filter(user_id=user.id).order_by("created_at", "id")
    entries = await ImportedEntry.filter(user_id=user.id).order_by("occurred_on", "id")
    moves = await PortableMoveOut.filter(user_id=user.id).order_by("created_at")
    claims = await PortableClaim.filter(user_id=user.id).order_by("created_at", "id")
    return {
        "imports": [
            {
                "id": r.public_id,
                "issuer": r.issuer,
                "subject": r.subject,
                "issued_at": r.issued_at.isoformat(),
                "imported_at": r.created_at.isoformat(),
                "planting_new": r.planting_new,
                "retirements_new": r.retirements_new,
                "moved_out_amount": r.moved_out_amount,
                "points_credited": r.points_credited,
            }
            for r in imports
        ],
        "imported_entries": [
            {
                "issuer": e.issuer,
                "kind": e.kind,
                "id": e.entry_id,
                "date": e.occurred_on.isoformat(),
                "trees": e.trees,
                "kg": e.kg,
                "details": e.details,
            }
            for e in entries
        ],
        "moved_out": [
            {"id": str(m.id), "audience": m.audience, "amount": m.amount, "at": m.created_at.isoformat()} for m in moves
        ],
        "claim_codes": [
            {
                "created_at": c.created_at.isoformat(),
                "expires_at": c.expires_at.isoformat(),
                "used_at": c.used_at.isoformat() if c.used_at else None,
            }
            for c in claims
        ],
    }


async def _erase(user: User) -> None:
    """Imported achievements go; imports keep their counts (and ledger links) without the foreign id."""
    await ImportedEntry.filter(user_id=user.id).delete()
    await PortableClaim.filter(user_id=user.id, used_at=None).delete()
    await PortableImport.filter(user_id=user.id).update(subject="")
    await PortableMoveOut.filter(user_id=user.id).update(claim_code="")


privacy.register_exporter("portable", _export)
privacy.register_eraser("portable", _erase)


register_messages(
    {
        "portable.too_many_claims": {
            "zh": "您已有 {maximum} 个未使用的领取码，请先使用或等它们过期",
            "en": "You already have {maximum} unused claim codes; use them or let them expire first",
        },
        "portable.too_large": {
            "zh": "记录太大：每类条目最多 {maximum} 条",
            "en": "The record is too large: at most {maximum} entries of each kind",
        },
        "portable.bad_document": {
            "zh": "记录内容不符合格式说明：{problem}",
            "en": "The record does not follow the schema: {problem}",
        },
        "portable.own_record": {
            "zh": "这是本平台签发的记录，无需导入",
            "en": "This record was issued by this platform; there is nothing to import",
        },
        "portable.unknown_issuer": {
            "zh": "签发平台 {issuer} 不在本平台信任的平台名单中，不能导入",
            "en": "The issuer {issuer} is not a platform we trust, so its record cannot be imported",
        },
        "portable.unknown_issuer_key": {
            "zh": "签名密钥不是签发平台公布的密钥",
            "en": "The record is signed with a key its issuer has not published",
        },
        "portable.wrong_audience": {
            "zh": "这份记录是导出给 {audience} 的，不是给本平台的：导出时请填写本平台地址和领取码",
            "en": "This record was exported for {audience}, not for this platform: "
            "give our address and your claim code when exporting",
        },
        "portable.claim_missing": {
            "zh": "记录中没有领取码：请先在本平台获取领取码，导出时填写",
            "en": "The record carries no claim code: get one here first and give it when exporting",
        },
        "portable.claim_unknown": {
            "zh": "记录中的领取码不是本平台发出的",
            "en": "The record's claim code was not issued by this platform",
        },
        "portable.claim_not_yours": {
            "zh": "记录中的领取码属于另一个账号，只有它的主人可以导入",
            "en": "The record's claim code belongs to another account; only its owner can import it",
        },
        "portable.claim_used": {
            "zh": "这个领取码已于 {at}（北京时间）用于另一份记录；导入新的记录请获取新的领取码",
            "en": "This claim code was already used for another record at {at} (Beijing time); "
            "get a new claim code to import a newer record",
        },
        "portable.claim_expired": {
            "zh": "记录的签发时间不在领取码的有效期内（领取后 3 天）：请获取新的领取码重新导出",
            "en": "The record was not signed while its claim code was valid (3 days from issue): "
            "get a new code and export again",
        },
        "portable.points_not_accepted": {
            "zh": "本平台与{name}没有积分互认协议，不能接收从那里转出的积分；请联系{name}退回积分",
            "en": "There is no points agreement with {name_en}, so points moved out there cannot be credited here; "
            "ask {name_en} to return them",
        },
        "points.reason.portable.imported": {"zh": "从其他平台转入积分", "en": "Points moved in from another platform"},
    }
)
