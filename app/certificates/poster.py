"""The shareable certificate poster: 1080×1440 PNG (or the same page as a PDF) drawn with Pillow and
Debian's Noto Sans CJK SC (STACK.md §8: in the .ttc, index 2 is Simplified Chinese).

Pure drawing, no database: `render` takes the words (`PosterText`) and the QR modules and returns
bytes; it is CPU work and runs in a thread (app.certificates.service.poster). The PDF is Pillow's
PDF writer around the same image: ReportLab cannot load Noto CJK (STACK.md trap 8), and a raster page
shows exactly the glyphs the PNG shows, with no second font path to get wrong.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from app.core.errors import AppError

LAYOUT_VERSION = 2  # bump when the drawing changes, so cached posters are drawn again
WIDTH, HEIGHT = 1080, 1440
MARGIN = 64
SC_INDEX = 2  # Noto Sans CJK .ttc: 0 JP, 1 KR, 2 SC, 3 TC
DEBIAN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
)
GREEN, GREEN_LIGHT, INK, MUTED, LINE, RED = "#1f6f43", "#e8f3ec", "#1d2320", "#5b6660", "#d9e2dc", "#a3271b"


@dataclass(frozen=True)
class PosterText:
    """Every word on the poster: the only certificate data that reaches the drawing."""

    brand: str
    title: str
    beneficiary_label: str
    beneficiary: str
    retired_label: str
    quantity: str
    unit: str
    purpose: str
    from_label: str
    projects: list[str]
    places: list[str]
    date_label: str
    date: str
    code_label: str
    code: str
    scan: str
    url: str
    reversal: str


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


@lru_cache(maxsize=1)
def _fc_match() -> str | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    # fc-match always answers with some font; only a Noto CJK collection has the SC face at index 2.
    return found if "NotoSansCJK" in os.path.basename(found) and found.endswith(".ttc") else None


def find_font() -> Fonts | None:
    """Debian's fonts-noto-cjk (regular and bold), or None when it is not installed (`make deps`)."""
    regular, bold = DEBIAN_FONTS
    if os.path.exists(regular):
        return Fonts(regular, bold if os.path.exists(bold) else regular)
    found = _fc_match()
    if found is None:
        return None
    bold_guess = found.replace("Regular", "Bold")
    return Fonts(found, bold_guess if os.path.exists(bold_guess) else found)


def font_identity() -> str:
    """Which font files draw the text (part of a poster's cache key)."""
    fonts = find_font()
    if fonts is None:
        return ""
    return "|".join(f"{p}:{os.path.getsize(p)}" for p in (fonts.regular, fonts.bold))


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=SC_INDEX)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy wrap that breaks anywhere in CJK and at spaces in Latin text; the last line gets … if cut."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if font.getlength(current + ch) <= width:
            current += ch
            continue
        cut = current.rfind(" ")
        if ch != " " and cut > len(current) // 2:  # a Latin word: carry it to the next line whole
            lines.append(current[:cut])
            current = current[cut + 1 :] + ch
        else:
            lines.append(current)
            current = ch.lstrip()
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def qr_image(matrix: Sequence[Sequence[bool]], module_px: int) -> Image.Image:
    """The QR modules drawn square and crisp (no resampling), margin included in the matrix."""
    size = len(matrix)
    image = Image.new("1", (size, size), 1)
    pixels = image.load()
    assert pixels is not None
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                pixels[x, y] = 0
    return image.resize((size * module_px, size * module_px), Image.Resampling.NEAREST).convert("L")


def _with_subscripts(d: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont,
                     small: ImageFont.FreeTypeFont, fill: str) -> None:  # fmt: skip
    """Noto Sans CJK has no subscript digits (₂ draws as a box): draw them as small, lowered digits."""
    x, y = xy
    for ch in text:
        if "₀" <= ch <= "₉":
            digit = str(ord(ch) - ord("₀"))
            d.text((x, y + font.size * 0.45), digit, font=small, fill=fill)
            x += small.getlength(digit)
        else:
            d.text((x, y), ch, font=font, fill=fill)
            x += font.getlength(ch)


