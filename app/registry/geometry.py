"""Parcel outlines: GeoJSON parsing and validation, GCJ-02 → WGS84, geodesic area, 亩/ha display.

Everything stored is WGS84 longitude/latitude. CGCS2000 (China's national datum) and WGS84 share
their ellipsoid up to a 0.1 mm difference in the semi-minor axis and their frames agree to a few
centimetres, far below a phone's GPS error, so CGCS2000 coordinates are stored as they are and only
flagged. GCJ-02 (the obfuscated datum that the mini-app's location API returns, wx.getLocation with
type "gcj02") is shifted by hundreds of metres and is converted on input with the published forward
formula, inverted by fixed-point iteration to well under a centimetre.

Areas are geodesic on the WGS84 ellipsoid (pyproj.Geod, Karney's algorithm): per ring, so a polygon
is its exterior minus its holes whatever the winding order the phone sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import shapely
from babel import Locale
from babel.numbers import format_decimal
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points
from shapely.validation import explain_validity

from app.core.errors import AppError

GEOD = Geod(ellps="WGS84")
CRS_CHOICES = ("wgs84", "cgcs2000", "gcj02")
M2_PER_MU = Decimal(10000) / Decimal(15)  # 1 亩 = 10000/15 m² ≈ 666.67 m²
# Size classes for the bounding-box prefilter and the region locks: a parcel whose box is at most
# SIZE_CLASS_DEGREES[k] wide and high is in class k, so a query for class k needs only look at boxes
# whose west edge lies within SIZE_CLASS_DEGREES[k] of the new box (app.registry.overlap).
SIZE_CLASS_DEGREES = (0.01, 0.1, 1.0, 10.0, 100.0)
COORDINATE_DECIMALS = 7  # 1e-7 degree ≈ 1 cm: finer digits from a phone are noise


@dataclass(frozen=True)
class GeometryLimits:
    """What a parcel outline may be: inside `bounds` (lon/lat box), at most so many vertices and an area between."""

    bounds: tuple[float, float, float, float]
    max_vertices: int
    min_area_m2: int
    max_area_m2: int


@dataclass(frozen=True)
class ParcelShape:
    """A validated outline in WGS84 with what the registry stores about it."""

    geometry: dict[str, Any]
    shape: BaseGeometry
    area_m2: int
    bbox: tuple[float, float, float, float]
    size_class: int
    vertices: int


# --- GCJ-02 ---------------------------------------------------------------------------------------
# The widely published forward formula (Krasovsky 1940 constants), as in eviltransform and every
# Chinese map SDK's documentation of "火星坐标".
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _gcj_dlat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _gcj_dlon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 position a Chinese map shows for a WGS84 position (inside China)."""
    dlat = _gcj_dlat(lon - 105.0, lat - 35.0)
    dlon = _gcj_dlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert the GCJ-02 shift by fixed-point iteration: stops when the forward image is within 1e-10°
    (about 0.01 mm) of the input; the shift is smooth, so this converges in a handful of steps."""
    wlon, wlat = lon, lat
    for _ in range(50):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
        wlon, wlat = wlon - dlon, wlat - dlat
    return wlon, wlat


# --- area -----------------------------------------------------------------------------------------


def _ring_area(coords: Any) -> float:
    lons, lats = zip(*[(c[0], c[1]) for c in coords], strict=True)
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area)


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area of the polygonal parts of any geometry (lines and points count 0), square metres."""
    if geom.is_empty:
        return 0.0
    if isinstance(geom, Polygon):
        return max(0.0, _ring_area(geom.exterior.coords) - sum(_ring_area(r.coords) for r in geom.interiors))
    if hasattr(geom, "geoms"):
        return sum(geodesic_area_m2(g) for g in geom.geoms)
    return 0.0


def area_mu(area_m2: int | float) -> Decimal:
    """亩 to two decimals."""
    return (Decimal(area_m2) / M2_PER_MU).quantize(Decimal("0.01"), ROUND_HALF_UP)


