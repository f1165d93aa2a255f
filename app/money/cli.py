"""`money-verify`: reconcile the fen ledger with payments, sales, refunds and payouts; exit 1 on any breach."""

from __future__ import annotations

import argparse

from app.core.commands import command, with_orm
from app.money import verify as money
from app.settings import Settings


@command("money-verify", "reconcile payments, sale splits, refunds and payouts against the fen ledger")
async def money_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        report = await money.verify()
        counts = f"{report.attempts} payment attempts, {report.orders} orders, {report.payouts} payouts"
        if report.ok:
            print(f"money OK: {counts}")
            return 0
        print(f"MONEY BROKEN: {len(report.problems)} problem(s) in {counts}")
        for problem in report.problems:
            print(f"  - {problem}")
        return 1

    return await with_orm(settings, run)
