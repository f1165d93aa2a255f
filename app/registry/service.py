"""Projects and parcels: registration by smallholders, the review state machine, public views.

States (project and its parcels move together):

    draft ──submit──▶ submitted ──start_review──▶ under_review ──approve──▶ approved
      ▲                                               │
      └────────── (edit, then submit again) ◀── returned ◀──return──┘

Parcels can be added and edited only while their project is draft or returned. Submitting runs the
overlap rule (app.registry.overlap) under region locks and makes the parcels active: from then on
they hold their ground against every later parcel. A return releases them (inactive) until the next
submission checks them again, so a returned project never blocks land it may not get. Each transition
is one conditional UPDATE on the project's status (a concurrent second attempt changes nothing and
gets 409) and leaves audit records for the project and each parcel in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.accounts import service as accounts
from app.core import audit, crypto
from app.core.auth import Principal, Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING
from app.methodology import service as methodology
from app.regions import service as regions
from app.registry import estimates
from app.registry import messages as _messages  # noqa: F401  (registers the texts)
from app.registry.geometry import (
    GeometryLimits,
    ParcelShape,
    area_mu,
    format_m2,
    parse_parcel_geometry,
)
from app.registry.overlap import Overlap, find_overlaps, lock_regions, overlap_between
from app.registry.schemas import MeasurementIn, ParcelIn
from app.settings import Settings
from models.registry import ExternalParcel, Parcel, ParcelEstimate, Project, StandMeasurement

EDITABLE = ("draft", "returned")
ACTIVE_STATES = ("submitted", "under_review", "approved")
# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (EDITABLE, "submitted"),
    "start_review": (("submitted",), "under_review"),
    "approve": (("under_review",), "approved"),
    "return": (("under_review",), "returned"),
}
_HOLDER = "registry.holder_name"
_TENURE = "registry.tenure_number"


def limits(settings: Settings) -> GeometryLimits:
    return GeometryLimits(
        bounds=settings.registry_bounds,
        max_vertices=settings.registry_max_vertices,
        min_area_m2=settings.registry_min_area_m2,
        max_area_m2=settings.registry_max_area_m2,
    )


def _actor(principal: Principal) -> str:
    return audit.actor_of(principal.user)


# --- who may do what ------------------------------------------------------------------------------


def owns(principal: Principal, project: Project) -> bool:
    """The household user owns it, or the caller is a smallholder of the owning organisation."""
    return _owns(principal, project)


def _owns(principal: Principal, project: Project) -> bool:
    if project.owner_user_id is not None:  # type: ignore[attr-defined]
        return project.owner_user_id == principal.user.id  # type: ignore[attr-defined]
    return project.owner_organisation_id in principal.orgs_with(Role.SMALLHOLDER)  # type: ignore[attr-defined]


async def _project(public_id: str, *, connection: Any = None, for_update: bool = False) -> Project:
    query = Project.filter(public_id=public_id)
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    project = await query.first()
    if project is None:
        raise NotFound("registry.project_not_found")
    return project


async def owned_project(principal: Principal, public_id: str, **kw: Any) -> Project:
    project = await _project(public_id, **kw)
    if not _owns(principal, project):
        raise Forbidden("registry.not_your_project")
    return project


async def viewable_project(principal: Principal, public_id: str) -> Project:
    """The owner sees a project in any state, a verifier once it was submitted."""
    project = await _project(public_id)
    if _owns(principal, project):
        return project
    if principal.has(Role.VERIFIER) and project.status != "draft":
        return project
    raise Forbidden("registry.not_your_project")


# --- projects -------------------------------------------------------------------------------------


async def create_project(
    principal: Principal, name: str, county_code: str, methodology_id: str, organisation: str | None
) -> Project:
    """Open a draft project for the caller's household, or for a collective / cooperative they act for."""
    check_county_code(county_code, "county_code")
    owner_org = None
    if organisation:
        owner_org = await accounts.organisation_by_public_id(organisation)
        if owner_org.id not in principal.orgs_with(Role.SMALLHOLDER):
            raise Forbidden("registry.not_smallholder_of_org")
    elif (None, Role.SMALLHOLDER.value) not in principal.org_roles:
        raise Forbidden("registry.not_individual_smallholder")
    async with in_transaction():
        project = await Project.create(
            public_id=accounts.new_public_id(),
            name=name.strip(),
            owner_organisation=owner_org,
            owner_user=None if owner_org else principal.user,
            created_by=principal.user,
            county_code=county_code,
            methodology_id=methodology_id,
        )
        await audit.record(
            actor=_actor(principal),
            action="registry.project.created",
            entity_type="project",
            entity_id=project.public_id,
            after={"status": "draft", "county_code": county_code, "methodology_id": methodology_id},
        )
    return project


