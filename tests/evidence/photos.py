"""Photos built in the test with Pillow: scenes that differ, EXIF written through Image.Exif."""

from __future__ import annotations

import io
import random

from PIL import ExifTags, Image, ImageDraw


def scene(seed: int, size: tuple[int, int] = (1200, 900)) -> Image.Image:
    """A landscape-ish picture: a sky-to-ground gradient and a few large shapes placed by `seed`."""
    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(h):
        shade = int(60 + 160 * y / h)
        draw.line([(0, y), (w, y)], fill=(shade // 2, shade, 255 - shade))
    for _ in range(6):
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        x1, y1 = x0 + rnd.randrange(w // 8, w // 2), y0 + rnd.randrange(h // 8, h // 2)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=colour)
    return img


def dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = round((value - d - m / 60) * 3600, 4)
    return (float(d), float(m), s)


def exif_for(
    lat: float | None = None,
    lon: float | None = None,
    taken: str | None = "2026:04:12 09:30:00",
    offset: str | None = "+08:00",
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Model] = "Secret Model 9"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if lat is not None and lon is not None:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: dms(lon),
            ExifTags.GPS.GPSMapDatum: "WGS-84",
        }
    sub = {}
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if sub:
        exif[ExifTags.IFD.Exif] = sub
    return exif


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'


def encode(img: Image.Image, fmt: str = "JPEG", exif: Image.Exif | None = None, **kw: object) -> bytes:
    out = io.BytesIO()
    if exif is not None:
        kw["exif"] = exif.tobytes()
    img.save(out, fmt, **kw)
    return out.getvalue()


def phone_jpeg(seed: int = 1, lat: float | None = 30.5521, lon: float | None = 104.3012, **kw: object) -> bytes:
    """A JPEG as a phone writes one: GPS, capture time, camera model, an ICC profile, XMP, a comment."""
    return encode(
        scene(seed),
        "JPEG",
        exif_for(lat, lon, **kw),  # type: ignore[arg-type]
        quality=92,
        icc_profile=b"ICC-PROFILE-SECRET" * 8,
        xmp=XMP,
        comment=b"SECRET-COMMENT",
    )


def metadata_free(data: bytes) -> bool:
    """No EXIF, GPS, XMP, ICC or comment anywhere in the bytes, and Pillow reads none back."""
    img = Image.open(io.BytesIO(data))
    markers = (b"Exif", b"TestPhone", b"Secret Model", b"ICC-PROFILE", b"ICC_PROFILE", b"xmpmeta", b"SECRET-COMMENT")
    return (
        not any(m in data for m in markers)
        and not img.getexif()
        and not {"exif", "icc_profile", "xmp", "comment"} & set(img.info)
    )
