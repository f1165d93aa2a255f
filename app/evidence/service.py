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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from app.accounts import service as accounts
from app.core.errors import Conflict
from app.evidence.images import Limits, Processed, hamming, process, to_signed64, to_unsigned64
from app.settings import Settings
from app.storage import InvalidKey, Storage, check_key, key_of
from models.accounts import User
from models.evidence import Photo

ORPHAN_GRACE_S = 3600


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
    near = []
    for other in await Photo.filter(scope=scope).exclude(subject=subject).using_db(connection).order_by("id"):
        bits = hamming(dhash, to_unsigned64(other.dhash))
        if bits <= near_duplicate_bits:
            near.append(
                {
                    "code": "near_duplicate",
                    "photo": other.public_id,
                    "subject": other.subject,
                    "other": _id_of(other.subject),
                    "bits": bits,
                }
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
