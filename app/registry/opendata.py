"""Open data: approved parcels as CSV and GeoJSON, with a stable schema (docs/open-data.md).

Both exports are generated page by page (keyset on the parcel id, PAGE_SIZE parcels and three queries
per page) and streamed, so memory stays flat at any registry size. A parcel approved while a download
runs may or may not be in it; every row is consistent in itself.

Privacy: the holder's name appears masked (张**) unless the holder chose to show it; the tenure
document number never appears. Text a person typed (names) that a spreadsheet would run as a formula
(starting with = + - @, tab or CR) gets a leading apostrophe in the CSV (OWASP CSV injection advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec

from app.regions import service as regions
from app.registry import estimates
from app.registry.geometry import area_ha, area_mu
from app.registry.service import public_holder_name
from app.settings import Settings
from models.registry import Parcel, ParcelEstimate, Project

SCHEMA = "microsink.parcels"
SCHEMA_VERSION = "1.0.0"
PAGE_SIZE = 1000

COLUMNS = (
    "parcel_id",
    "project_id",
    "project_name",
    "parcel_name",
    "county_code",
    "county_name",
    "sink_type",
    "area_m2",
    "area_mu",
    "area_ha",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
    "species",
    "planting_year",
    "stand_age_years",
    "elevation_m",
    "holder_kind",
    "holder_name",
    "holder_name_shown",
    "approved_at",
    "methodology_id",
    "methodology_version",
    "parameter_set_version",
    "parameter_set_sha256",
    "estimate_basis",
    "estimate_method",
    "estimate_kg_per_year",
    "estimate_buffer_kg_per_year",
    "estimate_held_for_review",
    "estimate_accounting_year",
    "estimate_inputs_sha256",
    "estimate_computed_at",
    "estimate_record",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESTIMATE_COLUMNS = (
    "id",
    "parcel_id",
    "methodology_id",
    "methodology_version",
    "parameter_set_version",
    "parameter_set_sha256",
    "basis",
    "method",
    "kg_per_year",
    "buffer_kg_per_year",
    "held_for_review",
    "accounting_year",
    "inputs_sha256",
    "computed_at",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _record(settings: Settings, parcel: Parcel, project: Project, row: ParcelEstimate | None) -> dict[str, Any]:
    """One parcel as the schema's values, typed (int, str, bool, None)."""
    return {
        "parcel_id": parcel.public_id,
        "project_id": project.public_id,
        "project_name": project.name,
        "parcel_name": parcel.name,
        "county_code": parcel.county_code,
        "county_name": regions.full_name(parcel.county_code),
        "sink_type": parcel.sink_type,
        "area_m2": parcel.area_m2,
        "area_mu": area_mu(parcel.area_m2),
        "area_ha": area_ha(parcel.area_m2),
        "min_lon": parcel.min_lon,
        "min_lat": parcel.min_lat,
        "max_lon": parcel.max_lon,
        "max_lat": parcel.max_lat,
        "species": "|".join(f"{s['species']}:{s['percent']}" for s in parcel.species or []),
        "planting_year": parcel.planting_year,
        "stand_age_years": parcel.stand_age_years,
        "elevation_m": parcel.elevation_m,
        "holder_kind": parcel.holder_kind,
        "holder_name": public_holder_name(settings, parcel),
        "holder_name_shown": parcel.show_holder_name,
        "approved_at": _iso(project.decided_at),
        "methodology_id": row.methodology_id if row else project.methodology_id,
        "methodology_version": row.methodology_version if row else None,
        "parameter_set_version": row.parameter_set_version if row else None,
        "parameter_set_sha256": row.parameter_set_sha256 if row else None,
        "estimate_basis": row.basis if row else None,
        "estimate_method": row.method if row else None,
        "estimate_kg_per_year": estimates.shown_kg(row) if row else None,
        "estimate_buffer_kg_per_year": (None if row.held_for_review else row.buffer_kg_per_year) if row else None,
        "estimate_held_for_review": row.held_for_review if row else None,
        "estimate_accounting_year": row.accounting_year if row else None,
        "estimate_inputs_sha256": row.inputs_sha256 if row else None,
        "estimate_computed_at": _iso(row.computed_at) if row else None,
        "estimate_record": f"/api/v1/registry/parcels/{parcel.public_id}/estimate" if row else None,
    }


async def _pages(settings: Settings) -> AsyncIterator[list[tuple[Parcel, dict[str, Any]]]]:
    last = 0
    while True:
        parcels = await Parcel.filter(status="approved", id__gt=last).order_by("id").limit(PAGE_SIZE)
        if not parcels:
            return
        last = parcels[-1].id
        ids = {p.project_id for p in parcels}  # type: ignore[attr-defined]
        projects = {p.id: p for p in await Project.filter(id__in=list(ids))}
        # Every column but the full estimate JSON (kilobytes per row, published at estimate_record).
        current = {
            r.parcel_id: r  # type: ignore[attr-defined]
            for r in await ParcelEstimate.filter(parcel_id__in=[p.id for p in parcels], current=True).only(
                *_ESTIMATE_COLUMNS
            )
        }
        yield [
            (p, _record(settings, p, projects[p.project_id], current.get(p.id)))  # type: ignore[attr-defined]
            for p in parcels
        ]


_TEXT_COLUMNS = frozenset({"project_name", "parcel_name", "holder_name", "species"})


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if column in _TEXT_COLUMNS and text.startswith(_FORMULA_START) else text


async def csv_chunks(settings: Settings, *, bom: bool = False) -> AsyncIterator[bytes]:
    """RFC 4180 CSV, UTF-8, a header row then one row per approved parcel in id order.

    `bom` puts a byte-order mark first: Excel on Chinese Windows reads UTF-8 as GBK without one.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()
    async for page in _pages(settings):
        buffer.seek(0)
        buffer.truncate()
        for _, record in page:
            writer.writerow([_cell(c, record[c]) for c in COLUMNS])
        yield buffer.getvalue().encode()


_json = msgspec.json.Encoder(decimal_format="number")


async def geojson_chunks(settings: Settings) -> AsyncIterator[bytes]:
    """A GeoJSON FeatureCollection (RFC 7946) with the schema name and version as foreign members."""
    yield (
        b'{"type":"FeatureCollection","schema":"'
        + SCHEMA.encode()
        + b'","schema_version":"'
        + SCHEMA_VERSION.encode()
        + b'","features":['
    )
    first = True
    async for page in _pages(settings):
        parts = []
        for parcel, record in page:
            properties = {k: v for k, v in record.items() if k not in ("min_lon", "min_lat", "max_lon", "max_lat")}
            feature = {
                "type": "Feature",
                "id": parcel.public_id,
                "bbox": [parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat],
                "geometry": parcel.geometry,
                "properties": properties,
            }
            parts.append(_json.encode(feature))
        chunk = b",".join(parts)
        yield chunk if first else b"," + chunk
        first = False
    yield b"]}"
