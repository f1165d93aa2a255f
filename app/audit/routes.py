"""The public audit chain: its root and events as JSON, and a page anyone can read. No sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from app.audit import messages as _messages  # noqa: F401  (registers page text)
from app.audit import service
from app.audit.schemas import AuditEventPage, AuditRoot
from app.core.pages import page


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    opt = {"public": True}

    @get("/root", summary="The chain's root hash, length and unsealed backlog")
    async def root(self) -> AuditRoot:
        return await service.root()

    @get("/events", summary="Sealed events in chain order, to recompute every hash")
    async def events(
        self,
        after_seq: Annotated[int, Parameter(ge=0, le=2**62, description="return events with seq > after_seq")] = 0,
        limit: Annotated[int, Parameter(ge=1, le=service.MAX_PAGE)] = 100,
    ) -> AuditEventPage:
        return await service.events(after_seq, limit)


class AuditPageController(Controller):
    path = "/audit"
    opt = {"public": True}
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return page(
            request,
            "audit/index.html",
            root=await service.root(),
            events=await service.latest(20),
            parse_time=datetime.fromisoformat,
        )
