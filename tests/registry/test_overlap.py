"""The overlap rule at the database: prefilter by indexed box, exact test, geodesic shared area, slivers."""

from __future__ import annotations

import random

import pytest

from app.registry.geometry import GeometryLimits, ParcelShape, parse_parcel_geometry
from app.registry.overlap import bbox_filter, find_overlaps, lock_keys
from models.accounts import User
from models.registry import ExternalParcel, Parcel, Project
from tests.registry.shapes import east_of, square

LIMITS = GeometryLimits(bounds=(73.4, 3.8, 135.1, 53.6), max_vertices=5000, min_area_m2=1, max_area_m2=10**11)
TOLERANCE = 100


def shape(geometry) -> ParcelShape:  # type: ignore[no-untyped-def]
    return parse_parcel_geometry(geometry, "wgs84", LIMITS)


async def stored(geometry, *, active: bool = True, public_id: str | None = None) -> Parcel:  # type: ignore[no-untyped-def]
    s = shape(geometry)
    user = await User.create(public_id=f"u{random.getrandbits(40)}")
    project = await Project.create(
        public_id=f"p{random.getrandbits(40)}",
        name="p",
        owner_user=user,
        created_by=user,
        county_code="510112",
        methodology_id="SC-LCP-AFF",
        status="submitted" if active else "draft",
    )
    return await Parcel.create(
        public_id=public_id or f"pa{random.getrandbits(40)}",
        project=project,
        geometry=s.geometry,
        input_crs="wgs84",
        area_m2=s.area_m2,
        min_lon=s.bbox[0],
        min_lat=s.bbox[1],
        max_lon=s.bbox[2],
        max_lat=s.bbox[3],
        size_class=s.size_class,
        county_code="510112",
        tenure_kind="forest_right_certificate",
        tenure_number_enc=b"x",
        tenure_number_index="i",
        holder_kind="individual",
        holder_name_enc=b"x",
        sink_type="afforestation",
        status="submitted" if active else "draft",
        active=active,
    )


class TestFindOverlaps:
    async def test_a_parcel_inside_an_active_one_is_found_with_the_shared_area(self, db) -> None:
        big = await stored(square(104.0, 30.0, 300), public_id="BIG")
        found = await find_overlaps(shape(square(104.0005, 30.0005, 100)), TOLERANCE)
        assert [(o.kind, o.reference) for o in found] == [("parcel", "BIG")]
        assert found[0].area_m2 == pytest.approx(10_000, rel=0.01)
        assert big.active

    async def test_parcels_that_only_touch_do_not_overlap(self, db) -> None:
        await stored(square(104.0, 30.0, 100))
        neighbour = square(east_of(104.0, 30.0, 100), 30.0, 100)
        ring = neighbour["coordinates"][0]
        first = (await Parcel.first()).geometry["coordinates"][0]  # type: ignore[union-attr]
        ring[0], ring[3], ring[4] = first[1], first[2], first[1]  # share the east edge exactly
        assert await find_overlaps(shape(neighbour), 0) == []

    async def test_a_sliver_up_to_the_tolerance_passes_and_a_larger_one_does_not(self, db) -> None:
        await stored(square(104.0, 30.0, 100))
        # Shifted 99.5 m east: a 0.5 m × 100 m strip ≈ 50 m² is shared; 2 m back: ≈ 250 m².
        sliver = shape(square(east_of(104.0, 30.0, 99.5), 30.0, 100))
        wider = shape(square(east_of(104.0, 30.0, 97.5), 30.0, 100))
        assert await find_overlaps(sliver, TOLERANCE) == []
        assert [o.area_m2 for o in await find_overlaps(sliver, 10)] == [pytest.approx(50, abs=2)]
        assert [o.area_m2 for o in await find_overlaps(wider, TOLERANCE)] == [pytest.approx(250, abs=3)]

    async def test_draft_parcels_hold_no_ground(self, db) -> None:
        await stored(square(104.0, 30.0, 300), active=False)
        assert await find_overlaps(shape(square(104.0005, 30.0005, 100)), TOLERANCE) == []

    async def test_one_part_of_a_multipolygon_overlapping_is_enough(self, db) -> None:
        await stored(square(104.1, 30.0, 200), public_id="FAR")
        a, b = square(104.0, 30.0, 100), square(104.1005, 30.0005, 100)
        multi = {"type": "MultiPolygon", "coordinates": [a["coordinates"], b["coordinates"]]}
        assert [o.reference for o in await find_overlaps(shape(multi), TOLERANCE)] == ["FAR"]

    async def test_an_imported_parcel_of_another_scheme_is_found_by_scheme_and_id(self, db) -> None:
        s = shape(square(103.9, 30.0, 5000))  # a whole CCER project, size class 1
        await ExternalParcel.create(
            scheme="CCER",
            external_id="CCER-1234",
            geometry=s.geometry,
            area_m2=s.area_m2,
            min_lon=s.bbox[0],
            min_lat=s.bbox[1],
            max_lon=s.bbox[2],
            max_lat=s.bbox[3],
            size_class=s.size_class,
        )
        found = await find_overlaps(shape(square(103.92, 30.02, 100)), TOLERANCE)
        assert [(o.kind, o.reference) for o in found] == [("external", "CCER:CCER-1234")]

    async def test_a_large_parcel_whose_box_starts_far_west_is_still_a_candidate(self, db) -> None:
        # Size class 2 (≈ 0.5°): its west edge is 0.45° west of the new parcel, beyond a class-0 window.
        await stored(square(103.55, 30.0, 50_000), public_id="WIDE")
        assert [o.reference for o in await find_overlaps(shape(square(104.0, 30.1, 100)), TOLERANCE)] == ["WIDE"]