async def my_projects(principal: Principal) -> list[Project]:
    mine = Q(owner_user_id=principal.user.id)
    if orgs := principal.orgs_with(Role.SMALLHOLDER):
        mine = mine | Q(owner_organisation_id__in=list(orgs))
    return await Project.filter(mine).order_by("-id")


async def parcels_of(project: Project) -> list[Parcel]:
    return await Parcel.filter(project_id=project.id).order_by("id")


async def measurements_of(parcel_ids: Iterable[int]) -> dict[int, list[StandMeasurement]]:
    out: dict[int, list[StandMeasurement]] = {}
    for m in await StandMeasurement.filter(parcel_id__in=list(parcel_ids)).order_by("measured_on"):
        out.setdefault(m.parcel_id, []).append(m)  # type: ignore[attr-defined]
    return out


# --- parcels --------------------------------------------------------------------------------------


# GB/T 2260 province-level prefixes (mainland, Hong Kong 81, Macao 82, Taiwan 71).
def check_county_code(code: str, field: str) -> None:
    """A current county-level GB/T 2260 code (app.regions): not a province, prefecture or retired code."""
    regions.county(code, field)


def _check_parcel_fields(data: ParcelIn) -> None:
    check_county_code(data.county_code, "county_code")
    if data.species and sum(s.percent for s in data.species) != 100:
        total = sum(s.percent for s in data.species)
        raise AppError("registry.species_percent", total=total, detail=[{"field": "species"}])
    this_year = datetime.now(UTC).year
    if data.planting_year is not None and data.planting_year > this_year:
        raise AppError("registry.planting_year_future", year=data.planting_year, detail=[{"field": "planting_year"}])
    if data.sink_type in ("afforestation", "forest_management", "bamboo") and (
        data.planting_year is None and data.stand_age_years is None
    ):
        raise AppError("registry.stand_age_needed", detail=[{"field": "planting_year"}])


def _overlap_error(overlaps: list[Overlap], tolerance_m2: int) -> Conflict:
    first = overlaps[0]
    other = first.reference if first.kind == "parcel" else first.reference.replace(":", " ", 1)
    return Conflict(
        "registry.overlap",
        other=other,
        area_m2=first.area_m2,
        area_mu=str(area_mu(first.area_m2)),
        tolerance_m2=tolerance_m2,
        detail=[
            {
                "field": "geometry",
                "kind": o.kind,
                "other": o.reference,
                "area_m2": o.area_m2,
                "area_mu": str(area_mu(o.area_m2)),
            }
            for o in overlaps
        ],
    )


async def _siblings_overlap(project: Project, shape: ParcelShape, tolerance_m2: int, exclude: int | None) -> None:
    """Parcels of one project must not overlap each other either."""
    for sibling in await Parcel.filter(project_id=project.id).exclude(id=exclude or 0):
        shared = overlap_between(shape, _shape_of(sibling))
        if shared > tolerance_m2:
            raise _overlap_error([Overlap("parcel", sibling.public_id, round(shared))], tolerance_m2)


def _shape_of(parcel: Parcel) -> ParcelShape:
    from app.registry.geometry import shape_of

    return ParcelShape(
        geometry=parcel.geometry,
        shape=shape_of(parcel.geometry),
        area_m2=parcel.area_m2,
        bbox=(parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat),
        size_class=parcel.size_class,
        vertices=0,
    )


def _parcel_values(settings: Settings, data: ParcelIn, shape: ParcelShape) -> dict[str, Any]:
    tenure = data.tenure_number.strip()
    return {
        "name": data.name.strip(),
        "geometry": shape.geometry,
        "input_crs": data.crs,
        "area_m2": shape.area_m2,
        "min_lon": shape.bbox[0],
        "min_lat": shape.bbox[1],
        "max_lon": shape.bbox[2],
        "max_lat": shape.bbox[3],
        "size_class": shape.size_class,
        "county_code": data.county_code,
        "tenure_kind": data.tenure_kind,
        "tenure_number_enc": crypto.encrypt(settings.data_key, tenure, _TENURE),
        "tenure_number_index": crypto.blind_index(settings.blind_index_key, tenure.upper(), _TENURE),
        "holder_kind": data.holder_kind,
        "holder_name_enc": crypto.encrypt(settings.data_key, data.holder_name.strip(), _HOLDER),
        "show_holder_name": data.show_holder_name,
        "sink_type": data.sink_type,
        "species": [{"species": s.species.strip(), "percent": s.percent} for s in data.species],
        "planting_year": data.planting_year,
        "stand_age_years": data.stand_age_years,
        "elevation_m": data.elevation_m,
        "methodology_facts": dict(data.methodology_facts),
    }


