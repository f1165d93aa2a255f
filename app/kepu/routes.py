"""科普 pages: /kepu and /kepu/{slug}, public, Chinese first."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from app.core.i18n import request_language
from app.core.pages import page
from app.kepu import messages as _messages  # noqa: F401  (registers the texts)
from app.kepu import service


class KepuPages(Controller):
    include_in_schema = False
    opt = {"public": True}

    @get("/kepu")
    async def index(self, request: Request) -> Template:
        return page(request, "kepu/index.html", pages=service.pages(request_language(request)))

    @get("/kepu/{slug:str}")
    async def one(self, request: Request, slug: FromPath[str]) -> Template:
        lang = request_language(request)
        return page(request, "kepu/page.html", p=service.render(slug, lang), slugs=service.SLUGS)
