"""Linked city carbon account (碳惠天府 style): a person's link to a city platform and the pushes to it.

A link holds the OAuth2 tokens the city platform issued for one person (encrypted at rest); each
verified record we publish becomes one delivery row per live link, written in the publisher's
transaction and sent by the relay (app/citylink/relay.py) as a signed webhook, at least once.
The `Sandbox*` models belong to the in-app sandbox city platform, the embedded default counterparty.
"""

from typing import Any

from tortoise import fields, models

from models.accounts import User


class CityLink(models.Model):
    """One linking of a person to a city carbon account, from consent until unlink.

    Relinking makes a new row, so deliveries cancelled by an unlink are never revived by a relink.
    At most one row per person is `linked` at a time (a partial unique index).
    """

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in pages and the API")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    provider = fields.CharField(max_length=32, description="the CITY_ACCOUNT_PROVIDER that issued the tokens")
    account_id = fields.CharField(max_length=128, description="the person's account id on the city platform")
    status = fields.CharField(max_length=16, default="linked", description="linked | unlinked")
    scope = fields.CharField(max_length=255, default="")
    access_token_enc = fields.BinaryField(null=True, description="AES-GCM encrypted access token, null once unlinked")
    refresh_token_enc = fields.BinaryField(
        null=True, description="AES-GCM encrypted refresh token, null once unlinked or if none was issued"
    )
    token_expires_at = fields.DatetimeField(null=True, description="when the access token expires (UTC)")
    linked_at = fields.DatetimeField(auto_now_add=True)
    unlinked_at = fields.DatetimeField(null=True)
    unlink_reason = fields.CharField(max_length=32, null=True, description="user | account_deleted | revoked")

    class Meta:
        table = "citylink_link"
        indexes = (("user_id", "status"),)


class CityDelivery(models.Model):
    """One verified record to push to one link, delivered by the relay at least once.

    pending (due at next_attempt_at) → sending (leased until lease_until) → delivered | failed, or
    back to pending after a transient failure. An unlink cancels every row not yet delivered.
    """

    id = fields.BigIntField(primary_key=True)
    link: fields.ForeignKeyRelation[CityLink] = fields.ForeignKeyField(
        "models.CityLink", related_name=False, on_delete=fields.RESTRICT
    )
    event_id = fields.CharField(
        max_length=64, description="the webhook event id the receiver drops duplicates by, stable across retries"
    )
    source_event_id = fields.CharField(max_length=128, description="the publisher's own id of the record")
    kind = fields.CharField(max_length=32, description="planting.approved | credits.retired")
    payload: dict[str, Any] = fields.JSONField(description="the record as published, sent as the body's record")
    occurred_at = fields.DatetimeField(description="when the record was published (UTC)")
    status = fields.CharField(
        max_length=16, default="pending", description="pending | sending | delivered | failed | cancelled"
    )
    attempts = fields.IntField(default=0, description="claims so far, a crashed claim included")
    next_attempt_at = fields.DatetimeField(description="not claimed before this time (UTC)")
    lease_until = fields.DatetimeField(null=True, description="while sending: another worker may take it after this")
    last_status = fields.IntField(null=True, description="HTTP status of the last answer, null if none came")
    last_error = fields.TextField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "citylink_delivery"
        unique_together = (("link", "source_event_id", "kind"),)
        indexes = (("status", "next_attempt_at"), ("link_id", "created_at"))


class SandboxGrant(models.Model):
    """Sandbox city platform: an authorisation code, single use and short-lived, bound to its PKCE challenge."""

    id = fields.BigIntField(primary_key=True)
    code_hash = fields.CharField(max_length=64, unique=True, description="sha256 hex of the code")
    client_id = fields.CharField(max_length=64)
    redirect_uri = fields.CharField(max_length=512)
    code_challenge = fields.CharField(max_length=128, description="S256 challenge from the authorisation request")
    account_id = fields.CharField(max_length=128, description="the sandbox account that consented")
    scope = fields.CharField(max_length=255)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True, description="set by the one exchange that may use it")

    class Meta:
        table = "citylink_sandbox_grant"


class SandboxToken(models.Model):
    """Sandbox city platform: an access token and its refresh token, stored as hashes."""

    id = fields.BigIntField(primary_key=True)
    access_hash = fields.CharField(max_length=64, unique=True, description="sha256 hex of the access token")
    refresh_hash = fields.CharField(max_length=64, unique=True, description="sha256 hex of the refresh token")
    client_id = fields.CharField(max_length=64)
    account_id = fields.CharField(max_length=128)
    scope = fields.CharField(max_length=255)
    access_expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True, description="set on revocation or when the refresh token is used")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "citylink_sandbox_token"


class SandboxReceipt(models.Model):
    """Sandbox city platform: one record received by webhook, counted once however often it arrives."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=64, unique=True, description="the sender's event id header")
    account_id = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=32)
    body: dict[str, Any] = fields.JSONField(description="the body of the first delivery")
    deliveries = fields.IntField(default=1, description="how often this event arrived, duplicates included")
    first_received_at = fields.DatetimeField(auto_now_add=True)
    last_received_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "citylink_sandbox_receipt"
