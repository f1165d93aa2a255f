"""PostgreSQL row triggers do not see TRUNCATE: a statement trigger refuses it on the audit log."""

from tortoise import migrations

from migrations._constraints import Trigger, apply

CONSTRAINTS = [
    Trigger(
        "audit_event_no_truncate",
        "audit_event",
        postgres_sql=(
            "CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only: it cannot be truncated'; END $$",
            'CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event" '
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate()",
        ),
        sqlite_sql=(),  # SQLite has no TRUNCATE; its DELETE trigger already covers "DELETE FROM"
        sqlite_names=(),
    ),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0006_session_revoked_reason")]

    operations = [apply(CONSTRAINTS)]
