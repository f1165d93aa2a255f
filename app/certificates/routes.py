"""Certificates: the public verify page, its JSON, the lookup form, the QR code and the poster (no sign-in)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from app.certificates import service
from app.certificates.schemas import CertificateOut
from app.core import housekeeping
from app.core.cache import MemoryStore, Store
from app.core.errors import NotFound
from app.core.i18n import request_language
from app.core.pages import page
from app.settings import Settings

POSTER_STORE = "certificate_posters"  # Redis when configured (all workers share it), else process memory
PUBLIC_CACHE = "public, max-age=300"  # short: a reversal or an erased name must show soon on every copy


def _poster_store(request: Request) -> Store:
    """The poster cache: Redis when configured (every worker and machine shares it, entries expire by TTL),
    else this process's memory, whose expired entries the housekeeping loop clears (else they would stay)."""
    store = request.app.stores.get(POSTER_STORE)
    if isinstance(store, MemoryStore):

        async def sweep() -> int:
            await store.delete_expired()
            return 0

        housekeeping.register("certificates.poster_cache_sweep", sweep)
    return store


def _base_url(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.base_url


class CertificatesController(Controller):
    path = "/api/v1/certificates"
    tags = ["certificates"]
    opt = {"public": True, "public_cache": "credits"}  # anonymous answers micro-cached (app/core/public_cache.py)

    @get("/{code:str}", summary="Verify a retirement certificate (no sign-in)", raises=[NotFound])
    async def certificate(self, request: Request, code: FromPath[str]) -> CertificateOut:
        return await service.certificate(code, _base_url(request))


class CertificatePages(Controller):
    """The verify page a certificate's QR code opens, in a phone browser or a WeChat web-view; no JavaScript."""

    include_in_schema = False
    opt = {"public": True, "public_cache": "credits"}  # anonymous answers micro-cached (app/core/public_cache.py)

    @get("/certificates")
    async def lookup_form(
        self, request: Request, code: Annotated[str, QueryParameter(max_length=64)] = ""
    ) -> Template | Redirect:
        if not code.strip():
            return page(request, "certificates/lookup.html", typed="", not_found=False)
        try:
            cert = await service.certificate(code, _base_url(request))
        except NotFound:  # said beside the form, so the next try is one tap away
            return page(request, "certificates/lookup.html", status_code=404, typed=code, not_found=True)
        return Redirect(f"/certificates/{cert.code}?lang={request_language(request)}", status_code=303)

    @get("/certificates/{code:str}")
    async def verify_page(self, request: Request, code: FromPath[str]) -> Template | Redirect | Response[bytes]:
        if code.lower().endswith(".pdf"):  # /certificates/{code}.pdf: the printable poster
            return await self._poster(request, code[: -len(".pdf")], "pdf")
        try:
            cert = await service.certificate(code, _base_url(request))
        except NotFound:
            return page(request, "certificates/lookup.html", status_code=404, typed=code, not_found=True)
        if code != cert.code:  # typed in lower case or with spaces: one address per certificate
            return Redirect(f"/certificates/{cert.code}", query_params=dict(request.query_params), status_code=301)
        lang = request_language(request)
        return page(
            request,
            "certificates/certificate.html",
            cert=cert,
            code_grouped=service.grouped(cert.code),
            retired_on=service.retired_on(cert.retired_at, lang),
            qr_svg=service.qr_svg(cert.links.page),
            extra_rows=await service.page_rows(cert.code, lang),
        )

    @get("/certificates/{code:str}/qr.png")
    async def qr_png(self, request: Request, code: FromPath[str]) -> Response[bytes]:
        cert = await service.certificate(code, _base_url(request))
        body = service.qr_png(cert.links.page)
        return Response(body, media_type="image/png", headers={"Cache-Control": PUBLIC_CACHE})

    @get("/certificates/{code:str}/qr.svg")
    async def qr_svg(self, request: Request, code: FromPath[str]) -> Response[bytes]:
        cert = await service.certificate(code, _base_url(request))
        body = service.qr_svg(cert.links.page).encode()
        return Response(body, media_type="image/svg+xml", headers={"Cache-Control": PUBLIC_CACHE})

    @get("/certificates/{code:str}/poster.png")
    async def poster(
        self,
        request: Request,
        code: FromPath[str],
        format: Annotated[str, QueryParameter(pattern="^(png|pdf)$")] = "png",
    ) -> Response[bytes]:
        return await self._poster(request, code, format)

    async def _poster(self, request: Request, code: str, fmt: str) -> Response[bytes]:
        cert = await service.certificate(code, _base_url(request))
        rendered = await service.poster(cert, request_language(request), fmt, _poster_store(request))
        etag = f'"{rendered.digest}"'
        # Its words follow the reader's language (?lang=, the lang cookie, Accept-Language).
        headers = {"Cache-Control": PUBLIC_CACHE, "ETag": etag, "Vary": "Accept-Language, Cookie"}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        if fmt == "pdf":
            headers["Content-Disposition"] = f'inline; filename="certificate-{cert.code}.pdf"'
        return Response(rendered.body, media_type=rendered.media_type, headers=headers)
