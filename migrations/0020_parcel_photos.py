"""Evidence photos (evidence_photo): what was kept from each upload, unique by (scope, SHA-256), with
CHECKs on the format, the sizes and a GPS position that is whole and on the globe. Parcel photos are the
first user (subject parcel:<public id>, scope project:<public id>)."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("evidence_photo_format_known", "evidence_photo", "{row}format IN ('jpeg','png','webp')"),
    Check(
        "evidence_photo_sizes_positive",
        "evidence_photo",
        "{row}width > 0 AND {row}height > 0 AND {row}original_bytes > 0",
    ),
    Check(
        "evidence_photo_gps_whole",
        "evidence_photo",
        "({row}gps_lat IS NULL AND {row}gps_lon IS NULL) OR ({row}gps_lat IS NOT NULL AND {row}gps_lon IS NOT NULL "
        "AND {row}gps_lat BETWEEN -90 AND 90 AND {row}gps_lon BETWEEN -180 AND 180)",
    ),
    Check("evidence_photo_distance_nonnegative", "evidence_photo", "{row}distance_m IS NULL OR {row}distance_m >= 0"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0019_market")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Photo",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id shown in URLs", max_length=26)),
                (
                    "scope",
                    fields.CharField(
                        db_index=True,
                        description="where duplicates are looked for, e.g. project:<public id> (campaign:<slug> later)",
                        max_length=64,
                    ),
                ),
                (
                    "subject",
                    fields.CharField(
                        db_index=True,
                        description="what the photo is evidence for, e.g. parcel:<public id>",
                        max_length=64,
                    ),
                ),
                (
                    "uploaded_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="uploaded_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "sha256",
                    fields.CharField(
                        description="SHA-256 of the uploaded bytes, hex (exact duplicates)", max_length=64
                    ),
                ),
                (
                    "dhash",
                    fields.BigIntField(
                        description="64-bit difference hash of the upright pixels, stored as a signed 64-bit integer"
                    ),
                ),
                (
                    "format",
                    fields.CharField(description="jpeg | png | webp: what the uploaded bytes were", max_length=8),
                ),
                ("original_bytes", fields.IntField(description="size of the upload, bytes")),
                (
                    "content_key",
                    fields.CharField(
                        db_index=True,
                        description="storage key of the served JPEG (no metadata, orientation applied)",
                        max_length=64,
                    ),
                ),
                (
                    "thumb_key",
                    fields.CharField(db_index=True, description="storage key of the thumbnail JPEG", max_length=64),
                ),
                ("width", fields.IntField(description="served image width, px")),
                ("height", fields.IntField(description="served image height, px")),
                (
                    "gps_lat",
                    fields.FloatField(null=True, description="EXIF GPS latitude, decimal degrees WGS84, never served"),
                ),
                (
                    "gps_lon",
                    fields.FloatField(null=True, description="EXIF GPS longitude, decimal degrees WGS84, never served"),
                ),
                (
                    "taken_at",
                    fields.DatetimeField(
                        null=True,
                        description="EXIF DateTimeOriginal (its offset, else Beijing time), UTC",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "distance_m",
                    fields.IntField(
                        null=True,
                        description="metres from the GPS position to the subject's place (0 inside a parcel), if both known",
                    ),
                ),
                (
                    "flags",
                    fields.JSONField(
                        default=list,
                        description='for the reviewer, e.g. [{"code": "near_duplicate", "photo": …, "subject": …, "bits": 4}, {"code": "far_from_subject", "distance_m": 2300}]',
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "evidence_photo",
                "app": "models",
                "unique_together": (("scope", "sha256"),),
                "pk_attr": "id",
                "table_description": "One photo attached to one subject (exact duplicates refused per scope, near-duplicates flagged).",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
    ]
