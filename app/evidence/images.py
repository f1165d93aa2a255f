"""Reading an uploaded photo: what it is (by its bytes), where and when it was taken (EXIF), a clean copy
to serve (orientation applied, every metadata block gone), a thumbnail and a perceptual hash.

Pure functions on bytes, no database: the service (app/evidence/service.py) decides what to keep.
Heavy work (decoding a 12-megapixel photo takes ~100 ms) runs in a thread from the service.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from app.core.errors import AppError
from app.core.i18n import BEIJING
from app.evidence import messages as _messages  # noqa: F401  (registers the texts)

# Decided by content: Pillow tries only these decoders, whatever the client called the file.
ACCEPTED = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp"}
SERVED_MAX_SIDE = 2048  # px, long side of the image we serve: detail enough to judge a stand
THUMB_MAX_SIDE = 320  # px, a card on a 390 px wide phone at 2x is ~2 x 160
SERVED_QUALITY = 85
THUMB_QUALITY = 80
SERVED_MEDIA_TYPE = "image/jpeg"


class PhotoTooLarge(AppError):
    status_code = 413


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class Processed:
    """Everything kept from one upload; the original bytes themselves are not kept."""

    format: str  # jpeg | png | webp, what the bytes were
    width: int  # of the served image, orientation applied
    height: int
    original_bytes: int
    served: bytes  # JPEG, no EXIF/XMP/ICC/comments
    thumbnail: bytes
    dhash: int  # 64-bit difference hash, unsigned
    gps: tuple[float, float] | None  # (lat, lon) decimal degrees, WGS84 as phones record it
    taken_at: datetime | None


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n % (1024 * 1024) == 0 else f"{n} B"


def check_size(n: int, limits: Limits) -> None:
    if n > limits.max_bytes:
        raise too_large(limits.max_bytes, n)


def too_large(limit: int, size: int | None = None) -> PhotoTooLarge:
    return PhotoTooLarge(
        "evidence.too_large", limit=_mb(limit), detail=[{"field": "photo", "limit_bytes": limit, "bytes": size}]
    )


def _open(data: bytes, limits: Limits) -> tuple[Image.Image, str]:
    """Identify by content, check the pixel count from the header before decoding anything."""
    if not data:
        raise AppError("evidence.empty", detail=[{"field": "photo"}])
    check_size(len(data), limits)
    try:
        img = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
    except Image.DecompressionBombError:
        # Over twice Pillow's MAX_IMAGE_PIXELS: refused from the header, before any decoding.
        raise _too_many_pixels(None, None, limits) from None
    except (UnidentifiedImageError, OSError):
        raise AppError("evidence.not_an_image", accepted="JPEG, PNG, WebP", detail=[{"field": "photo"}]) from None
    width, height = img.size
    if width * height > limits.max_pixels:
        raise _too_many_pixels(width, height, limits)
    return img, ACCEPTED[img.format or ""]


def _too_many_pixels(width: int | None, height: int | None, limits: Limits) -> PhotoTooLarge:
    if width is not None and height is not None:
        shown = f"{width * height / 1e6:.1f}"
    else:  # Pillow refused the header itself: more than twice its MAX_IMAGE_PIXELS
        shown = f"> {2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f}"
    return PhotoTooLarge(
        "evidence.too_many_pixels",
        megapixels=shown,
        limit=f"{limits.max_pixels / 1e6:g}",
        detail=[{"field": "photo", "width": width, "height": height, "limit_pixels": limits.max_pixels}],
    )


def _degrees(value: object, ref: object, positive: str) -> float | None:
    try:
        d, m, s = (float(x) for x in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(x) and x >= 0 for x in (d, m, s)):
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return degrees if str(ref or positive).strip().upper()[:1] == positive else -degrees


def read_gps(exif: Image.Exif) -> tuple[float, float] | None:
    """EXIF GPSLatitude/Longitude (degrees, minutes, seconds as rationals) → decimal degrees.

    Phones write WGS84 (GPSMapDatum, when present, says so); GCJ-02 is what Chinese map SDKs and
    `wx.getLocation({type: "gcj02"})` return, never what a camera stores, so nothing is converted.
    """
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if not gps:
        return None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lat, 7), round(lon, 7)


def read_taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal with OffsetTimeOriginal when the phone wrote one; without an offset the clock
    is taken as Beijing time (a phone's local time, and our users are in China)."""
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    raw = ifd.get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(raw, str):
        return None
    try:
        local = datetime.strptime(raw.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(ExifTags.Base.OffsetTimeOriginal)
    tz: tzinfo = BEIJING
    if isinstance(offset, str) and len(offset.strip("\x00")) == 6 and offset[0] in "+-":
        try:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        except ValueError:
            pass
    return local.replace(tzinfo=tz).astimezone(UTC)


def dhash(img: Image.Image) -> int:
    """64-bit difference hash (Krawetz): grey 9x8, one bit per pixel brighter than its right neighbour.

    Resizing and recompressing move few bits; a different scene moves about half of them. Written here
    rather than taken from `imagehash`, which needs numpy, scipy and PyWavelets for this one function.
    """
    small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    px = small.tobytes()  # one byte per pixel in mode L, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return bits


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def _clean_rgb(img: Image.Image) -> Image.Image:
    """Pixels only, upright: a new image that carries none of the original's info (EXIF, XMP, ICC, text)."""
    upright = ImageOps.exif_transpose(img) or img
    if upright.mode in ("RGBA", "LA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    rgb = upright.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _jpeg(img: Image.Image, max_side: int, quality: int) -> tuple[bytes, tuple[int, int]]:
    copy = img.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue(), copy.size


def process(data: bytes, limits: Limits) -> Processed:
    """Check, read and re-encode one upload, or raise an AppError naming the limit it broke."""
    img, fmt = _open(data, limits)
    try:
        img.seek(0)  # an animated PNG / WebP: its first frame
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        raise AppError("evidence.not_an_image", accepted="JPEG, PNG, WebP", detail=[{"field": "photo"}]) from None
    exif = img.getexif()
    gps, taken_at = read_gps(exif), read_taken_at(exif)
    clean = _clean_rgb(img)
    served, size = _jpeg(clean, SERVED_MAX_SIDE, SERVED_QUALITY)
    thumbnail, _ = _jpeg(clean, THUMB_MAX_SIDE, THUMB_QUALITY)
    return Processed(
        format=fmt,
        width=size[0],
        height=size[1],
        original_bytes=len(data),
        served=served,
        thumbnail=thumbnail,
        dhash=dhash(clean),
        gps=gps,
        taken_at=taken_at,
    )


def to_signed64(value: int) -> int:
    """A 64-bit hash as the signed BIGINT both databases store."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