def _check_for_methodology(project: Project, data: ParcelIn) -> None:
    """What no estimate could use is refused at once: wrong sink type, unknown species, unknown facts."""
    estimates.check_parcel(
        project.methodology_id,
        data.sink_type,
        [{"species": s.species, "percent": s.percent} for s in data.species],
        dict(data.methodology_facts),
    )


def _facts_of_input(
    data: ParcelIn, shape: ParcelShape, registered_year: int, measurements: list[StandMeasurement]
) -> estimates.ParcelFacts:
    return estimates.ParcelFacts(
        geometry=shape.geometry,
        area_m2=shape.area_m2,
        species=[{"species": s.species.strip(), "percent": s.percent} for s in data.species],
        planting_year=data.planting_year,
        stand_age_years=data.stand_age_years,
        registered_year=registered_year,
        elevation_m=data.elevation_m,
        facts=dict(data.methodology_facts),
        measurements=[(m.measured_on.year, m.stand_volume_m3_per_ha) for m in measurements],
    )


def _audit_view(parcel: Parcel) -> dict[str, Any]:
    """What the public chain may say about a parcel: no names, no tenure number."""
    return {
        "project": parcel.project.public_id if hasattr(parcel.project, "public_id") else None,
        "status": parcel.status,
        "active": parcel.active,
        "area_m2": parcel.area_m2,
        "county_code": parcel.county_code,
        "sink_type": parcel.sink_type,
        "input_crs": parcel.input_crs,
    }


async def add_parcel(settings: Settings, principal: Principal, project_public_id: str, data: ParcelIn) -> Parcel:
    """Register a parcel in a draft (or returned) project; refuses at once what overlaps active land."""
    _check_parcel_fields(data)
    shape = parse_parcel_geometry(data.geometry, data.crs, limits(settings))
    project = await owned_project(principal, project_public_id)
    if project.status not in EDITABLE:
        raise Conflict("registry.not_editable", status=project.status)
    _check_for_methodology(project, data)
    tolerance = settings.registry_sliver_tolerance_m2
    # An early answer for the person in the field; the binding check runs again, locked, at submission.
    if overlaps := await find_overlaps(shape, tolerance):
        raise _overlap_error(overlaps, tolerance)
    await _siblings_overlap(project, shape, tolerance, exclude=None)
    # A refusal by the calculator does not stop a draft: it is stored and shown, and blocks submission.
    outcome = estimates.evaluate(project.methodology_id, _facts_of_input(data, shape, estimates.this_year(), []))
    async with in_transaction() as conn:
        project = await owned_project(principal, project_public_id, connection=conn, for_update=True)
        if project.status not in EDITABLE:
            raise Conflict("registry.not_editable", status=project.status)
        parcel = await Parcel.create(
            public_id=accounts.new_public_id(), project=project, **_parcel_values(settings, data, shape), using_db=conn
        )
        await audit.record(
            actor=_actor(principal),
            action="registry.parcel.added",
            entity_type="parcel",
            entity_id=parcel.public_id,
            after=_audit_view(parcel),
        )
        await estimates.record(parcel, outcome, "added", _actor(principal), conn)
    return parcel


async def _owned_parcel(principal: Principal, public_id: str) -> Parcel:
    parcel = await Parcel.get_or_none(public_id=public_id).prefetch_related("project")
    if parcel is None:
        raise NotFound("registry.parcel_not_found")
    if not _owns(principal, parcel.project):
        raise Forbidden("registry.not_your_project")
    return parcel


