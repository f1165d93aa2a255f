"""Teams (issue 4/7): teams_team and teams_member, with CHECKs on kind, lane and the member counter, one
level of parent (only a class has one), and an index for the campaign team board's join from a
campaign's bookings to their people (campaign_booking(campaign_id, user_id))."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from migrations._constraints import Check, apply

CONSTRAINTS = [
    Check("teams_team_kind_known", "teams_team", "{row}kind IN ('company','school','class','other')"),
    Check("teams_team_member_count_nonnegative", "teams_team", "{row}member_count >= 0"),
    Check(
        "teams_team_parent_only_for_a_class",
        "teams_team",
        "({row}parent_id IS NULL) OR ({row}kind = 'class' AND {row}parent_id <> {row}id)",
    ),
    Check("teams_member_lane_known", "teams_member", "{row}lane IN ('work','study','other') AND {row}scope >= 0"),
]


class Migration(migrations.Migration):
    dependencies = [("models", "0024_planting")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Team",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("public_id", fields.CharField(unique=True, description="random id shown in URLs", max_length=26)),
                ("kind", fields.CharField(description="company | school | class | other", max_length=8)),
                ("name_zh", fields.CharField(description="name shown in Chinese, 1–40 characters", max_length=40)),
                (
                    "name_en",
                    fields.CharField(
                        null=True, description="optional English name, else name_zh is shown", max_length=80
                    ),
                ),
                (
                    "parent",
                    fields.ForeignKeyField(
                        "models.Team",
                        source_field="parent_id",
                        null=True,
                        description="the school a class belongs to (one level: only a class has one, only a school is one)",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="owner_id",
                        description="who created the team, who may rotate its code and remove members",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "organisation",
                    fields.ForeignKeyField(
                        "models.Organisation",
                        source_field="organisation_id",
                        null=True,
                        description="the organisation the team stands for",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "campaign",
                    fields.ForeignKeyField(
                        "models.Campaign",
                        source_field="campaign_id",
                        null=True,
                        description="set when formed for one campaign only",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "join_code",
                    fields.CharField(
                        unique=True,
                        description="8 random Crockford base32 characters, shown XXXX-XXXX, rotatable",
                        max_length=8,
                    ),
                ),
                (
                    "code_rotated_at",
                    fields.DatetimeField(
                        description="when the current join code was made, UTC", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "member_count",
                    fields.IntField(
                        default=0,
                        description="direct members, 0 <= member_count <= the cap, moved only by conditional updates",
                    ),
                ),
                (
                    "board_version",
                    fields.BigIntField(
                        default=0,
                        description="bumped under the row lock each time the board score is recomputed, to order writes to Redis",
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "teams_team",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A company, school, class or other group people join with a code, a class may sit in a school.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TeamMember",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "team",
                    fields.ForeignKeyField(
                        "models.Team",
                        source_field="team_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "lane",
                    fields.CharField(
                        description="work (company) | study (school, class) | other: from the team's kind", max_length=8
                    ),
                ),
                (
                    "scope",
                    fields.BigIntField(description="the team's campaign id, or 0 for a team not tied to a campaign"),
                ),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "teams_member",
                "app": "models",
                "unique_together": (("user", "lane", "scope"),),
                "indexes": [Index(fields=["team_id", "user_id"])],
                "pk_attr": "id",
                "table_description": "One person in one team, (user, lane, scope) is unique.",
            },
            bases=["Model"],
        ),
        apply(CONSTRAINTS),
        ops.RunSQL('CREATE INDEX "campaign_booking_campaign_user" ON "campaign_booking" ("campaign_id", "user_id")'),
    ]
