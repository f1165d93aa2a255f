"""Certificates made the way the market will make them: reserve units, then retire them (app.credits.inventory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.auth import Role
from app.credits import inventory
from app.settings import Settings
from models.credits import Issuance
from tests.credits.helpers import approved_project, issue, issue_units, principal_of

FULL_NAME = "成都市民张三丰"


async def retire(reference: str, kg: int, *, project: str | None = None, issuance: str | None = None, **how) -> str:  # type: ignore[no-untyped-def]
    """Reserve `kg` and retire them; returns the certificate code."""
    until = datetime.now(UTC) + timedelta(hours=1)
    await inventory.reserve(reference, kg, until, issuance_public_id=issuance, project_public_id=project)
    how.setdefault("beneficiary", FULL_NAME)
    how.setdefault("purpose", "trip")
    retired = await inventory.retire(reference, how.pop("beneficiary"), how.pop("purpose"), **how)
    return retired[0].certificate_code


async def real_issuances(settings: Settings, periods: int = 1) -> tuple[list[Issuance], object]:
    """Issuances whose kg the server computed from the parcels' real estimates (report → estimates)."""
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    project = await approved_project(owner, settings)
    return [await issue(owner, verifier, project) for _ in range(periods)], project


async def sized_issuance(settings: Settings, kg: int = 1000, buffer: int = 250):  # type: ignore[no-untyped-def]
    """An issuance of an exact size (inventory fixture) and the verifier who can record a loss on it."""
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    project = await approved_project(owner, settings)
    return await issue_units(owner, verifier, project, kg=kg, buffer=buffer), project, verifier
