"""Calculator inputs (one struct per sink type) and the estimate every calculator returns.

Structs check types and sanity bounds; the methodology's own validity limits come from the parameter
file and are enforced by the service with messages that name the limit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

# Sanity bounds only (a typo, not a methodology rule): the validity limits of the parameter file are
# far inside them and are checked by the calculators.
_MAX_DECIMAL = Decimal(10) ** 9

Year = Annotated[int, msgspec.Meta(ge=1900, le=2200, description="calendar year")]
Age = Annotated[
    int,
    msgspec.Meta(ge=0, le=1000, description="completed years at the start of the accounting year"),
]
SpeciesKey = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=64, description="a tree.* key of the parameter file, e.g. cunninghamia"),
]


def _check_decimal(name: str, value: Decimal, low: Decimal, high: Decimal) -> None:
    if not value.is_finite() or not low <= value <= high:
        # Worded like msgspec's own errors, so the API's error handler names the field.
        raise ValueError(f"Expected a finite number from {low} to {high}, got {value} - at `$.{name}`")


class VolumeMeasurement(msgspec.Struct, forbid_unknown_fields=True):
    """One stand-volume inventory of the plot (sample plots with 二元材积表 or 角规)."""

    year: Year
    volume_m3_per_ha: Annotated[Decimal, msgspec.Meta(description="stand volume V, m³/ha")]
    measured_by: Annotated[str, msgspec.Meta(max_length=64)] = ""

    def __post_init__(self) -> None:
        _check_decimal("volume_m3_per_ha", self.volume_m3_per_ha, Decimal(0), Decimal(10_000))


class _Area(msgspec.Struct, forbid_unknown_fields=True):
    area_mu: Annotated[Decimal, msgspec.Meta(description="contiguous area in 亩 (1 亩 = 1/15 ha)")]

    def __post_init__(self) -> None:
        _check_decimal("area_mu", self.area_mu, Decimal(0), _MAX_DECIMAL)


class AfforestationIn(_Area, forbid_unknown_fields=True):
    """SC-LCP-AFF: new planting on land that was not forest."""

    species: SpeciesKey
    stand_age: Age
    elevation_m: Annotated[int, msgspec.Meta(ge=-500, le=9000, description="plot elevation, m")]
    non_forest_years_before: Annotated[
        int,
        msgspec.Meta(ge=0, le=1000, description="years the land did not meet the forest definition before planting"),
    ]
    shrub_removal_percent: Annotated[
        Decimal, msgspec.Meta(description="share of the plot cleared of shrubs and bamboo < 2 cm DBH, %")
    ] = Decimal(0)
    economic_forest: Annotated[bool, msgspec.Meta(description="经济林 (orchards, 油茶 …): not eligible")] = False
    on_wetland: Annotated[bool, msgspec.Meta(description="the plot is wetland: not eligible")] = False
    rotation_years: Annotated[
        int | None, msgspec.Meta(description="桉树 only: the declared rotation, years (default the file's maximum)")
    ] = None
    measurements: Annotated[
        list[VolumeMeasurement],
        msgspec.Meta(max_length=2, description="none (growth-rate defaults) or two inventories (stock difference)"),
    ] = []

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_decimal("shrub_removal_percent", self.shrub_removal_percent, Decimal(0), Decimal(100))
        if self.rotation_years is not None and not 1 <= self.rotation_years <= 100:
            raise ValueError(f"Expected a number from 1 to 100, got {self.rotation_years} - at `$.rotation_years`")


class ManagedForestIn(_Area, forbid_unknown_fields=True):
    """SC-LCP-MGT: an existing 乔木林 under recorded management."""

    species: SpeciesKey
    stand_age: Age
    canopy_cover: Annotated[Decimal, msgspec.Meta(description="canopy closure 郁闭度, 0–1")]
    over_mature: Annotated[bool, msgspec.Meta(description="过熟林: not eligible")] = False
    measurements: Annotated[list[VolumeMeasurement], msgspec.Meta(max_length=2)] = []
    baseline_mode: Annotated[
        Literal["net_growth", "regional_average"],
        msgspec.Meta(description="regional_average subtracts the Sichuan plantation net increment (stricter)"),
    ] = "net_growth"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_decimal("canopy_cover", self.canopy_cover, Decimal(0), Decimal(1))


class BambooIn(_Area, forbid_unknown_fields=True):
    """SC-LCP-BAM: new bamboo planting or an existing managed grove."""

    species: Annotated[Literal["moso", "other"], msgspec.Meta(description="moso 毛竹, or other (慈竹, 雷竹, 苦竹 …)")]
    planting: Literal["new", "existing"]
    stand_age: Annotated[
        int | None, msgspec.Meta(description="new planting: completed years since planting (required)")
    ] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.stand_age is not None and not 0 <= self.stand_age <= 1000:
            raise ValueError(f"Expected a number from 0 to 1000, got {self.stand_age} - at `$.stand_age`")


class GrasslandIn(_Area, forbid_unknown_fields=True):
    """SC-LCP-GRS: mineral-soil grassland after a documented management change."""

    grassland: Annotated[
        Literal["alpine_meadow", "warm_temperate_moist", "alpine_steppe"],
        msgspec.Meta(description="alpine_meadow 高寒草甸 (川西北), warm_temperate_moist, alpine_steppe 高寒草原 (dry)"),
    ]
    years_since_change: Annotated[
        int, msgspec.Meta(ge=0, le=1000, description="completed years since the management change")
    ]
    station_grading: Annotated[
        Literal["none", "nominal", "moderate", "severe"],
        msgspec.Meta(description="pre-project degradation as graded by the 草原站 or a verifier; none = not graded"),
    ] = "none"
    herd_displaced: Annotated[bool, msgspec.Meta(description="the herd moved to other pasture: not eligible")] = False
    peat_soil: Annotated[bool, msgspec.Meta(description="organic (peat) soil: use SC-LCP-WET")] = False


class WetlandIn(_Area, forbid_unknown_fields=True):
    """SC-LCP-WET: rewetting a drained peat meadow, or protecting an intact one (0 creditable)."""

    activity: Annotated[
        Literal["rewetting", "intact_protection", "mineral_restoration"],
        msgspec.Meta(
            description="rewetting 填沟堵渠; intact_protection (0 creditable); mineral_restoration (v0.1: no)"
        ),
    ]
    peat_depth_cm: Annotated[int | None, msgspec.Meta(description="rewetting: peat layer thickness, cm")] = None
    ditches_existed: bool = False
    ditches_blocked: bool = False
    water_table_monitored: bool = False
    years_since_blocking: Annotated[
        int | None, msgspec.Meta(description="rewetting: completed years since the ditches were blocked")
    ] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("peat_depth_cm", "years_since_blocking"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 100_000:
                raise ValueError(f"Expected a number from 0 to 100000, got {value} - at `$.{name}`")


Inputs = AfforestationIn | ManagedForestIn | BambooIn | GrasslandIn | WetlandIn

INPUT_TYPES: dict[str, type[Any]] = {
    "SC-LCP-AFF": AfforestationIn,
    "SC-LCP-MGT": ManagedForestIn,
    "SC-LCP-BAM": BambooIn,
    "SC-LCP-GRS": GrasslandIn,
    "SC-LCP-WET": WetlandIn,
}


# ---- what an estimate says --------------------------------------------------------------------------


class ParameterUsed(msgspec.Struct):
    """A parameter as the file states it, snapshotted into the estimate."""

    key: str
    value: str
    unit: str
    source: str
    locator: str
    url: str
    verification: str


class Step(msgspec.Struct):
    """One intermediate number, kept exact (`exact` is a fraction) and shown rounded (`value`)."""

    key: str
    formula: str
    value: str
    exact: str
    unit: str


Basis = Literal["ex_ante", "ex_post"]


class Estimate(msgspec.Struct):
    """An annual removal estimate and everything needed to check and reproduce it."""

    methodology_id: str
    methodology_version: str
    parameter_set_version: str
    parameter_set_sha256: str
    basis: Annotated[Basis, msgspec.Meta(description="ex_ante: expected; ex_post: from verified measurements")]
    method: str
    kg_per_year: Annotated[int, msgspec.Meta(description="kg CO2e per year, floored, buffer withheld")]
    buffer_kg_per_year: Annotated[int, msgspec.Meta(description="kg CO2e per year withheld for the buffer pool")]
    held_for_review: Annotated[
        bool, msgspec.Meta(description="a measured increment above the plausibility trigger: not shown until reviewed")
    ]
    flags: list[str]
    inputs: dict[str, Any]
    parameters: list[ParameterUsed]
    steps: list[Step]
    information: Annotated[list[Step], msgspec.Meta(description="numbers shown for context, never credited")]
    status: Literal["estimate"] = "estimate"
