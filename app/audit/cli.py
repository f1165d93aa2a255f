"""Audit chain commands: `audit-seal` seals what is waiting, `audit-verify` recomputes the chain."""

from __future__ import annotations

import argparse

from app.core import audit
from app.core.commands import command, with_orm
from app.settings import Settings


@command("audit-seal", "seal every committed, unsealed audit event into the hash chain")
async def _audit_seal(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        sealed = await audit.seal_all()
        report = await audit.verify()
        print(
            f"sealed {sealed} event(s); chain length {report.last_seq}, root {report.root_hash}, unsealed {report.unsealed}"
        )
        return 0

    return await with_orm(settings, run)


@command("audit-verify", "recompute the audit hash chain from seq 1; exit 1 naming the first broken row")
async def _audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        report = await audit.verify()
        if report.first_break is not None:
            print("AUDIT CHAIN BROKEN")
            print(f"  first broken row: {report.first_break.describe()}")
            print(f"  sealed rows: {report.sealed}, unsealed rows: {report.unsealed}")
            return 1
        print("audit chain OK")
        print(f"  sealed rows: {report.sealed}, last seq: {report.last_seq}, unsealed rows: {report.unsealed}")
        print(f"  root hash: {report.root_hash}")
        return 0

    return await with_orm(settings, run)
