"""`campaigns-sync [--dry-run] [--dir DIR]`: check every campaign file, then upsert them all by slug."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.campaigns.sync import CAMPAIGNS_DIR, sync
from app.core.commands import command, with_orm
from app.settings import Settings


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="check and show what would change; write nothing")
    parser.add_argument("--dir", type=Path, default=CAMPAIGNS_DIR, help="the folder of <slug>.toml files")


@command("campaigns-sync", "validate campaigns/*.toml and upsert them by slug (all or nothing, audited)", _arguments)
async def campaigns_sync(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        report = await sync(args.dir, include_demo=settings.load_demo_data, dry_run=args.dry_run)
        for problem in report.problems:
            print(problem.describe())
        if not report.ok:
            print(f"campaigns: {len(report.problems)} problem(s); nothing was loaded")
            return 1
        for name, outcome in sorted(report.outcomes.items()):
            print(f"{name}: {outcome}")
        for name in report.skipped:
            print(f"{name}: skipped (demo campaign; LOAD_DEMO_DATA is off)")
        print("campaigns: dry run, nothing written" if args.dry_run else "campaigns: synced")
        return 0

    return await with_orm(settings, run)
