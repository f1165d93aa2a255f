"""Plumbing tables shared by every domain."""

from tortoise import fields, models


class IdempotencyRecord(models.Model):
    """The first response to a mutating request sent with an Idempotency-Key header.

    A repeat with the same key and body replays `response_body`; another body is a conflict.
    """

    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=64, description="sha256 of who asked (user or client) + method + route")
    key = fields.CharField(max_length=255, description="the client's Idempotency-Key header")
    request_hash = fields.CharField(max_length=64, description="sha256 of the request body and query")
    status_code = fields.IntField(null=True, description="null while the first request is still running")
    content_type = fields.CharField(max_length=128, default="application/json")
    response_body = fields.BinaryField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(description="after this the key may be reused")

    class Meta:
        table = "core_idempotency"
        unique_together = (("scope", "key"),)
