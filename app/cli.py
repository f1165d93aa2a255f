"""`microsink` command line: migrate, demo data, admin set-up, audit verification.

Run as `python -m app.cli <command>` (or `.venv/bin/microsink <command>`). Commands that change
data open the ORM themselves, so they work with no server running.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise import Tortoise

from app.core.db import run_migrations, tortoise_config
from app.settings import Settings

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]
_COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help_text: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None) -> Any:
    def register(fn: Command) -> Command:
        _COMMANDS[name] = (fn, arguments, help_text)
        return fn

    return register


async def _with_orm(settings: Settings, fn: Callable[[], Awaitable[int]]) -> int:
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        return await fn()
    finally:
        await Tortoise.close_connections()


@command("migrate", "apply pending database migrations (idempotent)")
async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    await run_migrations(settings)
    print("migrations applied")
    return 0


def _load_command_modules() -> None:
    # Each domain registers its commands with @command when imported.
    import app.accounts.cli  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    _load_command_modules()
    parser = argparse.ArgumentParser(prog="microsink", description="MicroSink 微碳汇 administration")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, arguments, help_text) in sorted(_COMMANDS.items()):
        arguments(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    fn = _COMMANDS[args.command][0]
    return asyncio.run(fn(args, settings))


if __name__ == "__main__":
    sys.exit(main())
