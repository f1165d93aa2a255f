"""Parcels to draw in tests: squares of a given side in metres, anywhere in Sichuan."""

from __future__ import annotations

import math
from typing import Any

from app.accounts import service as accounts
from app.core.auth import Role
from tests.helpers import signed_in

M_PER_DEG_LAT = 110_574.0


def square(lon: float, lat: float, side_m: float = 100.0) -> dict[str, Any]:
    """A lon/lat rectangle whose south-west corner is (lon, lat), about side_m on each side."""
    dlat = side_m / M_PER_DEG_LAT
    dlon = side_m / (111_320.0 * math.cos(math.radians(lat)))
    ring = [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def east_of(lon: float, lat: float, metres: float) -> float:
    return lon + metres / (111_320.0 * math.cos(math.radians(lat)))


def parcel_body(geometry: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "geometry": geometry,
        "county_code": "510112",
        "tenure_kind": "forest_right_certificate",
        "tenure_number": "川(2019)龙泉驿区林权第0001234号",
        "holder_kind": "individual",
        "holder_name": "张三丰",
        "sink_type": "afforestation",
        "name": "后山",
        "species": [{"species": "柏木", "percent": 60}, {"species": "桤木", "percent": 40}],
        "planting_year": 2021,
        "elevation_m": 620,
        "methodology_facts": {"non_forest_years_before": 5},
    }
    body.update(overrides)
    return body


async def smallholder(settings, org=None):  # type: ignore[no-untyped-def]
    return await signed_in(settings, Role.SMALLHOLDER, org=org)


async def verifier(settings):  # type: ignore[no-untyped-def]
    return await signed_in(settings, Role.VERIFIER)


async def cooperative(name: str):  # type: ignore[no-untyped-def]
    return await accounts.create_organisation("cooperative", name, "510112", "test")


async def project_with(client, headers, *geometries, methodology="SC-LCP-AFF", **parcel):  # type: ignore[no-untyped-def]
    """A draft project holding one parcel per geometry; returns (project id, [parcel ids])."""
    r = await client.post(
        "/api/v1/registry/projects",
        json={"name": "龙泉山造林", "county_code": parcel.get("county_code", "510112"), "methodology_id": methodology},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    project = r.json()["id"]
    ids = []
    for g in geometries:
        r = await client.post(
            f"/api/v1/registry/projects/{project}/parcels", json=parcel_body(g, **parcel), headers=headers
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return project, ids


async def approved(client, settings, *geometries, methodology="SC-LCP-AFF", headers=None, **parcel):  # type: ignore[no-untyped-def]
    """A project with one parcel per geometry, submitted, reviewed and approved; returns (project, [parcels])."""
    if headers is None:
        _, headers = await smallholder(settings)
    project, parcels = await project_with(client, headers, *geometries, methodology=methodology, **parcel)
    r = await client.post(f"/api/v1/registry/projects/{project}/submit", headers=headers)
    assert r.status_code == 200, r.text
    _, v = await verifier(settings)
    assert (await client.post(f"/api/v1/registry/review/{project}/start", headers=v)).status_code == 200
    r = await client.post(f"/api/v1/registry/review/{project}/approve", headers=v)
    assert r.status_code == 200, r.text
    return project, parcels


GRASSLAND = {
    "sink_type": "grassland",
    "county_code": "513233",
    "tenure_kind": "grassland_contract",
    "species": [],
    "planting_year": None,
    "elevation_m": 3500,
    "methodology_facts": {"grassland": "alpine_meadow", "years_since_change": 2, "station_grading": "moderate"},
}
