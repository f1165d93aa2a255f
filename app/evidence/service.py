"""Evidence photos, for any domain that needs them (registry parcels now, planting logs next).

The order of an upload, and why nothing is left half-written:

1. `prepare` checks and reads the bytes (type by content, size, pixels; EXIF GPS and time; a clean
   JPEG and a thumbnail; the dHash) — in a thread, before anything is written.
2. `store` puts the two clean files in the storage under their content keys. Files first: a storage
   write cannot join a database transaction.
3. The caller opens its transaction, locks what it must (e.g. the parcel's project), checks its own
   rules, and calls `attach`, which refuses an exact duplicate in the scope, flags near-duplicates and
   writes the row; the caller audits in the same transaction.
4. If that transaction fails, the caller calls `discard` on the keys: files no row refers to are
   removed at once. A file a crash left behind is harmless: it is served only while a row refers to
   its key, and `sweep_unreferenced` (housekeeping) removes it after an hour's grace (the grace keeps
   it off files whose upload is still between steps 2 and 3).
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from app.accounts import service as accounts
from app.core.errors import Conflict
from app.evidence.images import Limits, Processed, process, to_signed64, to_unsigned64
from app.settings import Settings
from app.storage import InvalidKey, Storage, check_key, key_of
from models.accounts import User
from models.evidence import Photo

ORPHAN_GRACE_S = 3600
_MASK64 = (1 << 64) - 1


def limits(settings: Settings) -> Limits:
    return Limits(max_bytes=settings.photo_max_bytes, max_pixels=settings.photo_max_pixels)


@dataclass(frozen=True)
class Prepared:
    processed: Processed
    sha256: str


@dataclass(frozen=True)
class Stored:
    content_key: str
    thumb_key: str

    @property
    def keys(self) -> tuple[str, str]:
        return self.content_key, self.thumb_key


async def prepare(settings: Settings, data: bytes) -> Prepared:
    """Check and read an upload; AppError (400 / 413) naming the limit if it is not an acceptable photo."""
    processed = await asyncio.to_thread(process, data, limits(settings))
    return Prepared(processed, key_of(data))


async def store(storage: Storage, prepared: Prepared) -> Stored:
    p = prepared.processed
    return Stored(content_key=await storage.put(p.served), thumb_key=await storage.put(p.thumbnail))


def _id_of(subject: str) -> str:
    return subject.split(":", 1)[-1]


# At most this many near_duplicate flags per upload: the nearest (ties: the older photo), listed oldest
# first like the rest. A reviewer judges a handful; a campaign's 100,000th look-alike of a common scene
# would otherwise write thousands of flags into one row.
NEAR_DUPLICATE_CAP = 20

# PostgreSQL: XOR of the two signed BIGINTs is the XOR of their 64-bit patterns, and the cast to bit(64)
# keeps the two's-complement bits, so bit_count gives the Hamming distance whatever the sign bit. The
# scope index (evidence_photo scope) narrows the scan to the scope; only matches come back.
_NEAR_SQL = (
    "SELECT id, public_id, subject, bits FROM ("
    'SELECT id, public_id, subject, bit_count((dhash # $1::bigint)::bit(64))::int AS bits FROM "evidence_photo" '
    "WHERE scope = $2 AND subject <> $3"
    ") AS near WHERE bits <= $4 ORDER BY bits, id LIMIT $5"
)


def _flag(public_id: str, subject: str, bits: int) -> dict[str, Any]:
    return {"code": "near_duplicate", "photo": public_id, "subject": subject, "other": _id_of(subject), "bits": bits}


async def near_duplicates(
    dhash: int, *, scope: str, subject: str, max_bits: int, connection: Any, cap: int = NEAR_DUPLICATE_CAP
) -> list[dict[str, Any]]:
    """`near_duplicate` flags for the photos of other subjects in the scope whose dHash is within
    `max_bits` of `dhash` (unsigned 64-bit): the `cap` nearest, ties to the older photo, listed oldest
    first. PostgreSQL computes the distance in SQL; SQLite reads the scope's hashes (three columns, not
    rows as objects) and counts in Python — the same answer either way (tests/evidence/test_near_duplicates.py)."""
    if connection.capabilities.dialect == "postgres":
        found = await _nearest_in_sql(dhash, scope, subject, max_bits, cap, connection)
    else:
        found = await _nearest_in_python(dhash, scope, subject, max_bits, cap, connection)
    return [_flag(public_id, other, bits) for _, public_id, other, bits in sorted(found)]


async def _nearest_in_sql(
    dhash: int, scope: str, subject: str, max_bits: int, cap: int, connection: Any
) -> list[tuple[int, str, str, int]]:
    rows = await connection.execute_query_dict(_NEAR_SQL, [to_signed64(dhash), scope, subject, max_bits, cap])
    return [(int(r["id"]), str(r["public_id"]), str(r["subject"]), int(r["bits"])) for r in rows]


async def _nearest_in_python(
    dhash: int, scope: str, subject: str, max_bits: int, cap: int, connection: Any
) -> list[tuple[int, str, str, int]]:
    rows = (
        await Photo.filter(scope=scope)
        .exclude(subject=subject)
        .using_db(connection)
        .values_list("id", "public_id", "subject", "dhash")
    )
    signed = to_signed64(dhash)
    found = []
    for pk, public_id, other, stored in rows:  # type: ignore[misc]
        bits = ((signed ^ stored) & _MASK64).bit_count()
        if bits <= max_bits:
            found.append((bits, pk, public_id, other))
    return [(pk, public_id, other, bits) for bits, pk, public_id, other in heapq.nsmallest(cap, found)]


async def attach(
    prepared: Prepared,
    stored: Stored,
    *,
    scope: str,
    subject: str,
    uploaded_by: User,
    near_duplicate_bits: int,
    distance_m: int | None,
    flags: list[dict[str, Any]],
    connection: Any,
) -> Photo:
    """Inside the caller's transaction: refuse the same bytes already in the scope (409 naming where),
    flag photos of other subjects in the scope within `near_duplicate_bits` of this one's dHash, write
    the row. Two racing uploads of the same bytes meet the unique (scope, sha256) index."""
    same = await Photo.filter(scope=scope, sha256=prepared.sha256).using_db(connection).first()
    if same is not None:
        if same.subject == subject:
            raise Conflict("evidence.duplicate_here", photo=same.public_id, detail=[{"photo": same.public_id}])
        raise Conflict(
            "evidence.duplicate_elsewhere",
            other=_id_of(same.subject),
            detail=[{"subject": same.subject, "other": _id_of(same.subject), "photo": same.public_id}],
        )
    dhash = prepared.processed.dhash
    near = await near_duplicates(
        dhash, scope=scope, subject=subject, max_bits=near_duplicate_bits, connection=connection
    )
    p = prepared.processed
    return await Photo.create(
        public_id=accounts.new_public_id(),
        scope=scope,
        subject=subject,
        uploaded_by=uploaded_by,
        sha256=prepared.sha256,
        dhash=to_signed64(dhash),
        format=p.format,
        original_bytes=p.original_bytes,
        content_key=stored.content_key,
        thumb_key=stored.thumb_key,
        width=p.width,
        height=p.height,
        gps_lat=p.gps[0] if p.gps else None,
        gps_lon=p.gps[1] if p.gps else None,
        taken_at=p.taken_at,
        distance_m=distance_m,
        flags=[*near, *flags],
        using_db=connection,
    )


def audit_view(photo: Photo) -> dict[str, Any]:
    """What the public audit chain says about a photo: hashes and sizes, never the GPS position."""
    return {
        "photo": photo.public_id,
        "sha256": photo.sha256,
        "dhash": f"{to_unsigned64(photo.dhash):016x}",
        "format": photo.format,
        "original_bytes": photo.original_bytes,
        "flags": sorted({f["code"] for f in photo.flags or []}),
    }


async def photos_of(subjects: Iterable[str]) -> dict[str, list[Photo]]:
    out: dict[str, list[Photo]] = {}
    wanted = list(subjects)
    if not wanted:
        return out
    for photo in await Photo.filter(subject__in=wanted).order_by("id"):
        out.setdefault(photo.subject, []).append(photo)
    return out


async def count_of(subject: str, connection: Any = None) -> int:
    query = Photo.filter(subject=subject)
    if connection is not None:
        query = query.using_db(connection)
    return await query.count()


async def photo_of(subject: str, public_id: str, connection: Any = None) -> Photo | None:
    query = Photo.filter(subject=subject, public_id=public_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def referenced(keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    if not wanted:
        return set()
    rows = await Photo.filter(Q(content_key__in=wanted) | Q(thumb_key__in=wanted)).values_list(
        "content_key", "thumb_key"
    )
    return {k for row in rows for k in row} & set(wanted)  # type: ignore[union-attr]


async def discard(storage: Storage, keys: Iterable[str]) -> None:
    """Remove the files of these keys that no photo row refers to (after a failed upload or a delete)."""
    keys = list(keys)
    for key in set(keys) - await referenced(keys):
        await storage.delete(key)


async def sweep_unreferenced(storage: Storage, grace_s: float = ORPHAN_GRACE_S) -> int:
    """Housekeeping: files older than the grace period that no row refers to. Harmless to repeat."""
    old = await storage.older_than(grace_s)
    removed = 0
    for start in range(0, len(old), 500):
        batch = old[start : start + 500]
        for key in set(batch) - await referenced(batch):
            await storage.delete(key)
            removed += 1
    return removed


async def is_served(key: str) -> bool:
    """A served image or thumbnail is fetched only while a photo row refers to its key."""
    try:
        check_key(key)
    except InvalidKey:
        return False
    return bool(await referenced([key]))


def file_url(key: str) -> str:
    return f"/evidence/files/{key}"