async def edit_parcel(settings: Settings, principal: Principal, parcel_public_id: str, data: ParcelIn) -> Parcel:
    """Replace a parcel's description while its project is draft or returned."""
    _check_parcel_fields(data)
    shape = parse_parcel_geometry(data.geometry, data.crs, limits(settings))
    parcel = await _owned_parcel(principal, parcel_public_id)
    _check_for_methodology(parcel.project, data)
    tolerance = settings.registry_sliver_tolerance_m2
    if overlaps := await find_overlaps(shape, tolerance, exclude_parcel_ids=[parcel.id]):
        raise _overlap_error(overlaps, tolerance)
    await _siblings_overlap(parcel.project, shape, tolerance, exclude=parcel.id)
    measured = (await measurements_of([parcel.id])).get(parcel.id, [])
    registered = parcel.created_at.astimezone(BEIJING).year
    outcome = estimates.evaluate(parcel.project.methodology_id, _facts_of_input(data, shape, registered, measured))
    async with in_transaction() as conn:
        project = await _project(parcel.project.public_id, connection=conn, for_update=True)
        if project.status not in EDITABLE:
            raise Conflict("registry.not_editable", status=project.status)
        before = _audit_view(parcel)
        parcel.update_from_dict(_parcel_values(settings, data, shape))
        await parcel.save(using_db=conn)
        await audit.record(
            actor=_actor(principal),
            action="registry.parcel.edited",
            entity_type="parcel",
            entity_id=parcel.public_id,
            before=before,
            after=_audit_view(parcel),
        )
        await estimates.record(parcel, outcome, "edited", _actor(principal), conn)
    return parcel


def _check_measurement(data: MeasurementIn) -> None:
    volume = data.stand_volume_m3_per_ha
    if not volume.is_finite() or not (0 <= volume <= 3000) or volume != round(volume, 2):
        raise AppError("registry.stand_volume_range", value=str(volume), detail=[{"field": "stand_volume_m3_per_ha"}])
    if data.measured_on > datetime.now(UTC).date():
        raise AppError("registry.measurement_in_future", detail=[{"field": "measured_on"}])


async def add_measurement(principal: Principal, parcel_public_id: str, data: MeasurementIn) -> StandMeasurement:
    """Record a dated stand-volume measurement; one per parcel and day."""
    parcel = await _owned_parcel(principal, parcel_public_id)
    _check_measurement(data)
    if await StandMeasurement.exists(parcel_id=parcel.id, measured_on=data.measured_on):
        raise Conflict("registry.measurement_duplicate", date=data.measured_on.isoformat())
    async with in_transaction() as conn:
        measurement = await StandMeasurement.create(
            parcel=parcel,
            measured_on=data.measured_on,
            stand_volume_m3_per_ha=data.stand_volume_m3_per_ha,
            method=data.method.strip(),
            recorded_by=principal.user,
        )
        await audit.record(
            actor=_actor(principal),
            action="registry.measurement.added",
            entity_type="parcel",
            entity_id=parcel.public_id,
            after={
                "measured_on": data.measured_on.isoformat(),
                "stand_volume_m3_per_ha": str(data.stand_volume_m3_per_ha),
            },
        )
        # While the owner may still edit, the estimate follows the measurements. Later ones are shown to
        # the verifier and enter the estimate made at approval.
        project = await _project(parcel.project.public_id, connection=conn)
        if project.status in EDITABLE:
            measured = await StandMeasurement.filter(parcel_id=parcel.id).using_db(conn).order_by("measured_on")
            outcome = estimates.evaluate(project.methodology_id, estimates.facts_of(parcel, measured))
            await estimates.record(parcel, outcome, "measured", _actor(principal), conn)
    return measurement


# --- the state machine ----------------------------------------------------------------------------


@dataclass
class _Move:
    project: Project
    parcels: list[Parcel]
    before: str


async def _transition(principal: Principal, project_public_id: str, action: str, conn: Any, **changes: Any) -> _Move:
    """Move a project and its parcels along `action`, inside the caller's transaction, or 409."""
    allowed_from, to = TRANSITIONS[action]
    project = await _project(project_public_id, connection=conn, for_update=True)
    if project.status not in allowed_from:
        raise Conflict("registry.illegal_transition", action=action, status=project.status, to=to)
    before = project.status
    now = datetime.now(UTC)
    moved = await Project.filter(id=project.id, status=before).using_db(conn).update(status=to, **changes)
    if not moved:  # SQLite has no row lock: the conditional update is the guard
        raise Conflict("registry.illegal_transition", action=action, status=project.status, to=to)
    parcels = await Parcel.filter(project_id=project.id).using_db(conn).order_by("id")
    active = to in ACTIVE_STATES
    await Parcel.filter(project_id=project.id).using_db(conn).update(status=to, active=active, updated_at=now)
    actor = _actor(principal)
    await audit.record(
        actor=actor,
        action=f"registry.project.{action}",
        entity_type="project",
        entity_id=project.public_id,
        before={"status": before},
        after={"status": to, **{k: v for k, v in changes.items() if k in ("return_reasons",)}},
    )
    for parcel in parcels:
        await audit.record(
            actor=actor,
            action=f"registry.parcel.{action}",
            entity_type="parcel",
            entity_id=parcel.public_id,
            before={"status": parcel.status, "active": parcel.active},
            after={"status": to, "active": active},
        )
    project.status = to
    for key, value in changes.items():
        setattr(project, key, value)
    return _Move(project, parcels, before)


