"""CHECK constraints and partial unique indexes for the foundation tables (see _constraints.py)."""

from tortoise import migrations

from migrations._constraints import Check, PartialUnique, apply

ROLES = "('smallholder','organiser','verifier','court','scenic_operator','event_organiser','platform_admin')"

CONSTRAINTS = [
    Check("membership_role_known", "accounts_membership", f"{{row}}role IN {ROLES}"),
    # unique_together cannot see duplicates where organisation_id IS NULL (NULLs differ): a platform-wide
    # role is held at most once per user.
    PartialUnique("membership_platform_role_once", "accounts_membership", "user_id, role", "organisation_id IS NULL"),
    Check("session_kind_known", "accounts_session", "{row}kind IN ('token','cookie')"),
    Check(
        "idempotency_status_range",
        "core_idempotency",
        "{row}status_code IS NULL OR ({row}status_code >= 100 AND {row}status_code < 600)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [apply(CONSTRAINTS)]
