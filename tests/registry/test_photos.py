"""Parcel photos through the API and pages: who may attach them and when, the limits, duplicates,
distance from the outline, what is served, what the audit says, and that nothing is half-written."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import httpx
import pytest

from app.core.auth import Role
from app.evidence import service as evidence
from app.main import create_app
from app.settings import PHOTO_BODY_CEILING_BYTES, Settings, SettingsError
from app.storage import storage_for
from models.audit import AuditEvent
from models.evidence import Photo
from tests.conftest import running
from tests.evidence.photos import encode, metadata_free, phone_jpeg, scene
from tests.helpers import signed_in
from tests.registry.shapes import east_of, project_with, smallholder, square, verifier

API = "/api/v1/registry"
PARCEL = square(104.3, 30.55, 200)  # lon 104.3–104.30208, lat 30.55–30.55181
OTHER = square(east_of(104.3, 30.55, 400), 30.55, 200)
INSIDE = {"lat": 30.5509, "lon": 104.3010}


@contextlib.asynccontextmanager
async def client_with(settings: Settings, **changes: object):  # type: ignore[no-untyped-def]
    """A client of an app built with changed settings (limits), same database and upload directory."""
    app = create_app(settings.with_(**changes))
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            yield c


def upload(client, parcel, data, headers, name="IMG_0001.jpg", ctype="image/jpeg", lang="zh"):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/parcels/{parcel}/photos?lang={lang}", files={"photo": (name, data, ctype)}, headers=headers
    )


def stored_files(settings: Settings) -> set[str]:
    root = Path(settings.upload_dir)
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def backdate(root: Path, seconds: float, keep: str) -> None:
    """Make every file but `keep` look `seconds` old."""
    for path in root.rglob("*"):
        if path.is_file() and path.name != keep:
            os.utime(path, (time.time() - seconds, time.time() - seconds))


async def referenced_files() -> set[str]:
    return {k for row in await Photo.all().values_list("content_key", "thumb_key") for k in row}


async def draft(client, settings, *geometries):  # type: ignore[no-untyped-def]
    _, headers = await smallholder(settings)
    project, parcels = await project_with(client, headers, *(geometries or (PARCEL,)))
    return headers, project, parcels


class TestAttach:
    async def test_the_owner_attaches_a_phone_photo_and_its_gps_stays_with_us(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await upload(client, parcel, phone_jpeg(**INSIDE), headers)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["format"] == "jpeg" and body["distance_m"] == 0 and body["flags"] == []
        assert abs(body["gps"]["lat"] - INSIDE["lat"]) < 1e-6 and abs(body["gps"]["lon"] - INSIDE["lon"]) < 1e-6
        assert body["taken_at"].startswith("2026-04-12T01:30:00")
        served = await client.get(body["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "max-age" in served.headers["cache-control"]
        assert metadata_free(served.content) and b"30.5509" not in served.content
        thumb = await client.get(body["thumbnail_url"])
        assert thumb.status_code == 200 and metadata_free(thumb.content)
        again = await client.get(body["url"], headers={"If-None-Match": served.headers["etag"]})
        assert again.status_code == 304 and again.content == b""

    async def test_it_is_audited_on_the_parcel_without_the_position(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await upload(client, parcel, phone_jpeg(**INSIDE), headers)
        event = await AuditEvent.get(action="registry.parcel.photo_added", entity_id=parcel)
        assert event.after["photo"] == r.json()["id"] and event.after["sha256"] == r.json()["sha256"]
        assert "gps" not in str(event.after) and "30.55" not in str(event.after)

    async def test_the_type_is_decided_by_the_bytes_not_the_name_or_content_type(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await upload(client, parcel, encode(scene(5), "PNG"), headers, name="scan.pdf", ctype="application/pdf")
        assert r.status_code == 201 and r.json()["format"] == "png"

    async def test_the_verifier_sees_photos_gps_and_flags_in_review(self, client, settings) -> None:
        headers, project, (parcel,) = await draft(client, settings)
        await upload(client, parcel, phone_jpeg(**INSIDE), headers)
        assert (await client.post(f"{API}/projects/{project}/submit", headers=headers)).status_code == 200
        _, v = await verifier(settings)
        assert (await client.post(f"{API}/review/{project}/start", headers=v)).status_code == 200
        photos = (await client.get(f"{API}/projects/{project}", headers=v)).json()["parcels"][0]["photos"]
        assert len(photos) == 1 and photos[0]["gps"] is not None and photos[0]["distance_m"] == 0


class TestRefusals:
    async def test_a_renamed_pdf_is_400_in_chinese_and_english_and_nothing_is_written(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
        zh = await upload(client, parcel, pdf, headers, name="photo.jpg")
        assert zh.status_code == 400 and zh.json()["code"] == "evidence.not_an_image"
        assert "JPEG, PNG, WebP" in zh.json()["message"] and "只接受" in zh.json()["message"]
        en = await upload(client, parcel, pdf, headers, name="photo.jpg", lang="en")
        assert "only JPEG, PNG, WebP are accepted" in en.json()["message"]
        assert await Photo.all().count() == 0 and stored_files(settings) == set()

    async def test_a_file_over_the_byte_limit_is_413_naming_the_limit(self, settings) -> None:
        async with client_with(settings, photo_max_bytes=1024 * 1024) as c:
            _, headers = await smallholder(settings)
            _, (parcel,) = await project_with(c, headers, PARCEL)
            big = encode(scene(1, (1800, 1400)), "PNG", compress_level=0)
            assert len(big) > 1024 * 1024
            r = await upload(c, parcel, big, headers, lang="en")
            assert r.status_code == 413 and r.json()["code"] == "evidence.too_large"
            assert "1 MB" in r.json()["message"]
            assert await Photo.all().count() == 0 and stored_files(settings) == set()

    async def test_a_body_over_the_routes_ceiling_gets_the_same_413(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await upload(client, parcel, b"\xff" * (PHOTO_BODY_CEILING_BYTES + 1), headers, lang="en")
        assert r.status_code == 413 and r.json()["code"] == "evidence.too_large" and "10 MB" in r.json()["message"]

    async def test_too_many_pixels_is_413_naming_the_megapixel_limit(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        from PIL import Image

        r = await upload(client, parcel, encode(Image.new("L", (9000, 6000)), "PNG"), headers)
        assert r.status_code == 413 and r.json()["code"] == "evidence.too_many_pixels"
        assert "54.0" in r.json()["message"] and "50" in r.json()["message"]

    async def test_a_parcel_holds_at_most_the_configured_number(self, settings) -> None:
        async with client_with(settings, registry_photos_per_parcel=2) as c:
            _, headers = await smallholder(settings)
            _, (parcel,) = await project_with(c, headers, PARCEL)
            for seed in (1, 2):
                assert (await upload(c, parcel, phone_jpeg(seed), headers)).status_code == 201
            r = await upload(c, parcel, phone_jpeg(3), headers)
            assert r.status_code == 409 and r.json()["code"] == "registry.photo_cap" and "2" in r.json()["message"]
            assert await Photo.all().count() == 2

    async def test_racing_uploads_never_pass_the_cap_and_leave_no_stray_files(self, settings) -> None:
        async with client_with(settings, registry_photos_per_parcel=3) as c:
            _, headers = await smallholder(settings)
            _, (parcel,) = await project_with(c, headers, PARCEL)
            answers = await asyncio.gather(*(upload(c, parcel, phone_jpeg(seed), headers) for seed in range(1, 9)))
            codes = sorted(r.status_code for r in answers)
            assert codes == [201] * 3 + [409] * 5, [r.text for r in answers if r.status_code not in (201, 409)]
            assert {r.json()["code"] for r in answers if r.status_code == 409} == {"registry.photo_cap"}
            assert await Photo.filter(subject=f"parcel:{parcel}").count() == 3
            assert stored_files(settings) == await referenced_files()

    async def test_nothing_is_attached_or_removed_once_submitted(self, client, settings) -> None:
        headers, project, (parcel,) = await draft(client, settings)
        photo = (await upload(client, parcel, phone_jpeg(1), headers)).json()["id"]
        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        r = await upload(client, parcel, phone_jpeg(2), headers)
        assert r.status_code == 409 and r.json()["code"] == "registry.not_editable"
        r = await client.delete(f"{API}/parcels/{parcel}/photos/{photo}", headers=headers)
        assert r.status_code == 409 and await Photo.all().count() == 1

    async def test_someone_elses_parcel_is_403_and_an_unknown_one_404(self, client, settings) -> None:
        _, _, (parcel,) = await draft(client, settings)
        _, stranger = await smallholder(settings)
        r = await upload(client, parcel, phone_jpeg(), stranger)
        assert r.status_code == 403 and r.json()["code"] == "registry.not_your_project"
        _, v = await signed_in(settings, Role.VERIFIER)
        assert (await upload(client, parcel, phone_jpeg(), v)).status_code == 403
        assert (await upload(client, "0" * 26, phone_jpeg(), stranger)).status_code == 404
        assert (await client.post(f"{API}/parcels/{parcel}/photos", files={"photo": ("a", b"x")})).status_code == 401
        assert await Photo.all().count() == 0

    async def test_a_form_without_the_photo_field_is_400_naming_it(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await client.post(
            f"{API}/parcels/{parcel}/photos", files={"picture": ("a.jpg", phone_jpeg())}, headers=headers
        )
        assert r.status_code == 400 and "photo" in r.text


class TestDuplicates:
    async def test_the_same_photo_twice_on_one_parcel_is_refused(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        first = (await upload(client, parcel, phone_jpeg(1), headers)).json()["id"]
        r = await upload(client, parcel, phone_jpeg(1), headers)
        assert r.status_code == 409 and r.json()["code"] == "evidence.duplicate_here" and first in r.json()["message"]

    async def test_the_same_photo_on_another_parcel_is_refused_naming_that_parcel_and_leaves_no_file(
        self, client, settings
    ) -> None:
        headers, _, (a, b) = await draft(client, settings, PARCEL, OTHER)
        await upload(client, a, phone_jpeg(1), headers)
        before = stored_files(settings)
        r = await upload(client, b, phone_jpeg(1), headers)
        assert r.status_code == 409 and r.json()["code"] == "evidence.duplicate_elsewhere"
        assert a in r.json()["message"] and r.json()["detail"][0]["other"] == a
        assert stored_files(settings) == before == await referenced_files()

    async def test_a_resized_recompressed_copy_on_another_parcel_is_stored_and_flagged(self, client, settings) -> None:
        headers, _, (a, b) = await draft(client, settings, PARCEL, OTHER)
        original = (await upload(client, a, phone_jpeg(1), headers)).json()["id"]
        copy = encode(scene(1).resize((640, 480)), "JPEG", quality=55)
        r = await upload(client, b, copy, headers, lang="en")
        assert r.status_code == 201
        (flag,) = r.json()["flags"]
        assert flag["code"] == "near_duplicate" and flag["photo"] == original and flag["other"] == a
        assert flag["bits"] <= settings.photo_near_duplicate_bits and a in flag["message"]

    async def test_a_different_photo_is_not_flagged_nor_a_second_shot_of_the_same_parcel(
        self, client, settings
    ) -> None:
        headers, _, (a, b) = await draft(client, settings, PARCEL, OTHER)
        await upload(client, a, phone_jpeg(1), headers)
        assert (await upload(client, b, phone_jpeg(2), headers)).json()["flags"] == []
        again = encode(scene(1).resize((640, 480)), "JPEG", quality=55)
        assert (await upload(client, a, again, headers)).json()["flags"] == []

    async def test_photos_of_another_project_are_out_of_scope(self, client, settings) -> None:
        headers, _, (a,) = await draft(client, settings)
        other_headers, _, (b,) = await draft(client, settings, OTHER)
        await upload(client, a, phone_jpeg(1), headers)
        assert (await upload(client, b, phone_jpeg(1), other_headers)).status_code == 201


class TestDistance:
    async def test_a_photo_taken_far_from_the_outline_is_flagged_with_the_distance(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await upload(client, parcel, phone_jpeg(lat=30.5518 + 0.01, lon=104.301), headers, lang="en")
        (flag,) = r.json()["flags"]
        assert flag["code"] == "far_from_subject" and 1100 < flag["distance_m"] < 1130
        assert r.json()["distance_m"] == flag["distance_m"] and f"{flag['distance_m']} m" in flag["message"]

    async def test_a_photo_near_the_edge_is_not_flagged(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await upload(client, parcel, phone_jpeg(lat=30.5509, lon=east_of(104.30208, 30.55, 100)), headers)
        assert r.json()["flags"] == [] and 90 <= r.json()["distance_m"] <= 110

    async def test_a_photo_without_gps_has_no_distance_and_no_flag(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        r = await upload(client, parcel, phone_jpeg(lat=None, lon=None), headers)
        assert r.json()["gps"] is None and r.json()["distance_m"] is None and r.json()["flags"] == []


class TestDelete:
    async def test_the_owner_removes_a_photo_its_files_go_and_it_is_audited(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        body = (await upload(client, parcel, phone_jpeg(1), headers)).json()
        r = await client.delete(f"{API}/parcels/{parcel}/photos/{body['id']}", headers=headers)
        assert r.status_code == 204
        assert await Photo.all().count() == 0 and stored_files(settings) == set()
        assert (await client.get(body["url"])).status_code == 404
        event = await AuditEvent.get(action="registry.parcel.photo_deleted", entity_id=parcel)
        assert event.before["photo"] == body["id"]

    async def test_an_unknown_photo_or_someone_elses_is_refused(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        photo = (await upload(client, parcel, phone_jpeg(1), headers)).json()["id"]
        assert (await client.delete(f"{API}/parcels/{parcel}/photos/{'0' * 26}", headers=headers)).status_code == 404
        _, stranger = await smallholder(settings)
        assert (await client.delete(f"{API}/parcels/{parcel}/photos/{photo}", headers=stranger)).status_code == 403
        assert await Photo.all().count() == 1


class TestServing:
    @pytest.mark.parametrize("key", ["0" * 64, "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "abc", "A" * 64])
    async def test_an_unknown_or_malformed_key_is_404(self, client, settings, key) -> None:
        assert (await client.get(f"/evidence/files/{key}")).status_code == 404

    async def test_a_stored_file_no_photo_refers_to_is_not_served(self, client, settings) -> None:
        key = await storage_for(settings).put(b"stray bytes")
        assert (await client.get(f"/evidence/files/{key}")).status_code == 404

    async def test_the_sweep_removes_old_unreferenced_files_and_keeps_the_rest(self, client, settings) -> None:
        headers, _, (parcel,) = await draft(client, settings)
        await upload(client, parcel, phone_jpeg(1), headers)
        storage = storage_for(settings)
        stray = await storage.put(b"left by a crash")
        fresh = await storage.put(b"an upload between its file and its row")
        backdate(Path(settings.upload_dir), 7200, keep=fresh)
        assert await evidence.sweep_unreferenced(storage) == 1
        assert stray not in stored_files(settings) and fresh in stored_files(settings)
        assert await referenced_files() <= stored_files(settings)


class TestPublicPages:
    async def test_the_parcel_page_shows_clean_images_and_only_how_far_they_were_taken(self, client, settings) -> None:
        headers, project, (parcel,) = await draft(client, settings)
        body = (await upload(client, parcel, phone_jpeg(**INSIDE), headers)).json()
        far = (await upload(client, parcel, phone_jpeg(2, lat=30.57, lon=104.30), headers)).json()
        assert (await client.get(f"/registry/parcels/{parcel}")).status_code == 404  # drafts are not public
        await client.post(f"{API}/projects/{project}/submit", headers=headers)
        page = (await client.get(f"/registry/parcels/{parcel}")).text
        assert body["thumbnail_url"] in page and body["url"] in page and far["thumbnail_url"] in page
        assert "拍摄于地块内" in page and "拍摄位置距地块超过 500 米" in page
        assert "30.5509" not in page and "104.301" not in page and "30.57" not in page
        assert body["thumbnail_url"] in (await client.get(f"/registry/projects/{project}")).text


def test_photo_limits_over_the_route_ceiling_are_refused_at_start() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"PHOTO_MAX_BYTES": str(PHOTO_BODY_CEILING_BYTES)})
    assert Settings.from_env({"PHOTO_MAX_BYTES": "5242880"}).photo_max_bytes == 5 * 1024 * 1024
