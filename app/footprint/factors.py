"""Emission factors as data: the catalogue of factor sets, each file pinned by the SHA-256 of its exact bytes.

Numbers are read as `Decimal` straight from the TOML text (never through binary floats) and handed to the
calculators as exact `Fraction`s. Loading refuses a file whose bytes differ from the pinned hash, a factor without a
source, and a route whose places are unknown.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CATALOGUE_FILE = HERE / "catalogue.toml"

# What every factor must say about where it comes from (docs/footprint.md).
SOURCE_FIELDS = ("publisher", "title", "year", "table", "url", "verified", "verification", "read_in")
VERIFICATIONS = ("primary", "reproduction", "design")


class FactorFileError(ValueError):
    """The catalogue or a factor file is malformed or does not match its pinned hash."""


@dataclass(frozen=True)
class Factor:
    """One emission factor (or design parameter) exactly as the file states it."""

    key: str
    value: Decimal
    unit: str
    label_zh: str
    label_en: str
    publisher: str
    title: str
    year: int
    table: str
    url: str
    verified: bool
    verification: str
    read_in: str
    proxy: bool
    note: str

    @property
    def exact(self) -> Fraction:
        return Fraction(self.value)

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class Place:
    key: str
    name_zh: str
    name_en: str
    gb2260: str
    lon: Decimal
    lat: Decimal
    role: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class FactorSet:
    """One factor file: version, the hash of its bytes, factors, limits, places and routes."""

    version: str
    sha256: str
    released: str
    path: Path
    factors: dict[str, Factor]
    limits: dict[str, int]
    places: dict[str, Place]
    routes: dict[tuple[str, str], int]
    places_meta: dict[str, Any]

    def factor(self, key: str) -> Factor:
        return self.factors[key]

    def limit(self, key: str) -> int:
        return self.limits[key]

    def origins(self) -> list[Place]:
        return [p for p in self.places.values() if p.role == "origin"]

    def destinations(self) -> list[Place]:
        return [p for p in self.places.values() if p.role == "destination"]


def _factor(key: str, row: dict[str, Any], where: str) -> Factor:
    missing = [f for f in ("value", "unit", "label_zh", "label_en", *SOURCE_FIELDS) if f not in row]
    if missing:
        raise FactorFileError(f"{where}: {key} lacks {', '.join(missing)}")
    if not isinstance(row["value"], Decimal | int) or Decimal(row["value"]) <= 0:
        raise FactorFileError(f"{where}: {key}.value must be a positive number")
    if row["verification"] not in VERIFICATIONS:
        raise FactorFileError(f"{where}: {key}.verification must be one of {VERIFICATIONS}")
    if not str(row["publisher"]).strip() or not str(row["title"]).strip():
        raise FactorFileError(f"{where}: {key} names no publisher or title")
    if row["verified"] and not str(row["read_in"]).strip():
        raise FactorFileError(f"{where}: {key} says verified but not where it was read")
    if row["verification"] == "design" and row["verified"]:
        raise FactorFileError(f"{where}: {key} is a design choice and cannot be verified against a source")
    return Factor(
        key=key,
        value=Decimal(row["value"]),
        unit=str(row["unit"]),
        label_zh=str(row["label_zh"]),
        label_en=str(row["label_en"]),
        publisher=str(row["publisher"]),
        title=str(row["title"]),
        year=int(row["year"]),
        table=str(row["table"]),
        url=str(row["url"]),
        verified=bool(row["verified"]),
        verification=str(row["verification"]),
        read_in=str(row["read_in"]),
        proxy=bool(row.get("proxy", False)),
        note=str(row.get("note", "")),
    )


def load_factor_set(path: Path) -> FactorSet:
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FactorFileError(f"{path}: {exc}") from exc
    where = path.name
    meta = data.get("meta", {})
    if not isinstance(meta.get("version"), str):
        raise FactorFileError(f"{where}: meta.version is missing")
    factors = {f"factor.{k}": _factor(f"factor.{k}", row, where) for k, row in data.get("factor", {}).items()}
    factors.update({f"design.{k}": _factor(f"design.{k}", row, where) for k, row in data.get("design", {}).items()})
    places = {
        k: Place(
            k, str(r["name_zh"]), str(r["name_en"]), str(r["gb2260"]), Decimal(r["lon"]), Decimal(r["lat"]), r["role"]
        )
        for k, r in data.get("place", {}).items()
    }
    routes: dict[tuple[str, str], int] = {}
    for r in data.get("route", []):
        a, b, km = r["from"], r["to"], r["great_circle_km"]
        if a not in places or b not in places:
            raise FactorFileError(f"{where}: route {a} → {b} names an unknown place")
        if not isinstance(km, int) or km <= 0:
            raise FactorFileError(f"{where}: route {a} → {b} needs a positive whole great_circle_km")
        routes[(a, b)] = km
    limits = {k: int(v) for k, v in data.get("limits", {}).items()}
    return FactorSet(
        version=meta["version"],
        sha256=hashlib.sha256(raw).hexdigest(),
        released=str(meta.get("released", "")),
        path=path,
        factors=factors,
        limits=limits,
        places=places,
        routes=routes,
        places_meta=dict(data.get("places_meta", {})),
    )


@dataclass(frozen=True)
class Catalogue:
    sets: tuple[FactorSet, ...]

    @property
    def current(self) -> FactorSet:
        return max(self.sets, key=lambda s: tuple(int(p) for p in s.version.split(".")))

    def get(self, version: str | None) -> FactorSet | None:
        if version is None:
            return self.current
        return next((s for s in self.sets if s.version == version), None)


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Read the catalogue and every factor file it names, checking each file's pinned SHA-256."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sets = []
    for i, raw in enumerate(data.get("release", [])):
        where = f"{path.name} release #{i + 1}"
        try:
            version, file, pinned = raw["version"], raw["factors"], raw["sha256"]
        except KeyError as exc:
            raise FactorFileError(f"{where}: {exc.args[0]} is missing") from exc
        fs = load_factor_set(path.parent / file)
        if fs.sha256 != pinned:
            raise FactorFileError(
                f"{where}: {file} has SHA-256 {fs.sha256}, the catalogue pins {pinned}; "
                "a changed factor file needs a new version, never an edit in place"
            )
        if fs.version != version:
            raise FactorFileError(f"{where}: {file} says version {fs.version}, the catalogue {version}")
        sets.append(fs)
    if not sets:
        raise FactorFileError(f"{path}: no release")
    return Catalogue(tuple(sets))


@cache
def catalogue() -> Catalogue:
    """The factor sets shipped with the application, read once per process."""
    return load_catalogue()
