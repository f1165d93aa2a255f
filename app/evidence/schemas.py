"""What the API says about an evidence photo (to its owner and the reviewer; pages show less)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.core.i18n import t
from app.evidence.images import to_unsigned64
from app.evidence.service import file_url
from models.evidence import Photo


class PhotoFlagOut(msgspec.Struct):
    code: str  # near_duplicate | far_from_subject
    message: str
    photo: str | None = None  # near_duplicate: the similar photo
    other: str | None = None  # near_duplicate: the public id of what that photo is evidence for
    bits: int | None = None  # near_duplicate: dHash Hamming distance
    distance_m: int | None = None  # far_from_subject


class GpsOut(msgspec.Struct):
    lat: float
    lon: float


class PhotoOut(msgspec.Struct):
    id: str
    url: str  # the clean image (JPEG, no metadata)
    thumbnail_url: str
    format: str  # what was uploaded: jpeg | png | webp
    width: int
    height: int
    original_bytes: int
    sha256: str  # of the uploaded bytes
    dhash: str  # 16 hex digits
    taken_at: datetime | None
    gps: GpsOut | None  # from EXIF, WGS84; only for the owner and the reviewer
    distance_m: int | None
    flags: list[PhotoFlagOut]
    created_at: datetime


def flag_out(flag: dict, lang: str) -> PhotoFlagOut:  # type: ignore[type-arg]
    code = str(flag.get("code"))
    params = {k: v for k, v in flag.items() if k != "code"}
    return PhotoFlagOut(
        code=code,
        message=t(f"evidence.flag.{code}", lang, **params),
        photo=flag.get("photo"),
        other=flag.get("other"),
        bits=flag.get("bits"),
        distance_m=flag.get("distance_m"),
    )


def photo_out(photo: Photo, lang: str) -> PhotoOut:
    gps = None
    if photo.gps_lat is not None and photo.gps_lon is not None:
        gps = GpsOut(photo.gps_lat, photo.gps_lon)
    return PhotoOut(
        id=photo.public_id,
        url=file_url(photo.content_key),
        thumbnail_url=file_url(photo.thumb_key),
        format=photo.format,
        width=photo.width,
        height=photo.height,
        original_bytes=photo.original_bytes,
        sha256=photo.sha256,
        dhash=f"{to_unsigned64(photo.dhash):016x}",
        taken_at=photo.taken_at,
        gps=gps,
        distance_m=photo.distance_m,
        flags=[flag_out(f, lang) for f in photo.flags or []],
        created_at=photo.created_at,
    )
