"""Retirement certificates: everything public about one certificate code, its QR code and its poster.

A certificate is not a table of its own: it is the retirement rows `app.credits.inventory.retire` wrote
under one random code, read back through the credits lookup (blocks, issuances, projects, any
reversal) and the issuances' monitoring chains (parcels, methodology id + version + parameter hash,
ex-ante / ex-post). So a certificate can never disagree with the registry, and whatever changes
there (a reversal, a deleted account's name erased) shows here at once.

Privacy: the beneficiary is shown as the buyer chose (full, masked 张**, hidden), and the purpose's
free-text reference goes with it — it may name the person (a gift's recipient, a family trip) —
except a court's 案号, a public judicial record, unless that text contains the name.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache

import qrcode
import qrcode.constants
import qrcode.image.svg
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

from app.certificates import messages  # noqa: F401  (registers the domain's messages)
from app.certificates import poster as posters
from app.certificates.schemas import (
    CertificateOut,
    IssuanceOut,
    LinksOut,
    MethodologyOut,
    ParcelOut,
    ProjectOut,
    ReversalOut,
    SerialRangeOut,
)
from app.core.cache import Store
from app.core.errors import AppError, NotFound
from app.core.i18n import BEIJING, t
from app.credits import lookup
from app.regions import service as regions

CODE_ALPHABET = frozenset("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")  # app.credits.inventory's: no 0/O, no 1/I
CODE_LENGTH = 16
_SEPARATORS = re.compile(r"[\s\-_.·]+")
_SVG_SIZE = re.compile(r'^<svg width="[^"]*" height="[^"]*" ')
_LOCALE = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en")}  # parsed once (see app.core.pages)
POSTER_TTL_S = 24 * 3600  # kept a day (shared right after the purchase); the key changes whenever the content does


PageRows = Callable[[str, str], Awaitable[list[tuple[str, str]]]]
_PAGE_ROWS: list[PageRows] = []


def register_page_rows(rows: PageRows) -> None:
    """A domain that links purchases to something (a scenic spot, a case, an event) adds its lines to
    the verify page: `rows(code, lang)` returns (label, value) pairs, empty when it has nothing to say."""
    if rows not in _PAGE_ROWS:
        _PAGE_ROWS.append(rows)


async def page_rows(code: str, lang: str) -> list[tuple[str, str]]:
    return [row for rows in _PAGE_ROWS for row in await rows(code, lang)]


def normalise_code(typed: str) -> str | None:
    """A code as typed from paper → its stored form, or None if it cannot be one.

    Case does not matter and spaces or dashes between groups are dropped (`abcd-efgh …`). Anything
    else that is not 16 letters of the alphabet is None, answered exactly like an unknown code, so a
    wrong guess learns nothing about which codes exist.
    """
    code = _SEPARATORS.sub("", typed or "").upper()
    if len(code) != CODE_LENGTH or not set(code) <= CODE_ALPHABET:
        return None
    return code


def grouped(code: str) -> str:
    """ABCD EFGH JKLM NPQR: how the code is printed, easy to read aloud and to type back."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def page_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/certificates/{code}"


def retired_on(moment: datetime, lang: str) -> str:
    """The retirement's calendar day in Beijing, as people write it: 2026年12月5日 / December 5, 2026."""
    return str(format_date(moment.astimezone(BEIJING).date(), format="long", locale=_LOCALE[lang]))


def _reference_shown(r: lookup.RetirementRow) -> str | None:
    reference = r.purpose_reference.strip()
    if not reference:
        return None
    if r.beneficiary_shown == "full":
        return reference
    if r.purpose == "court_case" and r.beneficiary.strip() not in reference:
        return reference
    return None


async def _parcel_bases(issuance_ids: list[str]) -> dict[str, dict[str, str]]:
    """issuance public id → {parcel public id: basis of the estimate the issuance rests on}."""
    chains = await lookup.chains_of(issuance_ids)  # kept in memory per worker: an issued chain never changes
    return {i: {e.parcel_public_id: e.basis for e in chains[i].estimates} if i in chains else {} for i in issuance_ids}


def _basis(bases: list[str]) -> str | None:
    kinds = set(bases)
    if not kinds:
        return None
    return kinds.pop() if len(kinds) == 1 else "mixed"


