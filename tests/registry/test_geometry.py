"""Parcel outlines: GCJ-02 input, geodesic area against a closed form, validation that names the problem."""

from __future__ import annotations

import math
import random

import pytest
from pyproj import Geod

from app.core.errors import AppError
from app.registry.geometry import (
    GeometryLimits,
    area_ha,
    area_mu,
    format_area,
    gcj02_to_wgs84,
    outline_svg,
    parse_parcel_geometry,
    size_class,
    wgs84_to_gcj02,
)
from tests.registry.shapes import square

LIMITS = GeometryLimits(bounds=(73.4, 3.8, 135.1, 53.6), max_vertices=50, min_area_m2=10, max_area_m2=100_000_000)
GEOD = Geod(ellps="WGS84")

# Published test vectors of the GCJ-02 shift (eviltransform's tests): (wgs lat, lon) → (gcj lat, lon).
VECTORS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


class TestGcj02:
    @pytest.mark.parametrize(("wgs", "gcj"), VECTORS)
    def test_it_shifts_a_wgs84_point_as_the_published_vectors_say(self, wgs, gcj) -> None:  # type: ignore[no-untyped-def]
        lon, lat = wgs84_to_gcj02(wgs[1], wgs[0])
        assert abs(lon - gcj[1]) < 1e-9 and abs(lat - gcj[0]) < 1e-9

    @pytest.mark.parametrize(("wgs", "gcj"), VECTORS)
    def test_it_recovers_the_wgs84_point_within_a_centimetre(self, wgs, gcj) -> None:  # type: ignore[no-untyped-def]
        back = gcj02_to_wgs84(gcj[1], gcj[0])
        assert metres_apart(back, (wgs[1], wgs[0])) < 0.01

    def test_it_inverts_the_shift_anywhere_in_sichuan_to_under_a_centimetre(self) -> None:
        rng = random.Random(7)
        for _ in range(500):
            lon, lat = rng.uniform(97.3, 108.6), rng.uniform(26.0, 34.4)
            shifted = wgs84_to_gcj02(lon, lat)
            assert 50 < metres_apart(shifted, (lon, lat)) < 1000  # the shift is real: hundreds of metres
            assert metres_apart(gcj02_to_wgs84(*shifted), (lon, lat)) < 0.01

    def test_a_parcel_flagged_gcj02_is_stored_in_wgs84(self) -> None:
        wgs = square(104.25, 30.55, 200)
        ring = wgs["coordinates"][0]
        gcj = {"type": "Polygon", "coordinates": [[list(wgs84_to_gcj02(x, y)) for x, y in ring]]}
        parsed = parse_parcel_geometry(gcj, "gcj02", LIMITS)
        for stored, original in zip(parsed.geometry["coordinates"][0], ring, strict=True):
            assert metres_apart(tuple(stored), tuple(original)) < 0.02  # 1e-7° rounding ≈ 1 cm
        unflagged = parse_parcel_geometry(gcj, "wgs84", LIMITS)
        assert metres_apart(tuple(unflagged.geometry["coordinates"][0][0]), tuple(ring[0])) > 100


def zone_area(west: float, south: float, east: float, north: float) -> float:
    """Closed-form area of a lon/lat rectangle on the WGS84 ellipsoid (authalic-latitude formula)."""
    a, f = 6378137.0, 1 / 298.257223563
    b, e = a * (1 - f), math.sqrt(f * (2 - f))

    def q(phi: float) -> float:
        s = math.sin(math.radians(phi))
        return s / (2 * (1 - e * e * s * s)) + math.log((1 + e * s) / (1 - e * s)) / (4 * e)

    return math.radians(east - west) * b * b * (q(north) - q(south))


def densified_rectangle(west: float, south: float, east: float, north: float, n: int = 200) -> dict:
    """Edges along parallels and meridians (a geodesic edge would cut the parallel), closed."""
    south_edge = [[west + (east - west) * i / n, south] for i in range(n)]
    east_edge = [[east, south + (north - south) * i / n] for i in range(n)]
    north_edge = [[east - (east - west) * i / n, north] for i in range(n)]
    west_edge = [[west, north - (north - south) * i / n] for i in range(n)]
    ring = south_edge + east_edge + north_edge + west_edge
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


class TestArea:
    @pytest.mark.parametrize(("lat", "span"), [(30.0, 0.01), (26.5, 0.02), (33.9, 0.005)])
    def test_it_matches_the_closed_form_ellipsoidal_area(self, lat: float, span: float) -> None:
        limits = GeometryLimits(LIMITS.bounds, 1000, 1, 10**9)
        parsed = parse_parcel_geometry(densified_rectangle(104.0, lat, 104.0 + span, lat + span), "wgs84", limits)
        expected = zone_area(104.0, lat, 104.0 + span, lat + span)
        assert abs(parsed.area_m2 - expected) <= 1.0, (parsed.area_m2, expected)  # integer m², ≥ 0.5 M m² here

    def test_a_hole_is_subtracted_and_winding_order_does_not_matter(self) -> None:
        outer = square(104.0, 30.0, 300)["coordinates"][0]
        hole = square(104.001, 30.001, 100)["coordinates"][0]
        with_hole = parse_parcel_geometry({"type": "Polygon", "coordinates": [outer, hole]}, "wgs84", LIMITS)
        reversed_outer = parse_parcel_geometry({"type": "Polygon", "coordinates": [outer[::-1]]}, "wgs84", LIMITS)
        plain = parse_parcel_geometry({"type": "Polygon", "coordinates": [outer]}, "wgs84", LIMITS)
        small = parse_parcel_geometry({"type": "Polygon", "coordinates": [hole]}, "wgs84", LIMITS)
        assert reversed_outer.area_m2 == plain.area_m2
        assert abs(with_hole.area_m2 - (plain.area_m2 - small.area_m2)) <= 1

    def test_it_shows_mu_and_hectares_in_chinese_and_english(self) -> None:
        assert area_mu(10000) == 15 and area_ha(10000) == 1
        assert format_area(666_667, "zh") == "1,000 亩（66.6667 公顷）"
        assert format_area(667, "en") == "1 mu (0.0667 ha)"
        assert format_area(1_000_000 * 15, "zh").startswith("22,500 亩")


