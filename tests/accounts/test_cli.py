"""The command line sets up the first admin, organisations and roles, with clear errors."""

from __future__ import annotations

import os
import subprocess
import sys

from models.accounts import Membership, Organisation, User


def cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


class TestAdminCommands:
    async def test_first_admin_organisation_and_role_grant(self, db, settings) -> None:
        r = cli(settings, "create-admin", "--phone", "13800138000")
        assert r.returncode == 0, r.stdout + r.stderr
        r = cli(settings, "create-org", "--kind", "foundation", "--name", "四川省绿化基金会")
        assert r.returncode == 0, r.stderr
        org_id = r.stdout.split()[1].rstrip(":")
        r = cli(settings, "grant-role", "--phone", "13900139000", "--role", "organiser", "--org", org_id)
        assert r.returncode == 0, r.stderr
        org = await Organisation.get(public_id=org_id)
        roles = await Membership.all().values_list("role", "organisation_id")
        assert sorted(roles) == sorted([("platform_admin", None), ("organiser", org.id)])

    async def test_an_org_role_without_org_fails_with_a_message_and_creates_nobody(self, db, settings) -> None:
        r = cli(settings, "grant-role", "--phone", "13900139001", "--role", "court")
        assert r.returncode == 2
        assert "必须属于某个组织" in r.stdout and "belongs to an organisation" in r.stdout
        assert await User.all().count() == 0

    async def test_a_bad_phone_number_is_refused(self, db, settings) -> None:
        r = cli(settings, "create-admin", "--phone", "12345")
        assert r.returncode == 2
        assert "格式不正确" in r.stdout and "13800138000" in r.stdout

    async def test_demo_data_is_marked_and_loads_once(self, db, settings) -> None:
        assert cli(settings, "demo-load").returncode == 0
        assert cli(settings, "demo-load").returncode == 0
        demo = await Organisation.filter(public_id__startswith="demo-")
        assert len(demo) == 5
        assert all(o.name.startswith("【演示】") for o in demo)
