"""Open data: the documented schema, approved parcels only, names pseudonymised, paging, CSV safety."""

from __future__ import annotations

import csv
import io
import json

import pytest

from app.registry import opendata
from models.registry import Parcel, ParcelEstimate
from tests.registry.shapes import GRASSLAND, approved, project_with, smallholder, square
from tests.registry.test_estimates import FIR

# The published schema (docs/open-data.md). Changing it is a new schema version, not an accident.
COLUMNS = [
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
]


async def rows(client) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    r = await client.get("/open-data/parcels.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-schema"] == "microsink.parcels/1.0.0"
    return list(csv.DictReader(io.StringIO(r.text)))


class TestCsv:
    async def test_it_has_the_documented_columns_and_one_row_per_approved_parcel(self, client, settings) -> None:
        _, (a, b) = await approved(client, settings, square(104.30, 30.55), square(104.31, 30.55), **FIR)
        _, headers = await smallholder(settings)
        await project_with(client, headers, square(104.40, 30.55), **FIR)  # a draft: not open data
        r = await client.get("/open-data/parcels.csv")
        assert r.text.splitlines()[0].split(",") == COLUMNS
        found = await rows(client)
        assert [row["parcel_id"] for row in found] == [a, b]
        row = found[0]
        parcel = await Parcel.get(public_id=a)
        estimate = await ParcelEstimate.get(parcel_id=parcel.id, current=True)
        assert row["area_m2"] == str(parcel.area_m2) and row["county_name"] == "四川省成都市龙泉驿区"
        assert row["estimate_kg_per_year"] == str(estimate.kg_per_year)
        assert row["parameter_set_sha256"] == estimate.parameter_set_sha256 and len(row["parameter_set_sha256"]) == 64
        assert row["methodology_id"] == "SC-LCP-AFF" and row["estimate_basis"] == "ex_ante"
        assert row["species"] == "杉木:100" and row["estimate_held_for_review"] == "false"
        assert row["approved_at"].endswith("Z") and row["estimate_record"].endswith(f"/parcels/{a}/estimate")

    async def test_holder_names_are_pseudonymised_and_the_tenure_number_never_appears(self, client, settings) -> None:
        await approved(client, settings, square(104.30, 30.55), **FIR)
        await approved(client, settings, square(104.40, 30.55), show_holder_name=True, holder_name="李四", **FIR)
        for path in ("/open-data/parcels.csv", "/open-data/parcels.geojson"):
            text = (await client.get(path)).text
            assert "张**" in text and "张三丰" not in text and "李四" in text
            assert "0001234" not in text and "林权第" not in text
        found = await rows(client)
        assert [(r["holder_name"], r["holder_name_shown"]) for r in found] == [("张**", "false"), ("李四", "true")]

    async def test_a_name_that_a_spreadsheet_would_run_is_escaped(self, client, settings) -> None:
        await approved(client, settings, square(104.30, 30.55), name="=HYPERLINK(1)", **FIR)
        (row,) = await rows(client)
        assert row["parcel_name"] == "'=HYPERLINK(1)"

    async def test_a_byte_order_mark_comes_only_when_asked_for_excel(self, client, settings) -> None:
        await approved(client, settings, square(104.30, 30.55), **FIR)
        plain = (await client.get("/open-data/parcels.csv")).content
        for_excel = (await client.get("/open-data/parcels.csv?bom=true")).content
        assert plain.startswith(b"parcel_id,") and for_excel == b"\xef\xbb\xbf" + plain
        assert "四川省成都市龙泉驿区" in for_excel.decode("utf-8-sig")

    async def test_every_parcel_comes_once_across_pages(self, client, settings, monkeypatch) -> None:
        for k in range(3):
            await approved(client, settings, square(104.30 + k * 0.01, 30.55), square(104.30 + k * 0.01, 30.56), **FIR)
        monkeypatch.setattr(opendata, "PAGE_SIZE", 2)
        found = await rows(client)
        assert sorted(r["parcel_id"] for r in found) == sorted(await Parcel.all().values_list("public_id", flat=True))
        assert len(found) == 6
        features = json.loads((await client.get("/open-data/parcels.geojson")).text)["features"]
        assert len(features) == 6 and len({f["id"] for f in features}) == 6


class TestGeoJson:
    async def test_it_is_a_feature_collection_with_the_schema_and_the_estimate(self, client, settings) -> None:
        _, (pid,) = await approved(client, settings, square(102.5, 32.8, 300), methodology="SC-LCP-GRS", **GRASSLAND)
        r = await client.get("/open-data/parcels.geojson")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        body = r.json()
        assert body["type"] == "FeatureCollection" and body["schema"] == "microsink.parcels"
        assert body["schema_version"] == opendata.SCHEMA_VERSION
        (feature,) = body["features"]
        parcel = await Parcel.get(public_id=pid)
        estimate = await ParcelEstimate.get(parcel_id=parcel.id, current=True)
        assert feature["id"] == pid and feature["geometry"] == parcel.geometry
        assert feature["bbox"] == [parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat]
        props = feature["properties"]
        assert set(props) == set(COLUMNS) - {"min_lon", "min_lat", "max_lon", "max_lat"}
        assert props["estimate_kg_per_year"] == estimate.kg_per_year and props["sink_type"] == "grassland"
        assert props["area_m2"] == parcel.area_m2 and isinstance(props["area_mu"], float)
        assert props["planting_year"] is None and props["estimate_held_for_review"] is False

    @pytest.mark.parametrize("path", ["/open-data/parcels.csv", "/open-data/parcels.geojson"])
    async def test_an_empty_registry_still_gives_a_valid_file(self, client, settings, path) -> None:
        r = await client.get(path)
        assert r.status_code == 200
        if path.endswith(".csv"):
            assert r.text.splitlines() == [",".join(COLUMNS)]
        else:
            assert r.json()["features"] == []
