"""Every worked example of docs/methodology.md (README of the methodology) with its exact expected number.

Where the README prints intermediate numbers they are checked too, at the 4 decimals it prints them with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from app.methodology import service

AFF_SITE = {"elevation_m": 600, "non_forest_years_before": 3}


@dataclass
class Example:
    name: str
    methodology_id: str
    inputs: dict[str, Any]
    kg: int
    steps: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    information: dict[str, str] = field(default_factory=dict)


def measured(v1: int, y1: int, v2: int, y2: int) -> list[dict[str, Any]]:
    return [{"year": y1, "volume_m3_per_ha": str(v1)}, {"year": y2, "volume_m3_per_ha": str(v2)}]


EXAMPLES = [
    Example(
        "A1 10 亩 杉木 age 3 at 600 m",
        "SC-LCP-AFF",
        {"area_mu": "10", "species": "cunninghamia", "stand_age": 3, **AFF_SITE},
        599,
        {"cf_used": "0.4700", "f_sp": "1.0772", "gross": "0.8330", "after_haircut": "0.7497", "net": "0.5998"},
    ),
    Example(
        "A2 the same plot at age 8",
        "SC-LCP-AFF",
        {"area_mu": "10", "species": "cunninghamia", "stand_age": 8, **AFF_SITE},
        1835,
        {"gross": "2.5493", "after_haircut": "2.2943", "net": "1.8355"},
    ),
    Example(
        "A3 30 亩 云杉 at 3200 m, age 6",
        "SC-LCP-AFF",
        {"area_mu": "30", "species": "picea", "stand_age": 6, "elevation_m": 3200, "non_forest_years_before": 3},
        2082,
        {
            "area_ha": "2.0000",
            "delta_v": "1.1600",
            "f_sp": "1.2468",
            "gross": "2.8926",
            "after_haircut": "2.6034",
            "net": "2.0827",
        },
    ),
    Example(
        "A4 20 亩 柏木 measured 18 (2024) → 33 (2027)",
        "SC-LCP-AFF",
        {
            "area_mu": "20",
            "species": "cupressus",
            "stand_age": 6,
            "measurements": measured(18, 2024, 33, 2027),
            **AFF_SITE,
        },
        8354,
        {
            "area_ha": "1.3333",
            "delta_v": "5.0000",
            "f_sp": "1.7406",
            "gross": "11.6042",
            "after_haircut": "10.4437",
            "net": "8.3550",
        },
    ),
    Example(
        "A-马尾松 10 亩 at age 8 (own CF 0.46 below the cap)",
        "SC-LCP-AFF",
        {"area_mu": "10", "species": "pinus_massoniana", "stand_age": 8, **AFF_SITE},
        1908,
        {"cf_used": "0.4600", "f_sp": "1.1199"},
    ),
    Example(
        "M1 50 亩 马尾松 plantation, no measurement",
        "SC-LCP-MGT",
        {"area_mu": "50", "species": "pinus_massoniana", "stand_age": 12, "canopy_cover": "0.6"},
        3117,
        {"area_ha": "3.3333", "f_sp": "1.1199", "gross": "4.3302", "after_haircut": "3.8972", "net": "3.1177"},
    ),
    Example(
        "M2 100 亩 栎类 measured 85 (2022) → 97 (2026)",
        "SC-LCP-MGT",
        {
            "area_mu": "100",
            "species": "quercus",
            "stand_age": 30,
            "canopy_cover": "0.7",
            "measurements": measured(85, 2022, 97, 2026),
        },
        29368,
        {
            "area_ha": "6.6667",
            "delta_v": "3.0000",
            "f_sp": "2.0395",
            "gross": "40.7894",
            "after_haircut": "36.7105",
            "net": "29.3684",
        },
    ),
    Example(
        "M2 with the regional_average baseline",
        "SC-LCP-MGT",
        {
            "area_mu": "100",
            "species": "quercus",
            "stand_age": 30,
            "canopy_cover": "0.7",
            "measurements": measured(85, 2022, 97, 2026),
            "baseline_mode": "regional_average",
        },
        18012,
        {"delta_v_over_baseline": "1.8400", "gross": "25.0175"},
    ),
    Example(
        "B1 20 亩 new 毛竹 at age 4",
        "SC-LCP-BAM",
        {"area_mu": "20", "species": "moso", "planting": "new", "stand_age": 4},
        11407,
        {"e": "10.6944", "gross": "14.2593", "net": "11.4074"},
    ),
    Example(
        "B2 20 亩 new 慈竹 at age 5",
        "SC-LCP-BAM",
        {"area_mu": "20", "species": "other", "planting": "new", "stand_age": 5},
        7822,
        {"e": "7.3333", "gross": "9.7778", "net": "7.8222"},
    ),
    Example(
        "B2 the same 慈竹 grove at age 1",
        "SC-LCP-BAM",
        {"area_mu": "20", "species": "other", "planting": "new", "stand_age": 1},
        0,
        flags=("establishment_years",),
    ),
    Example(
        "B3 50 亩 existing managed 毛竹 grove",
        "SC-LCP-BAM",
        {"area_mu": "50", "species": "moso", "planting": "existing"},
        9191,
        {"area_ha": "3.3333", "e": "3.4467", "gross": "11.4889", "net": "9.1911"},
    ),
    Example(
        "B3 an existing 50 亩 慈竹 grove",
        "SC-LCP-BAM",
        {"area_mu": "50", "species": "other", "planting": "existing"},
        0,
        flags=("measurement_needed",),
    ),
    Example(
        "G1 500 亩 alpine meadow in 红原, moderately degraded (not graded)",
        "SC-LCP-GRS",
        {"area_mu": "500", "grassland": "alpine_meadow", "years_since_change": 0},
        20319,
        {"area_ha": "33.3333", "delta_soc_ipcc": "0.2375", "e": "0.8708", "gross": "29.0278", "net": "20.3194"},
        flags=("assumed_moderately_degraded",),
    ),
    Example(
        "G2 300 亩 severely degraded meadow graded by the 草原站",
        "SC-LCP-GRS",
        {"area_mu": "300", "grassland": "alpine_meadow", "station_grading": "severe", "years_since_change": 0},
        34906,
        {"delta_soc_ipcc": "1.4250", "delta_soc_used": "0.6800", "e": "2.4933", "gross": "49.8667", "net": "34.9067"},
        flags=("empirical_cap_applied",),
    ),
    Example(
        "G3 200 亩 alpine steppe under 休牧",
        "SC-LCP-GRS",
        {"area_mu": "200", "grassland": "alpine_steppe", "years_since_change": 0},
        0,
        flags=("soil_sampling_needed",),
    ),
    Example(
        "W1 100 亩 drained peat meadow near 若尔盖, ditches blocked",
        "SC-LCP-WET",
        {
            "area_mu": "100",
            "activity": "rewetting",
            "peat_depth_cm": 80,
            "ditches_existed": True,
            "ditches_blocked": True,
            "water_table_monitored": True,
            "years_since_blocking": 0,
        },
        24807,
        {
            "baseline_co2": "14.3367",
            "baseline_ch4": "1.0920",
            "project_co2": "2.7133",
            "project_ch4": "8.0640",
            "e": "4.6513",
            "gross": "31.0089",
            "net": "24.8071",
        },
    ),
    Example(
        "W2 50 亩 intact marsh under a protection agreement",
        "SC-LCP-WET",
        {"area_mu": "50", "activity": "intact_protection"},
        0,
        flags=("not_creditable",),
        information={"uptake_holocene_per_ha": "0.6967", "uptake_holocene_total": "2.3222"},
    ),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_worked_example_gives_the_readme_number(example: Example) -> None:
    e = service.estimate(example.methodology_id, example.inputs)
    assert e.kg_per_year == example.kg
    steps = {s.key: s.value for s in e.steps}
    for key, value in example.steps.items():
        assert steps[key] == value, key
    info = {s.key: s.value for s in e.information}
    for key, value in example.information.items():
        assert info[key] == value, key
    for flag in example.flags:
        assert flag in e.flags
    assert e.basis == "ex_ante"  # nothing here was measured by a verifier


class TestBambooSchedule:
    """B1: "the same each year from age 3 to 14; 0 at ages 0–2"; from 15 the grove rate (B3's)."""

    @pytest.mark.parametrize("age", [0, 1, 2])
    def test_it_gives_nothing_in_the_establishment_years(self, age: int) -> None:
        e = service.estimate("SC-LCP-BAM", {"area_mu": "20", "species": "moso", "planting": "new", "stand_age": age})
        assert e.kg_per_year == 0

    @pytest.mark.parametrize("age", range(3, 15))
    def test_it_gives_the_same_each_year_from_3_to_14(self, age: int) -> None:
        e = service.estimate("SC-LCP-BAM", {"area_mu": "20", "species": "moso", "planting": "new", "stand_age": age})
        assert e.kg_per_year == 11407

    def test_it_switches_to_the_grove_rate_at_15(self) -> None:
        new = service.estimate("SC-LCP-BAM", {"area_mu": "50", "species": "moso", "planting": "new", "stand_age": 15})
        grove = service.estimate("SC-LCP-BAM", {"area_mu": "50", "species": "moso", "planting": "existing"})
        assert new.kg_per_year == grove.kg_per_year == 9191
        assert "grove_rate_from_age_15" in new.flags