async def submit(settings: Settings, principal: Principal, project_public_id: str) -> Project:
    """Submit for review: the binding overlap check, under region locks, then the parcels go active."""
    await owned_project(principal, project_public_id)
    tolerance = settings.registry_sliver_tolerance_m2
    async with in_transaction() as conn:
        project = await _project(project_public_id, connection=conn, for_update=True)
        if project.status not in TRANSITIONS["submit"][0]:
            raise Conflict("registry.illegal_transition", action="submit", status=project.status, to="submitted")
        parcels = await Parcel.filter(project_id=project.id).using_db(conn).order_by("id")
        if not parcels:
            raise AppError("registry.no_parcels")
        shapes = [_shape_of(p) for p in parcels]
        await lock_regions(conn, shapes)
        own_ids = [p.id for p in parcels]
        for shape in shapes:
            if overlaps := await find_overlaps(shape, tolerance, exclude_parcel_ids=own_ids, connection=conn):
                raise _overlap_error(overlaps, tolerance)
        for i, a in enumerate(shapes):
            for j in range(i + 1, len(shapes)):
                if (shared := overlap_between(a, shapes[j])) > tolerance:
                    raise _overlap_error([Overlap("parcel", parcels[j].public_id, round(shared))], tolerance)
        await _estimate_all(principal, project, parcels, "submitted", conn, verified=False)
        move = await _transition(
            principal,
            project_public_id,
            "submit",
            conn,
            submitted_at=datetime.now(UTC),
            return_reasons=[],
            return_note="",
        )
    return move.project


async def _estimate_all(
    principal: Principal, project: Project, parcels: list[Parcel], occasion: str, conn: Any, *, verified: bool
) -> None:
    """Every parcel gets its estimate now, with the newest methodology release, or the move is refused
    (the calculator's own 400, naming the field, the limit and the parcel)."""
    measured: dict[int, list[StandMeasurement]] = {}
    for m in (
        await StandMeasurement.filter(parcel_id__in=[p.id for p in parcels]).using_db(conn).order_by("measured_on")
    ):
        measured.setdefault(m.parcel_id, []).append(m)  # type: ignore[attr-defined]
    for parcel in parcels:
        facts = estimates.facts_of(parcel, measured.get(parcel.id, []))
        outcome = estimates.evaluate(project.methodology_id, facts, verified=verified)
        if outcome.problem is not None:
            raise estimates.refusal(outcome.problem, parcel.public_id)
        await estimates.record(parcel, outcome, occasion, _actor(principal), conn)


async def review_queue() -> list[Project]:
    """Projects waiting for a verifier or under review, oldest submission first."""
    return await Project.filter(status__in=("submitted", "under_review")).order_by("submitted_at", "id")


def _not_own(principal: Principal, project: Project) -> None:
    if _owns(principal, project) or project.created_by_id == principal.user.id:  # type: ignore[attr-defined]
        raise Forbidden("registry.own_project_review")


async def start_review(principal: Principal, project_public_id: str) -> Project:
    _not_own(principal, await _project(project_public_id))
    async with in_transaction() as conn:
        move = await _transition(
            principal,
            project_public_id,
            "start_review",
            conn,
            reviewer_id=principal.user.id,
            review_started_at=datetime.now(UTC),
        )
    return move.project


async def _decide(principal: Principal, project_public_id: str, action: str, **changes: Any) -> Project:
    project = await _project(project_public_id)
    _not_own(principal, project)
    if project.status == "under_review" and project.reviewer_id != principal.user.id:  # type: ignore[attr-defined]
        raise Forbidden("registry.not_your_review")
    async with in_transaction() as conn:
        move = await _transition(principal, project_public_id, action, conn, decided_at=datetime.now(UTC), **changes)
        if action == "approve":
            # The verifier approves the measurements shown with the project: ex-post where they are used.
            await _estimate_all(principal, move.project, move.parcels, "approved", conn, verified=True)
    return move.project


