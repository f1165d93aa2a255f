"""One-time sign-in codes sent by SMS.

A code is never stored in clear: only a keyed HMAC of it, bound to the phone's blind index, so a
database dump reveals neither the phone numbers nor the codes.
"""

from tortoise import fields, models


class SmsCode(models.Model):
    """A 6-digit sign-in code sent to one phone number: single use, short-lived, locked after wrong tries.

    The newest live code of a phone is the only one that counts: sending a new code marks the older
    ones superseded.
    """

    id = fields.BigIntField(primary_key=True)
    phone_index = fields.CharField(max_length=64, db_index=True, description="HMAC blind index of the phone number")
    code_hash = fields.CharField(max_length=64, description="HMAC-SHA256 of the code, keyed and bound to phone_index")
    attempts = fields.IntField(default=0, description="wrong codes tried so far, at most the configured maximum")
    provider_message_id = fields.CharField(max_length=64, null=True, description="id the SMS provider gave the message")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(description="after this the code is refused (UTC)")
    used_at = fields.DatetimeField(null=True, description="set when the code signed someone in")
    superseded_at = fields.DatetimeField(null=True, description="set when a newer code was sent to the same phone")

    class Meta:
        table = "signin_sms_code"
