"""Methodology versions as data: the catalogue of releases and their parameter files, loaded side by side.

A release (`catalogue.toml`) names a methodology version, the methodologies it covers and the parameter
file it uses, pinned by the SHA-256 of the file's exact bytes. Numbers are read as `Decimal` straight from
the TOML text (never through binary floats) and handed to the calculators as exact `Fraction`s.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CATALOGUE_FILE = HERE / "catalogue.toml"


class CatalogueError(ValueError):
    """The catalogue or a parameter file is malformed or does not match its pinned hash."""


def semver(version: str) -> tuple[int, int, int]:
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise CatalogueError(f"version {version!r} is not MAJOR.MINOR.PATCH")
    return int(parts[0]), int(parts[1]), int(parts[2])


@dataclass(frozen=True)
class Entry:
    """One parameter (or one sub-value of a table row) as the file states it."""

    key: str
    value: Decimal
    unit: str
    source: str
    locator: str
    url: str
    verification: str
    numerator: int | None = None
    denominator: int | None = None

    @property
    def exact(self) -> Fraction:
        """The number to compute with: numerator/denominator where the file gives them, else the decimal."""
        if self.numerator is not None and self.denominator is not None:
            return Fraction(self.numerator, self.denominator)
        return Fraction(self.value)

    @property
    def shown(self) -> str:
        if self.numerator is not None and self.denominator is not None:
            return f"{self.numerator}/{self.denominator}"
        return format(self.value, "f")


@dataclass(frozen=True)
class ParameterSet:
    """One parameter file: its version, the hash of its bytes and its entries."""

    version: str
    sha256: str
    path: Path
    data: dict[str, Any] = field(repr=False)

    def _section(self, key: str) -> dict[str, Any]:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"{key} is not in parameter set {self.version}")
            node = node[part]
        if not isinstance(node, dict):
            raise KeyError(f"{key} is not a parameter entry")
        return node

    def has(self, key: str) -> bool:
        try:
            self._section(key)
        except KeyError:
            return False
        return True

    def entry(self, key: str, sub: str | None = None) -> Entry:
        """`entry("buffer.forest")`, or a sub-value of a row: `entry("tree.picea", "bef")`."""
        row = self._section(key)
        node = row[sub] if sub else row
        if not isinstance(node, dict) or not isinstance(node.get("value"), Decimal | int):
            raise KeyError(f"{key}{'.' + sub if sub else ''} has no numeric value")
        value = node["value"]
        return Entry(
            key=f"{key}.{sub}" if sub else key,
            value=Decimal(value),
            unit=str(node.get("unit", row.get("unit", ""))),
            source=str(row.get("source", "")),
            locator=str(row.get("locator", "")),
            url=str(row.get("url", "")),
            verification=str(row.get("verification", "")),
            numerator=node.get("numerator"),
            denominator=node.get("denominator"),
        )

    def row(self, key: str) -> dict[str, Any]:
        """A whole table row (e.g. a tree species) for its names and notes."""
        return self._section(key)

    def keys_under(self, prefix: str) -> list[str]:
        return sorted(self.data.get(prefix, {}))

    @property
    def methodology_ids(self) -> list[str]:
        return list(self.data.get("meta", {}).get("methodology_ids", []))


def load_parameter_set(path: Path) -> ParameterSet:
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path}: {exc}") from exc
    version = data.get("meta", {}).get("version")
    if not isinstance(version, str):
        raise CatalogueError(f"{path}: meta.version is missing")
    semver(version)
    return ParameterSet(version=version, sha256=hashlib.sha256(raw).hexdigest(), path=path, data=data)


@dataclass(frozen=True)
class Release:
    """A methodology version: which methodologies it covers and the parameter set it computes with."""

    version: str
    methodology_ids: tuple[str, ...]
    parameters: ParameterSet
    status: str
    released: str


@dataclass(frozen=True)
class Catalogue:
    releases: tuple[Release, ...]

    def versions_of(self, methodology_id: str) -> list[Release]:
        """Every release covering the methodology, newest first."""
        found = [r for r in self.releases if methodology_id in r.methodology_ids]
        return sorted(found, key=lambda r: semver(r.version), reverse=True)

    def release(self, methodology_id: str, version: str | None = None) -> Release | None:
        found = self.versions_of(methodology_id)
        if version is None:
            return found[0] if found else None
        return next((r for r in found if r.version == version), None)

    @property
    def methodology_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.releases:
            seen.update(dict.fromkeys(r.methodology_ids))
        return list(seen)


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Read the catalogue and every parameter file it names, checking each file's pinned SHA-256."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    releases = []
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(data.get("release", [])):
        where = f"{path.name} release #{i + 1}"
        try:
            version, ids, file, pinned = raw["version"], raw["methodologies"], raw["parameters"], raw["sha256"]
        except KeyError as exc:
            raise CatalogueError(f"{where}: {exc.args[0]} is missing") from exc
        semver(version)
        params = load_parameter_set(path.parent / file)
        if params.sha256 != pinned:
            raise CatalogueError(
                f"{where}: {file} has SHA-256 {params.sha256}, the catalogue pins {pinned}; "
                "a changed parameter file needs a new version, never an edit in place"
            )
        for mid in ids:
            if mid not in params.methodology_ids:
                raise CatalogueError(f"{where}: {file} does not list {mid} in meta.methodology_ids")
            if (mid, version) in seen:
                raise CatalogueError(f"{where}: {mid}@{version} is listed twice")
            seen.add((mid, version))
        releases.append(
            Release(
                version=version,
                methodology_ids=tuple(ids),
                parameters=params,
                status=str(raw.get("status", "")),
                released=str(raw.get("released", "")),
            )
        )
    if not releases:
        raise CatalogueError(f"{path}: no release")
    return Catalogue(tuple(releases))


@cache
def catalogue() -> Catalogue:
    """The catalogue shipped with the application, read once per process."""
    return load_catalogue()
