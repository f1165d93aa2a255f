"""科普 (public education) pages: Markdown files in templates/kepu/, one per page and language
(`<slug>.zh.md`, `<slug>.en.md`), rendered safely and with every number taken from the methodology.

**No number is typed into a page.** Two placeholders pull them from the calculators' current release:

- `{{param:SC-LCP-AFF:buffer.forest}}` — a parameter the named methodology actually reads
  (app/methodology/service.py `PARAMETER_KEYS`), shown as value and unit with a numbered reference; the
  page ends with the list of references: key, value, unit, source, locator, link and verification, and
  the methodology version and parameter-file hash they come from.
- `{{estimate:SC-LCP-AFF?area_mu=10&species=cunninghamia&…}}` — the calculator's result for those
  inputs (the calculator page's own query string), with a link that recomputes it.

An unknown key or invalid inputs raise at render time, so a test that renders every page catches them.

**Safe rendering.** markdown-it-py in CommonMark mode with raw HTML off (`<script>` in a file shows as
text), its default link check (no `javascript:`, `vbscript:`, `file:` or `data:` links), plus tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qsl

from markdown_it import MarkdownIt

from app.core.errors import NotFound
from app.methodology import forms
from app.methodology import service as methodology
from app.settings import ROOT

CONTENT = ROOT / "templates" / "kepu"
# The pages in reading order; each has a zh and an en file.
SLUGS = ("forest", "bamboo", "grassland", "wetland", "calculators", "cases")
LANGS = ("zh", "en")
_PLACEHOLDER = re.compile(r"\{\{(param|estimate):([^}]+)\}\}")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!<>|~])")


@dataclass(frozen=True)
class Reference:
    """A parameter a page quotes, as the methodology's current parameter file states it."""

    number: int
    methodology_id: str
    key: str
    value: str
    unit: str
    source: str
    locator: str
    url: str
    verification: str


@dataclass(frozen=True)
class Release:
    methodology_id: str
    version: str
    parameter_set_version: str
    parameter_set_sha256: str
    status: str


@dataclass(frozen=True)
class Page:
    slug: str
    lang: str
    title: str
    html: str
    references: list[Reference]
    releases: list[Release]


def _escape(text: str) -> str:
    """Plain text inside Markdown: no emphasis, links or HTML out of a parameter's unit."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


class _Filler:
    """Replaces the placeholders of one page and remembers what they quoted."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.references: dict[tuple[str, str], Reference] = {}
        self.releases: dict[str, Release] = {}

    def _release(self, methodology_id: str, version: methodology.VersionInfo) -> None:
        self.releases.setdefault(
            methodology_id,
            Release(
                methodology_id,
                version.version,
                version.parameter_set_version,
                version.parameter_set_sha256,
                version.status,
            ),
        )

    def param(self, spec: str) -> str:
        methodology_id, _, key = spec.partition(":")
        detail = methodology.methodology(methodology_id)
        used = {p.key: p for p in detail.parameters}
        if key not in used:
            raise KeyError(f"{methodology_id} does not read the parameter {key!r}")
        self._release(methodology_id, detail.version)
        p = used[key]
        ref = self.references.get((methodology_id, key))
        if ref is None:
            ref = Reference(
                len(self.references) + 1,
                methodology_id,
                key,
                p.value,
                p.unit,
                p.source,
                p.locator,
                p.url,
                p.verification,
            )
            self.references[(methodology_id, key)] = ref
        unit = p.unit.split(" (")[0]  # the whole unit, with its remarks, is in the reference list
        return f"**{_escape(p.value)}** {_escape(unit)} [\\[{ref.number}\\]](#ref-{ref.number})"

    def estimate(self, spec: str) -> str:
        methodology_id, _, query = spec.partition("?")
        raw = dict(parse_qsl(query, keep_blank_values=True))
        inputs = methodology.parse_inputs(
            methodology_id, forms.inputs_from_query(methodology_id, raw), from_strings=True
        )
        result = methodology.estimate(methodology_id, inputs)
        self._release(methodology_id, methodology.methodology(methodology_id).version)
        kg = f"{result.kg_per_year:,}"
        link = f"/calculator/{methodology_id}/estimate?{query}&lang={self.lang}"
        if self.lang == "zh":
            return f"**{kg} 千克 CO₂e/年**（[用计算器重算]({link})）"
        return f"**{kg} kg CO₂e per year** ([recompute it in the calculator]({link}))"

    def __call__(self, match: re.Match[str]) -> str:
        kind, spec = match.group(1), match.group(2).strip()
        return self.param(spec) if kind == "param" else self.estimate(spec)


def source_of(slug: str, lang: str) -> str:
    if slug not in SLUGS or lang not in LANGS:
        raise NotFound("kepu.not_found", slug=slug)
    return (CONTENT / f"{slug}.{lang}.md").read_text(encoding="utf-8")


@cache
def render(slug: str, lang: str) -> Page:
    """One page, rendered (cached per process: the files and the methodology release ship with the app)."""
    return build(slug, lang, source_of(slug, lang))


def build(slug: str, lang: str, text: str) -> Page:
    """A page from its Markdown: placeholders filled, the first `# ` line as its title."""
    fill = _Filler(lang)
    body = _PLACEHOLDER.sub(fill, text)
    lines = body.splitlines()
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), slug)
    html = _markdown().render("\n".join(line for line in lines if not line.startswith("# ")))
    return Page(slug, lang, title, html, list(fill.references.values()), list(fill.releases.values()))


def pages(lang: str) -> list[Page]:
    return [render(slug, lang) for slug in SLUGS]
