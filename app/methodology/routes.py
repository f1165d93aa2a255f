"""Methodology API (public): list, show with sources, estimate; and the /calculator pages (no JavaScript)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from babel import Locale
from babel.numbers import format_decimal
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Template

from app.core.errors import AppError, NotFound
from app.core.i18n import request_language, t
from app.core.pages import page
from app.methodology import forms, service
from app.methodology.schemas import (
    INPUT_TYPES,
    AfforestationIn,
    BambooIn,
    Estimate,
    GrasslandIn,
    ManagedForestIn,
    ParameterUsed,
    WetlandIn,
)

Version = Annotated[
    str | None,
    QueryParameter(pattern=r"^\d{1,4}\.\d{1,4}\.\d{1,4}$", description="methodology version; newest if omitted"),
]
_RAISES = [AppError, NotFound]


class VersionOut(msgspec.Struct):
    version: str
    parameter_set_version: str
    parameter_set_sha256: str
    status: str
    released: str
    current: bool


class MethodologyOut(msgspec.Struct):
    id: str
    name: str
    versions: list[VersionOut]


class SpeciesOut(msgspec.Struct):
    key: str
    name_zh: str
    name_sci: str


class MethodologyDetailOut(msgspec.Struct):
    id: str
    name: str
    version: VersionOut
    parameters: list[ParameterUsed]
    species: list[SpeciesOut]
    estimate_path: str


class EstimateOut(msgspec.Struct):
    """The estimate as the public sees it: kg is null while a measured increment awaits review."""

    estimate: Estimate
    kg_per_year: int | None
    basis_label: str
    caveat: str


def _version_out(v: service.VersionInfo) -> VersionOut:
    return VersionOut(v.version, v.parameter_set_version, v.parameter_set_sha256, v.status, v.released, v.current)


def _estimate_out(e: Estimate, lang: str) -> EstimateOut:
    return EstimateOut(
        estimate=e,
        kg_per_year=None if e.held_for_review else e.kg_per_year,
        basis_label=t(f"methodology.basis.{e.basis}", lang),
        caveat=t("methodology.page.held" if e.held_for_review else "methodology.page.caveat", lang),
    )


def _estimate(request: Request, methodology_id: str, data: Any, version: str | None) -> EstimateOut:
    return _estimate_out(service.estimate(methodology_id, data, version), request_language(request))


class MethodologyController(Controller):
    path = "/api/v1/methodologies"
    tags = ["methodology"]
    opt = {"public": True}

    @get("/", summary="The methodologies and their versions (public)")
    async def list_methodologies(self, request: Request) -> list[MethodologyOut]:
        lang = request_language(request)
        return [
            MethodologyOut(m.id, t(f"methodology.name.{m.id}", lang), [_version_out(v) for v in m.versions])
            for m in service.methodologies()
        ]

    @get("/{methodology_id:str}", summary="One methodology version: every parameter with its source", raises=_RAISES)
    async def show(
        self, request: Request, methodology_id: FromPath[str], version: Version = None
    ) -> MethodologyDetailOut:
        d = service.methodology(methodology_id, version)
        return MethodologyDetailOut(
            id=d.id,
            name=t(f"methodology.name.{d.id}", request_language(request)),
            version=_version_out(d.version),
            parameters=d.parameters,
            species=[SpeciesOut(*s) for s in d.species],
            estimate_path=f"{self.path}/{d.id}/estimate",
        )

    @post("/SC-LCP-AFF/estimate", status_code=200, summary="Estimate an afforestation plot", raises=_RAISES)
    async def afforestation(
        self, request: Request, data: JSONBody[AfforestationIn], version: Version = None
    ) -> EstimateOut:
        return _estimate(request, "SC-LCP-AFF", data, version)

    @post("/SC-LCP-MGT/estimate", status_code=200, summary="Estimate a managed forest", raises=_RAISES)
    async def managed_forest(
        self, request: Request, data: JSONBody[ManagedForestIn], version: Version = None
    ) -> EstimateOut:
        return _estimate(request, "SC-LCP-MGT", data, version)

    @post("/SC-LCP-BAM/estimate", status_code=200, summary="Estimate a bamboo planting or grove", raises=_RAISES)
    async def bamboo(self, request: Request, data: JSONBody[BambooIn], version: Version = None) -> EstimateOut:
        return _estimate(request, "SC-LCP-BAM", data, version)

    @post("/SC-LCP-GRS/estimate", status_code=200, summary="Estimate a grassland under grazing change", raises=_RAISES)
    async def grassland(self, request: Request, data: JSONBody[GrasslandIn], version: Version = None) -> EstimateOut:
        return _estimate(request, "SC-LCP-GRS", data, version)

    @post("/SC-LCP-WET/estimate", status_code=200, summary="Estimate a rewetted peat meadow", raises=_RAISES)
    async def wetland(self, request: Request, data: JSONBody[WetlandIn], version: Version = None) -> EstimateOut:
        return _estimate(request, "SC-LCP-WET", data, version)


_LOCALES = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en")}  # parsed once (see app.core.pages)


def _kg(value: int, lang: str) -> str:
    return format_decimal(value, locale=_LOCALES["zh" if lang == "zh" else "en"])


class CalculatorPages(Controller):
    """The public calculator: a GET form per sink type and a result page, complete without JavaScript."""

    include_in_schema = False
    opt = {"public": True}

    @get("/calculator")
    async def index(self, request: Request) -> Template:
        return page(request, "methodology/index.html", methodologies=service.methodologies())

    @get("/calculator/{methodology_id:str}")
    async def form(self, request: Request, methodology_id: FromPath[str]) -> Template:
        return self._form(request, methodology_id, dict(request.query_params))

    @get("/calculator/{methodology_id:str}/estimate")
    async def result(self, request: Request, methodology_id: FromPath[str]) -> Template:
        query = dict(request.query_params)
        if methodology_id not in INPUT_TYPES:
            raise NotFound("methodology.not_found", methodology_id=methodology_id)
        version = query.get("version") or None
        try:
            inputs = service.parse_inputs(
                methodology_id, forms.inputs_from_query(methodology_id, query), from_strings=True
            )
            estimate = service.estimate(methodology_id, inputs, version)
        except AppError as exc:
            if isinstance(exc, NotFound):
                raise
            return self._form(request, methodology_id, query, error=exc)
        lang = request_language(request)
        return page(
            request,
            "methodology/result.html",
            e=estimate,
            kg=_kg(estimate.kg_per_year, lang),
            buffer_kg=_kg(estimate.buffer_kg_per_year, lang),
            back=f"/calculator/{methodology_id}?{request.url.query}",
        )

    def _form(
        self, request: Request, methodology_id: str, values: dict[str, str], error: AppError | None = None
    ) -> Template:
        version = values.get("version") or None
        detail = service.methodology(methodology_id, version)
        response = page(
            request,
            "methodology/form.html",
            m=detail,
            versions=next(m.versions for m in service.methodologies() if m.id == methodology_id),
            v=values,
            error=t(error.key, request_language(request), **error.params) if error else None,
            error_field=(error.detail or {}).get("field") if error and isinstance(error.detail, dict) else None,
        )
        if error is not None:
            response.status_code = error.status_code
        return response