async def approve(principal: Principal, project_public_id: str) -> Project:
    return await _decide(principal, project_public_id, "approve")


async def return_project(principal: Principal, project_public_id: str, reasons: list[str], note: str) -> Project:
    return await _decide(
        principal, project_public_id, "return", return_reasons=sorted(set(reasons)), return_note=note.strip()
    )


# --- what people see ------------------------------------------------------------------------------


def holder_name(settings: Settings, parcel: Parcel) -> str:
    return crypto.decrypt(settings.data_key, parcel.holder_name_enc, _HOLDER)


def tenure_number(settings: Settings, parcel: Parcel) -> str:
    return crypto.decrypt(settings.data_key, parcel.tenure_number_enc, _TENURE)


def public_holder_name(settings: Settings, parcel: Parcel) -> str:
    """The holder's name in full only if they chose so; otherwise 张** (first character kept)."""
    name = holder_name(settings, parcel)
    return name if parcel.show_holder_name else crypto.mask_name(name)


async def public_project(public_id: str) -> tuple[Project, list[Parcel]]:
    """A project the public may see (anything past draft) with its parcels."""
    project = await Project.get_or_none(public_id=public_id)
    if project is None or project.status == "draft":
        raise NotFound("registry.project_not_found")
    return project, await parcels_of(project)


async def public_parcel(public_id: str) -> Parcel:
    parcel = await Parcel.get_or_none(public_id=public_id).prefetch_related("project")
    if parcel is None or parcel.project.status == "draft":
        raise NotFound("registry.parcel_not_found")
    return parcel


def overlap_text(overlap: Overlap, lang: str) -> str:
    return f"{overlap.reference}: {format_m2(overlap.area_m2, lang)}"


# --- parcels of other schemes ---------------------------------------------------------------------

EXTERNAL_SCHEMES = ("CCER", "carbon_ticket", "VCS", "other")


@dataclass
class ImportReport:
    """What an import did: counts, the features refused (by 0-based index, with the reason) and
    parcels of ours that the imported land overlaps (double counting to look into)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: list[tuple[int, str]] | None = None
    overlapping_ours: list[tuple[str, str, int]] | None = None  # (external id, our parcel, m²)


def _external_id(feature: dict[str, Any]) -> str | None:
    props = feature.get("properties") or {}
    for value in (props.get("external_id"), feature.get("id"), props.get("id")):
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()[:128]
    return None


async def import_external(
    settings: Settings, collection: Any, scheme: str, crs: str = "wgs84", lang: str = "en"
) -> ImportReport:
    """Upsert a FeatureCollection of another scheme's parcels by (scheme, external id); idempotent.

    Other schemes' parcels can be far larger than a micro-sink parcel (a whole CCER project), so only
    the bounds and validity rules apply, not our area and vertex limits.
    """
    from app.core.i18n import t

    if scheme not in EXTERNAL_SCHEMES:
        raise AppError("registry.import_unreadable", reason=f"scheme must be one of {', '.join(EXTERNAL_SCHEMES)}")
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise AppError("registry.import_unreadable", reason="not a FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list):
        raise AppError("registry.import_unreadable", reason="no features list")
    wide = GeometryLimits(bounds=settings.registry_bounds, max_vertices=1_000_000, min_area_m2=1, max_area_m2=10**12)
    report = ImportReport(invalid=[], overlapping_ours=[])
    seen: set[str] = set()
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            report.invalid.append((index, "not a GeoJSON Feature"))  # type: ignore[union-attr]
            continue
        external_id = _external_id(feature)
        if external_id is None:
            report.invalid.append((index, "no id (feature id or properties.external_id)"))  # type: ignore[union-attr]
            continue
        if external_id in seen:
            report.invalid.append((index, f"id {external_id} appears twice in the file"))  # type: ignore[union-attr]
            continue
        seen.add(external_id)
        try:
            shape = parse_parcel_geometry(feature.get("geometry"), crs, wide)
        except AppError as exc:
            report.invalid.append((index, t(exc.key, lang, **exc.params)))  # type: ignore[union-attr]
            continue
        name = str((feature.get("properties") or {}).get("name") or "")[:256]
        values = {
            "name": name,
            "geometry": shape.geometry,
            "area_m2": shape.area_m2,
            "min_lon": shape.bbox[0],
            "min_lat": shape.bbox[1],
            "max_lon": shape.bbox[2],
            "max_lat": shape.bbox[3],
            "size_class": shape.size_class,
        }
        async with in_transaction() as conn:
            # The same region locks as a submission: a parcel of ours submitted meanwhile either
            # commits first (and is reported below) or sees this land when it checks.
            await lock_regions(conn, [shape])
            existing = (
                await ExternalParcel.filter(scheme=scheme, external_id=external_id)
                .using_db(conn)
                .select_for_update()
                .first()
            )
            if existing is None:
                await ExternalParcel.create(scheme=scheme, external_id=external_id, using_db=conn, **values)
                report.created += 1
            elif existing.geometry == shape.geometry and existing.name == name:
                report.unchanged += 1
                continue
            else:
                await ExternalParcel.filter(id=existing.id).using_db(conn).update(**values)
                report.updated += 1
            for o in await find_overlaps(shape, settings.registry_sliver_tolerance_m2, connection=conn):
                if o.kind == "parcel":
                    report.overlapping_ours.append((external_id, o.reference, o.area_m2))  # type: ignore[union-attr]
            await audit.record(
                actor="cli:registry-import-external",
                action="registry.external_parcel.imported",
                entity_type="external_parcel",
                entity_id=f"{scheme}:{external_id}",
                after={"area_m2": shape.area_m2, "created": existing is None},
            )
    return report


# --- what the credits domain asks of the registry -------------------------------------------------


async def project_by_public_id(public_id: str) -> Project:
    """Any project by its public id (404 registry.project_not_found)."""
    return await _project(public_id)


async def approved_parcel_ids(project: Project) -> list[str]:
    """Public ids of the project's approved parcels, sorted."""
    ids: list[str] = await Parcel.filter(project_id=project.id, status="approved").values_list(  # type: ignore[assignment]
        "public_id", flat=True
    )
    return sorted(ids)


