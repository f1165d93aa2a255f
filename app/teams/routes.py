"""Teams: the JSON API (create, join, leave, rotate the code, remove a member, my teams, a team's board,
a campaign's boards), the team page with its join form, and the owner's QR of the join link."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from app.campaigns import service as campaigns
from app.certificates.service import qr_png
from app.core.auth import Role, principal_of, require_principal, requires
from app.core.errors import AppError
from app.core.i18n import request_language
from app.core.pages import page
from app.points.leaderboard import current_year
from app.settings import Settings
from app.teams import board, service
from app.teams.board import TeamBoard
from app.teams.schemas import (
    CampaignBoardsOut,
    CampaignPersonPlaceOut,
    CampaignTeamPlaceOut,
    JoinIn,
    JoinOut,
    LeaveOut,
    MemberPlaceOut,
    MyTeamOut,
    TeamBoardOut,
    TeamIn,
    TeamOut,
)
from models.accounts import Organisation, User
from models.campaigns import Campaign
from models.teams import Team

TOP_MEMBERS = 20


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _board(request: Request) -> TeamBoard:
    return request.app.state.team_board  # type: ignore[no-any-return]


def join_url(settings: Settings, team: Team) -> str:
    return f"{settings.base_url}/teams/{team.public_id}?code={service.shown_code(team.join_code)}"


async def team_out(request: Request, team: Team, user: User | None) -> TeamOut:
    lang = request_language(request)
    owner = user is not None and team.owner_id == user.id  # type: ignore[attr-defined]
    parent = await Team.get(id=team.parent_id) if team.parent_id else None  # type: ignore[attr-defined]
    campaign = await Campaign.get(id=team.campaign_id) if team.campaign_id else None  # type: ignore[attr-defined]
    org = await Organisation.get(id=team.organisation_id) if team.organisation_id else None  # type: ignore[attr-defined]
    return TeamOut(
        id=team.public_id,
        kind=team.kind,  # type: ignore[arg-type]
        name=service.team_name(team, lang),
        name_zh=team.name_zh,
        name_en=team.name_en,
        parent=parent.public_id if parent else None,
        campaign=campaign.slug if campaign else None,
        organisation=org.public_id if org else None,
        members=team.member_count,
        page=f"/teams/{team.public_id}",
        owner=owner,
        member=await service.is_member(user, team),
        join_code=service.shown_code(team.join_code) if owner else None,
        join_url=join_url(_settings(request), team) if owner else None,
        qr_png=f"/api/v1/teams/{team.public_id}/qr.png" if owner else None,
    )


def _qr(request: Request, team: Team) -> Response[bytes]:
    return Response(
        qr_png(join_url(_settings(request), team)),
        media_type="image/png",
        headers={"Cache-Control": "private, no-store"},  # it carries the code; a rotation must show at once
    )


class TeamsController(Controller):
    path = "/api/v1/teams"
    tags = ["teams"]

    @post("/", summary="Create a team (you become its owner, not a member)", guards=[requires(Role.CITIZEN)])
    async def create(self, request: Request, data: JSONBody[TeamIn]) -> TeamOut:
        principal = require_principal(request)
        return await team_out(request, await service.create(principal, data), principal.user)

    @get("/mine", summary="The teams I am in", guards=[requires(Role.CITIZEN)])
    async def mine(self, request: Request) -> list[MyTeamOut]:
        user = require_principal(request).user
        return [MyTeamOut(await team_out(request, t, user), m.joined_at) for t, m in await service.memberships_of(user)]

    @post(
        "/join",
        summary="Join the team of a code (a replay changes nothing: joined=false)",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
    )
    async def join(self, request: Request, data: JSONBody[JoinIn]) -> JoinOut:
        user = require_principal(request).user
        done = await service.join(
            user,
            data.code,
            max_members=_settings(request).teams_max_members,
            board=_board(request),
            counters=request.app.state.counters,
        )
        return JoinOut(await team_out(request, done.team, user), done.joined)

    @get("/{public_id:str}", summary="A team: members, this year's points and rank, top members", opt={"public": True})
    async def one(
        self, request: Request, public_id: FromPath[str], limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20
    ) -> TeamBoardOut:
        team = await service.team(public_id)
        principal = principal_of(request)
        place = await _board(request).place_of(team)
        top = await board.members_top(team, limit)
        return TeamBoardOut(
            team=await team_out(request, team, principal.user if principal else None),
            year=current_year(),
            points=place.points if place else 0,
            rank=place.rank if place else None,
            top=[MemberPlaceOut(p.rank, p.name, p.score) for p in top],
        )

    @post("/{public_id:str}/leave", summary="Leave a team", guards=[requires(Role.CITIZEN)], status_code=200)
    async def leave(self, request: Request, public_id: FromPath[str]) -> LeaveOut:
        left = await service.leave(require_principal(request).user, public_id, board=_board(request))
        return LeaveOut(public_id, left)

    @post(
        "/{public_id:str}/code",
        summary="Replace the join code (owner); the old code stops working at once",
        guards=[requires(Role.CITIZEN)],
        status_code=200,
    )
    async def rotate(self, request: Request, public_id: FromPath[str]) -> TeamOut:
        user = require_principal(request).user
        return await team_out(request, await service.rotate_code(user, public_id), user)

    @delete(
        "/{public_id:str}/members/{member:str}",
        summary="Remove a member (owner)",
        guards=[requires(Role.CITIZEN)],
        status_code=204,
    )
    async def remove(self, request: Request, public_id: FromPath[str], member: FromPath[str]) -> None:
        await service.remove(require_principal(request).user, public_id, member, board=_board(request))

    @get("/{public_id:str}/qr.png", summary="QR code of the join link (owner)", guards=[requires(Role.CITIZEN)])
    async def qr(self, request: Request, public_id: FromPath[str]) -> Response[bytes]:
        team = await service.owned_team(require_principal(request).user, public_id)
        return _qr(request, team)

    @get(
        "/campaigns/{slug:str}",
        summary="A campaign's teams and people by check-ins (public; names masked)",
        opt={"public": True},
    )
    async def campaign_boards(
        self, request: Request, slug: FromPath[str], limit: Annotated[int, QueryParameter(ge=1, le=100)] = 10
    ) -> CampaignBoardsOut:
        lang = request_language(request)
        c = await campaigns.campaign(slug)
        boards = await board.campaign_boards(c.id, limit, request.app.stores.get("teams"))
        return CampaignBoardsOut(
            campaign=c.slug,
            teams=[
                CampaignTeamPlaceOut(
                    p.rank,
                    p.team,
                    p.name_en if lang == "en" and p.name_en else p.name_zh,
                    p.kind,  # type: ignore[arg-type]
                    p.checkins,
                    p.people,
                )
                for p in boards.teams
            ],
            people=[CampaignPersonPlaceOut(p.rank, p.name, p.checkins) for p in boards.people],
        )


# --- pages -------------------------------------------------------------------------------------------


class CodeForm(msgspec.Struct):
    """The join form (unknown fields such as _csrf_token are ignored)."""

    code: str = ""


async def _team_page(request: Request, public_id: str, *, error: AppError | None = None, notice: str = "") -> Template:
    lang = request_language(request)
    team = await service.team(public_id)
    principal = principal_of(request)
    user = principal.user if principal else None
    owner = user is not None and team.owner_id == user.id  # type: ignore[attr-defined]
    place = await _board(request).place_of(team)
    parent = await Team.get(id=team.parent_id) if team.parent_id else None  # type: ignore[attr-defined]
    campaign = await Campaign.get(id=team.campaign_id) if team.campaign_id else None  # type: ignore[attr-defined]
    return page(
        request,
        "teams/team.html",
        status_code=error.status_code if error else 200,
        team=team,
        name=service.team_name(team, lang),
        parent=parent,
        parent_name=service.team_name(parent, lang) if parent else "",
        campaign=campaign,
        classes=[(c, service.team_name(c, lang)) for c in await service.classes_of(team)],
        people=await service.people_count(team),
        year=current_year(),
        place=place,
        top=await board.members_top(team, TOP_MEMBERS),
        member=await service.is_member(user, team),
        owner=owner,
        code=service.shown_code(team.join_code) if owner else "",
        typed_code=request.query_params.get("code", "")[:16],
        error=error,
        notice=notice,
    )


NOTICES = {
    "joined": "teams.page.joined_notice",
    "left": "teams.page.left_notice",
    "rotated": "teams.page.rotated_notice",
}


class TeamPages(Controller):
    include_in_schema = False

    @get("/teams/{public_id:str}", opt={"public": True})
    async def team_page(self, request: Request, public_id: FromPath[str]) -> Template:
        return await _team_page(request, public_id, notice=NOTICES.get(request.query_params.get("done", ""), ""))

    @post("/teams/{public_id:str}/join", guards=[requires(Role.CITIZEN)], status_code=200)
    async def join(
        self, request: Request, public_id: FromPath[str], data: URLEncodedBody[CodeForm]
    ) -> Template | Redirect:
        lang = request_language(request)
        try:
            done = await service.join(
                require_principal(request).user,
                data.code,
                max_members=_settings(request).teams_max_members,
                board=_board(request),
                counters=request.app.state.counters,
            )
        except AppError as exc:
            return await _team_page(request, public_id, error=exc)
        return Redirect(f"/teams/{done.team.public_id}?lang={lang}&done=joined", status_code=303)

    @post("/teams/{public_id:str}/leave", guards=[requires(Role.CITIZEN)], status_code=200)
    async def leave(self, request: Request, public_id: FromPath[str]) -> Template | Redirect:
        await service.leave(require_principal(request).user, public_id, board=_board(request))
        return Redirect(f"/teams/{public_id}?lang={request_language(request)}&done=left", status_code=303)

    @post("/teams/{public_id:str}/code", guards=[requires(Role.CITIZEN)], status_code=200)
    async def rotate(self, request: Request, public_id: FromPath[str]) -> Template | Redirect:
        try:
            await service.rotate_code(require_principal(request).user, public_id)
        except AppError as exc:
            return await _team_page(request, public_id, error=exc)
        return Redirect(f"/teams/{public_id}?lang={request_language(request)}&done=rotated", status_code=303)

    @get("/teams/{public_id:str}/qr.png", guards=[requires(Role.CITIZEN)])
    async def qr(self, request: Request, public_id: FromPath[str]) -> Response[bytes]:
        team = await service.owned_team(require_principal(request).user, public_id)
        return _qr(request, team)
