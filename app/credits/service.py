"""Monitoring reports and issuance: a smallholder reports a period, a verifier reviews it, approval issues.

States of a report: submitted → under_review → approved (issued in the same transaction) or returned
with reasons. A returned report stays on record; the owner submits a corrected one.

Approval is one transaction that writes first: the report's status moves by a conditional update (so
two approvals cannot both pass), then the project's serial counter is bumped (the lock that
serialises every issuance of the project, so the overlap check and the serial range are decided
under it), then the issuance (its origin key is UNIQUE: one monitoring period is never issued twice),
its supply row, the owner's block, the buffer pool's block and the audit records.

The quantity is never typed by anyone: at submission the registry records the report's measurements
and recomputes each covered parcel (app.registry.service.report_estimates); the report's kg is the sum
over those parcels of kg/yr × the period as an exact fraction of a year (actual/actual: each day counts
1/365 or 1/366 of its own calendar year, both ends of the period included), floored once; the buffer
likewise. The estimates used are linked (credits_report_estimate). The verifier approves those numbers
or returns the report; approval checks that every estimate used is still the parcel's current one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.accounts import service as accounts
from app.accounts.privacy import register_eraser
from app.core.audit import actor_of, record
from app.core.auth import Principal
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING
from app.credits import messages  # noqa: F401  (registers the domain's messages)
from app.credits.blocks import display, now
from app.registry import service as registry
from app.registry.schemas import MeasurementIn
from models.accounts import Organisation, User
from models.credits import (
    BUFFER_POOL,
    CreditSupply,
    Issuance,
    MonitoringReport,
    ReportEstimate,
    Retirement,
    SerialBlock,
    SerialCounter,
)
from models.registry import Project

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
MAX_PERIOD_DAYS = 5 * 366
DAY_COUNT = "actual/actual"
ERASED_BENEFICIARY = "—"  # what an erased person's beneficiary name becomes


def owns(principal: Principal, project: Project) -> bool:
    """The registry's ownership: the household user, or a smallholder of the owning organisation."""
    return registry.owns(principal, project)


async def owner_holder(project: Project) -> str:
    if project.owner_user_id is not None:  # type: ignore[attr-defined]
        user = await User.get(id=project.owner_user_id)  # type: ignore[attr-defined]
        return f"user:{user.public_id}"
    org = await Organisation.get(id=project.owner_organisation_id)  # type: ignore[attr-defined]
    return f"org:{org.public_id}"


