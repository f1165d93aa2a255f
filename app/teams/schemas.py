"""Team shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Kind = Literal["company", "school", "class", "other"]


class TeamIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=40, description="name in Chinese, 1–40")]
    name_en: Annotated[str, msgspec.Meta(max_length=80, description="optional English name")] | None = None
    parent: Annotated[str, msgspec.Meta(max_length=26, description="a school's public id (classes only)")] | None = None
    organisation: (
        Annotated[str, msgspec.Meta(max_length=26, description="an organisation's public id you hold a role in")] | None
    ) = None
    campaign: Annotated[str, msgspec.Meta(max_length=64, description="slug of the one campaign it is for")] | None = (
        None
    )


class JoinIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(max_length=32, description="the join code, e.g. 7K3M-Q9XD (case, - ignored)")]


class TeamOut(msgspec.Struct):
    id: Annotated[str, msgspec.Meta(description="public id")]
    kind: Kind
    name: Annotated[str, msgspec.Meta(description="in the request's language (Chinese when no English name)")]
    name_zh: str
    name_en: str | None
    parent: str | None
    campaign: Annotated[str | None, msgspec.Meta(description="campaign slug, when formed for one campaign")]
    organisation: str | None
    members: Annotated[int, msgspec.Meta(description="direct members")]
    page: str
    owner: Annotated[bool, msgspec.Meta(description="you created it")]
    member: Annotated[bool, msgspec.Meta(description="you are a member")]
    join_code: Annotated[str | None, msgspec.Meta(description="XXXX-XXXX; only to the owner")] = None
    join_url: Annotated[str | None, msgspec.Meta(description="link with the code (QR content); owner only")] = None
    qr_png: Annotated[str | None, msgspec.Meta(description="QR PNG of join_url; owner only")] = None


class JoinOut(msgspec.Struct):
    team: TeamOut
    joined: Annotated[bool, msgspec.Meta(description="false when you were already a member (a replay)")]


class LeaveOut(msgspec.Struct):
    team: str
    left: Annotated[bool, msgspec.Meta(description="false when you were not a member (a replay)")]


class MyTeamOut(msgspec.Struct):
    team: TeamOut
    joined_at: datetime


class TeamPlaceOut(msgspec.Struct):
    rank: Annotated[int, msgspec.Meta(description="equal points share a rank")]
    team: Annotated[str, msgspec.Meta(description="the team's public id")]
    name: str
    kind: Kind
    points: Annotated[int, msgspec.Meta(description="this year's earned points of its current members")]


class MemberPlaceOut(msgspec.Struct):
    rank: int
    name: Annotated[str, msgspec.Meta(description="masked nickname or pseudonym; never a phone number")]
    points: int


class TeamBoardOut(msgspec.Struct):
    team: TeamOut
    year: int
    points: int
    rank: Annotated[int | None, msgspec.Meta(description="among all teams; null while it has no points")]
    top: list[MemberPlaceOut]


class CampaignTeamPlaceOut(msgspec.Struct):
    rank: int
    team: str
    name: str
    kind: Kind
    checkins: int
    people: Annotated[int, msgspec.Meta(description="members who checked in")]


class CampaignPersonPlaceOut(msgspec.Struct):
    rank: int
    name: str
    checkins: int


class CampaignBoardsOut(msgspec.Struct):
    campaign: str
    teams: list[CampaignTeamPlaceOut]
    people: list[CampaignPersonPlaceOut]
