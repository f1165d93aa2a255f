"""The 义务植树 certificate poster: a PNG whose QR opens the certificate's public verify page, in the
language asked; linked from that page; an unknown code has none."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from app.certificates import poster as certificate_posters
from app.planting import poster, service
from tests.certificates.test_api import decoded_with_zbar
from tests.planting.builders import planting_campaign, submitted

needs_fonts = pytest.mark.skipif(
    certificate_posters.find_font() is None, reason="Noto CJK is not installed: run `make deps`"
)


def pdf_page(pdf: bytes) -> tuple[tuple[float, float], int, Image.Image]:
    """Read back what Pillow's PDF writer wrote: the page size in points, the page count, and the one
    JPEG image the page shows (decoded by Pillow from the DCT stream)."""
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
    count = re.search(rb"/Type /Pages\s*/Count (\d+)", pdf)
    stream = re.search(rb"/Filter /DCTDecode.*?/Length (\d+)\s*>>stream\r?\n", pdf, re.S)
    assert box and count and stream, "not the single-image PDF Pillow writes"
    start = stream.end()
    image = Image.open(io.BytesIO(pdf[start : start + int(stream.group(1))]))
    image.load()
    return (float(box.group(1)), float(box.group(2))), int(count.group(1)), image


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

    async def test_the_certificate_page_links_the_poster_and_the_pdf(self, client, settings) -> None:
        code = await approved_certificate(settings)
        page = await client.get(f"/planting/certificates/{code}")
        assert f"/planting/certificates/{code}/poster.png?lang=zh" in page.text and "保存证书海报" in page.text
        assert f'href="/planting/certificates/{code}.pdf?lang=zh"' in page.text and "下载证书 PDF" in page.text
        english = await client.get(f"/planting/certificates/{code}?lang=en")
        assert f"/planting/certificates/{code}.pdf?lang=en" in english.text and "as PDF" in english.text


@needs_fonts
class TestCertificatePdf:
    async def test_a_one_page_pdf_of_the_poster_whose_qr_opens_the_verify_page(
        self, client, settings, tmp_path
    ) -> None:
        code = await approved_certificate(settings)
        r = await client.get(f"/planting/certificates/{code}.pdf")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
        assert r.headers["content-disposition"] == f'inline; filename="planting-certificate-{code}.pdf"'
        assert r.content.rstrip().endswith(b"%%EOF")
        (width, height), pages, image = pdf_page(r.content)
        # 1080×1440 px at 144 dpi: 540×720 pt (7.5×10 in), portrait, the poster's proportions.
        assert (width, height) == (540.0, 720.0) and pages == 1
        assert image.size == (1080, 1440) and image.format == "JPEG"
        page = f"{settings.base_url}/planting/certificates/{code}"
        shot = io.BytesIO()
        image.save(shot, format="PNG")
        assert decoded_with_zbar(shot.getvalue(), tmp_path) in (page, None)  # None: zbarimg not installed
        english = await client.get(f"/planting/certificates/{code.lower()}.pdf?lang=en")
        assert english.status_code == 200
        shot = io.BytesIO()
        pdf_page(english.content)[2].save(shot, format="PNG")
        assert decoded_with_zbar(shot.getvalue(), tmp_path) in (f"{page}?lang=en", None)

    async def test_the_masked_holder_is_all_the_pdf_says_of_the_person(self, client, settings) -> None:
        code = await approved_certificate(settings)
        cert = await service.certificate(code)
        holder = cert.user
        holder.display_name = "林小满"
        await holder.save()
        r = await client.get(f"/planting/certificates/{code}.pdf")
        for encoding in ("utf-8", "utf-16-be", "gb18030"):
            assert "林小满".encode(encoding) not in r.content

    async def test_an_unknown_certificate_has_no_pdf(self, client) -> None:
        r = await client.get("/planting/certificates/NOPE.pdf?lang=en")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")


async def test_an_unknown_certificate_has_no_poster(client) -> None:
    r = await client.get("/planting/certificates/NOPE/poster.png?lang=en")
    assert r.status_code == 404 and "certificate" in r.text.lower()
