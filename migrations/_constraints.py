"""Constraints Tortoise does not create (STACK.md trap 3), written per dialect.

PostgreSQL gets real CHECK constraints and partial unique indexes. SQLite cannot add a CHECK to an
existing table without a rebuild (which in Tortoise 1.1.9 dropped other indexes), so there a CHECK is
a pair of BEFORE INSERT/UPDATE triggers that abort with the constraint's name; partial indexes exist
in both. `tests/core/test_constraints.py` asserts every entry of every migration's CONSTRAINTS exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.migrations import operations as ops


@dataclass(frozen=True)
class Check:
    name: str
    table: str
    # SQL true for every valid row, valid in both dialects; columns written as {row}column so the
    # SQLite trigger can qualify them with NEW.
    condition: str

    def postgres(self) -> list[str]:
        return [f'ALTER TABLE "{self.table}" ADD CONSTRAINT "{self.name}" CHECK ({self.condition.format(row="")})']

    def sqlite(self) -> list[str]:
        return [
            f'CREATE TRIGGER "{self.name}_{event.lower()}" BEFORE {event} ON "{self.table}" '
            f"WHEN NOT ({self.condition.format(row='NEW.')}) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {self.name}'); END"
            for event in ("INSERT", "UPDATE")
        ]

    def sqlite_objects(self) -> list[str]:
        return [f"{self.name}_insert", f"{self.name}_update"]


@dataclass(frozen=True)
class PartialUnique:
    name: str
    table: str
    columns: str  # e.g. "user_id, role"
    where: str

    def postgres(self) -> list[str]:
        return [f'CREATE UNIQUE INDEX "{self.name}" ON "{self.table}" ({self.columns}) WHERE {self.where}']

    sqlite = postgres

    def sqlite_objects(self) -> list[str]:
        return [self.name]


@dataclass(frozen=True)
class Trigger:
    """Dialect-specific trigger text, e.g. to make sealed audit rows immutable."""

    name: str
    table: str
    postgres_sql: tuple[str, ...]
    sqlite_sql: tuple[str, ...]
    sqlite_names: tuple[str, ...]

    def postgres(self) -> list[str]:
        return list(self.postgres_sql)

    def sqlite(self) -> list[str]:
        return list(self.sqlite_sql)

    def sqlite_objects(self) -> list[str]:
        return list(self.sqlite_names)


Constraint = Check | PartialUnique | Trigger


def replace(constraints: list[Constraint]) -> ops.RunPython:
    """Drop the constraints of these names (as an earlier migration wrote them), then write them anew."""

    async def forward(_apps: object, schema_editor: object) -> None:
        client = schema_editor.client  # type: ignore[attr-defined]
        postgres = client.capabilities.dialect == "postgres"
        for constraint in constraints:
            if postgres and isinstance(constraint, Check):
                await client.execute_script(
                    f'ALTER TABLE "{constraint.table}" DROP CONSTRAINT IF EXISTS "{constraint.name}"'
                )
            elif postgres and isinstance(constraint, Trigger):
                await client.execute_script(f'DROP TRIGGER IF EXISTS "{constraint.name}" ON "{constraint.table}"')
            elif postgres:
                await client.execute_script(f'DROP INDEX IF EXISTS "{constraint.name}"')
            else:
                for name in constraint.sqlite_objects():
                    kind = "INDEX" if isinstance(constraint, PartialUnique) else "TRIGGER"
                    await client.execute_script(f'DROP {kind} IF EXISTS "{name}"')
            for sql in constraint.postgres() if postgres else constraint.sqlite():
                await client.execute_script(sql)

    return ops.RunPython(forward)


def apply(constraints: list[Constraint]) -> ops.RunPython:
    """One migration operation that writes each constraint in the connection's dialect."""

    async def forward(_apps: object, schema_editor: object) -> None:
        client = schema_editor.client  # type: ignore[attr-defined]
        dialect = client.capabilities.dialect
        for constraint in constraints:
            statements = constraint.postgres() if dialect == "postgres" else constraint.sqlite()
            for sql in statements:
                await client.execute_script(sql)

    return ops.RunPython(forward)
