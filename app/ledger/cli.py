"""`ledger-verify`: recompute every ledger invariant; exit 1 with a readable report on any breach."""

from __future__ import annotations

import argparse

from app.core.commands import command, with_orm
from app.ledger import service
from app.settings import Settings


@command("ledger-verify", "check zero-sum ledgers, no wallet below zero, balances = transfers, holds consistent")
async def ledger_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        report = await service.verify()
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
