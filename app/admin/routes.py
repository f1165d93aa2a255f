"""Platform admin API: organisations and role grants."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, QueryParameter

from app.accounts import service as accounts
from app.admin import service
from app.admin.schemas import MembershipIn, MembershipOut, OrganisationIn, OrganisationOut
from app.core.audit import actor_of
from app.core.auth import Role, require_principal, requires


def _org_out(o) -> OrganisationOut:  # type: ignore[no-untyped-def]
    return OrganisationOut(o.public_id, o.kind, o.name, o.county_code, o.created_at)


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [requires(Role.PLATFORM_ADMIN)]

    @get("/organisations", summary="List organisations")
    async def list_organisations(
        self,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[OrganisationOut]:
        return [_org_out(o) for o in await service.list_organisations(limit, offset)]

    @post("/organisations", summary="Create an organisation")
    async def create_organisation(self, request: Request, data: JSONBody[OrganisationIn]) -> OrganisationOut:
        actor = actor_of(require_principal(request).user)
        org = await accounts.create_organisation(data.kind, data.name, data.county_code, actor)
        return _org_out(org)

    @post("/memberships", summary="Grant a role (idempotent)")
    async def grant(self, request: Request, data: JSONBody[MembershipIn]) -> MembershipOut:
        actor = actor_of(require_principal(request).user)
        user, org = await service.grant(
            request.app.state.settings, data.role, data.user, data.phone, data.organisation, actor
        )
        return MembershipOut(user.public_id, data.role, org.public_id if org else None)

    @post("/memberships/revoke", summary="Take a role away", status_code=200)
    async def revoke(self, request: Request, data: JSONBody[MembershipIn]) -> MembershipOut:
        actor = actor_of(require_principal(request).user)
        user, org = await service.revoke(
            request.app.state.settings, data.role, data.user, data.phone, data.organisation, actor
        )
        return MembershipOut(user.public_id, data.role, org.public_id if org else None)