def _bad(key: str, field_name: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": field_name}], **params)


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
    try:
        return await registry.project_by_public_id(public_id)
    except NotFound:
        raise NotFound("credits.project_not_found") from None


async def _covered_parcels(project: Project, parcel_public_ids: list[str]) -> list[str]:
    """The approved parcels of the project the report covers (all of them when none are named)."""
    approved = await registry.approved_parcel_ids(project)
    if not parcel_public_ids:
        if not approved:
            raise _bad("credits.no_approved_parcels", "parcels")
        return approved
    unknown = sorted(set(parcel_public_ids) - set(approved))
    if unknown:
        raise _bad("credits.parcel_not_in_project", "parcels", parcel=unknown[0])
    return sorted(set(parcel_public_ids))


def year_fraction(start: date, end: date) -> Fraction:
    """The period [start, end] (both days included) as an exact fraction of a year, actual/actual: each
    calendar year contributes its days in the period over its own length (365 or 366), so a whole
    calendar year is exactly 1, leap or not."""
    total = Fraction(0)
    for year in range(start.year, end.year + 1):
        first = max(start, date(year, 1, 1))
        last = min(end, date(year, 12, 31))
        length = (date(year + 1, 1, 1) - date(year, 1, 1)).days
        total += Fraction((last - first).days + 1, length)
    return total


@dataclass(frozen=True)
class Quantity:
    """A report's computed quantity: kg for the owner and the buffer, and how they were reached."""

    kg: int
    buffer_kg: int
    fraction: Fraction
    kg_per_year: int
    buffer_kg_per_year: int


def quantity(kg_per_year: Iterable[int], buffer_kg_per_year: Iterable[int], start: date, end: date) -> Quantity:
    """Σ kg/yr × year fraction, floored once (never per parcel: flooring each parcel would lose up to
    1 kg a parcel); the buffer likewise."""
    fraction = year_fraction(start, end)
    kg_year, buffer_year = sum(kg_per_year), sum(buffer_kg_per_year)
    return Quantity(
        kg=(kg_year * fraction).__floor__(),
        buffer_kg=(buffer_year * fraction).__floor__(),
        fraction=fraction,
        kg_per_year=kg_year,
        buffer_kg_per_year=buffer_year,
    )


async def submit_report(
    principal: Principal,
    project_public_id: str,
    period_start: date,
    period_end: date,
    *,
    parcel_public_ids: list[str] | None = None,
    evidence: list[dict[str, Any]] | None = None,
    measurements: dict[str, list[MeasurementIn]] | None = None,
) -> MonitoringReport:
    """A smallholder reports a monitoring period of an approved project they own; the server computes
    its quantity from the covered parcels' estimates (any refusal names the parcel; nothing is written)."""
    project = await _project(project_public_id)
    if not owns(principal, project):
        raise Forbidden("credits.not_your_project")
    if project.status != "approved":
        raise Conflict("credits.project_not_approved", status=project.status)
    _check_period(period_start, period_end)
    parcels = await _covered_parcels(project, parcel_public_ids or [])
    if other := await _overlapping(project.id, period_start, period_end):
        raise _overlap_error(other)
    measurements = measurements or {}
    async with in_transaction() as conn:
        used = await registry.report_estimates(principal, project, parcels, measurements, conn)
        rows = [u.estimate for u in used]
        if len({(r.methodology_id, r.methodology_version, r.parameter_set_sha256) for r in rows}) != 1:
            raise Conflict("credits.mixed_releases")
        q = quantity([r.kg_per_year for r in rows], [r.buffer_kg_per_year for r in rows], period_start, period_end)
        if q.kg < 1:
            raise _bad("credits.nothing_to_issue", "period_end", days=(period_end - period_start).days + 1)
        first = rows[0]
        report = await MonitoringReport.create(
            public_id=accounts.new_public_id(),
            project=project,
            parcel_public_ids=parcels,
            period_start=period_start,
            period_end=period_end,
            evidence=evidence or [],
            measured_values={
                pid: [
                    {"measured_on": m.measured_on.isoformat(), "stand_volume_m3_per_ha": str(m.stand_volume_m3_per_ha)}
                    for m in items
                ]
                for pid, items in measurements.items()
            },
            methodology_id=first.methodology_id,
            methodology_version=first.methodology_version,
            parameter_sha256=first.parameter_set_sha256,
            kg_issued=q.kg,
            buffer_kg=q.buffer_kg,
            estimate={
                "day_count": DAY_COUNT,
                "year_fraction": str(q.fraction),
                "kg_per_year": q.kg_per_year,
                "buffer_kg_per_year": q.buffer_kg_per_year,
                "estimates": [r.id for r in rows],
            },
            submitted_by=principal.user,
        )
        for u in used:
            r = u.estimate
            await ReportEstimate.create(
                report=report,
                parcel_id=u.parcel_id,
                parcel_public_id=u.parcel_public_id,
                estimate=r,
                methodology_id=r.methodology_id,
                methodology_version=r.methodology_version,
                parameter_set_sha256=r.parameter_set_sha256,
                inputs_sha256=r.inputs_sha256,
                basis=r.basis,
                kg_per_year=r.kg_per_year,
                buffer_kg_per_year=r.buffer_kg_per_year,
            )
        await record(
            actor=actor_of(principal.user),
            action="credits.report.submitted",
            entity_type="monitoring_report",
            entity_id=report.public_id,
            after={**_report_state(report, project), "estimates": [r.id for r in rows]},
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
    projects = [p.id for p in await registry.my_projects(principal)]
    return await MonitoringReport.filter(project_id__in=projects).select_related("project").order_by("-submitted_at")


async def estimates_of(report_ids: list[int]) -> dict[int, list[ReportEstimate]]:
    """The parcel estimates each report was computed from, by report id, in parcel order."""
    out: dict[int, list[ReportEstimate]] = {}
    for row in await ReportEstimate.filter(report_id__in=report_ids).order_by("report_id", "parcel_public_id"):
        out.setdefault(row.report_id, []).append(row)  # type: ignore[attr-defined]
    return out


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
        async with in_transaction() as conn:
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
            await _approve_estimates(principal, report, conn)
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


async def _approve_estimates(principal: Principal, report: MonitoringReport, conn: Any) -> None:
    """Every estimate the report used must still be its parcel's current one (else 409: resubmit); the
    verifier's approval makes measured ones ex-post with the same kg, and the links record the rows
    the issuance rests on."""
    links = await ReportEstimate.filter(report_id=report.id).using_db(conn).order_by("id")
    final = await registry.verify_report_estimates(
        actor_of(principal.user),
        [(link.parcel_id, link.estimate_id) for link in links],  # type: ignore[attr-defined]
        conn,
    )
    for link in links:
        row = final[link.estimate_id]  # type: ignore[attr-defined]
        await ReportEstimate.filter(id=link.id).using_db(conn).update(approved_estimate_id=row.id, basis=row.basis)


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


# --- what other domains ask ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectCredits:
    """A project's units in kg: issued, and where they are now."""

    issued_kg: int = 0
    reserved_kg: int = 0
    sold_kg: int = 0  # retired: a buyer's units, used up
    available_kg: int = 0  # tradable minus the buffer pool's share
    buffer_kg: int = 0
    cancelled_kg: int = 0


async def project_credits(project_ids: list[int]) -> dict[int, ProjectCredits]:
    """Per project id with at least one issuance: the supply rows summed over its issuances."""
    totals: dict[int, dict[str, int]] = {}
    for supply in await CreditSupply.filter(issuance__project_id__in=project_ids).select_related("issuance"):
        t = totals.setdefault(supply.issuance.project_id, dict.fromkeys(ProjectCredits.__dataclass_fields__, 0))  # type: ignore[attr-defined]
        t["issued_kg"] += supply.issued
        t["reserved_kg"] += supply.reserved
        t["sold_kg"] += supply.retired
        t["available_kg"] += supply.tradable - supply.buffer
        t["buffer_kg"] += supply.buffer
        t["cancelled_kg"] += supply.cancelled
    return {pid: ProjectCredits(**t) for pid, t in totals.items()}


async def _erase(user: User) -> None:
    """A deleted account's retirements: the beneficiary name they gave goes, the units stay retired.

    Retirements whose block this user holds (they bought and retired them) may carry their own name.
    The serials, quantities, purpose and certificate code stay: they are the public record that these
    units were used once and can never be sold again (invariant 3); only the name identified a person.
    """
    holder = f"user:{user.public_id}"
    blocks = await SerialBlock.filter(holder=holder, status="retired").values_list("id", flat=True)
    if blocks:
        theirs = Retirement.filter(block_id__in=list(blocks))
        await theirs.update(beneficiary=ERASED_BENEFICIARY, beneficiary_shown="hidden")
        # A trip or event reference can point at the person; a court's 案号 is a public judicial record.
        await theirs.exclude(purpose="court_case").update(purpose_reference="")


register_eraser("credits_retirements", _erase)
