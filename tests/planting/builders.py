"""A checked-in booking in a test campaign, and the campaign's organiser as a principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.accounts import service as accounts
from app.campaigns import checkin
from app.campaigns import service as campaigns
from app.campaigns.schemas import CheckInIn
from app.core.auth import Principal, Role
from app.planting import service
from app.planting.schemas import LogIn
from app.settings import Settings
from models.accounts import Organisation, User
from models.campaigns import Booking, Campaign, Site, Slot
from models.planting import PlantingLog
from tests.campaigns.builders import HOME, campaign_dict, campaign_in
from tests.helpers import signed_in


@dataclass
class Planted:
    campaign: Campaign
    slot: Slot
    organisation: Organisation
    organiser: Principal
    organiser_headers: dict[str, str]


async def principal_of(user: User) -> Principal:
    from models.accounts import Membership

    rows = await Membership.filter(user_id=user.id).values_list("organisation_id", "role")
    org_roles = [(org, str(role)) for org, role in rows]
    return Principal(
        user=user,
        session=None,  # type: ignore[arg-type]
        roles=frozenset({Role.CITIZEN.value, *(r for _, r in org_roles)}),
        org_roles=org_roles,
    )


async def planting_campaign(settings: Settings, **kw: Any) -> Planted:
    """A campaign with a slot under way and an organiser of its organisation."""
    org = await accounts.create_organisation("foundation", f"植树基金会-{kw.get('slug', 'spring')}", None, "t")
    raw = campaign_dict(org.public_id, **kw)
    if raw["slug"].startswith("demo-"):
        raw.update(demo=True, title_zh="【演示】" + raw["title_zh"])
    data = campaign_in(raw)
    assert not campaigns.problems(data), campaigns.problems(data)
    result = await campaigns.upsert(data, actor="test", digest=raw["slug"], source_file=None)
    campaign = result.campaign
    site = await Site.get(campaign_id=campaign.id, key="hill")
    slot = await Slot.filter(site_id=site.id).order_by("starts_at").first()
    assert slot is not None
    user, headers = await signed_in(settings, Role.ORGANISER, org=org)
    return Planted(campaign, slot, org, await principal_of(user), headers)


async def checked_in(settings: Settings, planted: Planted, user: User | None = None) -> tuple[User, Booking]:
    """A person (new unless given) booked on the slot and checked in at the site."""
    if user is None:
        user, _ = await signed_in(settings)
    booking = await campaigns.book(user, planted.slot.id, now=planted.slot.starts_at - timedelta(days=1))
    site = await planted.slot.site
    token = checkin.current_token(settings, site).token
    await checkin.check_in(settings, user, booking.public_id, CheckInIn(token=token, lon=HOME[0], lat=HOME[1]))
    return user, await Booking.get(id=booking.id)


async def submitted(
    settings: Settings, planted: Planted, count: int = 3, species: str = "tree.cupressus", user: User | None = None
) -> PlantingLog:
    user, booking = await checked_in(settings, planted, user)
    return await service.submit(settings, user, booking.public_id, LogIn(species=species, count=count))