@dataclass(frozen=True)
class UsedEstimate:
    """A parcel's current estimate as a monitoring report uses it."""

    parcel_id: int
    parcel_public_id: str
    estimate: ParcelEstimate


async def report_estimates(
    principal: Principal,
    project: Project,
    parcel_public_ids: list[str],
    measurements: dict[str, list[MeasurementIn]],
    conn: Any,
) -> list[UsedEstimate]:
    """Inside the caller's transaction: record the report's measurements, recompute every covered parcel
    with the newest methodology release and return the current estimates; any refusal is raised naming
    the parcel (the caller's transaction then rolls everything back).

    Measurements taken after approval wait for a monitoring report (see docs/registry.md): this is
    where they enter the estimate. The owner's measurements are not verified yet, so a new
    stock-difference estimate is ex-ante here; the report's verifier makes it ex-post
    (`verify_report_estimates`). An ex-post row whose inputs, release and accounting year are unchanged
    stays current: the measurements behind it were already verified.
    """
    parcels = await Parcel.filter(project_id=project.id, public_id__in=parcel_public_ids).using_db(conn).order_by("id")
    by_public = {p.public_id: p for p in parcels}
    for public_id, items in measurements.items():
        parcel = by_public.get(public_id)
        if parcel is None:
            raise AppError("registry.measurement_parcel_not_covered", parcel=public_id, detail=[{"parcel": public_id}])
        if items and project.methodology_id not in estimates.TREE_METHODOLOGIES:
            raise AppError(
                "registry.measurement_not_used",
                methodology_id=project.methodology_id,
                detail=[{"parcel": public_id, "field": "measurements"}],
            )
        for data in items:
            _check_measurement(data)
            same_day = await StandMeasurement.filter(parcel_id=parcel.id, measured_on=data.measured_on).using_db(conn)
            if same_day:
                if same_day[0].stand_volume_m3_per_ha != data.stand_volume_m3_per_ha:
                    raise Conflict("registry.measurement_duplicate", date=data.measured_on.isoformat())
                continue  # the same measurement sent again (a resubmitted report): already on record
            await StandMeasurement.create(
                parcel=parcel,
                measured_on=data.measured_on,
                stand_volume_m3_per_ha=data.stand_volume_m3_per_ha,
                method=data.method.strip(),
                recorded_by=principal.user,
                using_db=conn,
            )
            await audit.record(
                actor=_actor(principal),
                action="registry.measurement.added",
                entity_type="parcel",
                entity_id=parcel.public_id,
                after={
                    "measured_on": data.measured_on.isoformat(),
                    "stand_volume_m3_per_ha": str(data.stand_volume_m3_per_ha),
                },
            )
    measured: dict[int, list[StandMeasurement]] = {}
    for m in (
        await StandMeasurement.filter(parcel_id__in=[p.id for p in parcels]).using_db(conn).order_by("measured_on")
    ):
        measured.setdefault(m.parcel_id, []).append(m)  # type: ignore[attr-defined]
    used = []
    for parcel in parcels:
        outcome = estimates.evaluate(project.methodology_id, estimates.facts_of(parcel, measured.get(parcel.id, [])))
        if outcome.problem is not None:
            raise estimates.refusal(outcome.problem, parcel.public_id)
        current = await ParcelEstimate.filter(parcel_id=parcel.id, current=True).using_db(conn).first()
        if current is not None and current.basis == "ex_post" and _same_numbers(current, outcome):
            row = current
        else:
            row = await estimates.record(parcel, outcome, "submitted", _actor(principal), conn)  # type: ignore[assignment]
        assert row is not None
        if row.held_for_review:
            raise Conflict("registry.estimate_held", parcel=parcel.public_id, detail=[{"parcel": parcel.public_id}])
        used.append(UsedEstimate(parcel.id, parcel.public_id, row))
    return used


