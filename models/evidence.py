"""Evidence photos: what was kept from an upload, for whatever it is evidence of (a registry parcel now,
a planting log later). The original bytes are not kept; the served image (re-encoded, no metadata) and
its thumbnail are files in the storage (app/storage) under content-addressed keys.
"""

from datetime import datetime
from typing import Any

from tortoise import fields, models

from models.accounts import User


class Photo(models.Model):
    """One photo attached to one subject (exact duplicates refused per scope, near-duplicates flagged)."""

    # Within a scope the same upload bytes appear once (the unique index below); near-duplicates by
    # perceptual hash are stored and listed in `flags` for the reviewer.

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs")
    scope = fields.CharField(
        max_length=64,
        db_index=True,
        description="where duplicates are looked for, e.g. project:<public id> (campaign:<slug> later)",
    )
    subject = fields.CharField(
        max_length=64, db_index=True, description="what the photo is evidence for, e.g. parcel:<public id>"
    )
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    sha256 = fields.CharField(max_length=64, description="SHA-256 of the uploaded bytes, hex (exact duplicates)")
    dhash = fields.BigIntField(
        description="64-bit difference hash of the upright pixels, stored as a signed 64-bit integer"
    )
    format = fields.CharField(max_length=8, description="jpeg | png | webp: what the uploaded bytes were")
    original_bytes = fields.IntField(description="size of the upload, bytes")
    content_key = fields.CharField(
        max_length=64, db_index=True, description="storage key of the served JPEG (no metadata, orientation applied)"
    )
    thumb_key = fields.CharField(max_length=64, db_index=True, description="storage key of the thumbnail JPEG")
    width = fields.IntField(description="served image width, px")
    height = fields.IntField(description="served image height, px")
    gps_lat = fields.FloatField(null=True, description="EXIF GPS latitude, decimal degrees WGS84, never served")
    gps_lon = fields.FloatField(null=True, description="EXIF GPS longitude, decimal degrees WGS84, never served")
    taken_at: datetime | None = fields.DatetimeField(
        null=True, description="EXIF DateTimeOriginal (its offset, else Beijing time), UTC"
    )
    distance_m = fields.IntField(
        null=True, description="metres from the GPS position to the subject's place (0 inside a parcel), if both known"
    )
    flags: list[dict[str, Any]] = fields.JSONField(
        default=list,
        description='for the reviewer, e.g. [{"code": "near_duplicate", "photo": …, "subject": …, "bits": 4}, '
        '{"code": "far_from_subject", "distance_m": 2300}]',
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "evidence_photo"
        unique_together = (("scope", "sha256"),)
