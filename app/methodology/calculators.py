"""The five SC-LCP calculators of methodology 0.x, exactly as docs/methodology.md writes them.

Every number is an exact `Fraction` (44/12 and 1/15 included) until the last step floors to whole kg.
Each parameter read goes through `Trace.p`, which snapshots it (value, unit, source, verification) into
the estimate; each intermediate number goes through `Trace.step`. A listing outside a validity limit is
refused with `LimitError`, never estimated.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from app.core.errors import AppError
from app.methodology.parameters import ParameterSet
from app.methodology.schemas import (
    AfforestationIn,
    BambooIn,
    GrasslandIn,
    ManagedForestIn,
    ParameterUsed,
    Step,
    VolumeMeasurement,
    WetlandIn,
)

M2_PER_HA = 10_000  # definition of the hectare
T_PER_KG = Fraction(1, 1000)
T_HA_PER_G_M2 = Fraction(1, 100)  # 1 g/m² = 10 000 m²/ha ÷ 1 000 000 g/t = 0.01 t/ha
# README §2 table: afforestation growth defaults split at 2500 m. The parameter file states the split only
# in the notes of growth.afforestation_schedule (age_5_to_20_lowland / _highland), not as a number.
HIGHLAND_FROM_M = 2500


class LimitError(AppError):
    """A listing outside a validity limit or eligibility condition; the message names the limit and the value."""

    status_code = 400


def refuse(
    code: str, field_name: str, *, limit_key: str = "", limit: object = "", given: object = "", **extra: object
) -> LimitError:
    detail = {"field": field_name, "limit_key": limit_key, "limit": str(limit), "given": str(given)}
    params: dict[str, Any] = {"limit_key": limit_key, "limit": limit, "given": given, "field": field_name, **extra}
    return LimitError(f"methodology.limit.{code}", detail=detail, **params)


def shown(x: Fraction | Decimal | int, places: int = 4) -> str:
    """A number rounded half-up to `places` decimals for people; trailing zeros kept as the README shows them."""
    d = Decimal(x.numerator) / Decimal(x.denominator) if isinstance(x, Fraction) else Decimal(x)
    return format(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def plain(d: Decimal | int) -> str:
    """A number without exponent or trailing zeros: 10.50 → 10.5, 1.5E+3 → 1500."""
    return format(Decimal(d).normalize(), "f")


def exact(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


@dataclass
class Trace:
    """Collects the parameters read and the steps computed for one estimate."""

    params: ParameterSet
    used: dict[str, ParameterUsed] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    information: list[Step] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    method: str = ""
    measured: bool = False
    held_for_review: bool = False

    def p(self, key: str, sub: str | None = None) -> Fraction:
        entry = self.params.entry(key, sub)
        self.used.setdefault(
            entry.key,
            ParameterUsed(
                entry.key, entry.shown, entry.unit, entry.source, entry.locator, entry.url, entry.verification
            ),
        )
        return entry.exact

    def limit(self, key: str) -> Decimal:
        """A validity limit as published (a Decimal, for messages and precision) and recorded as used."""
        self.p(key)
        return self.params.entry(key).value

    def step(self, key: str, formula: str, value: Fraction, unit: str, *, info: bool = False) -> Fraction:
        (self.information if info else self.steps).append(Step(key, formula, shown(value), exact(value), unit))
        return value

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)


@dataclass(frozen=True)
class Rate:
    """What a calculator hands to the common pipeline."""

    e: Fraction  # t CO2e / ha / yr
    buffer_key: str
    haircut: bool = False


def at_published_precision(value: Fraction, limit: Decimal) -> Decimal:
    """`value` rounded half-up to the decimals the limit is published with (0.0667 ha is the rounded 1 亩)."""
    exponent = limit.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return Decimal(shown(value, places))


# ---- shared checks -----------------------------------------------------------------------------------


def _area_ha(t: Trace, area_mu: Decimal) -> Fraction:
    return Fraction(area_mu) * t.p("const.mu_to_ha")


def _max_area(t: Trace, area_mu: Decimal, key: str) -> None:
    limit = t.limit(key)
    if area_mu > limit:
        raise refuse("max_listing_area", "area_mu", limit_key=key, limit=plain(limit), given=plain(area_mu))


def _min_area_mu(t: Trace, area_mu: Decimal, key: str) -> None:
    limit = t.limit(key)
    if area_mu < limit:
        raise refuse("min_listing_area", "area_mu", limit_key=key, limit=plain(limit), given=plain(area_mu))


def _min_area_ha(t: Trace, area_mu: Decimal, key: str) -> None:
    limit = t.limit(key)
    given = at_published_precision(_area_ha(t, area_mu), limit)
    if given < limit:
        raise refuse("min_area_ha", "area_mu", limit_key=key, limit=plain(limit), given=plain(area_mu), given_ha=given)


def _species_factor(t: Trace, species: str) -> tuple[Fraction, bool]:
    """f_sp = D × BEF × (1 + R) × min(CF_species, 0.47) × 44/12, and whether the row is still 'recalled'."""
    key = f"tree.{species}"
    if species not in t.params.keys_under("tree"):
        raise AppError("methodology.unknown_species", species=species, options=", ".join(t.params.keys_under("tree")))
    d, bef, r = t.p(key, "wood_density"), t.p(key, "bef"), t.p(key, "root_shoot")
    cf_used = t.step(
        "cf_used",
        "min(CF_species, CF_IPCC)",
        min(t.p(key, "cf_species"), t.p("const.carbon_fraction_ipcc_default")),
        "t C / t d.m.",
    )
    f = t.step(
        "f_sp",
        "D × BEF × (1 + R) × CF_used × 44/12",
        d * bef * (1 + r) * cf_used * t.p("const.co2_per_c"),
        "t CO2 / m³",
    )
    return f, t.params.row(key).get("verification") == "recalled"


def _stock_difference(t: Trace, measurements: list[VolumeMeasurement]) -> Fraction:
    """ΔV = (V(t2) − V(t1)) / (t2 − t1) from two inventories at least the minimum interval apart."""
    if len(measurements) != 2:
        raise refuse("two_measurements", "measurements", given=len(measurements))
    first, second = sorted(measurements, key=lambda m: m.year)
    interval = second.year - first.year
    key = "validity.managed_forest_min_inventory_interval"
    limit = t.limit(key)
    if interval < limit:
        raise refuse("min_inventory_interval", "measurements", limit_key=key, limit=plain(limit), given=interval)
    t.method = "stock_difference"
    t.measured = True
    dv = t.step(
        "delta_v",
        f"(V({second.year}) − V({first.year})) / ({second.year} − {first.year})",
        (Fraction(second.volume_m3_per_ha) - Fraction(first.volume_m3_per_ha)) / interval,
        "m³/ha/yr",
    )
    if dv > t.p("validity.stock_difference_review_trigger"):
        t.held_for_review = True
        t.flag("held_for_review")
    return dv


def _no_negative(t: Trace, e: Fraction) -> Fraction:
    # A measured loss is not a negative credit: it is a reversal for the registry to handle.
    if e < 0:
        t.flag("no_net_growth")
        return Fraction(0)
    return e


# ---- SC-LCP-AFF ----------------------------------------------------------------------------------------


def afforestation(t: Trace, i: AfforestationIn) -> Rate:
    area_m2 = _area_ha(t, i.area_mu) * M2_PER_HA
    key = "validity.afforestation_min_plot_area"
    limit = t.limit(key)
    if area_m2 < limit:
        raise refuse(
            "afforestation_min_plot_area",
            "area_mu",
            limit_key=key,
            limit=plain(limit),
            given=shown(area_m2, 1),
            given_mu=plain(i.area_mu),
        )
    _max_area(t, i.area_mu, "validity.max_listing_area")
    key = "validity.afforestation_non_forest_years_before"
    limit = t.limit(key)
    if i.non_forest_years_before < limit:
        raise refuse(
            "non_forest_years",
            "non_forest_years_before",
            limit_key=key,
            limit=plain(limit),
            given=i.non_forest_years_before,
        )
    key = "validity.afforestation_max_shrub_removal"
    limit = t.limit(key)
    if i.shrub_removal_percent / 100 > limit:
        raise refuse(
            "max_shrub_removal",
            "shrub_removal_percent",
            limit_key=key,
            limit=plain(limit * 100),
            given=plain(i.shrub_removal_percent),
        )
    if i.economic_forest:
        raise refuse("economic_forest", "economic_forest")
    if i.on_wetland:
        raise refuse("on_wetland", "on_wetland")
    if i.species == "eucalyptus":
        key = "validity.eucalyptus_max_rotation"
        longest = t.limit(key)
        rotation = Decimal(i.rotation_years) if i.rotation_years is not None else longest
        if rotation > longest:
            raise refuse(
                "eucalyptus_rotation", "rotation_years", limit_key=key, limit=plain(longest), given=plain(rotation)
            )
        # The accounting year runs from stand_age to stand_age + 1: it must end within the rotation.
        if i.stand_age + 1 > rotation:
            raise refuse("eucalyptus_age", "stand_age", limit_key=key, limit=plain(rotation), given=i.stand_age)

    f, recalled = _species_factor(t, i.species)
    if i.measurements:
        dv = _stock_difference(t, i.measurements)
    else:
        key = "validity.afforestation_max_default_age"
        limit = t.limit(key)
        if i.stand_age > limit:
            raise refuse("measurement_required", "measurements", limit_key=key, limit=plain(limit), given=i.stand_age)
        t.method = "growth_rate"
        schedule = "growth.afforestation_schedule"
        if i.stand_age <= 2:
            band = "age_0_to_2"
            t.flag("establishment_years")
        elif i.stand_age <= 4:
            band = "age_3_to_4"
        else:
            band = "age_5_to_20_highland" if i.elevation_m >= HIGHLAND_FROM_M else "age_5_to_20_lowland"
        dv = t.step("delta_v", f"ΔV({band})", t.p(schedule, band), "m³/ha/yr")
    e = t.step("e", "ΔV × f_sp", _no_negative(t, dv * f), "t CO2e/ha/yr")
    return Rate(e, "buffer.forest", haircut=recalled)


# ---- SC-LCP-MGT ----------------------------------------------------------------------------------------


def managed_forest(t: Trace, i: ManagedForestIn) -> Rate:
    _min_area_ha(t, i.area_mu, "validity.managed_forest_min_area")
    _max_area(t, i.area_mu, "validity.max_listing_area")
    key = "validity.managed_forest_min_canopy_cover"
    limit = t.limit(key)
    if i.canopy_cover < limit:
        raise refuse("min_canopy_cover", "canopy_cover", limit_key=key, limit=plain(limit), given=plain(i.canopy_cover))
    key = "validity.managed_forest_min_stand_age"
    limit = t.limit(key)
    if i.stand_age < limit:
        raise refuse("min_stand_age", "stand_age", limit_key=key, limit=plain(limit), given=i.stand_age)
    if i.over_mature:
        raise refuse("over_mature", "over_mature")

    f, recalled = _species_factor(t, i.species)
    regional = "growth.sichuan_plantation_net_increment"
    if i.measurements:
        dv = _stock_difference(t, i.measurements)
    else:
        t.method = "default_net_increment"
        dv = t.step("delta_v", "ΔV_net (Sichuan plantation default)", t.p(regional), "m³/ha/yr")
    if i.baseline_mode == "regional_average":
        dv = t.step("delta_v_over_baseline", "ΔV − ΔV_regional", dv - t.p(regional), "m³/ha/yr")
    e = t.step("e", "ΔV × f_sp", _no_negative(t, dv * f), "t CO2e/ha/yr")
    return Rate(e, "buffer.forest", haircut=recalled)


# ---- SC-LCP-BAM ----------------------------------------------------------------------------------------


def bamboo(t: Trace, i: BambooIn) -> Rate:
    _min_area_ha(t, i.area_mu, "validity.bamboo_min_area")
    _max_area(t, i.area_mu, "validity.max_listing_area")
    co2 = t.p("const.co2_per_c")
    if i.planting == "new":
        if i.stand_age is None:
            raise refuse("stand_age_required", "stand_age")
        establishment = t.p("bamboo.establishment_years_without_credit")
        accrual = t.p("bamboo.accrual_years")
        if i.stand_age < establishment:
            t.method = "new_planting_establishment"
            t.flag("establishment_years")
            return Rate(t.step("e", "0 (establishment years)", Fraction(0), "t CO2e/ha/yr"), "buffer.bamboo")
        if i.stand_age < establishment + accrual:
            t.method = "new_planting_accrual"
            if i.species == "moso":
                stock = t.step("c_mature", "C_mature (毛竹)", t.p("bamboo.moso_mature_biomass_carbon_sw"), "t C/ha")
            else:
                stock = t.step(
                    "c_mature",
                    "AGC_min + BGC_min",
                    t.p("bamboo.generic_min_agc") + t.p("bamboo.generic_min_bgc"),
                    "t C/ha",
                )
            return Rate(
                t.step("e", "C_mature / accrual years × 44/12", stock / accrual * co2, "t CO2e/ha/yr"), "buffer.bamboo"
            )
        t.flag("grove_rate_from_age_15")
    t.method = "managed_grove"
    if i.species == "moso":
        e = t.step("e", "ΔC_grove × 44/12", t.p("bamboo.moso_managed_increment") * co2, "t CO2e/ha/yr")
    else:
        t.flag("measurement_needed")
        e = t.step("e", "0 (no verified increment for this species)", Fraction(0), "t CO2e/ha/yr")
    return Rate(e, "buffer.bamboo")


# ---- SC-LCP-GRS ----------------------------------------------------------------------------------------

_SOC_REF = {
    "alpine_meadow": "grassland.socref_cold_temperate_moist_hac",
    "warm_temperate_moist": "grassland.socref_warm_temperate_moist_hac",
}
_F_MG_OLD = {
    "none": "grassland.f_mg_moderately_degraded",
    "nominal": "grassland.f_mg_nominal",
    "moderate": "grassland.f_mg_moderately_degraded",
    "severe": "grassland.f_mg_severely_degraded",
}


def grassland(t: Trace, i: GrasslandIn) -> Rate:
    if i.peat_soil:
        raise refuse("peat_soil", "peat_soil")
    if i.herd_displaced:
        raise refuse("herd_displaced", "herd_displaced")
    _min_area_mu(t, i.area_mu, "validity.min_listing_area_grassland_wetland")
    _max_area(t, i.area_mu, "validity.max_listing_area_grassland")
    key = "grassland.d_transition_years"
    years = t.limit(key)
    # Credited in years 1–20 after the change: completed years 0–19 at the start of the accounting year.
    if i.years_since_change >= years:
        raise refuse(
            "grassland_years", "years_since_change", limit_key=key, limit=plain(years), given=i.years_since_change
        )
    co2 = t.p("const.co2_per_c")
    if i.grassland == "alpine_steppe":
        t.method = "alpine_steppe_no_default"
        t.flag("soil_sampling_needed")
        rate = t.p("grassland.alpine_steppe_exclusion_effect")
        return Rate(t.step("e", "ΔSOC(alpine steppe) × 44/12", rate * co2, "t CO2e/ha/yr"), "buffer.grassland")
    t.method = "ipcc_tier1_soc"
    if i.station_grading == "none":
        t.flag("assumed_moderately_degraded")
    soc_ref = t.p(_SOC_REF[i.grassland])
    f_lu, f_i = t.p("grassland.f_lu"), t.p("grassland.f_i_medium")
    f_new, f_old = t.p("grassland.f_mg_nominal"), t.p(_F_MG_OLD[i.station_grading])
    d = t.p(key)
    dsoc = t.step(
        "delta_soc_ipcc",
        "SOC_ref × F_LU × F_I × (F_MG,new − F_MG,old) / D",
        soc_ref * f_lu * f_i * (f_new - f_old) / d,
        "t C/ha/yr",
    )
    cap = t.p("grassland.empirical_soil_rate_cap")
    if dsoc > cap:
        t.flag("empirical_cap_applied")
    used = t.step("delta_soc_used", "min(ΔSOC_IPCC, cap)", max(min(dsoc, cap), Fraction(0)), "t C/ha/yr")
    return Rate(t.step("e", "ΔSOC × 44/12", used * co2, "t CO2e/ha/yr"), "buffer.grassland")


# ---- SC-LCP-WET ----------------------------------------------------------------------------------------


def wetland(t: Trace, i: WetlandIn) -> Rate:
    if i.activity == "mineral_restoration":
        raise refuse("mineral_restoration", "activity")
    _min_area_mu(t, i.area_mu, "validity.min_listing_area_grassland_wetland")
    _max_area(t, i.area_mu, "validity.max_listing_area")
    co2 = t.p("const.co2_per_c")
    if i.activity == "intact_protection":
        t.method = "intact_protection_not_credited"
        t.flag("not_creditable")
        a_ha = _area_ha(t, i.area_mu)
        g_to_t = T_HA_PER_G_M2
        holocene = t.step(
            "uptake_holocene_per_ha",
            "peat C accumulation (Holocene) × 0.01 × 44/12",
            t.p("wetland.zoige_holocene_accumulation") * g_to_t * co2,
            "t CO2/ha/yr",
            info=True,
        )
        t.step(
            "uptake_recent_per_ha",
            "peat C accumulation (last 50 yr) × 0.01 × 44/12",
            t.p("wetland.zoige_recent_accumulation") * g_to_t * co2,
            "t CO2/ha/yr",
            info=True,
        )
        t.step("uptake_holocene_total", "A_ha × Holocene uptake (not credited)", a_ha * holocene, "t CO2/yr", info=True)
        return Rate(
            t.step("e", "0 (protection without a drainage baseline)", Fraction(0), "t CO2e/ha/yr"), "buffer.wetland"
        )

    if i.peat_depth_cm is None:
        raise refuse("peat_depth_required", "peat_depth_cm")
    key = "wetland.peat_min_depth"
    limit = t.limit(key)
    if i.peat_depth_cm < limit:
        raise refuse("peat_min_depth", "peat_depth_cm", limit_key=key, limit=plain(limit), given=i.peat_depth_cm)
    for name in ("ditches_existed", "ditches_blocked", "water_table_monitored"):
        if not getattr(i, name):
            raise refuse(name, name)
    if i.years_since_blocking is None:
        raise refuse("years_since_blocking_required", "years_since_blocking")
    key = "validity.wetland_max_crediting_years"
    limit = t.limit(key)
    if i.years_since_blocking >= limit:
        raise refuse(
            "wetland_years", "years_since_blocking", limit_key=key, limit=plain(limit), given=i.years_since_blocking
        )

    t.method = "rewetting_avoided_emission"
    gwp = t.p("const.gwp100_ch4")
    baseline_co2 = t.step(
        "baseline_co2",
        "(CO2-C drained + DOC drained) × 44/12",
        (t.p("wetland.drained_grassland_nr_shallow_co2") + t.p("wetland.drained_doc_temperate")) * co2,
        "t CO2/ha/yr",
    )
    baseline_ch4 = t.step(
        "baseline_ch4",
        "CH4 drained × GWP / 1000",
        t.p("wetland.drained_grassland_nr_shallow_ch4") * gwp * T_PER_KG,
        "t CO2e/ha/yr",
    )
    project_co2 = t.step(
        "project_co2",
        "(CO2-C rewetted + DOC rewetted) × 44/12",
        (t.p("wetland.rewetted_temperate_nr_co2") + t.p("wetland.rewetted_doc_temperate")) * co2,
        "t CO2/ha/yr",
    )
    project_ch4 = t.step(
        "project_ch4",
        "CH4-C rewetted × 16/12 × GWP / 1000",
        t.p("wetland.rewetted_temperate_nr_ch4c") * t.p("const.ch4_per_ch4c") * gwp * T_PER_KG,
        "t CO2e/ha/yr",
    )
    e = (baseline_co2 + baseline_ch4) - (project_co2 + project_ch4)
    return Rate(t.step("e", "baseline − project", _no_negative(t, e), "t CO2e/ha/yr"), "buffer.wetland")


# ---- the common pipeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    kg_per_year: int
    buffer_kg_per_year: int


def pipeline(t: Trace, area_mu: Decimal, rate: Rate) -> Result:
    """A_ha = A_mu/15; gross = A_ha × e; × (1 − k); × (1 − b); floor to whole kg."""
    a_ha = t.step("area_ha", "A_mu × 1/15", _area_ha(t, area_mu), "ha")
    gross = t.step("gross", "A_ha × e", a_ha * rate.e, "t CO2e/yr")
    k = t.p("haircut.unverified_tree_parameters") if rate.haircut else Fraction(0)
    after = t.step("after_haircut", "E_gross × (1 − k)", gross * (1 - k), "t CO2e/yr")
    b = t.p(rate.buffer_key)
    net = t.step("net", "E_after_hc × (1 − b)", after * (1 - b), "t CO2e/yr")
    kg = math.floor(net * 1000)
    t.steps.append(Step("kg_per_year", "floor(E_net × 1000)", str(kg), str(kg), "kg CO2e/yr"))
    return Result(kg_per_year=kg, buffer_kg_per_year=math.floor(after * 1000) - kg)


Calculator = Callable[[Trace, Any], Rate]

# Formulas by (methodology id, MAJOR version): a release whose MAJOR has no entry here cannot be loaded.
FORMULAS: dict[tuple[str, int], Calculator] = {
    ("SC-LCP-AFF", 0): afforestation,
    ("SC-LCP-MGT", 0): managed_forest,
    ("SC-LCP-BAM", 0): bamboo,
    ("SC-LCP-GRS", 0): grassland,
    ("SC-LCP-WET", 0): wetland,
}