def _same_numbers(row: ParcelEstimate, outcome: estimates.Outcome) -> bool:
    """The same estimate apart from its basis label: same inputs, release, parameters and year."""
    e = outcome.estimate
    return (
        e is not None
        and row.inputs_sha256 == outcome.inputs_sha256
        and row.methodology_version == e.methodology_version
        and row.parameter_set_sha256 == e.parameter_set_sha256
        and row.accounting_year == outcome.accounting_year
        and row.kg_per_year == e.kg_per_year
        and row.buffer_kg_per_year == e.buffer_kg_per_year
    )


def same_estimate(a: ParcelEstimate, b: ParcelEstimate) -> bool:
    """Two rows that say the same kg from the same inputs, release and year (an ex-post twin included)."""
    return (
        a.inputs_sha256 == b.inputs_sha256
        and a.methodology_version == b.methodology_version
        and a.parameter_set_sha256 == b.parameter_set_sha256
        and a.accounting_year == b.accounting_year
        and a.kg_per_year == b.kg_per_year
        and a.buffer_kg_per_year == b.buffer_kg_per_year
    )


async def verify_report_estimates(actor: str, used: list[tuple[int, int]], conn: Any) -> dict[int, ParcelEstimate]:
    """Inside the caller's transaction, for (parcel id, estimate id) pairs a report used: each must still
    be the parcel's current estimate (or its ex-post twin), else 409 registry.estimate_stale naming the
    parcel. The verifier approving the report approves the measurements shown with it, so an ex-ante
    stock-difference estimate is recorded again as ex-post (same kg, checked). Returns estimate id →
    the row the issuance rests on."""
    out: dict[int, ParcelEstimate] = {}
    for parcel_id, estimate_id in used:
        parcel = await Parcel.get(id=parcel_id, using_db=conn)
        row = await ParcelEstimate.get(id=estimate_id, using_db=conn)
        current = await ParcelEstimate.filter(parcel_id=parcel_id, current=True).using_db(conn).first()
        if current is None or (current.id != row.id and not same_estimate(current, row)):
            raise Conflict(
                "registry.estimate_stale",
                parcel=parcel.public_id,
                used=row.id,
                current=current.id if current else "—",
                detail=[{"parcel": parcel.public_id}],
            )
        if current.basis == "ex_ante":
            again = methodology.estimate(
                current.methodology_id,
                current.estimate["inputs"],
                current.methodology_version,
                verified_measurements=True,
            )
            if again.basis == "ex_post":
                if again.kg_per_year != current.kg_per_year or again.buffer_kg_per_year != current.buffer_kg_per_year:
                    raise Conflict(
                        "registry.estimate_stale",
                        parcel=parcel.public_id,
                        used=row.id,
                        current=current.id,
                        detail=[{"parcel": parcel.public_id}],
                    )
                outcome = estimates.Outcome(current.accounting_year, again, current.inputs_sha256)
                current = await estimates.record(parcel, outcome, "approved", actor, conn)  # type: ignore[assignment]
                assert current is not None
        out[estimate_id] = current
    return out
