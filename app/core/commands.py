"""The registry behind the `microsink` command line; domains add commands with `@command`."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise import Tortoise

from app.core.db import tortoise_config
from app.settings import Settings

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]
COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help_text: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None) -> Any:
    """Register `async def fn(args, settings) -> exit code` as `microsink <name>`."""

    def register(fn: Command) -> Command:
        COMMANDS[name] = (fn, arguments, help_text)
        return fn

    return register


async def with_orm(settings: Settings, fn: Callable[[], Awaitable[int]]) -> int:
    """Run `fn` with the ORM open (commands work with no server running)."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        return await fn()
    finally:
        await Tortoise.close_connections()
