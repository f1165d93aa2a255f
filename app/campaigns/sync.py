"""`campaigns-sync`: validate every campaigns/*.toml, then upsert them all in one transaction.

All or nothing across the directory: every file is read and checked first; if any file has a problem
nothing is written. Then one transaction upserts each campaign by slug; a problem that needs the
database (an unknown organiser, a slot that already has more bookings than its new capacity) rolls
back every file. Demo files (demo = true) load only when demo data is on (LOAD_DEMO_DATA).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.transactions import in_transaction

from app.campaigns import files, service
from app.campaigns.files import FileProblem, Problem
from app.campaigns.schemas import CampaignIn
from app.core.errors import AppError
from app.settings import ROOT

CAMPAIGNS_DIR = ROOT / "campaigns"


@dataclass
class SyncReport:
    problems: list[FileProblem] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # file → created | updated | unchanged | would …
    skipped: list[str] = field(default_factory=list)  # demo files left out

    @property
    def ok(self) -> bool:
        return not self.problems


class _Rollback(Exception):
    pass


Loaded = list[tuple[str, str, CampaignIn, str]]  # (file name, text, campaign, SHA-256 of the bytes)


def check_directory(directory: Path, include_demo: bool) -> tuple[SyncReport, Loaded]:
    """Read and check every file (blocking file reads: run in a thread); nothing touches the database."""
    report = SyncReport()
    loaded: Loaded = []
    slugs: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        campaign, raw, found = files.read(path)
        name = f"campaigns/{path.name}" if directory == CAMPAIGNS_DIR else path.name
        found = [FileProblem(name, p.line, p.problem) for p in found]
        if campaign is not None:
            text = raw.decode("utf-8")
            found += files.with_lines(name, text, service.problems(campaign))
            if campaign.slug in slugs:
                params = {"slug": campaign.slug, "other": slugs[campaign.slug]}
                found.append(
                    FileProblem(name, files.locate(text, "slug"), Problem("slug", "campaigns.slug_duplicate", params))
                )
            slugs.setdefault(campaign.slug, name)
            if campaign.demo and not include_demo and not found:
                report.skipped.append(name)
                continue
            loaded.append((name, text, campaign, files.digest(raw)))
        report.problems += found
    return report, loaded


async def sync(
    directory: Path = CAMPAIGNS_DIR, *, include_demo: bool, dry_run: bool = False, actor: str = "cli:campaigns-sync"
) -> SyncReport:
    report, loaded = await asyncio.to_thread(check_directory, directory, include_demo)
    if report.problems:
        return report
    try:
        async with in_transaction():
            for name, text, campaign, digest in loaded:
                try:
                    result = await service.upsert(campaign, actor=actor, digest=digest, source_file=name)
                except AppError as exc:
                    field_path = (exc.detail or [{}])[0].get("field", "") if isinstance(exc.detail, list) else ""
                    problem = Problem(field_path, exc.key, exc.params)
                    report.problems.append(FileProblem(name, files.locate(text, field_path), problem))
                    raise _Rollback from exc
                report.outcomes[name] = result.outcome if not dry_run else f"would be {result.outcome}"
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report
