"""Text people type is shown on pages as text: never evaluated as a template, never taken as markup.

One row per user-supplied field that reaches a page in full (a nickname reaches pages only masked, its
first character and stars, so it has no row): how the text gets stored (through the API where
there is one) and which page shows it to whom. Each hostile string of `HOSTILE_TEXTS` is stored in
the field and the page must show it HTML-escaped, literally. Jinja's autoescape does the escaping;
these rows fail if a template marks such a field `|safe`, if a page builds a template from a user
string, or if a field stops being shown (then the row's page must be corrected, not dropped).

Adding a field is one row in FIELDS: `async def write(ctx, text) -> (page path, headers)`.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from app.core.auth import Role
from app.planting import service as planting
from app.planting.schemas import LogIn
from app.settings import Settings
from models.accounts import User
from tests.campaigns.builders import campaign_dict, foundation
from tests.helpers import signed_in
from tests.planting.builders import checked_in, planting_campaign
from tests.registry.shapes import parcel_body, smallholder, square
from tests.security.helpers import HOSTILE_TEXTS, assert_shown_as_text, page_session
from tests.tourism.helpers import spot_body

_n = itertools.count(1)


@dataclass
class Ctx:
    client: httpx.AsyncClient
    settings: Settings


Page = tuple[str, dict[str, str]]


async def _ok(r: httpx.Response) -> dict:
    assert r.status_code in (200, 201), r.text
    return r.json()


async def _submitted_project(
    ctx: Ctx, *, project_name: str = "龙泉山造林", parcel_name: str = "后山"
) -> tuple[str, str]:
    _, headers = await smallholder(ctx.settings)
    body = {"name": project_name, "county_code": "510112", "methodology_id": "SC-LCP-AFF"}
    project = (await _ok(await ctx.client.post("/api/v1/registry/projects", json=body, headers=headers)))["id"]
    geometry = square(104.3 + next(_n) * 0.01, 30.55, 200)
    parcel = await _ok(
        await ctx.client.post(
            f"/api/v1/registry/projects/{project}/parcels",
            json=parcel_body(geometry, name=parcel_name),
            headers=headers,
        )
    )
    await _ok(await ctx.client.post(f"/api/v1/registry/projects/{project}/submit", headers=headers))
    return project, parcel["id"]


async def project_name(ctx: Ctx, text: str) -> Page:
    project, _ = await _submitted_project(ctx, project_name=text)
    return f"/registry/projects/{project}", {}


async def parcel_name(ctx: Ctx, text: str) -> Page:
    _, parcel = await _submitted_project(ctx, parcel_name=text)
    return f"/registry/parcels/{parcel}", {}


async def team_name(ctx: Ctx, text: str) -> Page:
    _, headers = await signed_in(ctx.settings)
    body = {"kind": "other", "name_zh": text, "name_en": text}
    team = await _ok(await ctx.client.post("/api/v1/teams", json=body, headers=headers))
    return f"/teams/{team['id']}", {}


async def scenic_spot_name_and_benefit(ctx: Ctx, text: str) -> Page:
    _, headers = await signed_in(ctx.settings, Role.SCENIC_OPERATOR)
    body = spot_body(name_zh=text, benefit_zh=text)
    spot = await _ok(await ctx.client.post("/api/v1/tourism/spots", json=body, headers=headers))
    return f"/tourism/spots/{spot['code']}", {}


async def campaign_title_story_and_site(ctx: Ctx, text: str) -> Page:
    organisation = await foundation()
    _, headers = await signed_in(ctx.settings, Role.ORGANISER, org=organisation)
    raw = campaign_dict(organisation.public_id, slug=f"xss-{next(_n)}")
    raw.update(title_zh=text, story_zh=text)
    raw["sites"][0]["name_zh"] = text
    await _ok(await ctx.client.put(f"/api/v1/campaigns/{raw['slug']}", json=raw, headers=headers))
    return f"/campaigns/{raw['slug']}", {}


async def planting_note(ctx: Ctx, text: str) -> Page:
    planted = await planting_campaign(ctx.settings, slug=f"note-{next(_n)}")
    user, booking = await checked_in(ctx.settings, planted)
    await planting.submit(ctx.settings, user, booking.public_id, LogIn(species="tree.cupressus", count=2, note=text))
    return f"/planting/bookings/{booking.public_id}/log", await page_session(user)


async def planting_rejection_reason(ctx: Ctx, text: str) -> Page:
    planted = await planting_campaign(ctx.settings, slug=f"reject-{next(_n)}")
    user, booking = await checked_in(ctx.settings, planted)
    log = await planting.submit(ctx.settings, user, booking.public_id, LogIn(species="tree.cupressus", count=2))
    r = await ctx.client.post(
        f"/api/v1/planting/review/{log.public_id}/reject",
        json={"reason_zh": text, "reason_en": text},
        headers=planted.organiser_headers,
    )
    await _ok(r)
    return f"/planting/bookings/{booking.public_id}/log", await page_session(user)


async def planting_note_in_review(ctx: Ctx, text: str) -> Page:
    planted = await planting_campaign(ctx.settings, slug=f"review-{next(_n)}")
    user, booking = await checked_in(ctx.settings, planted)
    await planting.submit(ctx.settings, user, booking.public_id, LogIn(species="tree.cupressus", count=2, note=text))
    organiser = await User.get(id=planted.organiser.user.id)
    return f"/planting/review?campaign={planted.campaign.slug}", await page_session(organiser)


Writer = Callable[[Ctx, str], Awaitable[Page]]
FIELDS: dict[str, Writer] = {
    "registry project name": project_name,
    "registry parcel name": parcel_name,
    "team name_zh/name_en": team_name,
    "scenic spot name_zh/benefit_zh": scenic_spot_name_and_benefit,
    "campaign title_zh/story_zh/site name_zh": campaign_title_story_and_site,
    "planting log note (planter)": planting_note,
    "planting log note (reviewer)": planting_note_in_review,
    "planting rejection reason": planting_rejection_reason,
}


@pytest.mark.parametrize("field", list(FIELDS))
async def test_hostile_text_in_a_field_is_shown_escaped_and_never_evaluated(
    client: httpx.AsyncClient, settings: Settings, field: str
) -> None:
    ctx = Ctx(client, settings)
    for text in HOSTILE_TEXTS:
        path, headers = await FIELDS[field](ctx, text)
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, f"{field}: {path} answered {r.status_code}"
        assert r.headers["content-type"].startswith("text/html")
        assert_shown_as_text(r.text, text, f"{field} on {path}")
