"""`registry-import-external`: load parcels already registered in other schemes, so ours never overlap them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.core.commands import command, with_orm
from app.core.errors import AppError
from app.core.i18n import t
from app.registry import service
from app.settings import Settings


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a GeoJSON FeatureCollection (WGS84 unless --crs says otherwise)")
    parser.add_argument("--scheme", required=True, choices=service.EXTERNAL_SCHEMES, help="whose parcels these are")
    parser.add_argument("--crs", default="wgs84", choices=("wgs84", "cgcs2000", "gcj02"))


@command(
    "registry-import-external",
    "import other schemes' parcels (CCER, carbon_ticket, VCS) from GeoJSON; idempotent by (scheme, id)",
    _arguments,
)
async def registry_import_external(args: argparse.Namespace, settings: Settings) -> int:
    try:
        collection = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}")
        return 2

    async def run() -> int:
        try:
            report = await service.import_external(settings, collection, args.scheme, args.crs)
        except AppError as exc:
            print(t(exc.key, "en", **exc.params))
            return 2
        invalid = report.invalid or []
        print(
            f"{args.scheme}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(invalid)} invalid"
        )
        for index, reason in invalid:
            print(f"  feature {index}: {reason}")
        for external_id, ours, area in report.overlapping_ours or []:
            print(f"  WARNING {args.scheme}:{external_id} overlaps our active parcel {ours} by {area} m²")
        return 1 if invalid else 0

    return await with_orm(settings, run)
