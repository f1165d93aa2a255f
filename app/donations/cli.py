"""`donations-verify`: donations against the ledgers and counters; exit 1 with a readable report."""

from __future__ import annotations

import argparse

from app.core.commands import command, with_orm
from app.donations import verify as checks
from app.settings import Settings


@command("donations-verify", "check paid donations against the campaign funds, fen_raised, tallies and points budgets")
async def donations_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        report = await checks.verify()
        if report.ok:
            print(f"donations OK: {report.donations} donations, {report.campaigns} campaigns")
            return 0
        print(f"DONATIONS BROKEN: {len(report.problems)} problem(s)")
        for problem in report.problems:
            print(f"  - {problem}")
        return 1

    return await with_orm(settings, run)
