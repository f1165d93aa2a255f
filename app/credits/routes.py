"""Credits API and pages: monitoring reports (smallholders submit, verifiers review and issue), loss
events (verifiers), and the public serial lookup and issuance pages (no sign-in)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Template

from app.core.auth import Role, require_principal, requires
from app.core.errors import NotFound
from app.core.pages import page
from app.credits import lookup, reversal, service
from app.credits.schemas import (
    BlockOut,
    IssuanceOut,
    LossEventIn,
    LossEventOut,
    MethodologyOut,
    MonitoringReportIn,
    ProjectBrief,
    ReportChainOut,
    ReportOut,
    RetirementOut,
    ReturnIn,
    ReversalOut,
    SerialOut,
    SupplyOut,
    UsedEstimateOut,
)
from app.regions import service as regions
from app.registry.schemas import MeasurementIn as RegistryMeasurementIn
from models.credits import BUFFER_POOL, Issuance, LossEvent, MonitoringReport, ReportEstimate, SerialBlock


def used_out(e: ReportEstimate) -> UsedEstimateOut:
    return UsedEstimateOut(
        parcel=e.parcel_public_id,
        estimate_id=e.estimate_id,  # type: ignore[attr-defined]
        approved_estimate_id=e.approved_estimate_id,  # type: ignore[attr-defined]
        methodology_id=e.methodology_id,
        methodology_version=e.methodology_version,
        parameter_set_sha256=e.parameter_set_sha256,
        inputs_sha256=e.inputs_sha256,
        basis=e.basis,
        kg_per_year=e.kg_per_year,
        buffer_kg_per_year=e.buffer_kg_per_year,
        record=f"/api/v1/registry/parcels/{e.parcel_public_id}/estimate",
    )


def report_out(r: MonitoringReport, used: list[ReportEstimate]) -> ReportOut:
    return ReportOut(
        id=r.public_id,
        project=r.project.public_id,
        status=r.status,
        period_start=r.period_start,
        period_end=r.period_end,
        parcels=r.parcel_public_ids,
        methodology_id=r.methodology_id,
        methodology_version=r.methodology_version,
        parameter_sha256=r.parameter_sha256,
        kg_issued=r.kg_issued,
        buffer_kg=r.buffer_kg,
        day_count=str(r.estimate.get("day_count", "")),
        year_fraction=str(r.estimate.get("year_fraction", "")),
        estimates=[used_out(e) for e in used],
        return_reasons=r.return_reasons,
        return_note=r.return_note,
        submitted_at=r.submitted_at,
        decided_at=r.decided_at,
    )


async def reports_out(reports: list[MonitoringReport]) -> list[ReportOut]:
    used = await service.estimates_of([r.id for r in reports])
    return [report_out(r, used.get(r.id, [])) for r in reports]


def chain_out(chain: lookup.Chain | None) -> ReportChainOut | None:
    if chain is None:
        return None
    r = chain.report
    return ReportChainOut(
        id=r.public_id,
        day_count=str(r.estimate.get("day_count", "")),
        year_fraction=str(r.estimate.get("year_fraction", "")),
        kg_issued=r.kg_issued,
        buffer_kg=r.buffer_kg,
        estimates=[used_out(e) for e in chain.estimates],
    )


def holder_kind(block: SerialBlock | lookup.BlockRow, issuance: Issuance | lookup.IssuanceRow) -> str:
    """Who holds it, without naming anyone: the project owner, the buffer pool or a buyer."""
    if block.holder == BUFFER_POOL:
        return "buffer_pool"
    return "owner" if block.holder == issuance.owner_holder else "buyer"


def block_out(b: SerialBlock | lookup.BlockRow, issuance: Issuance | lookup.IssuanceRow) -> BlockOut:
    return BlockOut(b.display, b.serial_start, b.serial_end, b.quantity, b.status, holder_kind(b, issuance))


def issuance_out(  # type: ignore[no-untyped-def]
    i: Issuance | lookup.IssuanceRow,
    supply=None,
    blocks: list[SerialBlock] | None = None,
    chain: lookup.Chain | None = None,
) -> IssuanceOut:
    project = i.project
    return IssuanceOut(
        id=i.public_id,
        project=ProjectBrief(
            project.public_id, project.name, project.county_code, regions.full_name(project.county_code)
        ),
        vintage=i.vintage,
        period_start=i.period_start,
        period_end=i.period_end,
        class_code=i.class_code,
        methodology=MethodologyOut(i.methodology_id, i.methodology_version, i.parameter_sha256),
        parcels=i.parcel_public_ids,
        quantity=i.quantity,
        owner_kg=i.owner_kg,
        buffer_kg=i.buffer_kg,
        serial_start=i.serial_start,
        serial_end=i.serial_end,
        issued_at=i.issued_at,
        supply=SupplyOut(
            supply.issued, supply.tradable, supply.reserved, supply.retired, supply.cancelled, supply.buffer
        )
        if supply is not None
        else None,
        blocks=[block_out(b, i) for b in blocks or []],
        report=chain_out(chain),
    )


def serial_out(view: lookup.SerialView) -> SerialOut:
    i = view.issuance
    retirement = None
    if r := view.retirement:
        shown = lookup.shown_beneficiary(r)
        retirement = RetirementOut(
            beneficiary=shown,
            purpose=r.purpose,
            purpose_reference=r.purpose_reference if r.beneficiary_shown == "full" else None,
            retired_at=r.retired_at,
            reversal=ReversalOut(view.reversal.public_id, view.reversal.cause, view.reversal.occurred_on)
            if view.reversal
            else None,
        )
    return SerialOut(
        serial=view.asked,
        unit=view.unit,
        block=block_out(view.block, i),
        issuance=issuance_out(i, chain=view.chain),
        parcels=i.parcel_public_ids,
        methodology=MethodologyOut(i.methodology_id, i.methodology_version, i.parameter_sha256),
        status=view.block.status,
        retirement=retirement,
        children=[block_out(c, i) for c in view.children],
    )


def loss_out(e: LossEvent, project_public_id: str) -> LossEventOut:
    return LossEventOut(
        e.public_id, project_public_id, e.cause, e.occurred_on, e.loss_kg, e.cancelled_unsold_kg, e.buffer_drawn_kg
    )


class MonitoringReportsController(Controller):
    path = "/api/v1/credits/monitoring-reports"
    tags = ["credits"]

    @post("/", summary="Submit a monitoring report for my approved project", guards=[requires(Role.SMALLHOLDER)])
    async def submit(self, request: Request, data: JSONBody[MonitoringReportIn]) -> ReportOut:
        measurements: dict[str, list[RegistryMeasurementIn]] = {}
        for m in data.measurements:
            measurements.setdefault(m.parcel, []).append(
                RegistryMeasurementIn(m.measured_on, m.stand_volume_m3_per_ha, m.method)
            )
        report = await service.submit_report(
            require_principal(request),
            data.project,
            data.period_start,
            data.period_end,
            parcel_public_ids=data.parcels,
            evidence=[{"kind": x.kind, "ref": x.ref, "note": x.note} for x in data.evidence],
            measurements=measurements,
        )
        return (await reports_out([await service.report_by_public_id(report.public_id)]))[0]

    @get("/mine", summary="My projects' monitoring reports", guards=[requires(Role.SMALLHOLDER)])
    async def mine(self, request: Request) -> list[ReportOut]:
        return await reports_out(await service.my_reports(require_principal(request)))

    @get("/", summary="The verifiers' queue, oldest first", guards=[requires(Role.VERIFIER)])
    async def queue(
        self,
        status: Annotated[str, QueryParameter(pattern="^(submitted|under_review|approved|returned)$")] = "submitted",
    ) -> list[ReportOut]:
        return await reports_out(await service.queue(status))

    @post(
        "/{report_id:str}/review",
        summary="Take a report under review",
        status_code=200,
        guards=[requires(Role.VERIFIER)],
    )
    async def review(self, request: Request, report_id: FromPath[str]) -> ReportOut:
        return (await reports_out([await service.start_review(require_principal(request), report_id)]))[0]

    @post(
        "/{report_id:str}/return",
        summary="Return a report with reasons",
        status_code=200,
        guards=[requires(Role.VERIFIER)],
    )
    async def return_(self, request: Request, report_id: FromPath[str], data: JSONBody[ReturnIn]) -> ReportOut:
        returned = await service.return_report(require_principal(request), report_id, data.reasons, data.note)
        return (await reports_out([returned]))[0]

    @post("/{report_id:str}/approve", summary="Approve a report and issue its units", guards=[requires(Role.VERIFIER)])
    async def approve(self, request: Request, report_id: FromPath[str]) -> IssuanceOut:
        issuance = await service.approve(require_principal(request), report_id)
        found, supply, blocks = await lookup.issuance_view(issuance.public_id)
        chain = await lookup.chain_of_report(found.monitoring_report_id)  # type: ignore[attr-defined]
        return issuance_out(found, supply, blocks, chain)


class LossEventsController(Controller):
    path = "/api/v1/credits/loss-events"
    tags = ["credits"]
    guards = [requires(Role.VERIFIER)]

    @post("/", summary="Record a loss (fire, pests, land conversion) and reverse its units")
    async def record_loss(self, request: Request, data: JSONBody[LossEventIn]) -> LossEventOut:
        event = await reversal.record_loss(
            require_principal(request),
            data.project,
            data.cause,
            data.occurred_on,
            data.loss_kg,
            parcel_public_ids=data.parcels,
            note=data.note,
        )
        return loss_out(event, data.project)


class CreditsPublicController(Controller):
    path = "/api/v1/credits"
    tags = ["credits"]
    opt = {"public": True, "public_cache": "credits"}  # anonymous answers micro-cached (app/core/public_cache.py)

    @get("/serials/{serial:str}", summary="Look up any serial (no sign-in)")
    async def serial(self, serial: FromPath[str]) -> SerialOut:
        return serial_out(await lookup.lookup(serial))

    @get("/issuances/{issuance_id:str}", summary="An issuance, its supply and its blocks (no sign-in)")
    async def issuance(self, issuance_id: FromPath[str]) -> IssuanceOut:
        found, supply, blocks = await lookup.issuance_view(issuance_id)
        chain = await lookup.chain_of_report(found.monitoring_report_id)  # type: ignore[attr-defined]
        return issuance_out(found, supply, blocks, chain)


class CreditsPages(Controller):
    """Public pages: serial lookup and issuance (zh/en, phone-first, no JavaScript)."""

    include_in_schema = False
    opt = {"public": True, "public_cache": "credits"}  # anonymous answers micro-cached (app/core/public_cache.py)

    @get("/credits/serials")
    async def lookup_form(self, request: Request, serial: Annotated[str, QueryParameter()] = "") -> Template:
        if serial.strip():
            return await self._serial_page(request, serial)
        return page(request, "credits/lookup.html", asked="", view=None, not_found=False)

    @get("/credits/serials/{serial:str}")
    async def serial_page(self, request: Request, serial: FromPath[str]) -> Template:
        return await self._serial_page(request, serial)

    async def _serial_page(self, request: Request, serial: str) -> Template:
        try:
            view = await lookup.lookup(serial)
        except NotFound:  # the page says so beside the form, so the next try is one tap away
            return page(request, "credits/lookup.html", status_code=404, asked=serial, view=None, not_found=True)
        return page(request, "credits/serial.html", asked=serial, view=serial_out(view))

    @get("/credits/issuances/{issuance_id:str}")
    async def issuance_page(self, request: Request, issuance_id: FromPath[str]) -> Template:
        found, supply, blocks = await lookup.issuance_view(issuance_id)
        chain = await lookup.chain_of_report(found.monitoring_report_id)  # type: ignore[attr-defined]
        return page(request, "credits/issuance.html", issuance=issuance_out(found, supply, blocks, chain))
