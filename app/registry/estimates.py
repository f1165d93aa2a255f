"""Estimates of parcels: the calculator's inputs read from a parcel, and every estimate kept as a row.

A parcel's estimate comes from `app.methodology.service.estimate(project.methodology_id, inputs)`:

* area: `area_m2 × 15 / 10 000` 亩, exact (no rounding: the methodology rounds only its last step);
* species (forest methodologies): the composition's 优势树种 by the national inventory rule — one species
  (group) with ≥ 65 % is a pure stand and uses its own row; otherwise ≥ 65 % conifers is 针叶混, ≥ 65 %
  broadleaves 阔叶混, anything else 针阔混 (the parameter file's three mixed rows). Bamboo: 毛竹 / 楠竹 is
  moso, any other bamboo is `other`;
* stand age: completed years at the start of the accounting year (the calendar year in Beijing when the
  estimate is made) — `year − planting_year`, or the age given at registration plus the years since;
* elevation (afforestation) and the two most recent stand-volume measurements from different years
  (forest methodologies), which switch the calculator to the stock-difference method;
* the methodology's own facts that are not parcel fields (`methodology_facts`, e.g. years the land was
  not forest before planting).

An estimate is ex-post only when it is computed at approval: the verifier approving the project approves
the measurements it was shown (`verified_measurements=True`). Every other estimate is ex-ante.

Each estimate is stored with the methodology id, version, parameter file version and SHA-256, the full
estimate JSON and a SHA-256 of the geometry and inputs it was computed from (invariant 6). At most one
row per parcel is `current`; a recomputation that changes nothing reuses it.

A parcel the calculator refuses (a validity limit, a missing fact) is still saved as a draft with the
reason in `estimate_problem`; submitting or approving it answers that refusal as a 4xx.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import msgspec

from app.core import audit
from app.core.errors import AppError
from app.core.i18n import BEIJING, t
from app.methodology import service as methodology
from app.methodology.schemas import INPUT_TYPES, Estimate
from models.registry import Parcel, ParcelEstimate, StandMeasurement

# The sink type a parcel must have under each methodology.
SINK_OF = {
    "SC-LCP-AFF": "afforestation",
    "SC-LCP-MGT": "forest_management",
    "SC-LCP-BAM": "bamboo",
    "SC-LCP-GRS": "grassland",
    "SC-LCP-WET": "wetland",
}
TREE_METHODOLOGIES = ("SC-LCP-AFF", "SC-LCP-MGT")
# Calculator inputs that come from the parcel's own fields, never from `methodology_facts`.
PARCEL_INPUTS = {
    "area_mu": "geometry",
    "species": "species",
    "stand_age": "planting_year",
    "elevation_m": "elevation_m",
    "measurements": "measurements",
}
# 国家森林资源连续清查技术规定: a stand is pure when one species (group) holds ≥ 65 %, and a mixed stand
# is 针叶混 / 阔叶混 when conifers / broadleaves together hold ≥ 65 %, else 针阔混.
PURE_STAND_PERCENT = 65
CONIFERS = frozenset(
    {
        "cunninghamia",
        "pinus_massoniana",
        "cupressus",
        "picea",
        "abies",
        "larix",
        "pinus_armandii",
        "pinus_yunnanensis",
        "pinus_densata",
        "cryptomeria",
        "mixed_conifer",
    }
)
BROADLEAVES = frozenset(
    {
        "quercus",
        "betula",
        "populus",
        "eucalyptus",
        "soft_broadleaf",
        "hard_broadleaf",
        "mixed_broadleaf",
    }
)
# Names people write that the parameter file's notes map to a row (soft_broadleaf: "used as proxy for
# 桤木"; hard_broadleaf: "e.g. 香樟, 楠木 if no own row"). Row keys and name_zh are accepted as well.
SPECIES_ALIASES = {"桤木": "soft_broadleaf", "香樟": "hard_broadleaf", "楠木": "hard_broadleaf"}
MOSO_NAMES = frozenset({"moso", "毛竹", "楠竹"})
OCCASIONS = ("added", "edited", "measured", "submitted", "approved")


@dataclass(frozen=True)
class ParcelFacts:
    """What an estimate reads from a parcel, whether it is stored yet or not."""

    geometry: dict[str, Any]
    area_m2: int
    species: list[dict[str, Any]]
    planting_year: int | None
    stand_age_years: int | None
    registered_year: int
    elevation_m: int | None
    facts: dict[str, Any]
    measurements: list[tuple[int, Decimal]]  # (year, m³/ha), oldest first


@dataclass(frozen=True)
class Outcome:
    """An estimate, or the reason there is none (a refusal as {code, params, detail})."""

    accounting_year: int
    estimate: Estimate | None = None
    inputs_sha256: str = ""
    problem: dict[str, Any] | None = None


def area_mu_exact(area_m2: int) -> Decimal:
    """m² to 亩 exactly (1 亩 = 10 000/15 m²): the methodology keeps 1/15 exact, so do we."""
    return Decimal(area_m2 * 15) / Decimal(10_000)


def this_year() -> int:
    return datetime.now(BEIJING).year


def _species_table(methodology_id: str) -> dict[str, str]:
    """Every name that selects a tree row: its key, its name_zh and the aliases."""
    names: dict[str, str] = {}
    for key, name_zh, _ in methodology.methodology(methodology_id).species:
        names[key] = key
        names[name_zh] = key
    for alias, key in SPECIES_ALIASES.items():
        if key in names:
            names[alias] = key
    return names


def tree_species_key(methodology_id: str, species: list[dict[str, Any]]) -> str:
    """The parameter row for a composition (pure stand or one of the mixed rows); 400 for an unknown name."""
    table = _species_table(methodology_id)
    shares: dict[str, int] = {}
    for share in species:
        key = table.get(str(share["species"]).strip())
        if key is None:
            known = "、".join(n for n in table if not n.isascii())
            raise AppError(
                "registry.unknown_species", species=share["species"], known=known, detail=[{"field": "species"}]
            )
        shares[key] = shares.get(key, 0) + int(share["percent"])
    dominant, percent = max(shares.items(), key=lambda kv: kv[1])
    if percent >= PURE_STAND_PERCENT:
        return dominant
    conifers = sum(p for k, p in shares.items() if k in CONIFERS)
    broadleaves = sum(p for k, p in shares.items() if k in BROADLEAVES)
    if conifers >= PURE_STAND_PERCENT:
        return "mixed_conifer"
    if broadleaves >= PURE_STAND_PERCENT:
        return "mixed_broadleaf"
    return "mixed_conifer_broadleaf"


def bamboo_species(species: list[dict[str, Any]]) -> str:
    """moso when 毛竹 (楠竹) holds most of the grove, else other."""
    moso = sum(int(s["percent"]) for s in species if str(s["species"]).strip() in MOSO_NAMES)
    return "moso" if moso * 2 > sum(int(s["percent"]) for s in species) else "other"


def _input_fields(methodology_id: str) -> dict[str, msgspec.structs.FieldInfo]:
    return {f.name: f for f in msgspec.structs.fields(INPUT_TYPES[methodology_id])}


def check_parcel(methodology_id: str, sink_type: str, species: list[dict[str, Any]], facts: dict[str, Any]) -> None:
    """Refuse at once (400, nothing written) what no estimate could ever use: a sink type other than the
    methodology's, an unknown species, a fact the methodology does not have or of the wrong type."""
    expected = SINK_OF.get(methodology_id)
    if expected is not None and sink_type != expected:
        raise AppError(
            "registry.sink_type_mismatch",
            sink_type=sink_type,
            methodology_id=methodology_id,
            expected=expected,
            detail=[{"field": "sink_type", "expected": expected}],
        )
    if methodology_id in TREE_METHODOLOGIES and species:
        tree_species_key(methodology_id, species)
    fields = _input_fields(methodology_id)
    allowed = sorted(set(fields) - set(PARCEL_INPUTS))
    for key, value in facts.items():
        where = [{"field": f"methodology_facts.{key}"}]
        if key in PARCEL_INPUTS:
            raise AppError("registry.fact_is_a_parcel_field", fact=key, field=PARCEL_INPUTS[key], detail=where)
        if key not in fields:
            raise AppError(
                "registry.fact_unknown",
                fact=key,
                methodology_id=methodology_id,
                allowed=", ".join(allowed),
                detail=where,
            )
        try:
            msgspec.convert(value, type=fields[key].type, strict=True)
        except msgspec.ValidationError as exc:
            raise AppError("registry.fact_invalid", fact=key, problem=str(exc), detail=where) from exc


