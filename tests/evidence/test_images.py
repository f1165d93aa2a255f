"""Reading an upload: type by content, limits, EXIF GPS and time, clean copies, the perceptual hash."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from app.core.errors import AppError
from app.evidence.images import Limits, PhotoTooLarge, dhash, hamming, process, to_signed64, to_unsigned64
from tests.evidence.photos import encode, exif_for, metadata_free, phone_jpeg, scene

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pixels=50_000_000)


class TestType:
    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
    def test_jpeg_png_and_webp_are_accepted_by_their_bytes(self, fmt) -> None:
        assert process(encode(scene(1, (300, 200)), fmt), LIMITS).format == fmt.lower()

    def test_a_pdf_is_not_a_photo_whatever_it_is_called(self) -> None:
        pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        with pytest.raises(AppError) as refused:
            process(pdf, LIMITS)
        assert refused.value.key == "evidence.not_an_image" and refused.value.status_code == 400

    def test_a_gif_is_refused_because_only_three_types_are_decoded(self) -> None:
        with pytest.raises(AppError) as refused:
            process(encode(scene(1, (50, 50)), "GIF"), LIMITS)
        assert refused.value.key == "evidence.not_an_image"

    def test_a_truncated_jpeg_is_refused(self) -> None:
        data = encode(scene(1, (400, 300)), "JPEG")
        with pytest.raises(AppError) as refused:
            process(data[: len(data) // 2], LIMITS)
        assert refused.value.key == "evidence.not_an_image"

    def test_an_empty_file_is_refused(self) -> None:
        with pytest.raises(AppError) as refused:
            process(b"", LIMITS)
        assert refused.value.key == "evidence.empty"


class TestLimits:
    def test_a_file_over_the_byte_limit_is_413_naming_the_limit(self) -> None:
        data = encode(scene(1, (400, 300)), "PNG")
        with pytest.raises(PhotoTooLarge) as refused:
            process(data, Limits(max_bytes=len(data) - 1, max_pixels=50_000_000))
        assert refused.value.status_code == 413 and refused.value.key == "evidence.too_large"
        assert refused.value.detail[0]["limit_bytes"] == len(data) - 1

    def test_too_many_pixels_is_refused_from_the_header_before_decoding(self) -> None:
        data = encode(Image.new("L", (8000, 7000)), "PNG")  # 56 MP of one grey: a few kB on the wire
        assert len(data) < 200_000
        with pytest.raises(PhotoTooLarge) as refused:
            process(data, LIMITS)
        assert refused.value.key == "evidence.too_many_pixels" and refused.value.params["megapixels"] == "56.0"
        assert refused.value.params["limit"] == "50"

    def test_a_decompression_bomb_past_pillows_own_guard_is_refused_as_too_many_pixels(self) -> None:
        data = encode(Image.new("1", (20000, 20000)), "PNG")  # 400 MP, a few kB
        with pytest.raises(PhotoTooLarge) as refused:
            process(data, Limits(max_bytes=10 * 1024 * 1024, max_pixels=10**12))
        assert refused.value.key == "evidence.too_many_pixels"


class TestExif:
    def test_gps_is_read_as_decimal_wgs84_degrees(self) -> None:
        p = process(phone_jpeg(lat=30.5521, lon=104.3012), LIMITS)
        assert p.gps is not None
        assert abs(p.gps[0] - 30.5521) < 1e-6 and abs(p.gps[1] - 104.3012) < 1e-6

    def test_southern_and_western_references_give_negative_degrees(self) -> None:
        p = process(encode(scene(1, (200, 200)), "JPEG", exif_for(-33.8688, -70.6693)), LIMITS)
        assert p.gps is not None and abs(p.gps[0] + 33.8688) < 1e-6 and abs(p.gps[1] + 70.6693) < 1e-6

    def test_a_photo_without_gps_has_no_position(self) -> None:
        assert process(phone_jpeg(lat=None, lon=None), LIMITS).gps is None

    def test_capture_time_uses_the_recorded_offset(self) -> None:
        p = process(phone_jpeg(taken="2026:04:12 09:30:00", offset="+05:00"), LIMITS)
        assert p.taken_at == datetime(2026, 4, 12, 4, 30, tzinfo=UTC)

    def test_capture_time_without_an_offset_is_beijing_time(self) -> None:
        p = process(phone_jpeg(taken="2026:04:12 09:30:00", offset=None), LIMITS)
        assert p.taken_at == datetime(2026, 4, 12, 1, 30, tzinfo=UTC)

    def test_gps_in_a_png_or_webp_is_read_too(self) -> None:
        for fmt in ("PNG", "WEBP"):
            p = process(encode(scene(1, (200, 200)), fmt, exif_for(29.1, 102.5)), LIMITS)
            assert p.gps is not None and abs(p.gps[0] - 29.1) < 1e-6, fmt


class TestServedCopies:
    def test_the_served_image_and_thumbnail_carry_no_metadata_at_all(self) -> None:
        original = phone_jpeg()
        assert b"TestPhone" in original and b"xmpmeta" in original  # the upload has it all
        p = process(original, LIMITS)
        assert metadata_free(p.served) and metadata_free(p.thumbnail)
        assert Image.open(io.BytesIO(p.served)).format == "JPEG"

    def test_orientation_is_applied_to_the_pixels(self) -> None:
        p = process(encode(scene(1, (400, 300)), "JPEG", exif_for(orientation=6)), LIMITS)
        assert (p.width, p.height) == (300, 400)
        assert Image.open(io.BytesIO(p.served)).size == (300, 400)

    def test_large_photos_are_served_at_most_2048_px_and_thumbnails_320(self) -> None:
        p = process(encode(scene(1, (3000, 2000)), "JPEG"), LIMITS)
        assert (p.width, p.height) == (2048, 1365)
        assert max(Image.open(io.BytesIO(p.thumbnail)).size) == 320

    def test_a_transparent_png_is_flattened_on_white(self) -> None:
        img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
        p = process(encode(img, "PNG"), LIMITS)
        assert Image.open(io.BytesIO(p.served)).convert("RGB").getpixel((50, 50)) >= (250, 250, 250)


class TestDhash:
    def test_a_resized_recompressed_copy_is_a_few_bits_away(self) -> None:
        original = process(phone_jpeg(seed=1), LIMITS)
        copy = process(encode(scene(1).resize((640, 480)), "JPEG", quality=55), LIMITS)
        webp = process(encode(scene(1).resize((800, 600)), "WEBP", quality=60), LIMITS)
        assert hamming(original.dhash, copy.dhash) <= 4 and hamming(original.dhash, webp.dhash) <= 4

    def test_different_scenes_are_far_apart(self) -> None:
        one = process(phone_jpeg(seed=1), LIMITS).dhash
        for seed in range(2, 8):
            assert hamming(one, process(phone_jpeg(seed=seed), LIMITS).dhash) > 20, seed

    def test_a_photo_rotated_by_its_exif_hashes_like_the_upright_one(self) -> None:
        upright = scene(3, (400, 300)).transpose(Image.Transpose.ROTATE_270)
        tagged = process(encode(scene(3, (400, 300)), "JPEG", exif_for(orientation=6)), LIMITS)
        assert hamming(dhash(upright), tagged.dhash) <= 4

    def test_the_hash_round_trips_through_a_signed_bigint(self) -> None:
        for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
            stored = to_signed64(value)
            assert -(1 << 63) <= stored < (1 << 63) and to_unsigned64(stored) == value
