"""The migrations describe the models exactly: Tortoise's own autodetector (`make migrations`) finds
nothing to write. A model changed without its migration would otherwise reach production with a schema
the code does not expect (or, for a description, a schema that no longer documents the code)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_makemigrations_finds_no_changes(tmp_path: Path) -> None:
    # A throw-away SQLite file: the autodetector reads the migration files and the models, and the
    # database it is pointed at must not be one the suite uses.
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path}/probe.sqlite3"}
    env.pop("REDIS_URL", None)
    before = set((ROOT / "migrations").glob("*.py"))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "tortoise"), "-c", "app.tortoise_conf.TORTOISE_ORM",
         "makemigrations", "--name", "drift_probe"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    written = {}
    for path in set((ROOT / "migrations").glob("*.py")) - before:  # never leave the probe's file behind
        written[path.name] = path.read_text()
        path.unlink()
    assert done.returncode == 0, done.stderr
    assert not written and "No changes detected" in done.stdout, (
        "the models differ from what the migrations build; run `make migrations NAME=...`:\n"
        + "\n".join(written.values())
        + done.stdout
    )
