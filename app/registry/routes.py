"""Registry API (smallholders register, verifiers review) and the public project and parcel pages."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath, JSONBody, Parameter
from litestar.response import Stream, Template

from app.core.auth import Principal, Role, require_principal, requires
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import request_language, t
from app.core.pages import fmt_datetime, fmt_kg, page
from app.credits import service as credits
from app.evidence.routes import photo_too_large
from app.evidence.schemas import PhotoOut, photo_out
from app.market import service as market
from app.regions import service as regions
from app.registry import estimates, opendata, photos, service, statistics
from app.registry.geometry import area_ha, area_mu, format_area, outline_svg
from app.registry.schemas import (
    CreditsOut,
    EstimateProblemOut,
    EstimateSummaryOut,
    IncomeOut,
    MeasurementIn,
    MeasurementOut,
    MineOut,
    MyParcelOut,
    MyProjectOut,
    ParcelEstimateOut,
    ParcelIn,
    ParcelOut,
    ProjectIn,
    ProjectOut,
    ProjectSummaryOut,
    ReturnIn,
    StatisticsOut,
)
from app.settings import PHOTO_BODY_CEILING_BYTES, Settings
from app.storage import storage_for
from models.accounts import Organisation
from models.evidence import Photo
from models.registry import Parcel, ParcelEstimate, Project


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def estimate_summary(row: ParcelEstimate, parcel_public_id: str, lang: str) -> EstimateSummaryOut:
    return EstimateSummaryOut(
        methodology_id=row.methodology_id,
        methodology_version=row.methodology_version,
        parameter_set_version=row.parameter_set_version,
        parameter_set_sha256=row.parameter_set_sha256,
        basis=row.basis,  # type: ignore[arg-type]
        basis_label=t(f"methodology.basis.{row.basis}", lang),
        method=row.method,
        kg_per_year=estimates.shown_kg(row),
        buffer_kg_per_year=None if row.held_for_review else row.buffer_kg_per_year,
        held_for_review=row.held_for_review,
        accounting_year=row.accounting_year,
        inputs_sha256=row.inputs_sha256,
        computed_at=row.computed_at,
        calculator=f"/calculator/{row.methodology_id}",
        record=f"/api/v1/registry/parcels/{parcel_public_id}/estimate",
    )


def problem_out(parcel: Parcel, lang: str) -> EstimateProblemOut | None:
    problem = parcel.estimate_problem
    if not problem:
        return None
    return EstimateProblemOut(problem["code"], estimates.problem_message(problem, lang), problem.get("detail"))


def parcel_out(
    settings: Settings,
    parcel: Parcel,
    project_public_id: str,
    measurements: list,  # type: ignore[type-arg]
    lang: str,
    estimate: ParcelEstimate | None = None,
    parcel_photos: list[Photo] | None = None,
) -> ParcelOut:
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
        methodology_facts=dict(parcel.methodology_facts or {}),
        estimate=estimate_summary(estimate, parcel.public_id, lang) if estimate else None,
        estimate_problem=problem_out(parcel, lang),
        photos=[photo_out(p, lang) for p in parcel_photos or []],
    )


async def _parcel_out(settings: Settings, parcel: Parcel, project_public_id: str, lang: str) -> ParcelOut:
    measured = await service.measurements_of([parcel.id])
    current = await estimates.current_of([parcel.id])
    attached = await photos.photos_of([parcel])
    return parcel_out(
        settings,
        parcel,
        project_public_id,
        measured.get(parcel.id, []),
        lang,
        current.get(parcel.id),
        attached[parcel.id],
    )


async def project_out(settings: Settings, project: Project, lang: str) -> ProjectOut:
    parcels = await service.parcels_of(project)
    measured = await service.measurements_of(p.id for p in parcels)
    current = await estimates.current_of([p.id for p in parcels])
    attached = await photos.photos_of(parcels)
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
        parcels=[
            parcel_out(settings, p, project.public_id, measured.get(p.id, []), lang, current.get(p.id), attached[p.id])
            for p in parcels
        ],
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
        return await _parcel_out(settings, parcel, project_id, request_language(request))

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
        return await _parcel_out(settings, parcel, parcel.project.public_id, request_language(request))

    @post("/{parcel_id:str}/measurements", summary="Record a dated stand-volume measurement")
    async def measure(
        self, request: Request, parcel_id: FromPath[str], data: JSONBody[MeasurementIn]
    ) -> MeasurementOut:
        m = await service.add_measurement(require_principal(request), parcel_id, data)
        return MeasurementOut(m.measured_on, m.stand_volume_m3_per_ha, m.method)


@dataclass
class PhotoUpload:
    """multipart/form-data with one file field, `photo`: a JPEG, PNG or WebP (judged by its bytes)."""

    photo: UploadFile


class RegistryPhotosController(Controller):
    path = "/api/v1/registry/parcels"
    tags = ["registry"]
    guards = [requires(Role.SMALLHOLDER)]

    @post(
        "/{parcel_id:str}/photos",
        summary="Attach a photo to your parcel (draft or returned project); multipart field `photo`",
        request_max_body_size=PHOTO_BODY_CEILING_BYTES,
        exception_handlers={RequestEntityTooLarge: photo_too_large},
        raises=[AppError, Conflict, Forbidden, NotFound, RequestEntityTooLarge],
    )
    async def add_photo(
        self,
        request: Request,
        parcel_id: FromPath[str],
        data: Annotated[PhotoUpload, Body(media_type=RequestEncodingType.MULTI_PART, multipart_form_part_limit=4)],
    ) -> PhotoOut:
        settings = _settings(request)
        content = await data.photo.read()
        await data.photo.close()
        photo = await photos.add_photo(settings, storage_for(settings), require_principal(request), parcel_id, content)
        return photo_out(photo, request_language(request))

    @delete(
        "/{parcel_id:str}/photos/{photo_id:str}",
        summary="Remove a photo from your parcel (draft or returned project)",
        raises=[Conflict, Forbidden, NotFound],
    )
    async def delete_photo(self, request: Request, parcel_id: FromPath[str], photo_id: FromPath[str]) -> None:
        settings = _settings(request)
        await photos.delete_photo(storage_for(settings), require_principal(request), parcel_id, photo_id)


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


def _estimate_view(row: ParcelEstimate | None, lang: str) -> dict[str, Any] | None:
    if row is None:
        return None
    kg = estimates.shown_kg(row)
    return {
        "row": row,
        "kg": fmt_kg(kg, lang) if kg is not None else None,
        "buffer": fmt_kg(row.buffer_kg_per_year, lang) if kg is not None else None,
        "basis": t(f"methodology.basis.{row.basis}", lang),
    }


def _photo_views(settings: Settings, attached: list[Photo], lang: str) -> list[dict[str, Any]]:
    views = []
    for photo in attached:
        key, params = photos.public_place(photo, settings)
        views.append(
            {
                "url": f"/evidence/files/{photo.content_key}",
                "thumb": f"/evidence/files/{photo.thumb_key}",
                "width": photo.width,
                "height": photo.height,
                "place": t(key, lang, **params),
                "taken": fmt_datetime(photo.taken_at, lang) if photo.taken_at else None,
            }
        )
    return views


def _parcel_view(
    settings: Settings, parcel: Parcel, lang: str, estimate: ParcelEstimate | None, attached: list[Photo] | None = None
) -> dict[str, Any]:
    return {
        "photos": _photo_views(settings, attached or [], lang),
        "parcel": parcel,
        "svg": outline_svg(parcel.geometry),
        "area": format_area(parcel.area_m2, lang),
        "holder": service.public_holder_name(settings, parcel),
        "county": regions.full_name(parcel.county_code),
        "estimate": _estimate_view(estimate, lang),
        "problem": estimates.problem_message(parcel.estimate_problem, lang) if parcel.estimate_problem else None,
    }


class RegistryPages(Controller):
    """Public, read-only: what anyone may check about a project and its parcels, without signing in."""

    include_in_schema = False

    @get("/registry", opt={"public": True})
    async def home(self, request: Request) -> Template:
        lang = request_language(request)
        recent = [
            {
                "project": p,
                "county": regions.full_name(p.county_code),
                "area": format_area(area, lang),
                "kg": fmt_kg(kg, lang),
            }
            for p, area, kg in await statistics.recent_approved()
        ]
        return page(
            request,
            "registry/home.html",
            stats=await statistics.statistics(lang),
            recent=recent,
            fmt_area=lambda m2: format_area(m2, lang),
            fmt_kg=lambda kg: fmt_kg(kg, lang),
        )

    @get("/registry/projects/{project_id:str}", opt={"public": True})
    async def project_page(self, request: Request, project_id: FromPath[str]) -> Template:
        settings, lang = _settings(request), request_language(request)
        project, parcels = await service.public_project(project_id)
        current = await estimates.current_of([p.id for p in parcels])
        shown = [k for p in parcels if (row := current.get(p.id)) and (k := estimates.shown_kg(row)) is not None]
        attached = await photos.photos_of(parcels)
        return page(
            request,
            "registry/project.html",
            project=project,
            county=regions.full_name(project.county_code),
            total_area=format_area(sum(p.area_m2 for p in parcels), lang),
            total_kg=fmt_kg(sum(shown), lang) if shown else None,
            parcels=[_parcel_view(settings, p, lang, current.get(p.id), attached[p.id]) for p in parcels],
        )

    @get("/registry/parcels/{parcel_id:str}", opt={"public": True})
    async def parcel_page(self, request: Request, parcel_id: FromPath[str]) -> Template:
        settings, lang = _settings(request), request_language(request)
        parcel = await service.public_parcel(parcel_id)
        current = await estimates.current_of([parcel.id])
        attached = await photos.photos_of([parcel])
        return page(
            request,
            "registry/parcel.html",
            project=parcel.project,
            v=_parcel_view(settings, parcel, lang, current.get(parcel.id), attached[parcel.id]),
        )


class RegistryPublicController(Controller):
    """Statistics and stored estimates for anyone, and the smallholder's own overview."""

    path = "/api/v1/registry"
    tags = ["registry"]

    @get(
        "/statistics",
        summary="Approved parcels: area, counts and estimated kg/yr by county and sink type",
        opt={"public": True},
    )
    async def stats(self, request: Request) -> StatisticsOut:
        return await statistics.statistics(request_language(request))

    @get(
        "/parcels/{parcel_id:str}/estimate",
        summary="A public parcel's current estimate in full: parameters, sources, steps, hashes",
        opt={"public": True},
    )
    async def parcel_estimate(self, request: Request, parcel_id: FromPath[str]) -> ParcelEstimateOut:
        parcel = await service.public_parcel(parcel_id)
        row = (await estimates.current_of([parcel.id])).get(parcel.id)
        if row is None:
            raise NotFound("registry.estimate_not_found")
        return ParcelEstimateOut(
            parcel=parcel.public_id,
            project=parcel.project.public_id,
            summary=estimate_summary(row, parcel.public_id, request_language(request)),
            estimate=row.estimate,
        )

    @get("/mine", summary="My projects and parcels: status, area, estimate", guards=[requires(Role.SMALLHOLDER)])
    async def mine(self, request: Request) -> MineOut:
        lang = request_language(request)
        projects = await service.my_projects(require_principal(request))
        parcels = await Parcel.filter(project_id__in=[p.id for p in projects]).order_by("id")
        current = await estimates.current_of([p.id for p in parcels])
        units = await credits.project_credits([p.id for p in projects])
        out = []
        for project in projects:
            mine = [p for p in parcels if p.project_id == project.id]  # type: ignore[attr-defined]
            rows = [
                MyParcelOut(
                    id=p.public_id,
                    name=p.name,
                    status=p.status,
                    sink_type=p.sink_type,
                    county_code=p.county_code,
                    area_m2=p.area_m2,
                    area_mu=area_mu(p.area_m2),
                    area_ha=area_ha(p.area_m2),
                    estimate=estimate_summary(current[p.id], p.public_id, lang) if p.id in current else None,
                    estimate_problem=problem_out(p, lang),
                )
                for p in mine
            ]
            area = sum(p.area_m2 for p in mine)
            out.append(
                MyProjectOut(
                    id=project.public_id,
                    name=project.name,
                    status=project.status,
                    county_code=project.county_code,
                    county_name=regions.full_name(project.county_code),
                    methodology_id=project.methodology_id,
                    area_m2=area,
                    area_mu=area_mu(area),
                    area_ha=area_ha(area),
                    kg_per_year=sum(r.estimate.kg_per_year or 0 for r in rows if r.estimate),
                    parcels=rows,
                    credits=_credits_out([units[project.id]]) if project.id in units else None,
                )
            )
        return MineOut(
            projects=out,
            area_m2=sum(p.area_m2 for p in out),
            kg_per_year=sum(p.kg_per_year for p in out),
            credits=_credits_out(list(units.values())) if units else None,
            income=await _income(require_principal(request)),
        )


