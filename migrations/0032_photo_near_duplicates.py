"""A covering index for the near-duplicate search (issue 7), PostgreSQL only: (scope) INCLUDE (subject,
dhash, public_id, id) lets `WHERE scope = $1 ... bit_count((dhash # $2)::bit(64))` read the scope from the
index alone (an index-only scan, no heap pages). Measured by bench/near_duplicates.py at 100,000 photos in
a campaign (bench/results/near_duplicates-2026-12-06.txt): 62 → 25 ms per check, 6,909 → 1,016 buffers. SQLite computes the distance in Python and gains
nothing from it, so it gets none. A plain CREATE INDEX (migrations run in a transaction): on a large
table it holds off photo inserts while it builds, seconds per 100,000 rows."""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEX = "evidence_photo_scope_near"
CREATE = f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "evidence_photo" (scope) INCLUDE (subject, dhash, public_id, id)'


async def _covering_index(_apps: object, schema_editor: object) -> None:
    client = schema_editor.client  # type: ignore[attr-defined]
    if client.capabilities.dialect == "postgres":
        await client.execute_script(CREATE)


class Migration(migrations.Migration):
    dependencies = [("models", "0031_planting_resubmit")]

    initial = False

    operations = [ops.RunPython(_covering_index)]
