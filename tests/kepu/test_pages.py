"""科普 pages: every page renders in Chinese and English, every link on them resolves, numbers come from
the methodology's parameter file, and nothing in a Markdown file becomes raw HTML."""

from __future__ import annotations

import re

import pytest

from app.core.errors import AppError
from app.kepu import service
from app.methodology import service as methodology
from tests.campaigns.builders import make_campaign

_HREF = re.compile(r'href="([^"]+)"')


class TestPages:
    @pytest.mark.parametrize("lang", ["zh", "en"])
    async def test_every_page_renders_with_its_title_and_references(self, client, lang: str) -> None:
        index = await client.get(f"/kepu?lang={lang}")
        assert index.status_code == 200
        for slug in service.SLUGS:
            page = service.render(slug, lang)
            assert f'href="/kepu/{slug}?lang={lang}"' in index.text and page.title in index.text
            r = await client.get(f"/kepu/{slug}?lang={lang}")
            assert r.status_code == 200, (slug, r.text)
            assert f"<h1>{page.title}</h1>" in r.text and f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in r.text
            assert "{{" not in r.text  # every placeholder filled
            for ref in page.references:
                assert f'id="ref-{ref.number}"' in r.text and f'href="#ref-{ref.number}"' in r.text
            if page.releases:
                current = methodology.methodology(page.releases[0].methodology_id).version
                assert current.parameter_set_sha256 in r.text and current.version in r.text

    async def test_the_chinese_and_english_pages_have_different_text(self, client) -> None:
        for slug in service.SLUGS:
            assert service.render(slug, "zh").title != service.render(slug, "en").title

    @pytest.mark.parametrize("lang", ["zh", "en"])
    async def test_every_link_on_the_pages_resolves(self, client, lang: str) -> None:
        await make_campaign()  # the index links nothing of it, but the campaign page links /kepu
        seen: set[str] = set()
        pages = [f"/kepu?lang={lang}"] + [f"/kepu/{slug}?lang={lang}" for slug in service.SLUGS]
        for path in pages:
            html = (await client.get(path)).text
            for href in _HREF.findall(html):
                href = href.replace("&amp;", "&").split("#")[0]
                if not href.startswith("/") or href in seen or href.startswith("/static/"):
                    continue
                seen.add(href)
                r = await client.get(href)
                assert r.status_code == 200, f"{path} links {href}: {r.status_code}"
        assert any(h.startswith("/calculator/SC-LCP-AFF/estimate?") for h in seen)
        assert "/api/v1/methodologies/SC-LCP-WET" in seen

    async def test_an_unknown_page_is_a_404_in_the_readers_language(self, client) -> None:
        zh = await client.get("/kepu/nothing")
        assert zh.status_code == 404 and "没有这篇科普文章" in zh.text
        en = await client.get("/kepu/nothing?lang=en")
        assert en.status_code == 404 and "There is no such page" in en.text

    async def test_campaign_pages_link_here(self, client) -> None:
        await make_campaign()
        page = await client.get("/campaigns/spring")
        assert 'href="/kepu?lang=zh"' in page.text


class TestNumbers:
    def test_a_quoted_parameter_is_the_value_in_the_parameter_file_with_its_source(self) -> None:
        page = service.render("forest", "zh")
        used = {p.key: p for p in methodology.methodology("SC-LCP-AFF").parameters}
        ref = next(r for r in page.references if r.key == "buffer.forest")
        assert (ref.value, ref.source, ref.url) == (
            used["buffer.forest"].value,
            used["buffer.forest"].source,
            used["buffer.forest"].url,
        )
        assert f"<strong>{used['buffer.forest'].value}</strong>" in page.html

    def test_a_case_is_the_calculators_result_for_its_inputs(self) -> None:
        expected = methodology.estimate(
            "SC-LCP-BAM", {"area_mu": "20", "species": "moso", "planting": "new", "stand_age": 4}
        ).kg_per_year
        assert f"<strong>{expected:,} kg CO₂e per year</strong>" in service.render("cases", "en").html

    def test_a_parameter_the_methodology_does_not_read_is_refused(self) -> None:
        with pytest.raises(KeyError, match="does not read"):
            service.build("x", "en", "# T\n\n{{param:SC-LCP-AFF:grassland.f_lu}}")

    def test_a_case_with_invalid_inputs_is_refused(self) -> None:
        with pytest.raises(AppError):  # the calculator's own 400
            service.build("x", "en", "# T\n\n{{estimate:SC-LCP-BAM?area_mu=-1&species=moso}}")


class TestSafeRendering:
    def test_raw_html_in_a_file_is_shown_as_text(self) -> None:
        page = service.build(
            "x",
            "zh",
            '# T\n\n<script>alert(1)</script>\n\nhi <img src=x onerror="alert(2)"> <b>bold</b>\n\n'
            "<div onclick=x>block</div>",
        )
        assert "<script" not in page.html and "<img" not in page.html and "<b>" not in page.html
        assert "<div" not in page.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html

    def test_script_links_are_not_made(self) -> None:
        page = service.build(
            "x", "en", "# T\n\n[a](javascript:alert(1)) [b](vbscript:x) [c](data:text/html;base64,PHNjcmlwdD4=)"
        )
        assert "javascript:" not in page.html.replace("[a](javascript:alert(1))", "")
        assert 'href="javascript' not in page.html and 'href="vbscript' not in page.html
        assert 'href="data:' not in page.html

    def test_the_title_is_escaped_by_the_template(self) -> None:
        page = service.build("x", "en", "# <i>T</i>\n\nbody")
        assert page.title == "<i>T</i>"  # plain text; Jinja's autoescape renders it as &lt;i&gt;