async def certificate(typed_code: str, base_url: str) -> CertificateOut:
    """Everything public about one certificate; NotFound for an unknown or impossible code."""
    code = normalise_code(typed_code)
    blocks = await lookup.retired_blocks(code) if code else []
    if not code or not blocks:
        raise NotFound("certificates.not_found")
    first = blocks[0].retirement
    bases = await _parcel_bases(list(dict.fromkeys(b.issuance.public_id for b in blocks)))
    issuances: dict[str, IssuanceOut] = {}
    reversals: dict[str, ReversalOut] = {}
    for b in blocks:
        i = b.issuance
        if i.public_id not in issuances:
            parcel_bases = bases[i.public_id]
            issuances[i.public_id] = IssuanceOut(
                id=i.public_id,
                kg=0,
                vintage=i.vintage,
                period_start=i.period_start,
                period_end=i.period_end,
                class_code=i.class_code,
                project=ProjectOut(
                    id=i.project.public_id,
                    name=i.project.name,
                    county_code=i.project.county_code,
                    county_name=regions.full_name(i.project.county_code),
                    url=f"/registry/projects/{i.project.public_id}",
                ),
                parcels=[ParcelOut(p, parcel_bases.get(p), f"/registry/parcels/{p}") for p in i.parcel_public_ids],
                methodology=MethodologyOut(i.methodology_id, i.methodology_version, i.parameter_sha256),
                basis=_basis(list(parcel_bases.values())),  # type: ignore[arg-type]
                url=f"/credits/issuances/{i.public_id}",
            )
        issuances[i.public_id].kg += b.block.quantity
        if b.reversal is not None:
            reversals[b.reversal.public_id] = ReversalOut(
                b.reversal.public_id, b.reversal.cause, b.reversal.occurred_on
            )
    return CertificateOut(
        code=code,
        beneficiary=lookup.shown_beneficiary(first),
        beneficiary_shown=first.beneficiary_shown,  # type: ignore[arg-type]
        kg=sum(b.block.quantity for b in blocks),
        purpose=first.purpose,
        purpose_reference=_reference_shown(first),
        retired_at=first.retired_at,
        serials=[
            SerialRangeOut(
                serial=b.block.display,
                start=b.block.serial_start,
                end=b.block.serial_end,
                quantity=b.block.quantity,
                status=b.block.status,
                issuance=b.issuance.public_id,
                url=f"/credits/serials/{b.block.display}",
            )
            for b in blocks
        ],
        issuances=list(issuances.values()),
        reversals=list(reversals.values()),
        links=LinksOut(
            page=page_url(base_url, code),
            qr_png=f"/certificates/{code}/qr.png",
            qr_svg=f"/certificates/{code}/qr.svg",
            poster_png=f"/certificates/{code}/poster.png",
            pdf=f"/certificates/{code}.pdf",
        ),
    )


# --- QR codes -------------------------------------------------------------------------------------


def qr_code(url: str) -> qrcode.QRCode:
    """A regular QR code (never Micro QR, which WeChat cannot read), level M, the standard 4-module margin."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


@lru_cache(maxsize=2048)
def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """The modules of the URL's QR code, margin included; a pure function of the URL, so cached."""
    return tuple(tuple(row) for row in qr_code(url).get_matrix())


@lru_cache(maxsize=2048)
def qr_svg(url: str) -> str:
    """The QR code as one SVG path (qrcode's SvgPathImage), for inline use and /qr.svg."""
    qr = qr_code(url)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg: str = image.to_string(encoding="unicode")
    # Sized by the page's CSS, not in millimetres; named for screen readers.
    return _SVG_SIZE.sub('<svg role="img" aria-label="QR" ', svg, count=1)


def qr_png(url: str, *, module_px: int = 10) -> bytes:
    out = io.BytesIO()
    posters.qr_image(qr_matrix(url), module_px).save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- posters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    digest: str  # SHA-256 of the poster's inputs: the cache key and the ETag


def poster_text(cert: CertificateOut, lang: str) -> posters.PosterText:
    """Exactly the words the poster shows (and nothing else about the certificate goes into it)."""
    projects = list(dict.fromkeys(i.project.name for i in cert.issuances))
    places = list(dict.fromkeys(i.project.county_name or i.project.county_code for i in cert.issuances))
    purpose = t(f"credits.page.purpose.{cert.purpose}", lang)
    return posters.PosterText(
        brand=t("certificates.poster.brand", lang),
        title=t("certificates.poster.title", lang),
        beneficiary_label=t("certificates.poster.for", lang),
        beneficiary=cert.beneficiary if cert.beneficiary is not None else t("certificates.poster.hidden", lang),
        retired_label=t("certificates.poster.retired", lang),
        quantity=str(format_decimal(cert.kg, locale=_LOCALE[lang])),  # 1,250: whole kg, never rounded to t
        unit=t("certificates.poster.kg", lang),
        purpose=purpose + (f" · {cert.purpose_reference}" if cert.purpose_reference else ""),
        from_label=t("certificates.poster.from", lang),
        projects=projects,
        places=places,
        date_label=t("certificates.poster.date", lang),
        date=retired_on(cert.retired_at, lang),
        code_label=t("certificates.poster.code", lang),
        code=grouped(cert.code),
        scan=t("certificates.poster.scan", lang),
        url=cert.links.page,
        reversal=t("certificates.poster.reversal", lang) if cert.reversals else "",
    )


def poster_digest(text: posters.PosterText, fmt: str) -> str:
    document = {"v": posters.LAYOUT_VERSION, "fmt": fmt, "text": asdict(text), "font": posters.font_identity()}
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def poster(cert: CertificateOut, lang: str, fmt: str, store: Store) -> Rendered:
    """The shareable poster (PNG) or its printable PDF, from the store when these exact inputs were drawn before.

    Drawing takes tens of milliseconds of CPU, so it runs in a thread and its result is kept under
    the SHA-256 of its inputs: the same words, layout and font give the same bytes, and anything that
    changes the words (a reversal, an erased name) changes the key.
    """
    if fmt not in ("png", "pdf"):
        raise NotFound("error.not_found")
    fonts = posters.find_font()
    if fonts is None:
        raise AppError("certificates.font_missing", status_code=503)
    text = poster_text(cert, lang)
    digest = poster_digest(text, fmt)
    media_type = "image/png" if fmt == "png" else "application/pdf"
    key = f"{digest}.{fmt}"
    if (cached := await store.get(key)) is not None:
        return Rendered(cached, media_type, digest)
    body = await asyncio.to_thread(posters.render, text, qr_matrix(text.url), fmt, fonts)
    await store.set(key, body, expires_in=POSTER_TTL_S)
    return Rendered(body, media_type, digest)
