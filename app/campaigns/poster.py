"""A campaign's share poster (分享海报): a 1080×1440 PNG with the title, the dates, progress against each
goal read from the campaign's counters, and a QR of the campaign page, for WeChat moments and groups.

Drawn with the certificate poster's fonts, palette, wrapping and QR (app.certificates.poster), as the
scenic-spot poster is, so every poster looks like one house. Numbers are formatted for the language
(zh-CN: 元, 千克 / 吨) by the same helpers as the pages.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from app.campaigns import service
from app.certificates import poster as posters
from app.certificates import service as certificates
from app.core.errors import AppError
from app.core.i18n import t
from app.core.pages import fmt_fen, fmt_kg
from models.campaigns import Campaign

W, H, M = posters.WIDTH, posters.HEIGHT, posters.MARGIN


@dataclass(frozen=True)
class GoalLine:
    label: str
    percent: int


@dataclass(frozen=True)
class CampaignPosterText:
    brand: str
    title: str
    dates: str
    goals: list[GoalLine]
    scan: str
    url: str


def campaign_url(base_url: str, campaign: Campaign, lang: str) -> str:
    return f"{base_url.rstrip('/')}/campaigns/{campaign.slug}" + ("?lang=en" if lang == "en" else "")


def _amount(goal: str, n: int, lang: str) -> str:
    return fmt_kg(n, lang) if goal == "kg" else fmt_fen(n, lang) if goal == "fen" else f"{n:,}"


def text_of(campaign: Campaign, lang: str, base_url: str) -> CampaignPosterText:
    colon = "：" if lang == "zh" else ": "
    goals = [
        GoalLine(
            t(f"campaigns.page.goal.{g.goal}", lang)
            + colon
            + f"{_amount(g.goal, g.reached, lang)} / {_amount(g.goal, g.target, lang)}"
            + (t("campaigns.poster.trees_unit", lang) if g.goal == "trees" else ""),
            g.percent,
        )
        for g in service.goals_of(campaign)
    ]
    return CampaignPosterText(
        brand=t("campaigns.poster.brand", lang),
        title=campaign.title_en if lang == "en" else campaign.title_zh,
        dates=f"{campaign.starts_on.isoformat()} – {campaign.ends_on.isoformat()}",
        goals=goals,
        scan=t("campaigns.poster.scan", lang),
        url=campaign_url(base_url, campaign, lang),
    )


def draw(text: CampaignPosterText, fonts: posters.Fonts) -> Image.Image:
    """Header band with the brand and title, the dates, one bar per goal, then the QR and the page URL."""
    image = Image.new("RGB", (W, H), "#fafcfb")
    d = ImageDraw.Draw(image)
    regular = lambda size: posters.font(fonts.regular, size)  # noqa: E731
    bold = lambda size: posters.font(fonts.bold, size)  # noqa: E731
    inner = W - 2 * M

    d.rectangle((0, 0, W, 300), fill=posters.GREEN)
    d.text((M, 50), text.brand, font=regular(34), fill=posters.GREEN_LIGHT)
    for i, line in enumerate(posters.wrap(text.title, bold(60), inner, 2)):
        d.text((M, 110 + 76 * i), line, font=bold(60), fill="#ffffff")
    d.text((M, 330), text.dates, font=regular(34), fill=posters.MUTED)

    top = 410
    for goal in text.goals[:3]:
        d.text((M, top), posters.wrap(goal.label, bold(38), inner, 1)[0], font=bold(38), fill=posters.INK)
        bar = (M, top + 60, W - M, top + 88)
        d.rounded_rectangle(bar, radius=14, fill="#e3ece7")
        if goal.percent:
            d.rounded_rectangle((M, top + 60, M + inner * goal.percent // 100, top + 88), radius=14, fill=posters.GREEN)
        top += 130

    qr_top = max(top + 20, 820)
    posters.qr_footer(
        image, certificates.qr_matrix(text.url), fonts, top=qr_top, size=440, scan=text.scan, url=text.url
    )
    return image


def render(text: CampaignPosterText, fonts: posters.Fonts) -> bytes:
    out = io.BytesIO()
    draw(text, fonts).save(out, format="PNG", compress_level=6)
    return out.getvalue()


async def poster(campaign: Campaign, lang: str, base_url: str) -> bytes:
    """Render in a thread (CPU work); without the CJK fonts installed the answer is a clear 503."""
    fonts = posters.find_font()
    if fonts is None:
        raise AppError("certificates.font_missing", status_code=503)
    return await asyncio.to_thread(render, text_of(campaign, lang, base_url), fonts)
