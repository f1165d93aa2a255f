"""The public certificate: verify page, JSON, lookup form, QR code, poster and PDF — no sign-in."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import pytest
from PIL import Image

from app.certificates import poster as posters
from app.certificates import service
from app.credits import inventory, reversal
from tests.certificates.helpers import FULL_NAME, retire, sized_issuance

NO_FONT = "Debian's Noto Sans CJK is not installed: run `make deps` (apt-get install fonts-noto-cjk)"
needs_font = pytest.mark.skipif(posters.find_font() is None, reason=NO_FONT)


@pytest.fixture
async def masked(client, settings):  # type: ignore[no-untyped-def]
    """A certificate whose beneficiary chose to be shown masked, with a reference that names them."""
    issuance, project, verifier = await sized_issuance(settings, kg=12_000, buffer=3_000)
    code = await retire(
        "order:masked", 1250, issuance=issuance.public_id, beneficiary=FULL_NAME, beneficiary_shown="masked",
        purpose_reference=f"{FULL_NAME}的九寨沟之行",
    )  # fmt: skip
    return code, issuance, project, verifier


def leaks(text: str) -> bool:
    """The full name, or any run of it longer than the first character the mask keeps."""
    return FULL_NAME in text or FULL_NAME[1:] in text or "张三丰" in text


class TestVerifyPage:
    async def test_it_shows_the_certificate_in_chinese_without_sign_in(self, client, masked) -> None:
        code, issuance, project, _ = masked
        r = await client.get(f"/certificates/{code}", headers={"Accept": "text/html"})
        assert r.status_code == 200, r.text
        html = r.text
        assert "碳汇注销证书" in html and "1,250" in html and "成******" in html
        assert service.grouped(code) in html
        assert f'href="/registry/projects/{project.public_id}?lang=zh"' in html
        for parcel in issuance.parcel_public_ids:
            assert f'href="/registry/parcels/{parcel}?lang=zh"' in html
        assert "<svg" in html and "<path" in html  # the QR code, inline: no JavaScript, no second request
        assert "<script" not in html
        assert not leaks(html)

    async def test_english_through_the_language_switch(self, client, masked) -> None:
        code, *_ = masked
        r = await client.get(f"/certificates/{code}?lang=en")
        assert r.status_code == 200
        assert "Carbon sink retirement certificate" in r.text and "Trip offset" in r.text
        assert not leaks(r.text)

    async def test_a_code_typed_in_lower_case_goes_to_the_one_address_of_the_certificate(self, client, masked) -> None:
        code, *_ = masked
        r = await client.get(f"/certificates/{code.lower()}?lang=en")
        assert r.status_code == 301 and r.headers["location"] == f"/certificates/{code}?lang=en"

    async def test_the_lookup_form_takes_a_code_as_printed(self, client, masked) -> None:
        code, *_ = masked
        assert (await client.get("/certificates")).status_code == 200
        r = await client.get("/certificates", params={"code": service.grouped(code).lower()})
        assert r.status_code == 303 and r.headers["location"] == f"/certificates/{code}?lang=zh"

    async def test_the_home_pages_verify_link_opens_the_lookup(self, client) -> None:
        r = await client.get("/verify?lang=en")
        assert r.status_code == 303 and r.headers["location"] == "/certificates?lang=en"
        assert "Verify a certificate" in (await client.get(r.headers["location"])).text

    @pytest.mark.parametrize(("lang", "words"), [("zh", "找不到该证书"), ("en", "No such certificate")])
    async def test_an_unknown_code_is_404_beside_the_form(self, client, masked, lang, words) -> None:
        for path in (f"/certificates/{inventory.new_certificate_code()}", "/certificates/nonsense"):
            r = await client.get(path, params={"lang": lang})
            assert r.status_code == 404 and words in r.text and 'name="code"' in r.text
        r = await client.get("/certificates", params={"code": "ABCD", "lang": lang})
        assert r.status_code == 404 and words in r.text


class TestCertificateJson:
    async def test_it_answers_the_same_facts_as_the_page(self, client, masked, settings) -> None:
        code, issuance, project, _ = masked
        r = await client.get(f"/api/v1/certificates/{code.lower()}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["code"] == code and body["kg"] == 1250
        assert (body["beneficiary"], body["beneficiary_shown"], body["purpose_reference"]) == (
            "成******",
            "masked",
            None,
        )
        assert body["issuances"][0]["project"]["id"] == project.public_id
        assert body["issuances"][0]["methodology"] == {
            "id": issuance.methodology_id,
            "version": issuance.methodology_version,
            "parameter_sha256": issuance.parameter_sha256,
        }
        assert body["links"]["page"] == f"{settings.base_url}/certificates/{code}"
        assert not leaks(r.text)

    @pytest.mark.parametrize(
        ("language", "words"), [("zh-CN,zh;q=0.9", "找不到该证书"), ("en-GB,en;q=0.9", "No such certificate")]
    )
    async def test_an_unknown_code_is_404_in_the_callers_language(self, client, masked, language, words) -> None:
        for code in (inventory.new_certificate_code(), "0000000000000000", "x"):
            r = await client.get(f"/api/v1/certificates/{code}", headers={"Accept-Language": language})
            assert r.status_code == 404
            assert r.json()["code"] == "certificates.not_found" and words in r.json()["message"]

    async def test_a_reversal_is_shown_with_its_loss_event(self, client, masked) -> None:
        code, _, project, verifier = masked
        event = await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 3, 1), 10_800)
        assert event.buffer_drawn_kg > 0
        body = (await client.get(f"/api/v1/certificates/{code}")).json()
        assert body["reversals"] == [
            {"id": event.public_id, "cause": "fire", "occurred_on": "2026-03-01", "covered_by": "buffer_pool"}
        ]
        html = (await client.get(f"/certificates/{code}")).text
        assert "火灾" in html and event.public_id in html and "缓冲池" in html


def decoded_with_zbar(png: bytes, tmp_path) -> str | None:  # type: ignore[no-untyped-def]
    if shutil.which("zbarimg") is None:
        return None
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def matrix_of(png: bytes, module_px: int) -> tuple[tuple[bool, ...], ...]:
    """Read the modules back from the PNG's pixels (the centre of each module)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    n = image.width // module_px
    return tuple(
        tuple(image.getpixel((x * module_px + module_px // 2, y * module_px + module_px // 2)) < 128 for x in range(n))  # type: ignore[operator]
        for y in range(n)
    )


class TestQrCode:
    async def test_the_png_holds_the_pages_absolute_url(self, client, masked, settings, tmp_path) -> None:
        code, *_ = masked
        r = await client.get(f"/certificates/{code}/qr.png")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        url = f"{settings.base_url}/certificates/{code}"
        # Regenerated from the same data, the QR code's modules are exactly the PNG's.
        assert matrix_of(r.content, 10) == service.qr_matrix(url)
        assert service.qr_code(url).version <= 10  # a regular QR code (Micro QR has no such versions)
        decoded = decoded_with_zbar(r.content, tmp_path)
        if decoded is None:
            pytest.skip("zbarimg is not installed (`make deps`): checked by regenerating the matrix only")
        assert decoded == url

    async def test_the_svg_is_the_same_code(self, client, masked, settings) -> None:
        code, *_ = masked
        r = await client.get(f"/certificates/{code}/qr.svg")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert r.text == service.qr_svg(f"{settings.base_url}/certificates/{code}")
        assert r.text.startswith("<svg") and "<path" in r.text

    async def test_an_unknown_code_has_no_qr(self, client, masked) -> None:
        r = await client.get(f"/certificates/{inventory.new_certificate_code()}/qr.png")
        assert r.status_code == 404


class TestPoster:
    @needs_font
    async def test_it_is_a_png_of_the_poster_size_with_the_words_as_shown(self, client, masked, settings) -> None:
        code, *_ = masked
        r = await client.get(f"/certificates/{code}/poster.png")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG\r\n\x1a\n")
        image = Image.open(io.BytesIO(r.content))
        assert image.format == "PNG" and image.size == (posters.WIDTH, posters.HEIGHT) == (1080, 1440)
        cert = await service.certificate(code, settings.base_url)
        text = service.poster_text(cert, "zh")
        assert (text.beneficiary, text.quantity, text.unit) == ("成******", "1,250", "千克 CO₂e")
        assert text.date == service.retired_on(cert.retired_at, "zh") and text.code == service.grouped(code)
        assert text.projects == ["后山造林"] and text.places[0].startswith("四川省")
        assert not any(leaks(str(value)) for value in text.__dict__.values())

    @needs_font
    async def test_the_same_inputs_come_from_the_cache_with_an_etag(self, client, masked) -> None:
        code, *_ = masked
        first = await client.get(f"/certificates/{code}/poster.png")
        again = await client.get(f"/certificates/{code}/poster.png", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        same = await client.get(f"/certificates/{code}/poster.png")
        assert same.content == first.content and same.headers["etag"] == first.headers["etag"]
        english = await client.get(f"/certificates/{code}/poster.png?lang=en")
        assert english.headers["etag"] != first.headers["etag"]

    @needs_font
    async def test_a_hidden_beneficiary_never_reaches_the_poster_or_the_pdf(self, client, settings) -> None:
        issuance, *_ = await sized_issuance(settings)
        code = await retire("order:hidden", 10, issuance=issuance.public_id, beneficiary_shown="hidden")
        cert = await service.certificate(code, settings.base_url)
        for lang in ("zh", "en"):
            text = service.poster_text(cert, lang)
            assert not any(leaks(str(value)) for value in text.__dict__.values())
        assert service.poster_text(cert, "zh").beneficiary == "未公开"
        pdf = await client.get(f"/certificates/{code}.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        for encoding in ("utf-8", "utf-16-be", "gb18030"):
            assert FULL_NAME.encode(encoding) not in pdf.content

    @needs_font
    async def test_a_pdf_on_request(self, client, masked) -> None:
        code, *_ = masked
        for path in (f"/certificates/{code}.pdf", f"/certificates/{code}/poster.png?format=pdf"):
            r = await client.get(path)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
            for encoding in ("utf-8", "utf-16-be", "gb18030"):
                assert "张三丰".encode(encoding) not in r.content

    async def test_without_the_font_it_is_503_naming_make_deps(self, client, masked, monkeypatch) -> None:
        code, *_ = masked
        # The one thing this stands in for is the operating system's font package being absent.
        monkeypatch.setattr(posters, "DEBIAN_FONTS", ("/nonexistent/a.ttc", "/nonexistent/b.ttc"))
        monkeypatch.setattr(posters, "_fc_match", lambda: None)
        r = await client.get(f"/certificates/{code}/poster.png", headers={"Accept-Language": "en"})
        assert r.status_code == 503 and "make deps" in r.json()["message"]


class TestPosterCache:
    @needs_font
    async def test_without_redis_expired_posters_leave_memory_at_the_next_housekeeping(
        self, client, masked, app
    ) -> None:
        import asyncio

        from app.core import housekeeping
        from app.core.cache import MemoryStore

        store = app.stores.get("certificate_posters")
        if not isinstance(store, MemoryStore):
            pytest.skip("Redis is configured: poster entries expire by their TTL there")
        code, *_ = masked
        assert (await client.get(f"/certificates/{code}/poster.png")).status_code == 200
        await store.set("stale.png", b"x", expires_in=1)
        await asyncio.sleep(1.1)
        tidied = await housekeeping.run_once()
        assert "certificates.poster_cache_sweep" in tidied
        assert "stale.png" not in store._store and len(store._store) == 1  # the live poster stays
