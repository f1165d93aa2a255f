"""`campaigns-sync`: exit 1 naming file, line and field, nothing loaded; after demo-load the demo
campaigns load once, then stay unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from models.campaigns import Campaign


def cli(settings, *args: str, demo: bool = False) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": settings.database_url, "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    env["LOAD_DEMO_DATA"] = "true" if demo else "false"
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_a_bad_file_exits_1_with_file_line_and_field_and_loads_nothing(db, settings, tmp_path: Path) -> None:
    (tmp_path / "spring.toml").write_text('slug = "spring"\ntitle_zh = 3\n', encoding="utf-8")
    r = cli(settings, "campaigns-sync", "--dir", str(tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "spring.toml:2: title_zh: 字段格式不对" in r.stdout and "nothing was loaded" in r.stdout
    assert not await Campaign.exists()


async def test_demo_load_then_sync_loads_the_demo_campaigns_once(db, settings) -> None:
    assert cli(settings, "demo-load", demo=True).returncode == 0
    dry = cli(settings, "campaigns-sync", "--dry-run", demo=True)
    assert dry.returncode == 0 and dry.stdout.count("would be created") == 3, dry.stdout + dry.stderr
    assert not await Campaign.exists()
    loaded = cli(settings, "campaigns-sync", demo=True)
    assert loaded.returncode == 0 and "campaigns/demo-longquan.toml: created" in loaded.stdout, loaded.stdout
    again = cli(settings, "campaigns-sync", demo=True)
    assert again.stdout.count(": unchanged") == 3
    assert await Campaign.filter(is_demo=True).count() == 3
    without = cli(settings, "campaigns-sync")
    assert without.returncode == 0 and without.stdout.count("skipped (demo campaign") == 3
