"""Every hand-written constraint of every migration exists in the database, and bites."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError

import migrations
from migrations._constraints import Check, PartialUnique, Trigger


def all_constraints() -> list:
    found = []
    for info in pkgutil.iter_modules(migrations.__path__):
        if info.name[:4].isdigit():
            module = importlib.import_module(f"migrations.{info.name}")
            found += getattr(module, "CONSTRAINTS", [])
    return found


CONSTRAINTS = all_constraints()


def test_the_foundation_constraints_are_declared() -> None:
    names = {c.name for c in CONSTRAINTS}
    assert {"membership_role_known", "membership_platform_role_once", "session_kind_known"} <= names


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=lambda c: c.name)
async def test_constraint_exists_in_the_database(db, constraint) -> None:
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        if isinstance(constraint, Check):
            sql = "SELECT 1 FROM pg_constraint WHERE conname = $1 AND contype = 'c'"
        elif isinstance(constraint, PartialUnique):
            sql = (
                "SELECT 1 FROM pg_indexes WHERE indexname = $1 AND indexdef LIKE '%UNIQUE%' AND indexdef LIKE '%WHERE%'"
            )
        else:
            assert isinstance(constraint, Trigger)
            sql = "SELECT 1 FROM pg_trigger WHERE tgname = $1"
        rows = await conn.execute_query_dict(sql, [constraint.name])
        assert rows, f"{constraint.name} missing on PostgreSQL"
    else:
        for name in constraint.sqlite_objects():
            rows = await conn.execute_query_dict("SELECT type FROM sqlite_master WHERE name = ?", [name])
            assert rows, f"{name} (for {constraint.name}) missing on SQLite"


class TestConstraintsBite:
    async def test_an_unknown_role_cannot_be_stored(self, db) -> None:
        from models.accounts import Membership, User

        user = await User.create(public_id="u1")
        with pytest.raises(IntegrityError):
            await Membership.create(user=user, organisation=None, role="emperor")

    async def test_a_platform_role_is_held_once_even_though_the_organisation_is_null(self, db) -> None:
        from models.accounts import Membership, User

        user = await User.create(public_id="u2")
        await Membership.create(user=user, organisation=None, role="platform_admin")
        with pytest.raises(IntegrityError):
            await Membership.create(user=user, organisation=None, role="platform_admin")
