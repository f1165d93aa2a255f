"""Teams (团队) of companies, schools, classes and others, with join codes; membership one per lane and scope.

A team's board score is never stored here: it is computed from the ledger (app/teams/board.py).
"""

from __future__ import annotations

from datetime import datetime

from tortoise import fields, models
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index

from models.accounts import Organisation, User
from models.campaigns import Campaign


class Team(models.Model):
    """A company, school, class or other group people join with a code, a class may sit in a school."""

    id = fields.BigIntField(primary_key=True)
    public_id = fields.CharField(max_length=26, unique=True, description="random id shown in URLs")
    kind = fields.CharField(max_length=8, description="company | school | class | other")
    name_zh = fields.CharField(max_length=40, description="name shown in Chinese, 1–40 characters")
    name_en = fields.CharField(max_length=80, null=True, description="optional English name, else name_zh is shown")
    parent: fields.ForeignKeyNullableRelation[Team] = fields.ForeignKeyField(
        "models.Team",
        related_name=False,
        null=True,
        on_delete=OnDelete.RESTRICT,
        description="the school a class belongs to (one level: only a class has one, only a school is one)",
    )
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name=False,
        on_delete=OnDelete.RESTRICT,
        description="who created the team, who may rotate its code and remove members",
    )
    organisation: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation",
        related_name=False,
        null=True,
        on_delete=OnDelete.RESTRICT,
        description="the organisation the team stands for",
    )
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign",
        related_name=False,
        null=True,
        on_delete=OnDelete.RESTRICT,
        description="set when formed for one campaign only",
    )
    join_code = fields.CharField(
        max_length=8, unique=True, description="8 random Crockford base32 characters, shown XXXX-XXXX, rotatable"
    )
    code_rotated_at: datetime = fields.DatetimeField(description="when the current join code was made, UTC")
    member_count = fields.IntField(
        default=0, description="direct members, 0 <= member_count <= the cap, moved only by conditional updates"
    )
    board_version = fields.BigIntField(
        default=0,
        description="bumped under the row lock each time the board score is recomputed, to order writes to Redis",
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "teams_team"


class TeamMember(models.Model):
    """One person in one team, (user, lane, scope) is unique."""

    # One company team, one school-or-class team and one other team for everyday (scope 0), and the same
    # again within each campaign (scope = campaign id). Leaving deletes the row; the audit chain keeps it.
    id = fields.BigIntField(primary_key=True)
    team: fields.ForeignKeyRelation[Team] = fields.ForeignKeyField("models.Team", related_name=False)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=OnDelete.RESTRICT
    )
    lane = fields.CharField(
        max_length=8, description="work (company) | study (school, class) | other: from the team's kind"
    )
    scope = fields.BigIntField(description="the team's campaign id, or 0 for a team not tied to a campaign")
    joined_at: datetime = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "teams_member"
        unique_together = (("user", "lane", "scope"),)
        indexes = [Index(fields=["team_id", "user_id"])]
