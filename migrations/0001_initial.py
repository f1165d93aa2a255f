from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="IdempotencyRecord",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "scope",
                    fields.CharField(
                        description="sha256 of who asked (user or client) + method + route", max_length=64
                    ),
                ),
                ("key", fields.CharField(description="the client's Idempotency-Key header", max_length=255)),
                ("request_hash", fields.CharField(description="sha256 of the request body and query", max_length=64)),
                (
                    "status_code",
                    fields.IntField(null=True, description="null while the first request is still running"),
                ),
                ("content_type", fields.CharField(default="application/json", max_length=128)),
                ("response_body", fields.BinaryField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "expires_at",
                    fields.DatetimeField(
                        description="after this the key may be reused", auto_now=False, auto_now_add=False
                    ),
                ),
            ],
            options={
                "table": "core_idempotency",
                "app": "models",
                "unique_together": (("scope", "key"),),
                "pk_attr": "id",
                "table_description": "The first response to a mutating request sent with an Idempotency-Key header.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Organisation",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, max_length=26)),
                (
                    "kind",
                    fields.CharField(
                        description="foundation | collective | cooperative | court | scenic_operator | event_organiser | company | verifier_body | platform",
                        max_length=32,
                    ),
                ),
                ("name", fields.CharField(max_length=128)),
                ("county_code", fields.CharField(null=True, description="GB/T 2260 county code", max_length=6)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "accounts_organisation",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A foundation, village collective, cooperative, court, scenic operator, event organiser or company.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(unique=True, description="random id shown in URLs and exports", max_length=26),
                ),
                ("display_name", fields.CharField(default="", description="nickname the user chose", max_length=64)),
                ("phone_enc", fields.BinaryField(null=True, description="phone number, AES-GCM encrypted")),
                (
                    "phone_index",
                    fields.CharField(
                        null=True,
                        unique=True,
                        description="HMAC blind index of the normalised phone number",
                        max_length=64,
                    ),
                ),
                (
                    "phone_last4",
                    fields.CharField(null=True, description="kept apart so lists can show 138****1234", max_length=4),
                ),
                ("phone_prefix3", fields.CharField(null=True, max_length=3)),
                ("real_name_enc", fields.BinaryField(null=True, description="real name (实名), AES-GCM encrypted")),
                ("id_number_enc", fields.BinaryField(null=True, description="resident ID number, AES-GCM encrypted")),
                (
                    "id_number_index",
                    fields.CharField(null=True, unique=True, description="HMAC blind index", max_length=64),
                ),
                (
                    "wechat_openid",
                    fields.CharField(null=True, unique=True, description="openid for our appid", max_length=64),
                ),
                ("wechat_unionid", fields.CharField(null=True, db_index=True, max_length=64)),
                (
                    "wechat_session_key_enc",
                    fields.BinaryField(null=True, description="session_key, which never leaves the server"),
                ),
                ("language", fields.CharField(default="zh-CN", max_length=8)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "deleted_at",
                    fields.DatetimeField(
                        null=True,
                        description="set when the user deleted the account (anonymised)",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "accounts_user",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A person who signs in, by WeChat mini-program or by phone + SMS code.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuthSession",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "public_id",
                    fields.CharField(unique=True, description="the `sid` claim in access tokens", max_length=32),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(description="token (mini-app) | cookie (pages)", max_length=8)),
                (
                    "secret_hash",
                    fields.CharField(
                        unique=True, description="sha256 of the current refresh token or cookie value", max_length=64
                    ),
                ),
                (
                    "previous_secret_hash",
                    fields.CharField(
                        null=True,
                        db_index=True,
                        description="the rotated-out refresh token, whose reuse revokes the session",
                        max_length=64,
                    ),
                ),
                ("sign_in_method", fields.CharField(description="wechat | sms", max_length=16)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("last_used_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "accounts_session",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One signed-in device: a mini-app token pair or a browser cookie. Revoking it signs that device out.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Membership",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("role", fields.CharField(description="one of app.accounts.roles.Role", max_length=32)),
                (
                    "granted_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="granted_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "accounts_membership",
                "app": "models",
                "unique_together": (("user", "organisation", "role"),),
                "pk_attr": "id",
                "table_description": "A role a user holds, in an organisation or (platform admin) platform-wide.",
            },
            bases=["Model"],
        ),
    ]
