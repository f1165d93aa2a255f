"""`credits-verify`: recompute every inventory invariant; exit 1 with a readable report on any breach."""

from __future__ import annotations

import argparse

from app.core.commands import command, with_orm
from app.credits import verify as checks
from app.settings import Settings


@command(
    "credits-verify",
    "check supply sums, non-overlapping blocks, exact split cover and block quantities = supply counters",
)
async def credits_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        report = await checks.verify()
        if report.ok:
            print(f"credits OK: {report.issuances} issuances, {report.blocks} blocks")
            return 0
        print(
            f"CREDITS BROKEN: {len(report.problems)} problem(s) in {report.issuances} issuances, {report.blocks} blocks"
        )
        for problem in report.problems:
            print(f"  - {problem}")
        return 1

    return await with_orm(settings, run)
