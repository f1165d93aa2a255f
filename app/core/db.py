"""Tortoise ORM set up as a small Litestar plugin, and the one place that knows the model modules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate
from tortoise.models import Model

from app.settings import Settings

MODEL = TypeVar("MODEL", bound=Model)

MODEL_MODULES = ["models"]
# The largest BIGINT (SQLite INTEGER, PostgreSQL bigint): an integer id from a URL beyond it names nothing,
# and passing it to the driver would raise instead of matching no row.
DB_INT_MAX = 2**63 - 1


async def _release_as_is(connection: Any) -> None:
    """The pool's reset hook: asyncpg has already rolled back any open transaction; nothing else to undo.

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    each time a connection goes back to the pool, i.e. after every query run outside a transaction:
    a third of the round trips of a points posting (bench/README.md). Our SQL leaves no session state
    for it to undo: advisory locks are transaction-scoped (pg_advisory_xact_lock), nothing LISTENs,
    no cursor outlives its transaction, and settings are changed with SET LOCAL only.
    tests/core/test_db.py fails if a session-level form of any of these appears in app/ or models/.
    """


def tortoise_config(settings: Settings) -> dict[str, Any]:
    url = settings.database_url
    if url.startswith("sqlite") and "busy_timeout" not in url:
        # Several short writers in one process still wait for each other instead of failing.
        url += ("&" if "?" in url else "?") + "busy_timeout=5000"
    connection: str | dict[str, Any] = url
    if not url.startswith("sqlite"):
        connection = expand_db_url(url)
        if connection["engine"] == "tortoise.backends.asyncpg":
            connection["credentials"]["reset"] = _release_as_is  # passed on to asyncpg.create_pool
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def run_migrations(settings: Settings) -> None:
    """Apply every pending migration; idempotent. Run once before any worker starts."""
    if settings.is_sqlite:
        path = settings.database_url.split("://", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    await migrate(config=tortoise_config(settings))
    await Tortoise.close_connections()


def dialect() -> str:
    """'postgres' or 'sqlite', for the few places that write dialect-specific SQL."""
    return str(get_connection("default").capabilities.dialect)


def columns_of(model: type[Model], alias: str, prefix: str = "") -> str:
    """Every column of `model` as `alias."column" AS "<prefix>column"`: the select list of a hand-written
    query whose rows `hydrate` turns back into model instances."""
    return ", ".join(f'{alias}."{column}" AS "{prefix}{column}"' for column in sorted(model._meta.db_fields))


def hydrate(model: type[MODEL], row: Mapping[str, Any], prefix: str = "") -> MODEL:
    """A model instance from a row of a query selected with `columns_of`, built the way Tortoise builds
    the rows of its own queries (`Model._init_from_db`: no per-field validation, marked as saved).

    For the hottest read paths on PostgreSQL: Tortoise spends several hundred microseconds of CPU building
    the SQL of a query with joins or annotations, every time; a fixed SQL string costs none of that."""
    return model._init_from_db(**{column: row[prefix + column] for column in model._meta.db_fields})


class TortoisePlugin(InitPluginProtocol):
    """Opens the ORM in the app's lifespan and closes it on shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan = [self.lifespan, *app_config.lifespan]
        return app_config

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        # The lifespan task is not the request task: without the global fallback every query fails
        # with "No TortoiseContext is currently active" (STACK.md trap 1).
        await Tortoise.init(config=tortoise_config(self.settings), _enable_global_fallback=True)
        try:
            yield
        finally:
            await Tortoise.close_connections()
