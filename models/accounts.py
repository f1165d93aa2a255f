"""People, organisations, roles and sign-in sessions.

Personal data (phone, real name, ID number) is stored encrypted (`*_enc`, AES-GCM with the data key)
with a keyed blind index (`*_index`, HMAC-SHA256) for exact lookups; nothing personal is stored in clear.
"""

from tortoise import fields, models


class User(models.Model):
    """A person who signs in, by WeChat mini-program or by phone + SMS code."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs and exports")
    display_name = fields.CharField(max_length=64, default="", description="nickname the user chose")
    phone_enc = fields.BinaryField(null=True, description="phone number, AES-GCM encrypted")
    phone_index = fields.CharField(
        max_length=64, null=True, unique=True, description="HMAC blind index of the normalised phone number"
    )
    phone_last4 = fields.CharField(max_length=4, null=True, description="kept apart so lists can show 138****1234")
    phone_prefix3 = fields.CharField(max_length=3, null=True)
    real_name_enc = fields.BinaryField(null=True, description="real name (实名), AES-GCM encrypted")
    id_number_enc = fields.BinaryField(null=True, description="resident ID number, AES-GCM encrypted")
    id_number_index = fields.CharField(max_length=64, null=True, unique=True, description="HMAC blind index")
    wechat_openid = fields.CharField(max_length=64, null=True, unique=True, description="openid for our appid")
    wechat_unionid = fields.CharField(max_length=64, null=True, db_index=True)
    wechat_session_key_enc = fields.BinaryField(null=True, description="session_key, which never leaves the server")
    language = fields.CharField(max_length=8, default="zh-CN")
    district_code = fields.CharField(
        max_length=6,
        null=True,
        db_index=True,
        description="GB/T 2260 county-level code the person chose, for district leaderboards",
    )
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    deleted_at = fields.DatetimeField(null=True, description="set when the user deleted the account (anonymised)")

    class Meta:
        table = "accounts_user"


class Organisation(models.Model):
    """A foundation, village collective, cooperative, court, scenic operator, event organiser or company."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True)
    kind = fields.CharField(
        max_length=32,
        description="foundation | collective | cooperative | court | scenic_operator | event_organiser | company | verifier_body | platform",
    )
    name = fields.CharField(max_length=128)
    county_code = fields.CharField(max_length=6, null=True, description="GB/T 2260 county code")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts_organisation"
        unique_together = (("kind", "name"),)


class Membership(models.Model):
    """A role a user holds, in an organisation or (platform admin) platform-wide.

    Every user is a citizen without a row; other roles come only from rows here.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="memberships")
    organisation: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="memberships", null=True
    )
    role = fields.CharField(max_length=32, description="one of app.accounts.roles.Role")
    granted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts_membership"
        unique_together = (("user", "organisation", "role"),)


class AuthSession(models.Model):
    """One signed-in device: a mini-app token pair or a browser cookie. Revoking it signs that device out."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True, description="the `sid` claim in access tokens")
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="sessions")
    kind = fields.CharField(max_length=8, description="token (mini-app) | cookie (pages)")
    secret_hash = fields.CharField(
        max_length=64, unique=True, description="sha256 of the current refresh token or cookie value"
    )
    previous_secret_hash = fields.CharField(
        max_length=64,
        null=True,
        db_index=True,
        description="the rotated-out refresh token, whose reuse revokes the session",
    )
    sign_in_method = fields.CharField(max_length=16, description="wechat | sms")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(
        max_length=32, null=True, description="sign_out | sign_out_everywhere | refresh_reuse | account_deleted"
    )

    class Meta:
        table = "accounts_session"
