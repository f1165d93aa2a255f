"""The overlap rule: no two active parcels, and no parcel and a parcel of another scheme, share land.

Candidates come from the database by bounding box on indexed columns. A plain "boxes intersect" test
on four columns cannot use a B-tree well (each inequality alone keeps half the table), so parcels are
grouped by size class: a class-k box is at most SIZE_CLASS_DEGREES[k] wide, so its west edge lies
within that distance west of the new box, and each class becomes a narrow two-sided range on the
(size_class, min_lon, min_lat) index; PostgreSQL ORs the few class ranges with a bitmap. The exact test
runs in shapely on the few candidates, and the shared area is measured geodesically; shared areas up
to the sliver tolerance pass.

Race safety (PostgreSQL): a check and the insert that follows it are not atomic, so two overlapping
parcels submitted at the same moment could each see the other absent. Before its check, a submission
takes transaction-level advisory locks on the grid cells its box covers, at the grid of its size class
exclusively and at every coarser grid shared (intention locks, as in hierarchical locking). Two
overlapping parcels always share a point, so the larger one's exclusive cell is one the smaller one
holds shared or exclusive: one waits for the other to commit, then its check sees the committed
parcel. Parcels far apart take disjoint cells and never wait for each other; at most 4 cells per grid
level are locked, taken in one global key order so that no two submissions deadlock. The locks are
released at commit or rollback. SQLite needs none: Tortoise runs one transaction at a time on its
single connection, and the embedded mode runs one worker process.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from app.registry.geometry import SIZE_CLASS_DEGREES, ParcelShape, geodesic_area_m2, shape_of
from models.registry import ExternalParcel, Parcel

_LOCK_NAMESPACE = 0x5247  # "RG": keeps our advisory lock keys apart from the audit sequencer's


@dataclass(frozen=True)
class Overlap:
    """Another parcel that shares more than the tolerance with the one being checked."""

    kind: str  # "parcel" (ours) or "external"
    reference: str  # our parcel's public id, or "SCHEME:external id"
    area_m2: int


def bbox_filter(bbox: tuple[float, float, float, float]) -> Q:
    """Rows whose box intersects `bbox`, written so each size class is a narrow indexed range."""
    west, south, east, north = bbox
    per_class = [
        Q(
            size_class=k,
            min_lon__gte=west - span,
            min_lon__lte=east,
            min_lat__gte=south - span,
            min_lat__lte=north,
        )
        for k, span in enumerate(SIZE_CLASS_DEGREES)
    ]
    return Q(*per_class, join_type=Q.OR) & Q(max_lon__gte=west, max_lat__gte=south)


def _shared_area(candidate_geometry: dict, new: ParcelShape) -> float:
    other = shape_of(candidate_geometry)
    if not other.intersects(new.shape):
        return 0.0
    return geodesic_area_m2(other.intersection(new.shape))


async def find_overlaps(
    new: ParcelShape,
    tolerance_m2: int,
    *,
    exclude_parcel_ids: Iterable[int] = (),
    connection: BaseDBAsyncClient | None = None,
) -> list[Overlap]:
    """Active parcels of ours and parcels of other schemes that share more than `tolerance_m2` with `new`."""
    excluded = list(exclude_parcel_ids)
    query = Parcel.filter(bbox_filter(new.bbox), active=True)
    if excluded:
        query = query.exclude(id__in=excluded)
    if connection is not None:
        query = query.using_db(connection)
    found: list[Overlap] = []
    for public_id, geometry in await query.order_by("id").values_list("public_id", "geometry"):
        shared = _shared_area(geometry, new)
        if shared > tolerance_m2:
            found.append(Overlap("parcel", public_id, round(shared)))
    external = ExternalParcel.filter(bbox_filter(new.bbox))
    if connection is not None:
        external = external.using_db(connection)
    for scheme, external_id, geometry in await external.order_by("id").values_list("scheme", "external_id", "geometry"):
        shared = _shared_area(geometry, new)
        if shared > tolerance_m2:
            found.append(Overlap("external", f"{scheme}:{external_id}", round(shared)))
    return found


def overlap_between(a: ParcelShape, b: ParcelShape) -> float:
    if not a.shape.intersects(b.shape):
        return 0.0
    return geodesic_area_m2(a.shape.intersection(b.shape))


# --- region locks ---------------------------------------------------------------------------------


def lock_keys(shapes: Iterable[ParcelShape]) -> list[tuple[int, bool]]:
    """(key, exclusive) for every grid cell the shapes need, sorted by key; exclusive wins over shared."""
    modes: dict[int, bool] = {}
    for s in shapes:
        west, south, east, north = s.bbox
        for level in range(s.size_class, len(SIZE_CLASS_DEGREES)):
            cell = SIZE_CLASS_DEGREES[level]
            exclusive = level == s.size_class
            for ix in range(math.floor((west + 180) / cell), math.floor((east + 180) / cell) + 1):
                for iy in range(math.floor((south + 90) / cell), math.floor((north + 90) / cell) + 1):
                    key = (_LOCK_NAMESPACE << 40) | (level << 36) | (ix << 18) | iy
                    modes[key] = modes.get(key, False) or exclusive
    return sorted(modes.items())


async def lock_regions(connection: BaseDBAsyncClient, shapes: Iterable[ParcelShape]) -> int:
    """Take the region locks for `shapes` inside the caller's transaction (PostgreSQL); returns how many."""
    if connection.capabilities.dialect != "postgres":
        return 0
    keys = lock_keys(shapes)
    for key, exclusive in keys:
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        await connection.execute_query(f"SELECT {function}($1)", [key])
    return len(keys)
