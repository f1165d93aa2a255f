"""Methodology service: the catalogue of versions, a methodology's parameters, and estimates.

Other domains call `estimate(...)` (a parcel's annual removal), `reproduce(...)` (recompute a stored
estimate with the version and parameter file it recorded) and `methodologies()`. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from app.core.errors import AppError, NotFound
from app.methodology import messages as _messages  # noqa: F401  (registers the texts)
from app.methodology.calculators import FORMULAS, Trace, pipeline
from app.methodology.parameters import Catalogue, ParameterSet, Release, catalogue, semver
from app.methodology.schemas import INPUT_TYPES, Estimate, Inputs, ParameterUsed

# The parameter keys each methodology reads (README §1–7); the show endpoint lists them with their sources.
PARAMETER_KEYS: dict[str, tuple[str, ...]] = {
    "SC-LCP-AFF": (
        "const.co2_per_c",
        "const.mu_to_ha",
        "const.carbon_fraction_ipcc_default",
        "tree.*",
        "growth.afforestation_schedule",
        "haircut.unverified_tree_parameters",
        "buffer.forest",
        "validity.afforestation_min_plot_area",
        "validity.afforestation_non_forest_years_before",
        "validity.afforestation_max_shrub_removal",
        "validity.afforestation_max_default_age",
        "validity.eucalyptus_max_rotation",
        "validity.max_listing_area",
        "validity.managed_forest_min_inventory_interval",
        "validity.stock_difference_review_trigger",
    ),
    "SC-LCP-MGT": (
        "const.co2_per_c",
        "const.mu_to_ha",
        "const.carbon_fraction_ipcc_default",
        "tree.*",
        "growth.sichuan_plantation_net_increment",
        "haircut.unverified_tree_parameters",
        "buffer.forest",
        "validity.managed_forest_min_area",
        "validity.managed_forest_min_canopy_cover",
        "validity.managed_forest_min_stand_age",
        "validity.managed_forest_min_inventory_interval",
        "validity.max_listing_area",
        "validity.stock_difference_review_trigger",
    ),
    "SC-LCP-BAM": (
        "const.co2_per_c",
        "const.mu_to_ha",
        "bamboo.moso_mature_biomass_carbon_sw",
        "bamboo.generic_min_agc",
        "bamboo.generic_min_bgc",
        "bamboo.moso_managed_increment",
        "bamboo.establishment_years_without_credit",
        "bamboo.accrual_years",
        "buffer.bamboo",
        "validity.bamboo_min_area",
        "validity.max_listing_area",
    ),
    "SC-LCP-GRS": (
        "const.co2_per_c",
        "const.mu_to_ha",
        "grassland.socref_cold_temperate_moist_hac",
        "grassland.socref_warm_temperate_moist_hac",
        "grassland.f_lu",
        "grassland.f_i_medium",
        "grassland.f_mg_nominal",
        "grassland.f_mg_moderately_degraded",
        "grassland.f_mg_severely_degraded",
        "grassland.d_transition_years",
        "grassland.empirical_soil_rate_cap",
        "grassland.alpine_steppe_exclusion_effect",
        "buffer.grassland",
        "validity.min_listing_area_grassland_wetland",
        "validity.max_listing_area_grassland",
    ),
    "SC-LCP-WET": (
        "const.co2_per_c",
        "const.ch4_per_ch4c",
        "const.mu_to_ha",
        "const.gwp100_ch4",
        "wetland.drained_grassland_nr_shallow_co2",
        "wetland.drained_doc_temperate",
        "wetland.drained_grassland_nr_shallow_ch4",
        "wetland.rewetted_temperate_nr_co2",
        "wetland.rewetted_doc_temperate",
        "wetland.rewetted_temperate_nr_ch4c",
        "wetland.peat_min_depth",
        "wetland.zoige_holocene_accumulation",
        "wetland.zoige_recent_accumulation",
        "buffer.wetland",
        "validity.min_listing_area_grassland_wetland",
        "validity.max_listing_area",
        "validity.wetland_max_crediting_years",
    ),
}

# Sub-values of table rows that are parameters in their own right.
_ROW_VALUES = {
    "tree": ("wood_density", "bef", "root_shoot", "cf_species"),
    "growth.afforestation_schedule": ("age_0_to_2", "age_3_to_4", "age_5_to_20_lowland", "age_5_to_20_highland"),
}


@dataclass(frozen=True)
class VersionInfo:
    version: str
    parameter_set_version: str
    parameter_set_sha256: str
    status: str
    released: str
    current: bool


@dataclass(frozen=True)
class MethodologyInfo:
    id: str
    versions: list[VersionInfo]


@dataclass(frozen=True)
class MethodologyDetail:
    id: str
    version: VersionInfo
    parameters: list[ParameterUsed]
    species: list[tuple[str, str, str]]  # (key, name_zh, name_sci) of the tree rows, for tree-based methodologies


def _catalogue(cat: Catalogue | None) -> Catalogue:
    return cat if cat is not None else catalogue()


def _release(methodology_id: str, version: str | None, cat: Catalogue) -> Release:
    if methodology_id not in INPUT_TYPES or not cat.versions_of(methodology_id):
        raise NotFound("methodology.not_found", methodology_id=methodology_id)
    release = cat.release(methodology_id, version)
    if release is None:
        known = ", ".join(r.version for r in cat.versions_of(methodology_id))
        raise NotFound("methodology.version_not_found", methodology_id=methodology_id, version=version, known=known)
    return release


def _version_info(release: Release, current: Release | None) -> VersionInfo:
    return VersionInfo(
        version=release.version,
        parameter_set_version=release.parameters.version,
        parameter_set_sha256=release.parameters.sha256,
        status=release.status,
        released=release.released,
        current=release is current,
    )


def methodologies(cat: Catalogue | None = None) -> list[MethodologyInfo]:
    """Every methodology with its versions, newest first."""
    cat = _catalogue(cat)
    out = []
    for mid in INPUT_TYPES:
        releases = cat.versions_of(mid)
        if releases:
            out.append(MethodologyInfo(mid, [_version_info(r, releases[0]) for r in releases]))
    return out


def _parameter_list(methodology_id: str, params: ParameterSet) -> list[ParameterUsed]:
    trace = Trace(params)
    for pattern in PARAMETER_KEYS[methodology_id]:
        keys = [f"tree.{k}" for k in params.keys_under("tree")] if pattern == "tree.*" else [pattern]
        for key in keys:
            group = "tree" if key.startswith("tree.") else key
            subs = _ROW_VALUES.get(group)
            if subs:
                for sub in subs:
                    trace.p(key, sub)
            else:
                trace.p(key)
    return list(trace.used.values())


def methodology(methodology_id: str, version: str | None = None, cat: Catalogue | None = None) -> MethodologyDetail:
    """One methodology version: every parameter it reads with value, unit, source and verification."""
    cat = _catalogue(cat)
    release = _release(methodology_id, version, cat)
    params = release.parameters
    species = []
    if "tree.*" in PARAMETER_KEYS[methodology_id]:
        for key in params.keys_under("tree"):
            row = params.row(f"tree.{key}")
            species.append((key, str(row.get("name_zh", key)), str(row.get("name_sci", key))))
    return MethodologyDetail(
        id=methodology_id,
        version=_version_info(release, cat.release(methodology_id)),
        parameters=_parameter_list(methodology_id, params),
        species=species,
    )


def parse_inputs(methodology_id: str, raw: Mapping[str, Any] | Inputs, *, from_strings: bool = False) -> Inputs:
    """The methodology's input struct from a struct or a mapping; bad input is a 400 naming the problem."""
    kind = INPUT_TYPES.get(methodology_id)
    if kind is None:
        raise NotFound("methodology.not_found", methodology_id=methodology_id)
    if isinstance(raw, kind):
        return raw
    if not isinstance(raw, Mapping):
        raise AppError("methodology.wrong_inputs", methodology_id=methodology_id)
    try:
        result: Inputs = msgspec.convert(dict(raw), type=kind, strict=not from_strings)
    except msgspec.ValidationError as exc:
        raise AppError("methodology.invalid_inputs", problem=str(exc), detail=[{"message": str(exc)}]) from exc
    return result


