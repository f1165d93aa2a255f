"""Registry API (smallholders register, verifiers review) and the public project and parcel pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.response import Template

from app.core.auth import Role, require_principal, requires
from app.core.i18n import request_language
from app.core.pages import page
from app.regions import service as regions
from app.registry import service
from app.registry.geometry import area_ha, area_mu, format_area, outline_svg
from app.registry.schemas import (
    MeasurementIn,
    MeasurementOut,
    ParcelIn,
    ParcelOut,
    ProjectIn,
    ProjectOut,
    ProjectSummaryOut,
    ReturnIn,
)
from app.settings import Settings
from models.accounts import Organisation
from models.registry import Parcel, Project


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def parcel_out(settings: Settings, parcel: Parcel, project_public_id: str, measurements: list, lang: str) -> ParcelOut:  # type: ignore[type-arg]
    return ParcelOut(
        id=parcel.public_id,
        project=project_public_id,
        name=parcel.name,
        status=parcel.status,
        active=parcel.active,
        geometry=parcel.geometry,
        input_crs=parcel.input_crs,
        area_m2=parcel.area_m2,
        area_mu=area_mu(parcel.area_m2),
        area_ha=area_ha(parcel.area_m2),
        area_display=format_area(parcel.area_m2, lang),
        county_code=parcel.county_code,
        tenure_kind=parcel.tenure_kind,
        tenure_number=service.tenure_number(settings, parcel),
        holder_kind=parcel.holder_kind,
        holder_name=service.holder_name(settings, parcel),
        show_holder_name=parcel.show_holder_name,
        sink_type=parcel.sink_type,
        species=parcel.species,
        planting_year=parcel.planting_year,
        stand_age_years=parcel.stand_age_years,
        elevation_m=parcel.elevation_m,
        measurements=[MeasurementOut(m.measured_on, m.stand_volume_m3_per_ha, m.method) for m in measurements],
    )


async def project_out(settings: Settings, project: Project, lang: str) -> ProjectOut:
    parcels = await service.parcels_of(project)
    measured = await service.measurements_of(p.id for p in parcels)
    organisation = None
    if project.owner_organisation_id is not None:  # type: ignore[attr-defined]
        owner = await Organisation.get(id=project.owner_organisation_id)  # type: ignore[attr-defined]
        organisation = owner.public_id
    return ProjectOut(
        id=project.public_id,
        name=project.name,
        status=project.status,
        county_code=project.county_code,
        methodology_id=project.methodology_id,
        organisation=organisation,
        return_reasons=list(project.return_reasons or []),
        return_note=project.return_note,
        created_at=project.created_at,
        submitted_at=project.submitted_at,
        decided_at=project.decided_at,
        area_m2=sum(p.area_m2 for p in parcels),
        parcels=[parcel_out(settings, p, project.public_id, measured.get(p.id, []), lang) for p in parcels],
    )


async def _summaries(projects: list[Project]) -> list[ProjectSummaryOut]:
    out = []
    for p in projects:
        parcels = await service.parcels_of(p)
        out.append(
            ProjectSummaryOut(
                p.public_id,
                p.name,
                p.status,
                p.county_code,
                p.methodology_id,
                len(parcels),
                sum(x.area_m2 for x in parcels),
                p.submitted_at,
            )
        )
    return out


class RegistryProjectsController(Controller):
    path = "/api/v1/registry/projects"
    tags = ["registry"]

    @post(
        "/",
        summary="Open a draft project (household or your collective / cooperative)",
        guards=[requires(Role.SMALLHOLDER)],
    )
    async def create(self, request: Request, data: JSONBody[ProjectIn]) -> ProjectOut:
        project = await service.create_project(
            require_principal(request), data.name, data.county_code, data.methodology_id, data.organisation
        )
        return await project_out(_settings(request), project, request_language(request))

    @get("/", summary="My projects", guards=[requires(Role.SMALLHOLDER)])
    async def mine(self, request: Request) -> list[ProjectSummaryOut]:
        return await _summaries(await service.my_projects(require_principal(request)))

    @get(
        "/{project_id:str}",
        summary="A project with its parcels (owner, or a verifier once submitted)",
        guards=[requires(Role.SMALLHOLDER, Role.VERIFIER)],
    )
    async def detail(self, request: Request, project_id: FromPath[str]) -> ProjectOut:
        project = await service.viewable_project(require_principal(request), project_id)
        return await project_out(_settings(request), project, request_language(request))

    @post(
        "/{project_id:str}/parcels",
        summary="Register a parcel (draft or returned project)",
        guards=[requires(Role.SMALLHOLDER)],
    )
    async def add_parcel(self, request: Request, project_id: FromPath[str], data: JSONBody[ParcelIn]) -> ParcelOut:
        settings = _settings(request)
        parcel = await service.add_parcel(settings, require_principal(request), project_id, data)
        return parcel_out(settings, parcel, project_id, [], request_language(request))

    @post(
        "/{project_id:str}/submit",
        summary="Submit for review: overlap check, then the parcels hold their ground",
        status_code=200,
        guards=[requires(Role.SMALLHOLDER)],
    )
    async def submit(self, request: Request, project_id: FromPath[str]) -> ProjectOut:
        settings = _settings(request)
        project = await service.submit(settings, require_principal(request), project_id)
        return await project_out(settings, project, request_language(request))


class RegistryParcelsController(Controller):
    path = "/api/v1/registry/parcels"
    tags = ["registry"]
    guards = [requires(Role.SMALLHOLDER)]

    @put("/{parcel_id:str}", summary="Replace a parcel's description (draft or returned project)")
    async def edit(self, request: Request, parcel_id: FromPath[str], data: JSONBody[ParcelIn]) -> ParcelOut:
        settings = _settings(request)
        parcel = await service.edit_parcel(settings, require_principal(request), parcel_id, data)
        measured = await service.measurements_of([parcel.id])
        return parcel_out(
            settings, parcel, parcel.project.public_id, measured.get(parcel.id, []), request_language(request)
        )

    @post("/{parcel_id:str}/measurements", summary="Record a dated stand-volume measurement")
    async def measure(
        self, request: Request, parcel_id: FromPath[str], data: JSONBody[MeasurementIn]
    ) -> MeasurementOut:
        m = await service.add_measurement(require_principal(request), parcel_id, data)
        return MeasurementOut(m.measured_on, m.stand_volume_m3_per_ha, m.method)


class RegistryReviewController(Controller):
    path = "/api/v1/registry/review"
    tags = ["registry"]
    guards = [requires(Role.VERIFIER)]

    @get("/queue", summary="Projects submitted or under review, oldest first")
    async def queue(self) -> list[ProjectSummaryOut]:
        return await _summaries(await service.review_queue())

    @post("/{project_id:str}/start", summary="Take a submitted project under review", status_code=200)
    async def start(self, request: Request, project_id: FromPath[str]) -> ProjectOut:
        project = await service.start_review(require_principal(request), project_id)
        return await project_out(_settings(request), project, request_language(request))

    @post("/{project_id:str}/approve", summary="Approve the project you are reviewing", status_code=200)
    async def approve(self, request: Request, project_id: FromPath[str]) -> ProjectOut:
        project = await service.approve(require_principal(request), project_id)
        return await project_out(_settings(request), project, request_language(request))

    @post("/{project_id:str}/return", summary="Return the project you are reviewing, with reasons", status_code=200)
    async def return_(self, request: Request, project_id: FromPath[str], data: JSONBody[ReturnIn]) -> ProjectOut:
        project = await service.return_project(require_principal(request), project_id, list(data.reasons), data.note)
        return await project_out(_settings(request), project, request_language(request))


def _parcel_view(settings: Settings, parcel: Parcel, lang: str) -> dict[str, Any]:
    return {
        "parcel": parcel,
        "svg": outline_svg(parcel.geometry),
        "area": format_area(parcel.area_m2, lang),
        "holder": service.public_holder_name(settings, parcel),
        "county": regions.full_name(parcel.county_code),
    }


class RegistryPages(Controller):
    """Public, read-only: what anyone may check about a project and its parcels, without signing in."""

    include_in_schema = False

    @get("/registry/projects/{project_id:str}", opt={"public": True})
    async def project_page(self, request: Request, project_id: FromPath[str]) -> Template:
        settings, lang = _settings(request), request_language(request)
        project, parcels = await service.public_project(project_id)
        return page(
            request,
            "registry/project.html",
            project=project,
            county=regions.full_name(project.county_code),
            total_area=format_area(sum(p.area_m2 for p in parcels), lang),
            parcels=[_parcel_view(settings, p, lang) for p in parcels],
        )

    @get("/registry/parcels/{parcel_id:str}", opt={"public": True})
    async def parcel_page(self, request: Request, parcel_id: FromPath[str]) -> Template:
        settings, lang = _settings(request), request_language(request)
        parcel = await service.public_parcel(parcel_id)
        return page(request, "registry/parcel.html", project=parcel.project, **_parcel_view(settings, parcel, lang))
