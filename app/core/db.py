"""Tortoise ORM set up as a small Litestar plugin, and the one place that knows the model modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate

from app.settings import Settings

MODEL_MODULES = ["models"]


def tortoise_config(settings: Settings) -> dict[str, Any]:
    url = settings.database_url
    if url.startswith("sqlite") and "busy_timeout" not in url:
        # Several short writers in one process still wait for each other instead of failing.
        url += ("&" if "?" in url else "?") + "busy_timeout=5000"
    return {
        "connections": {"default": url},
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
