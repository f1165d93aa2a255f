"""The home page: what MicroSink is, and the ways in."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from app.core.pages import page
from app.public import messages as _messages  # noqa: F401  (registers page text)
from app.public import service


class HomeController(Controller):
    opt = {"public": True}
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        return page(request, "public/home.html", stats=await service.home_stats())
