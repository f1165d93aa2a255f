"""The carbon account API: balance, history (JSON and CSV), self-service earning, the rules."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.response import Template

from app.core.auth import Role, require_principal, requires
from app.core.errors import AppError
from app.core.i18n import register_messages, request_language
from app.core.pages import page
from app.points import leaderboard, service
from app.points.leaderboard import Place, current_year
from app.points.schemas import (
    AccountOut,
    DistrictPlaceOut,
    EarnIn,
    HistoryLineOut,
    HoldOut,
    PlaceOut,
    RuleOut,
    RulesOut,
    TransferOut,
)
from app.regions import service as regions
from app.teams import service as teams
from app.teams.schemas import Kind, TeamPlaceOut


async def _csv_download(request: Request) -> Response[str]:
    text = await service.history_csv(require_principal(request).user, request_language(request))
    return Response(
        "\ufeff" + text,  # a BOM so spreadsheet programs read the Chinese correctly
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="points.csv"'},
    )


class PointsController(Controller):
    path = "/api/v1/points"
    tags = ["points"]
    guards = [requires(Role.CITIZEN)]

    @get("/account", summary="My points: balance, held by pending holds, available")
    async def account(self, request: Request) -> AccountOut:
        lang = request_language(request)
        b = await service.balance_of(require_principal(request).user)
        holds = [HoldOut(h.id, h.amount, h.reason, service.reason_label(h.reason, lang), h.expires_at) for h in b.holds]
        return AccountOut(b.balance, b.held, b.available, holds)

    @get("/history", summary="My points history, newest first, with reasons in my language")
    async def history(
        self, request: Request, page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1
    ) -> list[HistoryLineOut]:
        lines = await service.history(require_principal(request).user, request_language(request), page=page)
        return [HistoryLineOut(x.id, x.at, x.amount, x.reason, x.label, x.reference) for x in lines]

    @get(
        "/history.csv", summary="My whole history as CSV; the last running balance is my balance", media_type="text/csv"
    )
    async def history_csv(self, request: Request) -> Response[str]:
        return await _csv_download(request)

    # A citizen's points appear on no publicly cached answer (app/core/public_cache.py).
    @post(
        "/earn",
        summary="Earn the points of a self-service action (e.g. the daily check-in)",
        opt={"public_changes": ()},
    )
    async def earn(self, request: Request, data: JSONBody[EarnIn]) -> TransferOut:
        user = require_principal(request).user
        t = await service.earn(
            data.id,
            user,
            data.action,
            units=data.units,
            reference=data.reference,
            self_service=True,
            leaderboard=request.app.state.leaderboard,
        )
        label = service.reason_label(t.reason, request_language(request))
        return TransferOut(t.id, t.amount, t.reason, label, t.reference, t.created_at)


def _place_out(place: Place | None) -> PlaceOut | None:
    return PlaceOut(place.rank, place.user_public_id, place.display_name, place.points) if place else None


def _district(code: str | None) -> str | None:
    return None if code is None else regions.county(code, "district").code


class LeaderboardController(Controller):
    path = "/api/v1/points/leaderboard"
    tags = ["points"]

    @get(
        "/", summary="This year's top earners, overall or in one district (public: never a phone)", opt={"public": True}
    )
    async def top(
        self,
        request: Request,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 10,
        district: Annotated[str | None, QueryParameter(description="GB/T 2260 county-level code")] = None,
    ) -> list[PlaceOut]:
        places = await request.app.state.leaderboard.top(current_year(), limit, _district(district))
        return [p for p in map(_place_out, places) if p]

    @get("/me", summary="My place this year", guards=[requires(Role.CITIZEN)])
    async def mine(self, request: Request) -> PlaceOut | None:
        return _place_out(await request.app.state.leaderboard.rank_of(require_principal(request).user, current_year()))

    @get("/me/district", summary="My place this year among the people of my district", guards=[requires(Role.CITIZEN)])
    async def mine_in_district(self, request: Request) -> PlaceOut | None:
        user = require_principal(request).user
        if user.district_code is None:
            raise AppError("points.no_district")
        return _place_out(await request.app.state.leaderboard.rank_of(user, current_year(), user.district_code))

    @get("/districts", summary="Districts by the points their residents earned this year", opt={"public": True})
    async def districts(self, limit: Annotated[int, QueryParameter(ge=1, le=200)] = 20) -> list[DistrictPlaceOut]:
        places = await leaderboard.districts(current_year(), limit)
        return [DistrictPlaceOut(p.rank, p.district_code, p.district_name, p.points, p.people) for p in places]

    @get(
        "/teams",
        summary="Teams by this year's earned points of their current members (a school includes its classes)",
        opt={"public": True},
    )
    async def teams(
        self,
        request: Request,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        kind: Annotated[Kind | None, QueryParameter(description="company | school | class | other")] = None,
    ) -> list[TeamPlaceOut]:
        lang = request_language(request)
        places = await request.app.state.team_board.top(limit, kind)
        return [
            TeamPlaceOut(p.rank, p.team.public_id, teams.team_name(p.team, lang), p.team.kind, p.points) for p in places
        ]


class PointsRulesController(Controller):
    path = "/api/v1/points/rules"
    tags = ["points"]
    opt = {"public": True}

    @get("/", summary="The earning rules and caps in force (public)")
    async def rules(self, request: Request) -> RulesOut:
        lang = request_language(request)
        actions = [
            RuleOut(
                r.action,
                r.label.get(lang) or r.label["zh"],
                r.points_per_unit,
                r.daily_cap,
                r.yearly_cap,
                r.self_service,
            )
            for r in service.RULES.actions.values()
        ]
        return RulesOut(service.RULES.version, actions)


class PointsPages(Controller):
    """The carbon account page (碳账户) for the H5 pages and the mini-app web-view."""

    include_in_schema = False
    guards = [requires(Role.CITIZEN)]

    @get("/me/points")
    async def account_page(self, request: Request) -> Template:
        user = require_principal(request).user
        lang = request_language(request)
        return page(
            request,
            "points/account.html",
            account=await service.balance_of(user),
            summary=await service.year_summary(user),
            lines=await service.history(user, lang, page=1, page_size=20),
            label=lambda reason: service.reason_label(reason, lang),
        )

    @get("/me/points/history.csv")
    async def history_csv(self, request: Request) -> Response[str]:
        return await _csv_download(request)


register_messages(
    {
        "points.page.title": {"zh": "我的碳账户", "en": "My carbon account"},
        "points.page.unit": {"zh": "积分", "en": "points"},
        "points.page.available": {"zh": "可用积分", "en": "available"},
        "points.page.held": {"zh": "另有 {held} 分暂时冻结", "en": "{held} more on hold"},
        "points.page.year": {"zh": "{year} 年", "en": "In {year}"},
        "points.page.earned": {"zh": "获得积分", "en": "Points earned"},
        "points.page.spent": {"zh": "使用积分", "en": "Points spent"},
        "points.page.holds": {"zh": "冻结中", "en": "On hold"},
        "points.page.until": {"zh": "至 {at}", "en": "until {at}"},
        "points.page.history": {"zh": "积分明细", "en": "History"},
        "points.page.csv": {"zh": "下载全部明细（CSV）", "en": "Download the whole history (CSV)"},
        "points.page.empty": {
            "zh": "还没有积分记录：参加植树或每日签到即可获得积分。",
            "en": "No points yet: plant trees or check in daily to earn some.",
        },
        "points.page.rules_note": {
            "zh": "积分将可用于抵扣购买真实碳汇、捐给植树活动和兑换商户优惠（陆续上线）；积分绝不会被显示为“吨”。",
            "en": "Points will pay toward real sink credits, planting campaigns and merchant offers (arriving soon); "
            "they are never shown as tonnes.",
        },
    }
)
