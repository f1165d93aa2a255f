"""The home page: what MicroSink is, and the ways in."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from app.core.pages import page
from app.public import messages as _messages  # noqa: F401  (registers page text)


class HomeController(Controller):
    opt = {"public": True}
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        return page(request, "public/home.html")

    @get("/verify")
    async def verify(self, request: Request) -> Redirect:
        """The home page's "verify a certificate": the certificate lookup (app.certificates.routes)."""
        lang = request.query_params.get("lang")
        return Redirect("/certificates" + (f"?lang={lang}" if lang in ("zh", "en") else ""), status_code=303)
