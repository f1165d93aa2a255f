"""A scenic spot's printable QR poster: 1080×1440 PNG, or the same page as a PDF.

Drawn with the certificate poster's fonts (Noto Sans CJK SC), palette, QR drawing and wrapping
(app.certificates.poster), so both posters look like one house; the QR holds the spot's public URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from app.certificates import poster as posters
from app.certificates import service as certificates
from app.core.i18n import t
from app.regions import service as regions
from app.tourism import service
from models.tourism import ScenicSpot

W, H, M = posters.WIDTH, posters.HEIGHT, posters.MARGIN


@dataclass(frozen=True)
class SpotPosterText:
    brand: str
    headline: str
    name: str
    county: str
    benefit: str
    scan: str
    url: str
    code: str


def spot_url(base_url: str, spot: ScenicSpot) -> str:
    return f"{base_url.rstrip('/')}/tourism/spots/{spot.code}"


def text_of(spot: ScenicSpot, lang: str, base_url: str) -> SpotPosterText:
    return SpotPosterText(
        brand=t("tourism.poster.brand", lang),
        headline=t("tourism.poster.headline", lang),
        name=service.name_of(spot, lang),
        county=regions.full_name(spot.county_code) or spot.county_code,
        benefit=t("tourism.poster.benefit", lang, benefit=service.benefit_of(spot, lang)),
        scan=t("tourism.poster.scan", lang),
        url=spot_url(base_url, spot),
        code=spot.code,
    )


def draw(text: SpotPosterText, fonts: posters.Fonts) -> Image.Image:
    """Header band with the headline, the spot's name and county, the benefit, then a large QR and its URL."""
    return posters.place_poster(
        fonts, certificates.qr_matrix(text.url), brand=text.brand, headline=text.headline, name=text.name,
        place=text.county, line=text.benefit, line_size=44, scan=text.scan, url=text.url, code=text.code,
    )  # fmt: skip


async def poster(spot: ScenicSpot, lang: str, fmt: str, base_url: str) -> bytes:
    text = text_of(spot, lang, base_url)
    return await posters.rendered(lambda fonts: draw(text, fonts), fmt, title=f"{text.name} {text.code}")
