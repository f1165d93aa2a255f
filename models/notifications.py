"""Notifications: the in-app inbox, the outbox feeding external channels, and who wants what.

A notification is written in the caller's business transaction as one inbox row plus one outbox row
per external channel the user enabled for its kind; the outbox relay (app/notifications/outbox.py)
later sends each outbox row through its provider, at least once.
"""

from typing import Any

from tortoise import fields, models

from models.accounts import User


class Notification(models.Model):
    """One message in a user's in-app inbox, rendered in Chinese and English when it was written."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id used in URLs")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="notifications")
    kind = fields.CharField(max_length=64, description="registered kind, e.g. account.role_granted")
    params: dict[str, Any] = fields.JSONField(description="the parameters the title and body were rendered from")
    title_zh = fields.CharField(max_length=128)
    title_en = fields.CharField(max_length=128)
    body_zh = fields.TextField()
    body_en = fields.TextField()
    dedupe_key = fields.CharField(
        max_length=128, unique=True, description="the caller's key, so a replayed caller writes nothing twice"
    )
    read_at = fields.DatetimeField(null=True, description="when the user read it, null while unread")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notifications_inbox"
        indexes = (("user_id", "created_at"),)


class OutboxMessage(models.Model):
    """One delivery of a notification to an external channel, sent by the relay at least once.

    pending (due at next_attempt_at) → sending (leased until lease_until) → sent | failed, or back to
    pending with a later next_attempt_at after a transient failure. A sending row whose lease expired
    belongs to a worker that died mid-send and is claimed again.
    """

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "models.Notification", related_name="deliveries"
    )
    channel = fields.CharField(max_length=16, description="wechat (subscription message) | sms")
    payload: dict[str, Any] = fields.JSONField(
        description="what to send: template id and its data, rendered at notify time"
    )
    status = fields.CharField(max_length=16, default="pending", description="pending | sending | sent | failed")
    attempts = fields.IntField(default=0, description="claims so far, a crashed claim included")
    next_attempt_at = fields.DatetimeField(description="not claimed before this time (UTC)")
    lease_until = fields.DatetimeField(null=True, description="while sending: another worker may take it after this")
    last_error = fields.TextField(null=True)
    provider_message_id = fields.CharField(
        max_length=128, null=True, description="the provider's id for the sent message"
    )
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notifications_outbox"
        unique_together = (("notification", "channel"),)
        indexes = (("status", "next_attempt_at"),)


class NotificationPreference(models.Model):
    """A user's choice for one kind on one external channel (without a row the kind's default holds).

    The in-app inbox is always on and has no rows here.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notification_preferences"
    )
    kind = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=16, description="wechat | sms")
    enabled = fields.BooleanField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notifications_preference"
        unique_together = (("user", "kind", "channel"),)
