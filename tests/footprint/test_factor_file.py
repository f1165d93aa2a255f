"""The factor file: every factor names its source, the SHA-256 pin refuses an edited file, preset distances recompute."""

from __future__ import annotations

import hashlib
import math
import shutil
import tomllib
from pathlib import Path

import pytest

from app.footprint.factors import CATALOGUE_FILE, SOURCE_FIELDS, FactorFileError, catalogue, load_catalogue

FACTOR_FILE = CATALOGUE_FILE.parent / "factor_sets" / "1.0.0" / "factors.toml"


def _copy_release(tmp_path: Path) -> tuple[Path, Path]:
    """The shipped catalogue and its factor file, copied so a test may edit them."""
    (tmp_path / "factor_sets" / "1.0.0").mkdir(parents=True)
    cat = tmp_path / "catalogue.toml"
    shutil.copyfile(CATALOGUE_FILE, cat)
    factors = tmp_path / "factor_sets" / "1.0.0" / "factors.toml"
    shutil.copyfile(FACTOR_FILE, factors)
    return cat, factors


def _repin(cat: Path, factors: Path) -> None:
    text = cat.read_text(encoding="utf-8")
    old = tomllib.loads(text)["release"][0]["sha256"]
    cat.write_text(text.replace(old, hashlib.sha256(factors.read_bytes()).hexdigest()), encoding="utf-8")


class TestSources:
    def test_every_factor_names_publisher_title_year_table_and_its_verification(self) -> None:
        raw = tomllib.loads(FACTOR_FILE.read_text(encoding="utf-8"))
        entries = {**raw["factor"], **raw["design"]}
        assert len(entries) == 15
        for key, row in entries.items():
            for field in SOURCE_FIELDS:
                assert field in row, f"{key} has no {field}"
            assert row["publisher"].strip() and row["title"].strip(), key
            assert 1990 <= row["year"] <= 2026, key
            if row["verified"]:
                assert row["verification"] in ("primary", "reproduction") and row["read_in"].strip(), key
                assert row["table"].strip(), f"{key} is verified but names no table or row"
            else:
                assert row["verification"] == "design", f"{key} is unverified; only design choices may be"
            if row["url"]:
                assert row["url"].startswith("https://"), key

    def test_the_only_unverified_value_is_the_routing_factor_and_it_is_flagged_as_design(self) -> None:
        fs = catalogue().current
        unverified = [f.key for f in fs.factors.values() if not f.verified]
        assert unverified == ["design.ground_routing_factor"]
        assert fs.factor("design.ground_routing_factor").verification == "design"

    def test_a_factor_without_a_source_is_refused(self, tmp_path: Path) -> None:
        cat, factors = _copy_release(tmp_path)
        text = factors.read_text(encoding="utf-8")
        start = text.index("[factor.coach]")
        end = text.index("[factor.bus]")
        block = text[start:end]
        stripped = "\n".join(line for line in block.splitlines() if not line.startswith("publisher ="))
        factors.write_text(text[:start] + stripped + "\n" + text[end:], encoding="utf-8")
        _repin(cat, factors)
        with pytest.raises(FactorFileError, match=r"factor\.coach lacks publisher"):
            load_catalogue(cat)


class TestPin:
    def test_the_shipped_file_matches_its_pin(self) -> None:
        fs = catalogue().current
        assert fs.sha256 == hashlib.sha256(FACTOR_FILE.read_bytes()).hexdigest()
        assert fs.version == "1.0.0"

    def test_a_factor_edited_in_place_is_refused(self, tmp_path: Path) -> None:
        cat, factors = _copy_release(tmp_path)
        assert load_catalogue(cat).current.factor("factor.rail").value == __import__("decimal").Decimal("0.03546")
        factors.write_text(
            factors.read_text(encoding="utf-8").replace("value = 0.03546", "value = 0.03"), encoding="utf-8"
        )
        with pytest.raises(FactorFileError, match="never an edit in place"):
            load_catalogue(cat)

    def test_even_a_changed_comment_is_refused(self, tmp_path: Path) -> None:
        cat, factors = _copy_release(tmp_path)
        factors.write_bytes(factors.read_bytes() + b"\n# harmless?\n")
        with pytest.raises(FactorFileError, match="SHA-256"):
            load_catalogue(cat)


class TestPresetDistances:
    def test_every_route_is_the_rounded_haversine_of_its_coordinates(self) -> None:
        fs = catalogue().current
        radius = float(fs.places_meta["earth_radius_km"])
        assert len(fs.routes) == len(fs.origins()) * len(fs.destinations()) == 90
        for (a, b), km in fs.routes.items():
            pa, pb = fs.places[a], fs.places[b]
            lat1, lon1, lat2, lon2 = map(math.radians, map(float, (pa.lat, pa.lon, pb.lat, pb.lon)))
            h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
            assert km == round(2 * radius * math.asin(math.sqrt(h))), f"{a} → {b}"

    def test_every_place_is_a_sichuan_region_code_we_know(self) -> None:
        codes = {
            line.split(",")[0] for line in (Path("app/regions/gbt2260.csv").read_text(encoding="utf-8").splitlines())
        }
        for p in catalogue().current.places.values():
            assert p.gb2260 in codes and p.gb2260.startswith("51"), p.key