def stand_age(facts: ParcelFacts, year: int) -> int | None:
    if facts.planting_year is not None:
        return max(0, year - facts.planting_year)
    if facts.stand_age_years is not None:
        return max(0, facts.stand_age_years + year - facts.registered_year)
    return None


def measurement_pair(measurements: list[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """The latest measurement and the latest one from an earlier year; none if there is no such pair."""
    if not measurements:
        return []
    latest = max(measurements, key=lambda m: m[0])
    earlier = [m for m in measurements if m[0] < latest[0]]
    return [max(earlier, key=lambda m: m[0]), latest] if earlier else []


def calculator_inputs(methodology_id: str, facts: ParcelFacts, year: int) -> dict[str, Any]:
    raw: dict[str, Any] = dict(facts.facts)
    raw["area_mu"] = area_mu_exact(facts.area_m2)
    age = stand_age(facts, year)
    if methodology_id in TREE_METHODOLOGIES:
        if facts.species:
            raw["species"] = tree_species_key(methodology_id, facts.species)
        if age is not None:
            raw["stand_age"] = age
        if pair := measurement_pair(facts.measurements):
            raw["measurements"] = [{"year": y, "volume_m3_per_ha": v} for y, v in pair]
        if methodology_id == "SC-LCP-AFF" and facts.elevation_m is not None:
            raw["elevation_m"] = facts.elevation_m
    elif methodology_id == "SC-LCP-BAM":
        if facts.species:
            raw["species"] = bamboo_species(facts.species)
        if age is not None:
            raw["stand_age"] = age
    return raw


def _plain(value: Any) -> Any:
    """Error parameters as JSON: numbers that are not int become strings."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal | Fraction | float):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def problem_of(exc: AppError) -> dict[str, Any]:
    return {"code": exc.key, "params": _plain(exc.params), "detail": _plain(exc.detail)}


def inputs_hash(geometry: dict[str, Any], inputs: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of {"geometry", "inputs"}."""
    text = json.dumps(
        {"geometry": geometry, "inputs": inputs}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def evaluate(methodology_id: str, facts: ParcelFacts, *, verified: bool = False, year: int | None = None) -> Outcome:
    """The estimate for these facts with the newest methodology release, or the refusal.

    Bad input of the facts themselves (a value the methodology's struct rejects) is raised as a 400; a
    missing input or a validity limit is returned as `problem`.
    """
    year = this_year() if year is None else year
    raw = calculator_inputs(methodology_id, facts, year)
    for name, field in _input_fields(methodology_id).items():
        if field.required and name not in raw:
            exc = AppError(
                "registry.estimate_input_missing",
                field=PARCEL_INPUTS.get(name, f"methodology_facts.{name}"),
                detail=[{"field": PARCEL_INPUTS.get(name, f"methodology_facts.{name}")}],
            )
            return Outcome(year, problem=problem_of(exc))
    try:
        estimate = methodology.estimate(methodology_id, raw, verified_measurements=verified)
    except AppError as exc:
        if exc.status_code != 400 or exc.key == "methodology.invalid_inputs":
            raise
        return Outcome(year, problem=problem_of(exc))
    return Outcome(year, estimate=estimate, inputs_sha256=inputs_hash(facts.geometry, estimate.inputs))


def refusal(problem: dict[str, Any], parcel_public_id: str) -> AppError:
    """A stored refusal as the 4xx it is when someone tries to submit or approve the parcel."""
    detail = problem.get("detail")
    items = detail if isinstance(detail, list) else [detail] if isinstance(detail, dict) else [{}]
    return AppError(problem["code"], detail=[{**d, "parcel": parcel_public_id} for d in items], **problem["params"])


def problem_message(problem: dict[str, Any], lang: str) -> str:
    return t(problem["code"], lang, **problem["params"])


def facts_of(parcel: Parcel, measurements: list[StandMeasurement]) -> ParcelFacts:
    return ParcelFacts(
        geometry=parcel.geometry,
        area_m2=parcel.area_m2,
        species=list(parcel.species or []),
        planting_year=parcel.planting_year,
        stand_age_years=parcel.stand_age_years,
        registered_year=parcel.created_at.astimezone(BEIJING).year if parcel.created_at else this_year(),
        elevation_m=parcel.elevation_m,
        facts=dict(parcel.methodology_facts or {}),
        measurements=[(m.measured_on.year, Decimal(m.stand_volume_m3_per_ha)) for m in measurements],
    )


# --- stored estimates -----------------------------------------------------------------------------


def _same(row: ParcelEstimate, outcome: Outcome) -> bool:
    e = outcome.estimate
    assert e is not None
    return (
        row.inputs_sha256 == outcome.inputs_sha256
        and row.methodology_version == e.methodology_version
        and row.parameter_set_sha256 == e.parameter_set_sha256
        and row.basis == e.basis
        and row.accounting_year == outcome.accounting_year
    )


async def record(parcel: Parcel, outcome: Outcome, occasion: str, actor: str, conn: Any) -> ParcelEstimate | None:
    """Store the outcome inside the caller's transaction: a new current estimate, or the refusal."""
    current = await ParcelEstimate.filter(parcel_id=parcel.id, current=True).using_db(conn).first()
    if outcome.estimate is None:
        changed = current is not None or parcel.estimate_problem != outcome.problem
        if current is not None:
            await ParcelEstimate.filter(id=current.id).using_db(conn).update(current=False)
        await Parcel.filter(id=parcel.id).using_db(conn).update(estimate_problem=outcome.problem)
        parcel.estimate_problem = outcome.problem
        if changed:
            await audit.record(
                actor=actor,
                action="registry.parcel.estimate_refused",
                entity_type="parcel",
                entity_id=parcel.public_id,
                before={"estimate": current.id} if current else None,
                after={"problem": (outcome.problem or {}).get("code")},
            )
        return None
    if parcel.estimate_problem is not None:
        await Parcel.filter(id=parcel.id).using_db(conn).update(estimate_problem=None)
        parcel.estimate_problem = None
    if current is not None and _same(current, outcome):
        return current
    if current is not None:
        await ParcelEstimate.filter(id=current.id).using_db(conn).update(current=False)
    e = outcome.estimate
    row = await ParcelEstimate.create(
        parcel_id=parcel.id,
        methodology_id=e.methodology_id,
        methodology_version=e.methodology_version,
        parameter_set_version=e.parameter_set_version,
        parameter_set_sha256=e.parameter_set_sha256,
        basis=e.basis,
        method=e.method,
        kg_per_year=e.kg_per_year,
        buffer_kg_per_year=e.buffer_kg_per_year,
        held_for_review=e.held_for_review,
        accounting_year=outcome.accounting_year,
        inputs_sha256=outcome.inputs_sha256,
        occasion=occasion,
        estimate=msgspec.to_builtins(e),
        current=True,
        using_db=conn,
    )
    await audit.record(
        actor=actor,
        action="registry.parcel.estimated",
        entity_type="parcel",
        entity_id=parcel.public_id,
        before={"estimate": current.id, "kg_per_year": current.kg_per_year} if current else None,
        after={
            "estimate": row.id,
            "kg_per_year": row.kg_per_year,
            "basis": row.basis,
            "methodology": f"{row.methodology_id}@{row.methodology_version}",
            "parameter_set_sha256": row.parameter_set_sha256,
            "inputs_sha256": row.inputs_sha256,
        },
    )
    return row


async def current_of(parcel_ids: list[int]) -> dict[int, ParcelEstimate]:
    if not parcel_ids:
        return {}
    rows = await ParcelEstimate.filter(parcel_id__in=parcel_ids, current=True)
    return {r.parcel_id: r for r in rows}  # type: ignore[attr-defined]


def stored_estimate(row: ParcelEstimate) -> Estimate:
    """The stored JSON back as the methodology's Estimate (for reproduce and display)."""
    return msgspec.convert(row.estimate, Estimate)


def reproduce(row: ParcelEstimate) -> Estimate:
    """Recompute a stored estimate from its recorded version; 409 if the parameter file changed."""
    return methodology.reproduce(stored_estimate(row))


def shown_kg(row: ParcelEstimate) -> int | None:
    """What may be shown: nothing while a measured increment waits for review."""
    return None if row.held_for_review else row.kg_per_year
