"""The campaign's share poster: a PNG whose QR opens the campaign page and whose bars show the progress
read from the campaign's counters; linked from the page; an unknown campaign has none."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.campaigns.poster import M, W
from app.certificates import poster as certificate_posters
from models.campaigns import Campaign
from tests.campaigns.builders import make_campaign
from tests.certificates.test_api import decoded_with_zbar

needs_fonts = pytest.mark.skipif(
    certificate_posters.find_font() is None, reason="Noto CJK is not installed: run `make deps`"
)
FIRST_BAR_Y = 410 + 74  # the middle of the first goal's bar (see app/campaigns/poster.py)


@needs_fonts
class TestSharePoster:
    async def test_the_qr_opens_the_campaign_page_in_the_language_asked(self, client, settings, tmp_path) -> None:
        campaign, _, _ = await make_campaign()
        zh = await client.get(f"/campaigns/{campaign.slug}/poster.png")
        assert zh.status_code == 200 and zh.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(zh.content)).size == (1080, 1440)
        assert decoded_with_zbar(zh.content, tmp_path) == f"{settings.base_url.rstrip('/')}/campaigns/{campaign.slug}"
        en = await client.get(f"/campaigns/{campaign.slug}/poster.png?lang=en")
        assert decoded_with_zbar(en.content, tmp_path) == (
            f"{settings.base_url.rstrip('/')}/campaigns/{campaign.slug}?lang=en"
        )

    async def test_the_first_bar_is_filled_as_far_as_the_trees_counter_reached(self, client) -> None:
        campaign, _, _ = await make_campaign()  # goals: 1,000 trees first
        await Campaign.filter(id=campaign.id).update(trees_planted=500)
        png = (await client.get(f"/campaigns/{campaign.slug}/poster.png")).content
        image = Image.open(io.BytesIO(png)).convert("RGB")
        inner = W - 2 * M
        green = tuple(int(certificate_posters.GREEN[i : i + 2], 16) for i in (1, 3, 5))
        assert image.getpixel((M + inner // 4, FIRST_BAR_Y)) == green  # a quarter of the way: filled
        assert image.getpixel((M + inner * 3 // 4, FIRST_BAR_Y)) != green  # three quarters: not yet

    async def test_the_page_links_the_poster(self, client) -> None:
        campaign, _, _ = await make_campaign()
        page = await client.get(f"/campaigns/{campaign.slug}")
        assert f"/campaigns/{campaign.slug}/poster.png?lang=zh" in page.text and "分享海报" in page.text


async def test_an_unknown_campaign_has_no_poster(client) -> None:
    r = await client.get("/campaigns/no-such-campaign/poster.png")
    assert r.status_code == 404