class TestBboxFilter:
    async def test_it_returns_exactly_the_parcels_whose_boxes_intersect(self, db) -> None:
        rng = random.Random(11)
        boxes = {}
        for i in range(250):
            side = rng.choice([50, 500, 5_000, 40_000])
            p = await stored(square(rng.uniform(103.0, 105.0), rng.uniform(29.0, 31.0), side), public_id=f"P{i}")
            boxes[p.id] = (p.min_lon, p.min_lat, p.max_lon, p.max_lat)
        for _ in range(40):
            q = shape(square(rng.uniform(103.0, 105.0), rng.uniform(29.0, 31.0), rng.choice([100, 3_000, 30_000])))
            w, s, e, n = q.bbox
            expected = {pid for pid, (a, b, c, d) in boxes.items() if a <= e and c >= w and b <= n and d >= s}
            got = set(await Parcel.filter(bbox_filter(q.bbox)).values_list("id", flat=True))
            assert got == expected


class TestLockKeys:
    def test_overlapping_parcels_of_any_sizes_share_a_key_one_of_them_holds_exclusively(self) -> None:
        rng = random.Random(3)
        for _ in range(300):
            lon, lat = rng.uniform(103, 105), rng.uniform(29, 31)
            a = shape(square(lon, lat, rng.choice([30, 300, 3_000, 30_000])))
            b = shape(
                square(lon + rng.uniform(-0.001, 0.001), lat + rng.uniform(-0.001, 0.001), rng.choice([30, 300, 3_000]))
            )
            if not a.shape.intersects(b.shape):
                continue
            ka, kb = dict(lock_keys([a])), dict(lock_keys([b]))
            assert any(ka[k] or kb[k] for k in set(ka) & set(kb))

    def test_a_parcel_needs_few_locks_and_far_parcels_share_no_exclusive_one(self) -> None:
        a, b = shape(square(104.0, 30.0, 100)), shape(square(104.5, 30.5, 100))
        ka, kb = dict(lock_keys([a])), dict(lock_keys([b]))
        assert len(ka) <= 4 * 5
        assert not any(ka[k] or kb[k] for k in set(ka) & set(kb))
