"""The home page: what MicroSink is, and the ways in."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.core.pages import page
from app.public import messages as _messages  # noqa: F401  (registers page text)


class HomeController(Controller):
    opt = {"public": True}
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        return page(request, "public/home.html")

    # The home page links here already; each page says honestly that it is still being built
    # until its issue (campaigns, certificates) replaces the handler. /registry: app.registry.routes.
    @get(["/campaigns", "/verify"])
    async def being_built(self, request: Request) -> Template:
        section = request.url.path.strip("/")
        return page(request, "public/being_built.html", section=section)
