"""The 义务植树 certificate as a poster (PNG, 1080×1440, or the same page as a PDF to print) to save or share: the kind (尽责 / 荣誉), the masked
holder, the year, the trees against the yearly duty, the campaigns, the code and a QR of the public
verify page, which is what makes it a certificate rather than a picture.

Drawn with the certificate poster's fonts, palette, wrapping and QR (app.certificates.poster), as the
campaign and scenic-spot posters are.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from app.certificates import poster as posters
from app.certificates import service as certificates
from app.core.errors import AppError
from app.core.i18n import t

W, H, M = posters.WIDTH, posters.HEIGHT, posters.MARGIN


@dataclass(frozen=True)
class DutyPosterText:
    brand: str
    kind_name: str
    holder: str
    year_line: str
    trees_line: str
    campaigns: list[str]
    code: str
    scan: str
    url: str


def text_of(cert: dict[str, object], titles: list[str], lang: str, url: str) -> DutyPosterText:
    """From the certificate as the page shows it (`routes.certificate_out`)."""
    state = t("planting.page.done" if cert["duty_done"] else "planting.page.not_done", lang)
    code = str(cert["code"])
    return DutyPosterText(
        brand=t("planting.poster.brand", lang),
        kind_name=str(cert["kind_name"]),
        holder=str(cert["holder"]),
        year_line=t("planting.poster.year", lang, year=cert["year"]),
        trees_line=t("planting.poster.trees", lang, trees=cert["trees"], duty=cert["duty_trees"], state=state),
        campaigns=titles,
        code="-".join(code[i : i + 4] for i in range(0, len(code), 4)),
        scan=t("planting.page.cert_scan", lang),
        url=url,
    )


def draw(text: DutyPosterText, fonts: posters.Fonts) -> Image.Image:
    """Header band with the brand and the kind, the holder and the year, the trees, the campaigns and the
    code, then the QR and the page URL."""
    image = Image.new("RGB", (W, H), "#fafcfb")
    d = ImageDraw.Draw(image)
    regular = lambda size: posters.font(fonts.regular, size)  # noqa: E731
    bold = lambda size: posters.font(fonts.bold, size)  # noqa: E731
    inner = W - 2 * M

    d.rectangle((0, 0, W, 280), fill=posters.GREEN)
    d.text((M, 50), text.brand, font=regular(34), fill=posters.GREEN_LIGHT)
    for i, line in enumerate(posters.wrap(text.kind_name, bold(58), inner, 2)):
        d.text((M, 110 + 72 * i), line, font=bold(58), fill="#ffffff")

    d.text((M, 320), text.holder, font=bold(64), fill=posters.INK)
    d.text((M, 410), text.year_line, font=regular(36), fill=posters.MUTED)
    top = 480
    for line in posters.wrap(text.trees_line, bold(40), inner, 2):
        d.text((M, top), line, font=bold(40), fill=posters.GREEN)
        top += 54
    for title in text.campaigns[:2]:
        d.text((M, top + 10), posters.wrap(title, regular(32), inner, 1)[0], font=regular(32), fill=posters.INK)
        top += 46
    d.text((M, top + 24), text.code, font=regular(32), fill=posters.MUTED)

    qr_top = max(top + 100, 820)
    posters.qr_footer(
        image, certificates.qr_matrix(text.url), fonts, top=qr_top, size=420, scan=text.scan, url=text.url
    )
    return image


def render(text: DutyPosterText, fonts: posters.Fonts, fmt: str = "png") -> bytes:
    """PNG (the share poster) or PDF (the same page to print: Pillow's PDF writer around the same image, as
    the retirement certificate's PDF — ReportLab cannot load Noto CJK, STACK.md trap 8 — so the PDF shows
    exactly the glyphs and the QR the PNG shows). At 144 dpi the 1080×1440 page is 540×720 pt (7.5×10 in)."""
    image = draw(text, fonts)
    out = io.BytesIO()
    if fmt == "pdf":
        # One JPEG page: quality 90 without chroma subsampling keeps the small coloured text sharp.
        image.save(
            out, format="PDF", resolution=144.0, quality=90, subsampling=0,
            title=f"{text.kind_name} {text.code}", author="MicroSink 微碳汇",
        )  # fmt: skip
    else:
        image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


async def poster(text: DutyPosterText, fmt: str = "png") -> bytes:
    """Render in a thread (CPU work); without the CJK fonts installed the answer is a clear 503."""
    fonts = posters.find_font()
    if fonts is None:
        raise AppError("certificates.font_missing", status_code=503)
    return await asyncio.to_thread(render, text, fonts, fmt)
