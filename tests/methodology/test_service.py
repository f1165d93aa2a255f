"""The methodology service: validity limits, the version record, several versions side by side."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from app.core.errors import AppError, NotFound
from app.core.i18n import t
from app.methodology import service
from app.methodology.parameters import CATALOGUE_FILE, HERE, CatalogueError, catalogue, load_catalogue
from app.methodology.schemas import Estimate

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = HERE / "parameter_sets" / "0.1.1" / "parameters.toml"

AFF = {"area_mu": "10", "species": "cunninghamia", "stand_age": 3, "elevation_m": 600, "non_forest_years_before": 3}
MGT = {"area_mu": "50", "species": "pinus_massoniana", "stand_age": 12, "canopy_cover": "0.6"}
BAM = {"area_mu": "20", "species": "moso", "planting": "new", "stand_age": 4}
GRS = {"area_mu": "500", "grassland": "alpine_meadow", "years_since_change": 0}
WET = {
    "area_mu": "100",
    "activity": "rewetting",
    "peat_depth_cm": 80,
    "ditches_existed": True,
    "ditches_blocked": True,
    "water_table_monitored": True,
    "years_since_blocking": 0,
}
BASE = {"SC-LCP-AFF": AFF, "SC-LCP-MGT": MGT, "SC-LCP-BAM": BAM, "SC-LCP-GRS": GRS, "SC-LCP-WET": WET}


def two(v1: int, y1: int, v2: int, y2: int) -> list[dict[str, Any]]:
    return [{"year": y1, "volume_m3_per_ha": str(v1)}, {"year": y2, "volume_m3_per_ha": str(v2)}]


@dataclass
class Limit:
    code: str
    methodology_id: str
    inside: dict[str, Any]
    outside: dict[str, Any]
    limit_key: str
    shown: tuple[str, ...]  # what the message must say: the limit and the value given


LIMITS = [
    Limit("afforestation_min_plot_area", "SC-LCP-AFF", {"area_mu": "0.6"}, {"area_mu": "0.59"},
          "validity.afforestation_min_plot_area", ("400", "393.3")),
    Limit("max_listing_area", "SC-LCP-AFF", {"area_mu": "1500"}, {"area_mu": "1500.01"},
          "validity.max_listing_area", ("1500", "1500.01")),
    Limit("non_forest_years", "SC-LCP-AFF", {"non_forest_years_before": 3}, {"non_forest_years_before": 2},
          "validity.afforestation_non_forest_years_before", ("3", "2")),
    Limit("max_shrub_removal", "SC-LCP-AFF", {"shrub_removal_percent": "20"}, {"shrub_removal_percent": "20.5"},
          "validity.afforestation_max_shrub_removal", ("20", "20.5")),
    Limit("measurement_required", "SC-LCP-AFF", {"stand_age": 20}, {"stand_age": 21},
          "validity.afforestation_max_default_age", ("20", "21")),
    Limit("eucalyptus_age", "SC-LCP-AFF", {"species": "eucalyptus", "stand_age": 6},
          {"species": "eucalyptus", "stand_age": 7}, "validity.eucalyptus_max_rotation", ("7",)),
    Limit("eucalyptus_rotation", "SC-LCP-AFF", {"species": "eucalyptus", "rotation_years": 7},
          {"species": "eucalyptus", "rotation_years": 8}, "validity.eucalyptus_max_rotation", ("7", "8")),
    Limit("min_area_ha", "SC-LCP-MGT", {"area_mu": "1"}, {"area_mu": "0.99"},
          "validity.managed_forest_min_area", ("0.0667", "0.99", "0.0660")),
    Limit("max_listing_area", "SC-LCP-MGT", {"area_mu": "1500"}, {"area_mu": "1500.5"},
          "validity.max_listing_area", ("1500", "1500.5")),
    Limit("min_canopy_cover", "SC-LCP-MGT", {"canopy_cover": "0.2"}, {"canopy_cover": "0.19"},
          "validity.managed_forest_min_canopy_cover", ("0.2", "0.19")),
    Limit("min_stand_age", "SC-LCP-MGT", {"stand_age": 5}, {"stand_age": 4},
          "validity.managed_forest_min_stand_age", ("5", "4")),
    Limit("min_inventory_interval", "SC-LCP-MGT", {"measurements": two(80, 2024, 82, 2025)},
          {"measurements": two(80, 2025, 82, 2025)}, "validity.managed_forest_min_inventory_interval", ("1", "0")),
    Limit("min_area_ha", "SC-LCP-BAM", {"area_mu": "1"}, {"area_mu": "0.99"},
          "validity.bamboo_min_area", ("0.0667", "0.99")),
    Limit("max_listing_area", "SC-LCP-BAM", {"area_mu": "1500"}, {"area_mu": "1501"},
          "validity.max_listing_area", ("1500", "1501")),
    Limit("min_listing_area", "SC-LCP-GRS", {"area_mu": "15"}, {"area_mu": "14.99"},
          "validity.min_listing_area_grassland_wetland", ("15", "14.99")),
    Limit("max_listing_area", "SC-LCP-GRS", {"area_mu": "15000"}, {"area_mu": "15000.01"},
          "validity.max_listing_area_grassland", ("15000", "15000.01")),
    Limit("grassland_years", "SC-LCP-GRS", {"years_since_change": 19}, {"years_since_change": 20},
          "grassland.d_transition_years", ("20",)),
    Limit("min_listing_area", "SC-LCP-WET", {"area_mu": "15"}, {"area_mu": "14.9"},
          "validity.min_listing_area_grassland_wetland", ("15", "14.9")),
    Limit("max_listing_area", "SC-LCP-WET", {"area_mu": "1500"}, {"area_mu": "1500.01"},
          "validity.max_listing_area", ("1500", "1500.01")),
    Limit("peat_min_depth", "SC-LCP-WET", {"peat_depth_cm": 30}, {"peat_depth_cm": 29},
          "wetland.peat_min_depth", ("30", "29")),
    Limit("wetland_years", "SC-LCP-WET", {"years_since_blocking": 19}, {"years_since_blocking": 20},
          "validity.wetland_max_crediting_years", ("20",)),
]  # fmt: skip


def _refusal(methodology_id: str, inputs: dict[str, Any]) -> AppError:
    with pytest.raises(AppError) as caught:
        service.estimate(methodology_id, inputs)
    return caught.value


class TestValidityLimits:
    @pytest.mark.parametrize("limit", LIMITS, ids=[f"{x.methodology_id}:{x.code}" for x in LIMITS])
    def test_it_estimates_just_inside_the_limit(self, limit: Limit) -> None:
        e = service.estimate(limit.methodology_id, {**BASE[limit.methodology_id], **limit.inside})
        assert e.kg_per_year >= 0
        assert limit.limit_key in {p.key for p in e.parameters}  # the limit is part of the record

    @pytest.mark.parametrize("limit", LIMITS, ids=[f"{x.methodology_id}:{x.code}" for x in LIMITS])
    def test_it_refuses_just_outside_naming_the_limit_and_the_value(self, limit: Limit) -> None:
        exc = _refusal(limit.methodology_id, {**BASE[limit.methodology_id], **limit.outside})
        assert exc.key == f"methodology.limit.{limit.code}"
        assert exc.status_code == 400
        assert exc.detail["limit_key"] == limit.limit_key
        for lang in ("zh", "en"):
            message = t(exc.key, lang, **exc.params)
            assert limit.limit_key in message
            for text in limit.shown:
                assert re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", message), (lang, text, message)
        assert re.search(r"[\u4e00-\u9fff]", t(exc.key, "zh", **exc.params))

    @pytest.mark.parametrize(
        ("methodology_id", "change", "code"),
        [
            ("SC-LCP-AFF", {"economic_forest": True}, "economic_forest"),
            ("SC-LCP-AFF", {"on_wetland": True}, "on_wetland"),
            ("SC-LCP-MGT", {"over_mature": True}, "over_mature"),
            ("SC-LCP-BAM", {"stand_age": None}, "stand_age_required"),
            ("SC-LCP-GRS", {"herd_displaced": True}, "herd_displaced"),
            ("SC-LCP-GRS", {"peat_soil": True}, "peat_soil"),
            ("SC-LCP-WET", {"activity": "mineral_restoration"}, "mineral_restoration"),
            ("SC-LCP-WET", {"ditches_existed": False}, "ditches_existed"),
            ("SC-LCP-WET", {"ditches_blocked": False}, "ditches_blocked"),
            ("SC-LCP-WET", {"water_table_monitored": False}, "water_table_monitored"),
            ("SC-LCP-WET", {"peat_depth_cm": None}, "peat_depth_required"),
            ("SC-LCP-WET", {"years_since_blocking": None}, "years_since_blocking_required"),
            ("SC-LCP-MGT", {"measurements": two(80, 2024, 90, 2027)[:1]}, "two_measurements"),
        ],
    )
    def test_it_refuses_an_ineligible_listing_with_a_reason(
        self, methodology_id: str, change: dict[str, Any], code: str
    ) -> None:
        exc = _refusal(methodology_id, {**BASE[methodology_id], **change})
        assert exc.key == f"methodology.limit.{code}"
        assert t(exc.key, "zh", **exc.params) != t(exc.key, "en", **exc.params)

    def test_an_unknown_species_names_the_choices(self) -> None:
        exc = _refusal("SC-LCP-AFF", {**AFF, "species": "banyan"})
        assert exc.key == "methodology.unknown_species"
        assert "cunninghamia" in t(exc.key, "en", **exc.params)


class TestEstimate:
    def test_it_records_methodology_version_and_the_hash_of_the_parameter_bytes(self) -> None:
        e = service.estimate("SC-LCP-AFF", AFF)
        assert (e.methodology_id, e.methodology_version, e.parameter_set_version) == ("SC-LCP-AFF", "0.1.0", "0.1.1")
        assert e.parameter_set_sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()

    def test_it_records_every_parameter_with_value_unit_source_and_verification(self) -> None:
        e = service.estimate("SC-LCP-AFF", AFF)
        used = {p.key: p for p in e.parameters}
        assert used["tree.cunninghamia.wood_density"].value == "0.307"
        assert used["tree.cunninghamia.wood_density"].verification == "recalled"
        assert used["const.co2_per_c"].value == "44/12"
        assert used["const.mu_to_ha"].value == "1/15"
        assert used["buffer.forest"].verification == "verified"
        assert used["haircut.unverified_tree_parameters"].value == "0.10"
        assert used["growth.afforestation_schedule.age_3_to_4"].value == "1.16"
        for p in e.parameters:
            assert p.unit and p.verification, p.key
            assert p.source or p.verification == "design", p.key

    def test_bamboo_grassland_and_wetland_have_no_haircut(self) -> None:
        for mid in ("SC-LCP-BAM", "SC-LCP-GRS", "SC-LCP-WET"):
            e = service.estimate(mid, BASE[mid])
            assert "haircut.unverified_tree_parameters" not in {p.key for p in e.parameters}

    def test_the_estimate_holds_no_binary_float(self) -> None:
        def walk(x: Any) -> None:
            assert not isinstance(x, float), x
            if isinstance(x, dict):
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)

        for mid, inputs in BASE.items():
            walk(msgspec.to_builtins(service.estimate(mid, inputs)))

    def test_buffer_and_net_add_up_to_the_floored_amount_after_the_haircut(self) -> None:
        e = service.estimate("SC-LCP-AFF", AFF)
        after = next(s for s in e.steps if s.key == "after_haircut")
        num, _, den = after.exact.partition("/")
        assert e.kg_per_year + e.buffer_kg_per_year == int(num) * 1000 // int(den or 1)

    def test_it_is_ex_post_only_for_measurements_a_verifier_approved(self) -> None:
        measured = {**MGT, "measurements": two(80, 2023, 86, 2026)}
        assert service.estimate("SC-LCP-MGT", measured).basis == "ex_ante"
        assert service.estimate("SC-LCP-MGT", measured, verified_measurements=True).basis == "ex_post"
        # Without measurements there is nothing verified: the growth default stays expected.
        assert service.estimate("SC-LCP-MGT", MGT, verified_measurements=True).basis == "ex_ante"

    def test_a_measured_increment_above_the_trigger_is_held_for_review(self) -> None:
        assert not service.estimate("SC-LCP-MGT", {**MGT, "measurements": two(50, 2024, 100, 2026)}).held_for_review
        e = service.estimate("SC-LCP-MGT", {**MGT, "measurements": two(50, 2024, 101, 2026)})
        assert e.held_for_review and "held_for_review" in e.flags

    def test_a_measured_loss_is_no_credit_not_a_negative_one(self) -> None:
        e = service.estimate("SC-LCP-MGT", {**MGT, "measurements": two(90, 2023, 80, 2026)})
        assert e.kg_per_year == 0 and "no_net_growth" in e.flags

    def test_unknown_methodology_and_version_are_not_found(self) -> None:
        with pytest.raises(NotFound):
            service.estimate("SC-LCP-XYZ", {})
        with pytest.raises(NotFound) as caught:
            service.estimate("SC-LCP-AFF", AFF, version="9.9.9")
        assert "0.1.0" in t(caught.value.key, "en", **caught.value.params)

    def test_bad_inputs_are_a_400_naming_the_field(self) -> None:
        with pytest.raises(AppError) as caught:
            service.estimate("SC-LCP-AFF", {**AFF, "stand_age": "three"})
        assert caught.value.status_code == 400 and "stand_age" in caught.value.params["problem"]

    def test_a_stored_estimate_round_trips_through_json_and_reproduces(self) -> None:
        first = service.estimate("SC-LCP-WET", WET)
        stored = msgspec.json.decode(msgspec.json.encode(first), type=Estimate)
        assert service.reproduce(stored) == first

    def test_reproducing_with_another_parameter_hash_is_refused(self) -> None:
        stored = msgspec.structs.replace(service.estimate("SC-LCP-AFF", AFF), parameter_set_sha256="0" * 64)
        with pytest.raises(AppError) as caught:
            service.reproduce(stored)
        assert caught.value.key == "methodology.hash_mismatch" and caught.value.status_code == 409


def _second_version(tmp_path: Path) -> Path:
    """A catalogue with the shipped 0.1.0 and a hypothetical 0.2.0 whose 杉木 row was re-verified."""
    shutil.copytree(HERE / "parameter_sets", tmp_path / "parameter_sets")
    newer = tmp_path / "parameter_sets" / "0.2.0" / "parameters.toml"
    newer.parent.mkdir()
    text = SHIPPED.read_text(encoding="utf-8").replace('version = "0.1.1"', 'version = "0.2.0"', 1)
    row = text.index("[tree.cunninghamia]")
    end = text.index("[tree.pinus_massoniana]")
    text = text[:row] + text[row:end].replace('verification = "recalled"', 'verification = "read"') + text[end:]
    newer.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(newer.read_bytes()).hexdigest()
    catalogue_text = CATALOGUE_FILE.read_text(encoding="utf-8") + (
        '\n[[release]]\nversion = "0.2.0"\nstatus = "test"\nreleased = "2027-01-01"\n'
        'methodologies = ["SC-LCP-AFF", "SC-LCP-MGT"]\n'
        f'parameters = "parameter_sets/0.2.0/parameters.toml"\nsha256 = "{digest}"\n'
    )
    path = tmp_path / "catalogue.toml"
    path.write_text(catalogue_text, encoding="utf-8")
    return path


class TestVersions:
    def test_the_shipped_catalogue_pins_the_shipped_file(self) -> None:
        release = catalogue().release("SC-LCP-AFF")
        assert release is not None
        assert release.parameters.sha256 == hashlib.sha256(SHIPPED.read_bytes()).hexdigest()

    def test_two_versions_load_side_by_side_and_each_estimate_keeps_its_own(self, tmp_path: Path) -> None:
        cat = load_catalogue(_second_version(tmp_path))
        old = service.estimate("SC-LCP-AFF", AFF, "0.1.0", cat=cat)
        new = service.estimate("SC-LCP-AFF", AFF, cat=cat)  # newest by default
        assert (old.methodology_version, old.kg_per_year) == ("0.1.0", 599)
        # 0.2.0: the 杉木 row is no longer "recalled", so the 10 % haircut falls away: 0.8330 × 0.8 t.
        assert (new.methodology_version, new.kg_per_year) == ("0.2.0", 666)
        assert old.parameter_set_sha256 != new.parameter_set_sha256
        assert service.reproduce(old, cat=cat) == old
        # Methodologies the newer release does not cover stay on the older one.
        assert service.estimate("SC-LCP-GRS", GRS, cat=cat).methodology_version == "0.1.0"
        listed = {m.id: [v.version for v in m.versions] for m in service.methodologies(cat)}
        assert listed["SC-LCP-AFF"] == ["0.2.0", "0.1.0"] and listed["SC-LCP-WET"] == ["0.1.0"]

    def test_a_parameter_file_edited_in_place_is_refused(self, tmp_path: Path) -> None:
        path = _second_version(tmp_path)
        newer = tmp_path / "parameter_sets" / "0.2.0" / "parameters.toml"
        newer.write_text(newer.read_text(encoding="utf-8").replace("value = 0.307", "value = 0.310"), encoding="utf-8")
        with pytest.raises(CatalogueError, match="SHA-256"):
            load_catalogue(path)


class TestShow:
    def test_it_lists_every_parameter_a_methodology_reads_with_its_source(self) -> None:
        for mid, inputs in BASE.items():
            listed = {p.key for p in service.methodology(mid).parameters}
            used = {p.key for p in service.estimate(mid, inputs).parameters}
            assert used <= listed, used - listed

    def test_the_tree_methodologies_offer_the_species_rows(self) -> None:
        species = {key for key, _, _ in service.methodology("SC-LCP-MGT").species}
        assert {"cunninghamia", "quercus", "eucalyptus"} <= species


def test_the_docs_carry_the_methodology_readme_and_its_numbers() -> None:
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    assert "app/methodology/parameter_sets/0.1.1/parameters.toml" in text
    for shown in ("**599 kg", "**1 835 kg", "**2 082 kg", "**8 354 kg", "**3 117 kg", "**29 368 kg", "**18 012 kg"):
        assert shown in text
    for shown in ("**11 407 kg", "**7 822 kg", "**9 191 kg", "**20 319 kg", "**34 906 kg", "**24 807 kg"):
        assert shown in text


def test_every_refusal_step_and_flag_has_zh_and_en_text() -> None:
    from app.core.i18n import has_message
    from tests.methodology.test_worked_examples import EXAMPLES

    source = (HERE / "calculators.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'refuse\(\s*"(\w+)"', source))
    assert len(codes) > 20
    keys = {f"methodology.limit.{c}" for c in codes}
    for example in EXAMPLES:
        e = service.estimate(example.methodology_id, example.inputs)
        keys |= {f"methodology.step.{s.key}" for s in e.steps + e.information}
        keys |= {f"methodology.flag.{f}" for f in e.flags}
    for key in sorted(keys):
        assert has_message(key), key
        assert t(key, "en") != t(key, "zh"), key
