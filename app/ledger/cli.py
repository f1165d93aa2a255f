"""`ledger-verify`: recompute every ledger invariant; exit 1 with a readable report on any breach."""

from __future__ import annotations

import argparse

from app.core.commands import command, with_orm
from app.ledger import service
from app.settings import Settings


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true", help="compare every account exactly, not only on a mismatch")


@command(
    "ledger-verify", "check zero-sum ledgers, no wallet below zero, balances = transfers, holds consistent", _arguments
)
async def ledger_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        report = await service.verify(full=args.full)
        if report.ok:
            print(f"ledger OK: {report.accounts} accounts, {report.transfers} transfers")
            return 0
        print(
            f"LEDGER BROKEN: {len(report.problems)} problem(s) in {report.accounts} accounts, {report.transfers} transfers"
        )
        for problem in report.problems:
            print(f"  - {problem}")
        return 1

    return await with_orm(settings, run)
