"""`registry-import-external`: other schemes' parcels in, idempotently, with bad features named by index."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.registry import service
from app.registry.cli import registry_import_external
from models.audit import AuditEvent
from models.registry import ExternalParcel
from tests.registry.shapes import square


def feature(external_id, geometry, **props):  # type: ignore[no-untyped-def]
    return {"type": "Feature", "id": external_id, "geometry": geometry, "properties": {"name": "龙泉山CCER", **props}}


def collection(*features):  # type: ignore[no-untyped-def]
    return {"type": "FeatureCollection", "features": list(features)}


class TestImportExternal:
    async def test_a_second_run_of_the_same_file_changes_nothing(self, db, settings) -> None:
        data = collection(feature("C-1", square(104.0, 30.0, 3000)), feature("C-2", square(104.1, 30.0, 500)))
        first = await service.import_external(settings, data, "CCER")
        second = await service.import_external(settings, data, "CCER")
        assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
        assert await ExternalParcel.all().count() == 2
        assert await AuditEvent.filter(action="registry.external_parcel.imported").count() == 2

    async def test_a_changed_outline_updates_the_row_and_the_same_id_in_another_scheme_is_another_parcel(
        self, db, settings
    ) -> None:
        await service.import_external(settings, collection(feature("X", square(104.0, 30.0))), "CCER")
        moved = await service.import_external(settings, collection(feature("X", square(104.2, 30.0))), "CCER")
        other = await service.import_external(settings, collection(feature("X", square(104.0, 30.0))), "VCS")
        assert moved.updated == 1 and other.created == 1
        assert (await ExternalParcel.get(scheme="CCER", external_id="X")).min_lon == pytest.approx(104.2)

    async def test_bad_features_are_reported_by_index_and_the_good_ones_still_load(self, db, settings) -> None:
        bow = {"type": "Polygon", "coordinates": [[[104, 30], [104.01, 30.01], [104.01, 30], [104, 30.01], [104, 30]]]}
        data = collection(
            feature("ok", square(104.0, 30.0)),
            feature("bow", bow),
            {"type": "Feature", "geometry": square(104.3, 30.0), "properties": {}},
            feature("paris", square(2.35, 48.85)),
            "junk",
            feature("ok", square(104.5, 30.0)),
        )
        report = await service.import_external(settings, data, "carbon_ticket")
        assert report.created == 1
        assert [i for i, _ in report.invalid or []] == [1, 2, 3, 4, 5]
        assert "crosses itself" in dict(report.invalid or [])[1] and "twice" in dict(report.invalid or [])[5]

    async def test_the_command_prints_counts_and_exits_non_zero_on_invalid_features(
        self, settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "ccer.geojson"
        path.write_text(json.dumps(collection(feature("C-9", square(104.0, 30.0)), feature("bad", {"type": "Point"}))))
        args = argparse.Namespace(file=path, scheme="CCER", crs="wgs84")
        assert await registry_import_external(args, settings) == 1
        assert await registry_import_external(args, settings) == 1
        out = capsys.readouterr().out.splitlines()
        assert out[0] == "CCER: 1 created, 0 updated, 0 unchanged, 1 invalid"
        assert out[1].startswith("  feature 1: ")
        assert out[2] == "CCER: 0 created, 0 updated, 1 unchanged, 1 invalid"

    async def test_a_file_that_is_not_a_feature_collection_is_refused(self, db, settings) -> None:
        from app.core.errors import AppError

        with pytest.raises(AppError):
            await service.import_external(settings, square(104.0, 30.0), "CCER")