async def _income(principal: Principal) -> IncomeOut | None:
    income = await market.income_of(principal)
    return IncomeOut(**dataclasses.asdict(income)) if income else None


def _credits_out(totals: list[credits.ProjectCredits]) -> CreditsOut:
    return CreditsOut(
        issued_kg=sum(t.issued_kg for t in totals),
        reserved_kg=sum(t.reserved_kg for t in totals),
        sold_kg=sum(t.sold_kg for t in totals),
        available_kg=sum(t.available_kg for t in totals),
        buffer_kg=sum(t.buffer_kg for t in totals),
        cancelled_kg=sum(t.cancelled_kg for t in totals),
    )


class OpenDataController(Controller):
    """Approved parcels for anyone to download (schema: docs/open-data.md)."""

    path = "/open-data"
    tags = ["open data"]
    opt = {"public": True}

    def _headers(self, name: str) -> dict[str, str]:
        return {
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Schema": f"{opendata.SCHEMA}/{opendata.SCHEMA_VERSION}",
            "Cache-Control": "public, max-age=300",
        }

    @get("/parcels.csv", summary="Approved parcels as CSV (UTF-8, RFC 4180)", media_type="text/csv")
    async def parcels_csv(
        self,
        request: Request,
        bom: bool = Parameter(default=False, description="start with a UTF-8 byte-order mark, for Excel"),
    ) -> Stream:
        return Stream(
            opendata.csv_chunks(_settings(request), bom=bom),
            media_type="text/csv",
            headers=self._headers(f"microsink-parcels-{opendata.SCHEMA_VERSION}.csv"),
        )

    @get(
        "/parcels.geojson", summary="Approved parcels as a GeoJSON FeatureCollection", media_type="application/geo+json"
    )
    async def parcels_geojson(self, request: Request) -> Stream:
        return Stream(
            opendata.geojson_chunks(_settings(request)),
            media_type="application/geo+json",
            headers=self._headers(f"microsink-parcels-{opendata.SCHEMA_VERSION}.geojson"),
        )
