"""`microsink` command line: migrate, demo data, admin set-up, audit verification.

Run as `python -m app.cli <command>` (or `.venv/bin/microsink <command>`). Commands that change
data open the ORM themselves, so they work with no server running.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.core.commands import COMMANDS, command, with_orm
from app.core.db import run_migrations
from app.settings import Settings

_with_orm = with_orm  # older spelling used by some command modules

__all__ = ["command", "main", "with_orm"]


@command("migrate", "apply pending database migrations (idempotent)")
async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    await run_migrations(settings)
    print("migrations applied")
    return 0


def _load_command_modules() -> None:
    # Each domain registers its commands with @command when imported.
    import app.accounts.cli
    import app.audit.cli
    import app.campaigns.cli
    import app.credits.cli
    import app.donations.cli
    import app.ledger.cli
    import app.money.cli
    import app.portable.cli
    import app.registry.cli  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    _load_command_modules()
    parser = argparse.ArgumentParser(prog="microsink", description="MicroSink 微碳汇 administration")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, arguments, help_text) in sorted(COMMANDS.items()):
        arguments(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    fn = COMMANDS[args.command][0]
    return asyncio.run(fn(args, settings))  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
