"""A campaign for tests: one organiser organisation, two sites, slots around a chosen time."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from app.accounts import service as accounts
from app.campaigns import service
from app.campaigns.schemas import CampaignIn
from app.core.i18n import BEIJING
from models.accounts import Organisation
from models.campaigns import Campaign, Site, Slot

_names = itertools.count(1)
# 龙泉驿区 and a point 5 km east of it
HOME = (104.3312, 30.5561)
FAR = (104.3832, 30.5561)


async def foundation() -> Organisation:
    return await accounts.create_organisation("foundation", f"测试基金会-{next(_names)}", None, "test")


def campaign_dict(
    organiser: str, *, slug: str = "spring", starts: datetime | None = None, capacity: int = 20
) -> dict[str, Any]:
    """The campaign-file structure (as a dict) with a 3-hour slot starting at `starts` (default: an hour ago)."""
    starts = starts or datetime.now(UTC) - timedelta(hours=1)
    day = starts.astimezone(BEIJING).date()
    return {
        "slug": slug,
        "title_zh": "春季义务植树",
        "title_en": "Spring planting",
        "story_zh": "到山上种树。\n\n第二段。",
        "story_en": "Plant trees on the hill.\n\nSecond paragraph.",
        "organiser": organiser,
        "starts_on": (day - timedelta(days=10)).isoformat(),
        "ends_on": (day + timedelta(days=30)).isoformat(),
        "goals": {"trees": 1000, "fen": 300000},
        "modes": ["plant", "donate"],
        "donation_fen_per_tree": 3000,
        "species": ["tree.cupressus", "bamboo.moso"],
        "sites": [
            {
                "key": "hill",
                "name_zh": "山泉植树点",
                "name_en": "Hill site",
                "lon": HOME[0],
                "lat": HOME[1],
                "county": "510112",
                "checkin_radius_m": 300,
                "checkin_window": {"opens_minutes_before": 30, "closes_minutes_after": 60},
                "slots": [
                    {
                        "starts": starts.isoformat(),
                        "ends": (starts + timedelta(hours=3)).isoformat(),
                        "capacity": capacity,
                    },
                    {
                        "starts": (starts + timedelta(days=1)).isoformat(),
                        "ends": (starts + timedelta(days=1, hours=3)).isoformat(),
                        "capacity": 5,
                    },
                ],
            },
            {
                "key": "valley",
                "name_zh": "山谷植树点",
                "name_en": "Valley site",
                "lon": FAR[0],
                "lat": FAR[1],
                "county": "510112",
                "checkin_radius_m": 300,
                "slots": [
                    {"starts": starts.isoformat(), "ends": (starts + timedelta(hours=3)).isoformat(), "capacity": 10}
                ],
            },
        ],
    }


def campaign_in(raw: dict[str, Any]) -> CampaignIn:
    return msgspec.convert(raw, CampaignIn, strict=False)


async def make_campaign(organisation: Organisation | None = None, **kw: Any) -> tuple[Campaign, Slot, Slot]:
    """Upsert a campaign; returns it with the hill site's first slot and the valley slot."""
    organisation = organisation or await foundation()
    data = campaign_in(campaign_dict(organisation.public_id, **kw))
    assert not service.problems(data), service.problems(data)
    digest = hashlib.sha256(msgspec.json.encode(data)).hexdigest()
    result = await service.upsert(data, actor="test", digest=digest, source_file=None)
    hill = await Site.get(campaign_id=result.campaign.id, key="hill")
    valley = await Site.get(campaign_id=result.campaign.id, key="valley")
    first = await Slot.filter(site_id=hill.id).order_by("starts_at").first()
    other = await Slot.get(site_id=valley.id)
    assert first is not None
    return result.campaign, first, other