def area_ha(area_m2: int | float) -> Decimal:
    """Hectares to four decimals (1 ha = 10 000 m² = 15 亩)."""
    return (Decimal(area_m2) / Decimal(10000)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


_LOCALES = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en")}  # parsed once (see app.core.pages)


def _babel_locale(lang: str) -> Locale:
    return _LOCALES["en" if lang == "en" else "zh"]


def format_area(area_m2: int | float, lang: str = "zh") -> str:
    """'12.35 亩（0.8234 公顷）' or '12.35 mu (0.8234 ha)', grouped in the reader's locale."""
    locale = _babel_locale(lang)
    mu = format_decimal(area_mu(area_m2), format="#,##0.##", locale=locale)
    ha = format_decimal(area_ha(area_m2), format="#,##0.####", locale=locale)
    return f"{mu} mu ({ha} ha)" if lang == "en" else f"{mu} 亩（{ha} 公顷）"


def format_m2(area_m2: int | float, lang: str = "zh") -> str:
    text = format_decimal(round(area_m2), format="#,##0", locale=_babel_locale(lang))
    return f"{text} m²" if lang == "en" else f"{text} 平方米"


# --- parsing and validation -----------------------------------------------------------------------


def _bad(key: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": "geometry", **{k: str(v) for k, v in params.items()}}], **params)


def _position(raw: Any, where: str) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise _bad("registry.geometry_malformed", where=where)
    lon, lat = raw[0], raw[1]
    for v in (lon, lat):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise _bad("registry.geometry_malformed", where=where)
    return float(lon), float(lat)


def _rings(raw_polygon: Any, where: str) -> list[list[tuple[float, float]]]:
    if not isinstance(raw_polygon, list) or not raw_polygon:
        raise _bad("registry.geometry_malformed", where=where)
    rings = []
    for r, raw_ring in enumerate(raw_polygon):
        ring_where = f"{where} ring {r + 1}"
        if not isinstance(raw_ring, list):
            raise _bad("registry.geometry_malformed", where=ring_where)
        ring = [_position(p, f"{ring_where} point {i + 1}") for i, p in enumerate(raw_ring)]
        if len(ring) < 4:
            raise _bad("registry.geometry_ring_too_short", where=ring_where, count=len(ring))
        if ring[0] != ring[-1]:
            raise _bad("registry.geometry_ring_open", where=ring_where)
        rings.append(ring)
    return rings


def _polygons(raw: Any) -> tuple[str, list[list[list[tuple[float, float]]]]]:
    if not isinstance(raw, dict):
        raise _bad("registry.geometry_type", kind=type(raw).__name__)
    if raw.get("type") == "Feature":
        raw = raw.get("geometry")
        if not isinstance(raw, dict):
            raise _bad("registry.geometry_type", kind="Feature without geometry")
    kind = raw.get("type")
    coordinates = raw.get("coordinates")
    if kind == "Polygon":
        return kind, [_rings(coordinates, "polygon 1")]
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise _bad("registry.geometry_malformed", where="polygon 1")
        return kind, [_rings(p, f"polygon {i + 1}") for i, p in enumerate(coordinates)]
    raise _bad("registry.geometry_type", kind=str(kind))


def size_class(bbox: tuple[float, float, float, float]) -> int:
    span = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    for k, limit in enumerate(SIZE_CLASS_DEGREES):
        if span <= limit:
            return k
    return len(SIZE_CLASS_DEGREES) - 1


def parse_parcel_geometry(raw: Any, crs: str, limits: GeometryLimits) -> ParcelShape:
    """Validate a GeoJSON Polygon / MultiPolygon (or a Feature holding one) and return it in WGS84.

    Refuses, naming the place and the limit: a wrong type, malformed positions, rings with fewer than
    four positions or not closed, a point outside the configured bounds, too many vertices, a shape
    that is not simple (self-intersection, overlapping parts) and an area outside the limits.
    """
    if crs not in CRS_CHOICES:
        raise AppError("registry.crs_unknown", crs=crs, choices=", ".join(CRS_CHOICES))
    kind, polygons = _polygons(raw)
    vertices = sum(len(ring) - 1 for rings in polygons for ring in rings)
    if vertices > limits.max_vertices:
        raise _bad("registry.geometry_too_many_vertices", count=vertices, limit=limits.max_vertices)
    west, south, east, north = limits.bounds
    converted: list[list[list[tuple[float, float]]]] = []
    for rings in polygons:
        new_rings = []
        for ring in rings:
            new_ring = []
            for lon, lat in ring:
                if not (west <= lon <= east and south <= lat <= north):
                    raise _bad(
                        "registry.geometry_out_of_bounds",
                        lon=lon,
                        lat=lat,
                        bounds=f"{west},{south},{east},{north}",
                    )
                if crs == "gcj02":
                    lon, lat = gcj02_to_wgs84(lon, lat)
                new_ring.append((round(lon, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)))
            new_rings.append(new_ring)
        converted.append(new_rings)
    coordinates: Any = [[list(map(list, r)) for r in rings] for rings in converted]
    geometry = (
        {"type": "Polygon", "coordinates": coordinates[0]}
        if kind == "Polygon"
        else {"type": "MultiPolygon", "coordinates": coordinates}
    )
    geom = shape(geometry)
    if not geom.is_valid:
        reason = explain_validity(geom)
        if reason.lower().startswith("self-intersection") or "ring self-intersection" in reason.lower():
            raise _bad("registry.geometry_self_intersection", at=reason.split("[", 1)[-1].rstrip("]"))
        raise _bad("registry.geometry_invalid", reason=reason)
    area = geodesic_area_m2(geom)
    if not (limits.min_area_m2 <= area <= limits.max_area_m2):
        raise _bad(
            "registry.geometry_area_out_of_range",
            area=round(area),
            min=limits.min_area_m2,
            max=limits.max_area_m2,
        )
    bounds = tuple(float(v) for v in geom.bounds)
    bbox = (bounds[0], bounds[1], bounds[2], bounds[3])
    return ParcelShape(
        geometry=geometry,
        shape=geom,
        area_m2=round(area),
        bbox=bbox,
        size_class=size_class(bbox),
        vertices=vertices,
    )


def shape_of(geometry: dict[str, Any]) -> BaseGeometry:
    """A stored (already validated) geometry as a shapely object, prepared for repeated tests."""
    geom = shape(geometry)
    shapely.prepare(geom)
    return geom


def distance_to_m(geometry: dict[str, Any], lon: float, lat: float) -> int:
    """Metres from a point to a parcel (0 on or inside it), rounded up to the whole metre.

    The nearest point of the outline is found in a plane where longitude is scaled by cos(latitude) —
    locally true to shape, so the right vertex or edge is picked — and the distance to it is geodesic.
    """
    geom = shape(geometry)
    if geom.covers(Point(lon, lat)):
        return 0
    k = math.cos(math.radians(lat))
    scaled = shapely.transform(geom, lambda xy: xy * [k, 1.0])
    _, nearest = nearest_points(Point(lon * k, lat), scaled)
    _, _, metres = GEOD.inv(lon, lat, nearest.x / k, nearest.y)
    return math.ceil(metres)


def as_geojson(geom: BaseGeometry) -> dict[str, Any]:
    return dict(mapping(geom))


def is_polygonal(geom: BaseGeometry) -> bool:
    return isinstance(geom, Polygon | MultiPolygon)


def outline_svg(geometry: dict[str, Any], size: int = 300, padding: int = 10) -> str:
    """The outline as a small north-up SVG (equirectangular around the parcel's mid-latitude), holes cut out.

    Server-rendered so a public page needs no map library, tiles or JavaScript.
    """
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    points = [p for rings in polygons for ring in rings for p in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    k = math.cos(math.radians((south + north) / 2))
    width, height = max((east - west) * k, 1e-12), max(north - south, 1e-12)
    scale = (size - 2 * padding) / max(width, height)
    w, h = round(width * scale + 2 * padding), round(height * scale + 2 * padding)
    path = []
    for rings in polygons:
        for ring in rings:
            xy = [
                f"{(lon - west) * k * scale + padding:.1f},{(north - lat) * scale + padding:.1f}"
                for lon, lat in ring[:-1]
            ]
            path.append("M" + " L".join(xy) + " Z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        f'role="img" class="outline"><path d="{" ".join(path)}" fill="#cfe8c6" fill-rule="evenodd" '
        f'stroke="#2f6b2f" stroke-width="2" stroke-linejoin="round"/></svg>'
    )
