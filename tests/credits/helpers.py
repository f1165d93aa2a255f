"""Shortcuts for credits tests: an approved registry project with real parcel estimates, a verifier, and
issuances — through a computed monitoring report, or (for inventory mechanics) of a chosen size."""

from __future__ import annotations

import itertools
import secrets
from datetime import date, timedelta

import msgspec
from tortoise.transactions import in_transaction

from app.core.auth import Principal, Role, load_principal
from app.credits import service
from app.registry import estimates
from app.registry import service as registry
from app.registry.schemas import ParcelIn
from app.settings import Settings
from models.accounts import AuthSession
from models.credits import Issuance, MonitoringReport, SerialCounter
from models.registry import Project
from tests.helpers import signed_in
from tests.registry.shapes import parcel_body, square

_periods = itertools.count(0)
_places = itertools.count(0)
# 杉木 planted three years ago at 600 m: an afforestation parcel the calculator always estimates.
FIR = {
    "species": [{"species": "杉木", "percent": 100}],
    "planting_year": estimates.this_year() - 3,
    "elevation_m": 600,
}


async def principal_of(settings: Settings, *roles: Role) -> tuple[Principal, dict[str, str]]:
    user, headers = await signed_in(settings, *roles)
    session = await AuthSession.filter(user_id=user.id).select_related("user").order_by("-id").first()
    assert session is not None
    principal = await load_principal(session)
    assert principal is not None
    return principal, headers


def next_place() -> dict:  # type: ignore[type-arg]
    """A fresh 100 m square nobody else holds (parcels may never overlap)."""
    n = next(_places)
    return square(104.0 + 0.002 * (n % 400), 30.2 + 0.002 * (n // 400))


async def approved_project(owner: Principal, settings: Settings, *, parcels: int = 2, **parcel: object) -> Project:
    """A household project of `owner` registered, submitted, reviewed and approved through the registry
    service, so each parcel has its real current estimate."""
    project = await registry.create_project(owner, "后山造林", "510112", "SC-LCP-AFF", None)
    for _ in range(parcels):
        data = msgspec.convert(parcel_body(next_place(), **{**FIR, **parcel}), ParcelIn)
        await registry.add_parcel(settings, owner, project.public_id, data)
    await registry.submit(settings, owner, project.public_id)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    await registry.start_review(verifier, project.public_id)
    return await registry.approve(verifier, project.public_id)


def next_period() -> tuple[date, date]:
    """A fresh, past, non-overlapping one-month period for each call."""
    n = next(_periods) % 60  # 2020 to early 2025: always past; a project never draws 60 in a row
    start = date(2020, 1, 1) + timedelta(days=31 * n)
    return start, start + timedelta(days=30)


async def issue(owner: Principal, verifier: Principal, project: Project, **submitted: object) -> Issuance:
    """Submit a report for a fresh period (the server computes its kg), review it and approve it."""
    start, end = next_period()
    report = await service.submit_report(owner, project.public_id, start, end, **submitted)  # type: ignore[arg-type]
    await service.start_review(verifier, report.public_id)
    return await service.approve(verifier, report.public_id)


async def issue_units(owner: Principal, verifier: Principal, project: Project, kg: int, buffer: int) -> Issuance:
    """Inventory fixture: an issuance of exactly `kg` + `buffer` units for a fresh period, written through
    the issuance step alone (the report row is made here, not computed). Only for tests of what happens
    to units after issuance (reserve, retire, reversal, verify), whose assertions are exact counts;
    every rule about how many units a report may have is tested through `issue`."""
    start, end = next_period()
    report = await MonitoringReport.create(
        public_id=secrets.token_hex(13),
        project=project,
        parcel_public_ids=await registry.approved_parcel_ids(project),
        period_start=start,
        period_end=end,
        methodology_id=project.methodology_id,
        methodology_version="0.1.0",
        parameter_sha256="0" * 64,
        kg_issued=kg,
        buffer_kg=buffer,
        estimate={"fixture": "inventory test units"},
        status="approved",
        submitted_by=owner.user,
        verifier=verifier.user,
    )
    await SerialCounter.get_or_create(project_id=project.id)
    async with in_transaction():
        counter = await SerialCounter.get(project_id=project.id)
        first = counter.next_serial
        await SerialCounter.filter(id=counter.id).update(next_serial=first + kg + buffer)
        holder = await service.owner_holder(project)
        return await service._issue(verifier.user, report, project, holder, first, service.now())