def estimate(
    methodology_id: str,
    inputs: Mapping[str, Any] | Inputs,
    version: str | None = None,
    *,
    verified_measurements: bool = False,
    cat: Catalogue | None = None,
) -> Estimate:
    """The annual removal of one listing, floored to whole kg with the buffer withheld.

    `version=None` uses the newest release. `verified_measurements=True` is for the registry once a
    verifier has approved the stand-volume measurements: the estimate is then labelled ex-post. The
    public calculator never sets it, so everything it shows is ex-ante.
    """
    cat = _catalogue(cat)
    release = _release(methodology_id, version, cat)
    parsed = parse_inputs(methodology_id, inputs)
    formula = FORMULAS.get((methodology_id, semver(release.version)[0]))
    if formula is None:
        raise NotFound(
            "methodology.version_not_found", methodology_id=methodology_id, version=release.version, known=""
        )
    trace = Trace(release.parameters)
    rate = formula(trace, parsed)
    result = pipeline(trace, parsed.area_mu, rate)
    return Estimate(
        methodology_id=methodology_id,
        methodology_version=release.version,
        parameter_set_version=release.parameters.version,
        parameter_set_sha256=release.parameters.sha256,
        basis="ex_post" if trace.measured and verified_measurements else "ex_ante",
        method=trace.method,
        kg_per_year=result.kg_per_year,
        buffer_kg_per_year=result.buffer_kg_per_year,
        held_for_review=trace.held_for_review,
        flags=trace.flags,
        inputs=msgspec.to_builtins(parsed),
        parameters=list(trace.used.values()),
        steps=trace.steps,
        information=trace.information,
    )


def reproduce(stored: Estimate, cat: Catalogue | None = None) -> Estimate:
    """Recompute a stored estimate with the version it recorded; the parameter file must be byte-identical."""
    cat = _catalogue(cat)
    release = _release(stored.methodology_id, stored.methodology_version, cat)
    if release.parameters.sha256 != stored.parameter_set_sha256:
        raise AppError(
            "methodology.hash_mismatch",
            status_code=409,
            recorded=stored.parameter_set_sha256,
            current=release.parameters.sha256,
        )
    return estimate(
        stored.methodology_id,
        stored.inputs,
        stored.methodology_version,
        verified_measurements=stored.basis == "ex_post",
        cat=cat,
    )