def draw(text: PosterText, matrix: Sequence[Sequence[bool]], fonts: Fonts) -> Image.Image:
    """The layout: header band, the person and the quantity, where it comes from, then date, code and QR.

    Every free-text line is cut to one line with … so nothing can run into the QR block below.
    """
    image = Image.new("RGB", (WIDTH, HEIGHT), "#fafcfb")
    d = ImageDraw.Draw(image)
    regular = lambda size: _font(fonts.regular, size)  # noqa: E731
    bold = lambda size: _font(fonts.bold, size)  # noqa: E731
    inner = WIDTH - 2 * MARGIN

    def line(y: int, words: str, font: ImageFont.FreeTypeFont, fill: str) -> None:
        d.text((MARGIN, y), _wrap(words, font, inner, 1)[0] if words else "", font=font, fill=fill)

    d.rectangle((0, 0, WIDTH, 230), fill=GREEN)
    d.text((MARGIN, 50), text.brand, font=regular(34), fill=GREEN_LIGHT)
    d.text((MARGIN, 100), text.title, font=bold(76), fill="#ffffff")

    line(270, text.beneficiary_label, regular(32), MUTED)
    line(316, text.beneficiary, bold(60), INK)
    line(406, text.retired_label, regular(32), MUTED)
    unit_width = regular(44).getlength(text.unit) + 20
    size = next((s for s in (132, 112, 96, 80) if bold(s).getlength(text.quantity) + unit_width <= inner), 72)
    big = bold(size)
    d.text((MARGIN, 440 + (132 - size) // 2), text.quantity, font=big, fill=GREEN)
    _with_subscripts(d, (MARGIN + big.getlength(text.quantity) + 20, 520), text.unit, regular(44), regular(30), GREEN)
    line(618, text.purpose, regular(38), INK)
    d.line((MARGIN, 690, WIDTH - MARGIN, 690), fill=LINE, width=2)
    line(712, text.from_label, regular(32), MUTED)
    line(758, "、".join(text.projects), bold(44), INK)
    line(818, "、".join(text.places), regular(34), MUTED)
    if text.reversal:
        line(876, text.reversal, regular(30), RED)

    # Bottom: date, code and address on the left; the QR code on the right, always at the same place.
    modules = len(matrix)
    qr = qr_image(matrix, max(330 // modules, 1))
    qr_top = HEIGHT - qr.height - 100
    qr_left = WIDTH - MARGIN - qr.width
    d.rounded_rectangle(
        (qr_left - 12, qr_top - 12, qr_left + qr.width + 12, qr_top + qr.height + 12), radius=16, fill="#ffffff",
        outline=LINE, width=2,
    )  # fmt: skip
    image.paste(qr, (qr_left, qr_top))
    scan_font = regular(30)
    d.text(
        (qr_left + (qr.width - scan_font.getlength(text.scan)) / 2, qr_top + qr.height + 24),
        text.scan,
        font=scan_font,
        fill=MUTED,
    )
    left = qr_left - MARGIN - 40
    d.text((MARGIN, qr_top), text.date_label, font=regular(30), fill=MUTED)
    d.text((MARGIN, qr_top + 42), text.date, font=bold(42), fill=INK)
    d.text((MARGIN, qr_top + 124), text.code_label, font=regular(30), fill=MUTED)
    d.text((MARGIN, qr_top + 166), _wrap(text.code, bold(40), left, 1)[0], font=bold(40), fill=INK)
    url_font = regular(24)
    for i, url_line in enumerate(_wrap(text.url, url_font, left, 3)):
        d.text((MARGIN, qr_top + 240 + 32 * i), url_line, font=url_font, fill=MUTED)
    return image


def render(text: PosterText, matrix: Sequence[Sequence[bool]], fmt: str, fonts: Fonts) -> bytes:
    """PNG (the share poster) or PDF (the same page, printable)."""
    image = draw(text, matrix, fonts)
    out = io.BytesIO()
    if fmt == "pdf":
        # The page is one JPEG: quality 90 without chroma subsampling keeps the small coloured text sharp.
        image.save(
            out, format="PDF", resolution=144.0, quality=90, subsampling=0, title=f"{text.title} {text.code}",
            author="MicroSink 微碳汇",
        )  # fmt: skip
    else:
        image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def encode(image: Image.Image, fmt: str = "png", title: str = "") -> bytes:
    """A drawn QR poster as PNG, or as a one-page PDF of the same raster (ReportLab cannot load Noto CJK);
    quality 90 without chroma subsampling keeps the small coloured text sharp."""
    out = io.BytesIO()
    if fmt == "pdf":
        image.save(out, format="PDF", resolution=144.0, quality=90, subsampling=0, title=title)
    else:
        image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


async def rendered(draw_with: Callable[[Fonts], Image.Image], fmt: str = "png", title: str = "") -> bytes:
    """Draw and encode a poster in a thread (CPU work); without the CJK fonts installed the answer is a
    clear 503 rather than a poster in boxes."""
    fonts = find_font()
    if fonts is None:
        raise AppError("certificates.font_missing", status_code=503)
    return await asyncio.to_thread(lambda: encode(draw_with(fonts), fmt, title))


def qr_footer(
    image: Image.Image,
    matrix: Sequence[Sequence[bool]],
    fonts: Fonts,
    *,
    top: int,
    size: int,
    scan: str,
    url: str,
    code: str | None = None,
    gap: int = 36,
) -> None:
    """How the share posters end (campaign, planting certificate, scenic spot, event): the QR about `size`
    pixels wide, centred in a white card at `top`; the line asking to scan it `gap` below; an optional code;
    then the URL it opens, centred, two lines at most."""
    d = ImageDraw.Draw(image)
    qr = qr_image(matrix, max(size // len(matrix), 1))
    left = (WIDTH - qr.width) // 2
    d.rounded_rectangle(
        (left - 16, top - 16, left + qr.width + 16, top + qr.height + 16), radius=20, fill="#ffffff",
        outline=LINE, width=2,
    )  # fmt: skip
    image.paste(qr, (left, top))
    below = top + qr.height + gap
    scan_font = _font(fonts.regular, 36)
    d.text(((WIDTH - scan_font.getlength(scan)) / 2, below), scan, font=scan_font, fill=MUTED)
    url_top = below + 56
    if code is not None:
        code_font = _font(fonts.bold, 40)
        d.text(((WIDTH - code_font.getlength(code)) / 2, below + 56), code, font=code_font, fill=INK)
        url_top = below + 120
    url_font = _font(fonts.regular, 26)
    for i, line in enumerate(_wrap(url, url_font, WIDTH - 2 * MARGIN, 2)):
        d.text(((WIDTH - url_font.getlength(line)) / 2, url_top + 34 * i), line, font=url_font, fill=MUTED)


def place_poster(
    fonts: Fonts,
    matrix: Sequence[Sequence[bool]],
    *,
    brand: str,
    headline: str,
    name: str,
    place: str,
    line: str,
    line_size: int,
    scan: str,
    url: str,
    code: str,
) -> Image.Image:
    """The poster a place prints for people to scan (a scenic spot, an event): a header band with the brand
    and the headline, the name, where it is, one or two green lines, then a large QR with its code and URL."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "#fafcfb")
    d = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN
    regular, bold = (lambda size: _font(fonts.regular, size)), (lambda size: _font(fonts.bold, size))
    d.rectangle((0, 0, WIDTH, 250), fill=GREEN)
    d.text((MARGIN, 50), brand, font=regular(34), fill=GREEN_LIGHT)
    d.text((MARGIN, 110), _wrap(headline, bold(64), inner, 1)[0], font=bold(64), fill="#ffffff")
    d.text((MARGIN, 290), _wrap(name, bold(72), inner, 1)[0], font=bold(72), fill=INK)
    d.text((MARGIN, 390), _wrap(place, regular(34), inner, 1)[0], font=regular(34), fill=MUTED)
    for i, words in enumerate(_wrap(line, bold(line_size), inner, 2)):
        d.text((MARGIN, 460 + (line_size + 16) * i), words, font=bold(line_size), fill=GREEN)
    qr_footer(image, matrix, fonts, top=620, size=560, scan=scan, url=url, code=code, gap=40)
    return image


# Shared with other posters drawn on the same fonts and palette (campaigns, planting, tourism, events).
font = _font
wrap = _wrap
