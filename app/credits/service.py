"""Monitoring reports and issuance: a smallholder reports a period, a verifier reviews it, approval issues.

States of a report: submitted → under_review → approved (issued in the same transaction) or returned
with reasons. A returned report stays on record; the owner submits a corrected one.

Approval is one transaction that writes first: the report's status moves by a conditional update (so
two approvals cannot both pass), then the project's serial counter is bumped (the lock that
serialises every issuance of the project, so the overlap check and the serial range are decided
under it), then the issuance (its origin key is UNIQUE: one monitoring period is never issued twice),
its supply row, the owner's block, the buffer pool's block and the audit records.

The estimate arrives as plain data (`EstimateRecord`), as the methodology calculators will hand it
over: methodology id and version, the parameter file's SHA-256, kg for the owner, kg for the buffer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.accounts import service as accounts
from app.core.audit import actor_of, record
from app.core.auth import Principal, Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING
from app.credits import messages  # noqa: F401  (registers the domain's messages)
from app.credits.blocks import display, now
from models.accounts import Organisation, User
from models.credits import BUFFER_POOL, CreditSupply, Issuance, MonitoringReport, SerialBlock, SerialCounter
from models.registry import Parcel, Project

# Credit class per methodology: the first part of every serial. One class per methodology id, so a
# serial says which calculator its kg came from before anyone opens the issuance.
CLASS_CODES = {
    "SC-LCP-AFF": "AFF",  # afforestation 造林
    "SC-LCP-MGT": "MGT",  # managed existing forest 森林经营
    "SC-LCP-BAM": "BAM",  # bamboo 竹林
    "SC-LCP-GRS": "GRS",  # grassland 草地
    "SC-LCP-WET": "WET",  # wetland 湿地
}
RETURN_REASONS = (
    "evidence_missing",
    "evidence_unclear",
    "measurements_implausible",
    "estimate_mismatch",
    "period_wrong",
    "parcels_wrong",
    "other",
)
MAX_KG = 10**9  # one report of a micro-sink can never honestly reach a million tonnes
MAX_PERIOD_DAYS = 5 * 366
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_VERSION = re.compile(r"^\d{1,4}\.\d{1,4}\.\d{1,4}$")


@dataclass(frozen=True)
class EstimateRecord:
    """What a methodology calculator hands over for a monitoring period (plain data, no calculator here)."""

    methodology_id: str
    methodology_version: str
    parameter_sha256: str
    kg_issued: int
    buffer_kg: int
    record: dict[str, Any] = field(default_factory=dict)  # the whole estimate, kept for reproduction


def owns(principal: Principal, project: Project) -> bool:
    """The registry's ownership: the household user, or a smallholder of the owning organisation."""
    if project.owner_user_id is not None:  # type: ignore[attr-defined]
        return project.owner_user_id == principal.user.id  # type: ignore[attr-defined]
    return project.owner_organisation_id in principal.orgs_with(Role.SMALLHOLDER)  # type: ignore[attr-defined]


async def owner_holder(project: Project) -> str:
    if project.owner_user_id is not None:  # type: ignore[attr-defined]
        user = await User.get(id=project.owner_user_id)  # type: ignore[attr-defined]
        return f"user:{user.public_id}"
    org = await Organisation.get(id=project.owner_organisation_id)  # type: ignore[attr-defined]
    return f"org:{org.public_id}"


