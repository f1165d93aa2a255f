"""The 义务植树 certificate poster: a PNG whose QR opens the certificate's public verify page, in the
language asked; linked from that page; an unknown code has none."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.certificates import poster as certificate_posters
from app.planting import poster, service
from tests.certificates.test_api import decoded_with_zbar
from tests.planting.builders import planting_campaign, submitted

needs_fonts = pytest.mark.skipif(
    certificate_posters.find_font() is None, reason="Noto CJK is not installed: run `make deps`"
)


async def approved_certificate(settings) -> str:  # type: ignore[no-untyped-def]
    planted = await planting_campaign(settings)
    log = await submitted(settings, planted, count=3)
    decision = await service.approve(settings, planted.organiser, log.public_id)
    return decision.certificate.code  # type: ignore[union-attr]


@needs_fonts
class TestCertificatePoster:
    async def test_the_qr_opens_the_verify_page_in_the_language_asked(self, client, settings, tmp_path) -> None:
        code = await approved_certificate(settings)
        zh = await client.get(f"/planting/certificates/{code}/poster.png")
        assert zh.status_code == 200 and zh.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(zh.content)).size == (1080, 1440)
        page = f"{settings.base_url}/planting/certificates/{code}"
        assert decoded_with_zbar(zh.content, tmp_path) in (page, None)  # None: zbarimg not installed
        en = await client.get(f"/planting/certificates/{code}/poster.png?lang=en")
        assert decoded_with_zbar(en.content, tmp_path) in (f"{page}?lang=en", None)
        assert zh.content != en.content

    async def test_the_text_says_the_kind_the_trees_against_the_duty_and_the_code(self, client, settings) -> None:
        code = await approved_certificate(settings)
        cert = (await client.get(f"/api/v1/planting/certificates/{code}")).json()
        text = poster.text_of(cert, ["春季义务植树"], "zh", cert["page"])
        assert text.kind_name == "义务植树荣誉证书" and text.year_line == f"{cert['year']} 年度"
        assert text.trees_line == "植树 3 株（年度义务 3 株）· 完成"
        assert text.code.replace("-", "") == code and len(text.code.split("-")[0]) == 4

    async def test_the_certificate_page_links_the_poster(self, client, settings) -> None:
        code = await approved_certificate(settings)
        page = await client.get(f"/planting/certificates/{code}")
        assert f"/planting/certificates/{code}/poster.png?lang=zh" in page.text and "保存证书海报" in page.text


async def test_an_unknown_certificate_has_no_poster(client) -> None:
    r = await client.get("/planting/certificates/NOPE/poster.png?lang=en")
    assert r.status_code == 404 and "certificate" in r.text.lower()
