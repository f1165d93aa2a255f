"""The carbon account API: balance, history (JSON and CSV), self-service earning, the rules."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from app.core.auth import Role, require_principal, requires
from app.core.i18n import request_language
from app.points import service
from app.points.schemas import (
    AccountOut,
    EarnIn,
    HistoryLineOut,
    HoldOut,
    RuleOut,
    RulesOut,
    TransferOut,
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

    @get("/history.csv", summary="My whole history as CSV; the last running balance is my balance")
    async def history_csv(self, request: Request) -> Response[str]:
        text = await service.history_csv(require_principal(request).user, request_language(request))
        return Response(
            "\ufeff" + text,  # a BOM so spreadsheet programs read the Chinese correctly
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="points.csv"'},
        )

    @post("/earn", summary="Earn the points of a self-service action (e.g. the daily check-in)")
    async def earn(self, request: Request, data: JSONBody[EarnIn]) -> TransferOut:
        user = require_principal(request).user
        t = await service.earn(
            data.id, user, data.action, units=data.units, reference=data.reference, self_service=True
        )
        label = service.reason_label(t.reason, request_language(request))
        return TransferOut(t.id, t.amount, t.reason, label, t.reference, t.created_at)


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