def _bad(key: str, field_name: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": field_name}], **params)


def _check_estimate(estimate: EstimateRecord, project: Project) -> None:
    if estimate.methodology_id not in CLASS_CODES:
        raise _bad("credits.unknown_methodology", "methodology_id", methodology=estimate.methodology_id)
    if estimate.methodology_id != project.methodology_id:
        raise _bad(
            "credits.methodology_mismatch",
            "methodology_id",
            given=estimate.methodology_id,
            project=project.methodology_id,
        )
    if not _VERSION.match(estimate.methodology_version):
        raise _bad("credits.bad_version", "methodology_version")
    if not _SHA256.match(estimate.parameter_sha256):
        raise _bad("credits.bad_sha256", "parameter_sha256")
    for name in ("kg_issued", "buffer_kg"):
        value = getattr(estimate, name)
        low = 1 if name == "kg_issued" else 0
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_KG:
            raise _bad("credits.bad_kg", name, field=name, low=low, high=MAX_KG)


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise _bad("credits.period_reversed", "period_end", start=start.isoformat(), end=end.isoformat())
    today = now().astimezone(BEIJING).date()
    if end >= today:
        raise _bad("credits.period_not_over", "period_end", end=end.isoformat())
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise _bad("credits.period_too_long", "period_end", days=MAX_PERIOD_DAYS)


async def _overlapping(
    project_id: int, start: date, end: date, exclude_id: int | None = None
) -> MonitoringReport | None:
    query = MonitoringReport.filter(
        project_id=project_id, status="approved", period_start__lte=end, period_end__gte=start
    )
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    return await query.order_by("period_start").first()


def _overlap_error(other: MonitoringReport) -> Conflict:
    return Conflict(
        "credits.period_overlaps",
        detail=[{"field": "period_start"}],
        start=other.period_start.isoformat(),
        end=other.period_end.isoformat(),
        report=other.public_id,
    )


async def _project(public_id: str) -> Project:
    project = await Project.get_or_none(public_id=public_id)
    if project is None:
        raise NotFound("credits.project_not_found")
    return project


async def _covered_parcels(project: Project, parcel_public_ids: list[str]) -> list[str]:
    """The approved parcels of the project the report covers (all of them when none are named)."""
    approved: list[str] = await Parcel.filter(project_id=project.id, status="approved").values_list(  # type: ignore[assignment]
        "public_id", flat=True
    )
    if not parcel_public_ids:
        if not approved:
            raise _bad("credits.no_approved_parcels", "parcels")
        return sorted(approved)
    unknown = sorted(set(parcel_public_ids) - set(approved))
    if unknown:
        raise _bad("credits.parcel_not_in_project", "parcels", parcel=unknown[0])
    return sorted(set(parcel_public_ids))


async def submit_report(
    principal: Principal,
    project_public_id: str,
    period_start: date,
    period_end: date,
    estimate: EstimateRecord,
    *,
    parcel_public_ids: list[str] | None = None,
    evidence: list[dict[str, Any]] | None = None,
    measured_values: dict[str, Any] | None = None,
) -> MonitoringReport:
    """A smallholder reports a monitoring period of an approved project they own."""
    project = await _project(project_public_id)
    if not owns(principal, project):
        raise Forbidden("credits.not_your_project")
    if project.status != "approved":
        raise Conflict("credits.project_not_approved", status=project.status)
    _check_period(period_start, period_end)
    _check_estimate(estimate, project)
    parcels = await _covered_parcels(project, parcel_public_ids or [])
    if other := await _overlapping(project.id, period_start, period_end):
        raise _overlap_error(other)
    async with in_transaction():
        report = await MonitoringReport.create(
            public_id=accounts.new_public_id(),
            project=project,
            parcel_public_ids=parcels,
            period_start=period_start,
            period_end=period_end,
            evidence=evidence or [],
            measured_values=measured_values or {},
            methodology_id=estimate.methodology_id,
            methodology_version=estimate.methodology_version,
            parameter_sha256=estimate.parameter_sha256,
            kg_issued=estimate.kg_issued,
            buffer_kg=estimate.buffer_kg,
            estimate=estimate.record,
            submitted_by=principal.user,
        )
        await record(
            actor=actor_of(principal.user),
            action="credits.report.submitted",
            entity_type="monitoring_report",
            entity_id=report.public_id,
            after=_report_state(report, project),
        )
    return report


def _report_state(report: MonitoringReport, project: Project | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "status": report.status,
        "period": [report.period_start.isoformat(), report.period_end.isoformat()],
        "methodology": f"{report.methodology_id}@{report.methodology_version}",
        "parameter_sha256": report.parameter_sha256,
        "kg_issued": report.kg_issued,
        "buffer_kg": report.buffer_kg,
    }
    if project is not None:
        state["project"] = project.public_id
    return state


async def report_by_public_id(public_id: str) -> MonitoringReport:
    report = await MonitoringReport.get_or_none(public_id=public_id).select_related("project")
    if report is None:
        raise NotFound("credits.report_not_found")
    return report


async def my_reports(principal: Principal) -> list[MonitoringReport]:
    orgs = principal.orgs_with(Role.SMALLHOLDER)
    projects = await Project.filter(owner_user_id=principal.user.id).values_list("id", flat=True)
    if orgs:
        projects += await Project.filter(owner_organisation_id__in=orgs).values_list("id", flat=True)
    return await MonitoringReport.filter(project_id__in=projects).select_related("project").order_by("-submitted_at")


async def queue(status: str = "submitted", limit: int = 100) -> list[MonitoringReport]:
    """The verifiers' queue: oldest first, so nothing waits forever."""
    return (
        await MonitoringReport.filter(status=status)
        .select_related("project")
        .order_by("submitted_at", "id")
        .limit(limit)
    )


def _not_own_review(principal: Principal, project: Project) -> None:
    if owns(principal, project) or project.created_by_id == principal.user.id:  # type: ignore[attr-defined]
        raise Forbidden("credits.own_project")


async def _transition(
    principal: Principal, report: MonitoringReport, expected: str, action: str, **changes: Any
) -> MonitoringReport:
    """Move the report from `expected` by one conditional update, with its audit record."""
    before = report.status
    async with in_transaction():
        if not await MonitoringReport.filter(id=report.id, status=expected).update(**changes):
            current = await MonitoringReport.get(id=report.id)
            raise Conflict("credits.report_wrong_status", status=current.status, expected=expected)
        await record(
            actor=actor_of(principal.user),
            action=action,
            entity_type="monitoring_report",
            entity_id=report.public_id,
            before={"status": before},
            after={"status": changes["status"], **{k: v for k, v in changes.items() if k == "return_reasons"}},
        )
    return await report_by_public_id(report.public_id)


async def start_review(principal: Principal, public_id: str) -> MonitoringReport:
    report = await report_by_public_id(public_id)
    _not_own_review(principal, report.project)
    return await _transition(
        principal,
        report,
        "submitted",
        "credits.report.under_review",
        status="under_review",
        verifier_id=principal.user.id,
        review_started_at=now(),
    )


async def return_report(principal: Principal, public_id: str, reasons: list[str], note: str = "") -> MonitoringReport:
    report = await report_by_public_id(public_id)
    _not_own_review(principal, report.project)
    unknown = [r for r in reasons if r not in RETURN_REASONS]
    if not reasons or unknown:
        raise _bad("credits.bad_return_reasons", "reasons", known=", ".join(RETURN_REASONS))
    return await _transition(
        principal,
        report,
        "under_review",
        "credits.report.returned",
        status="returned",
        return_reasons=sorted(set(reasons)),
        return_note=note.strip()[:2000],
        verifier_id=principal.user.id,
        decided_at=now(),
    )


def origin_key(project: Project, start: date, end: date) -> str:
    return f"{project.public_id}:{start.isoformat()}:{end.isoformat()}"


async def _serial_counter(project: Project) -> None:
    """The project's counter row, created once (concurrent creators settle on the unique project)."""
    if await SerialCounter.exists(project_id=project.id):
        return
    try:
        async with in_transaction():
            await SerialCounter.create(project_id=project.id)
    except IntegrityError:
        pass


async def approve(principal: Principal, public_id: str) -> Issuance:
    """Approve a report under review and issue its units, all in one transaction."""
    report = await report_by_public_id(public_id)
    project = report.project
    _not_own_review(principal, project)
    await _serial_counter(project)
    holder = await owner_holder(project)
    quantity = report.kg_issued + report.buffer_kg
    try:
        async with in_transaction():
            at = now()
            if not await MonitoringReport.filter(id=report.id, status="under_review").update(
                status="approved", verifier_id=principal.user.id, decided_at=at
            ):
                current = await MonitoringReport.get(id=report.id)
                raise Conflict("credits.report_wrong_status", status=current.status, expected="under_review")
            # The project's counter row is its issuance lock: taken before the overlap check reads.
            await SerialCounter.filter(project_id=project.id).update(next_serial=F("next_serial") + quantity)
            counter = await SerialCounter.get(project_id=project.id)
            if other := await _overlapping(project.id, report.period_start, report.period_end, exclude_id=report.id):
                raise _overlap_error(other)
            issuance = await _issue(principal.user, report, project, holder, counter.next_serial - quantity, at)
            await record(
                actor=actor_of(principal.user),
                action="credits.report.approved",
                entity_type="monitoring_report",
                entity_id=report.public_id,
                before={"status": "under_review"},
                after={"status": "approved", "issuance": issuance.public_id},
            )
            return issuance
    except IntegrityError as clash:
        # Only the origin key can clash here: this period was issued by a racing approval.
        if await Issuance.exists(origin_key=origin_key(project, report.period_start, report.period_end)):
            raise Conflict("credits.already_issued") from clash
        raise


async def _issue(
    verifier: User, report: MonitoringReport, project: Project, holder: str, first_serial: int, at: datetime
) -> Issuance:
    """The issuance, its supply row and its two blocks; called inside the approval's transaction."""
    quantity = report.kg_issued + report.buffer_kg
    issuance = await Issuance.create(
        public_id=accounts.new_public_id(),
        project=project,
        monitoring_report=report,
        origin_key=origin_key(project, report.period_start, report.period_end),
        vintage=report.period_end.year,
        period_start=report.period_start,
        period_end=report.period_end,
        class_code=CLASS_CODES[report.methodology_id],
        county_code=project.county_code,
        methodology_id=report.methodology_id,
        methodology_version=report.methodology_version,
        parameter_sha256=report.parameter_sha256,
        parcel_public_ids=report.parcel_public_ids,
        quantity=quantity,
        owner_kg=report.kg_issued,
        buffer_kg=report.buffer_kg,
        serial_start=first_serial,
        serial_end=first_serial + quantity - 1,
        owner_holder=holder,
        issued_by=verifier,
        issued_at=at,
    )
    await CreditSupply.create(issuance=issuance, issued=quantity, tradable=quantity, buffer=report.buffer_kg)
    owner_end = first_serial + report.kg_issued - 1
    shares = [(first_serial, owner_end, holder)]
    if report.buffer_kg:
        shares.append((owner_end + 1, issuance.serial_end, BUFFER_POOL))
    for start, end, who in shares:
        await SerialBlock.create(
            issuance=issuance,
            serial_start=start,
            serial_end=end,
            quantity=end - start + 1,
            display=display(issuance, start, end),
            status="tradable",
            holder=who,
        )
    await record(
        actor=actor_of(verifier),
        action="credits.issued",
        entity_type="issuance",
        entity_id=issuance.public_id,
        after={
            "project": project.public_id,
            "report": report.public_id,
            "vintage": issuance.vintage,
            "quantity": quantity,
            "owner_kg": issuance.owner_kg,
            "buffer_kg": issuance.buffer_kg,
            "serials": [issuance.serial_start, issuance.serial_end],
            "methodology": f"{issuance.methodology_id}@{issuance.methodology_version}",
            "parameter_sha256": issuance.parameter_sha256,
            "parcels": issuance.parcel_public_ids,
        },
    )
    return issuance