class TestParseParcelGeometry:
    def _refused(self, raw, key: str, crs: str = "wgs84", limits: GeometryLimits = LIMITS) -> AppError:  # type: ignore[no-untyped-def]
        with pytest.raises(AppError) as caught:
            parse_parcel_geometry(raw, crs, limits)
        assert caught.value.key == key, caught.value.key
        return caught.value

    def test_it_accepts_a_polygon_a_multipolygon_and_a_feature(self) -> None:
        a, b = square(104.0, 30.0), square(104.01, 30.0)
        assert parse_parcel_geometry(a, "wgs84", LIMITS).area_m2 == pytest.approx(10_000, rel=0.01)
        multi = {"type": "MultiPolygon", "coordinates": [a["coordinates"], b["coordinates"]]}
        assert parse_parcel_geometry(multi, "cgcs2000", LIMITS).area_m2 == pytest.approx(20_000, rel=0.01)
        assert parse_parcel_geometry({"type": "Feature", "geometry": a, "properties": {}}, "wgs84", LIMITS)

    def test_it_refuses_an_open_ring_naming_it(self) -> None:
        raw = square(104.0, 30.0)
        raw["coordinates"][0] = raw["coordinates"][0][:-1]
        assert self._refused(raw, "registry.geometry_ring_open").params["where"] == "polygon 1 ring 1"

    def test_it_refuses_a_ring_of_three_points(self) -> None:
        self._refused(
            {"type": "Polygon", "coordinates": [[[104, 30], [104.001, 30], [104, 30]]]},
            "registry.geometry_ring_too_short",
        )

    def test_it_refuses_a_bow_tie_as_self_intersecting(self) -> None:
        bow = [[104, 30], [104.001, 30.001], [104.001, 30], [104, 30.001], [104, 30]]
        error = self._refused({"type": "Polygon", "coordinates": [bow]}, "registry.geometry_self_intersection")
        assert "104.0005" in error.params["at"]

    def test_it_refuses_overlapping_parts_of_a_multipolygon(self) -> None:
        a, b = square(104.0, 30.0), square(104.0005, 30.0)
        with pytest.raises(AppError) as caught:
            parse_parcel_geometry(
                {"type": "MultiPolygon", "coordinates": [a["coordinates"], b["coordinates"]]}, "wgs84", LIMITS
            )
        assert caught.value.key in {"registry.geometry_self_intersection", "registry.geometry_invalid"}

    def test_it_refuses_a_point_outside_the_bounds(self) -> None:
        error = self._refused(square(2.35, 48.85), "registry.geometry_out_of_bounds")  # Paris
        assert error.params["bounds"] == "73.4,3.8,135.1,53.6"
        sichuan = GeometryLimits((97.3, 26.0, 108.6, 34.4), 50, 10, 10**8)
        self._refused(square(116.4, 39.9), "registry.geometry_out_of_bounds", limits=sichuan)  # Beijing

    def test_it_refuses_too_many_vertices(self) -> None:
        limits = GeometryLimits(LIMITS.bounds, 50, 1, 10**9)
        error = self._refused(
            densified_rectangle(104, 30, 104.01, 30.01, n=20), "registry.geometry_too_many_vertices", limits=limits
        )
        assert error.params == {"count": 80, "limit": 50}

    def test_it_refuses_areas_outside_the_limits(self) -> None:
        self._refused(square(104.0, 30.0, 2), "registry.geometry_area_out_of_range")  # 4 m²
        self._refused(square(104.0, 30.0, 20_000), "registry.geometry_area_out_of_range")  # 400 km²

    @pytest.mark.parametrize(
        "raw",
        [
            {"type": "Point", "coordinates": [104, 30]},
            {"type": "LineString", "coordinates": [[104, 30], [104.1, 30]]},
            [1, 2],
        ],
    )
    def test_it_refuses_what_is_not_a_polygon(self, raw) -> None:  # type: ignore[no-untyped-def]
        self._refused(raw, "registry.geometry_type")

    @pytest.mark.parametrize("bad", [float("nan"), "104", True, None])
    def test_it_refuses_a_position_that_is_not_two_numbers(self, bad) -> None:  # type: ignore[no-untyped-def]
        raw = square(104.0, 30.0)
        raw["coordinates"][0][1] = [bad, 30.0]
        self._refused(raw, "registry.geometry_malformed")


class TestSizeClassAndOutline:
    def test_the_size_class_is_the_smallest_cell_that_holds_the_box(self) -> None:
        assert size_class((104, 30, 104.005, 30.009)) == 0
        assert size_class((104, 30, 104.05, 30.009)) == 1
        assert size_class((104, 30, 105, 30.5)) == 2
        assert size_class((100, 26, 108, 34)) == 3

    def test_the_outline_is_an_svg_path_with_every_vertex(self) -> None:
        svg = outline_svg(square(104.0, 30.0))
        assert svg.startswith("<svg") and svg.count(" L") == 3 and "Z" in svg
