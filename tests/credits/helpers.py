"""Shortcuts for credits tests: an approved project with parcels, a verifier, and an issuance."""

from __future__ import annotations

import itertools
import secrets
from datetime import date, timedelta

from app.core.auth import Principal, Role, load_principal
from app.credits import service
from app.settings import Settings
from models.accounts import AuthSession
from models.credits import Issuance
from models.registry import Parcel, Project
from tests.helpers import signed_in

SHA = "5b35e9e76e43995a0454f6557d76648757f94c71692b4e8bb0d58581743500d2"
_periods = itertools.count(0)
SQUARE = {"type": "Polygon", "coordinates": [[[104, 30], [104.001, 30], [104.001, 30.001], [104, 30.001], [104, 30]]]}


async def principal_of(settings: Settings, *roles: Role) -> tuple[Principal, dict[str, str]]:
    user, headers = await signed_in(settings, *roles)
    session = await AuthSession.filter(user_id=user.id).select_related("user").order_by("-id").first()
    assert session is not None
    principal = await load_principal(session)
    assert principal is not None
    return principal, headers


async def approved_project(owner: Principal, *, parcels: int = 2, methodology: str = "SC-LCP-AFF") -> Project:
    """A project owned by `owner` (a household), approved, with approved parcels."""
    project = await Project.create(
        public_id=secrets.token_hex(13),
        name="后山造林",
        owner_user=owner.user,
        created_by=owner.user,
        county_code="510112",
        methodology_id=methodology,
        status="approved",
    )
    for n in range(parcels):
        await Parcel.create(
            public_id=secrets.token_hex(13),
            project=project,
            name=f"地块{n}",
            geometry=SQUARE,
            input_crs="wgs84",
            area_m2=5000,
            min_lon=104,
            min_lat=30,
            max_lon=104.001,
            max_lat=30.001,
            size_class=0,
            county_code="510112",
            tenure_kind="forest_right_certificate",
            tenure_number_enc=b"x",
            tenure_number_index=secrets.token_hex(8),
            holder_kind="individual",
            holder_name_enc=b"x",
            sink_type="afforestation",
            status="approved",
            active=True,
        )
    return project


def estimate(kg: int = 800, buffer: int = 200, methodology: str = "SC-LCP-AFF") -> service.EstimateRecord:
    return service.EstimateRecord(methodology, "0.1.0", SHA, kg, buffer, {"kg_per_year": kg})


def next_period() -> tuple[date, date]:
    """A fresh, past, non-overlapping one-month period for each call."""
    n = next(_periods) % 60  # 2020 to early 2025: always past; a project never draws 60 in a row
    start = date(2020, 1, 1) + timedelta(days=31 * n)
    return start, start + timedelta(days=30)


async def issue(owner: Principal, verifier: Principal, project: Project, kg: int = 800, buffer: int = 200) -> Issuance:
    start, end = next_period()
    report = await service.submit_report(
        owner, project.public_id, start, end, estimate(kg, buffer, project.methodology_id)
    )
    await service.start_review(verifier, report.public_id)
    return await service.approve(verifier, report.public_id)
