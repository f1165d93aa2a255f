"""Team rules: creating a team, joining with a code (idempotent, capped by one conditional update), leaving,
removal by the owner and code rotation, each audited in its transaction; the board follows after commit.

Membership rule: a person is in at most one team per lane and scope. Lanes come from the kind: company →
work, school and class → study, other → other. The scope is the team's campaign (0 for an everyday team).
So someone can be in their company's team, their class (or school) and one other group, and, for a
campaign, in one team of each lane formed for it as well.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.accounts import service as accounts
from app.campaigns import service as campaigns
from app.core import audit
from app.core.auth import Principal
from app.core.cache import WindowCounters
from app.core.errors import AppError, Conflict, Forbidden, NotFound, TooManyRequests
from app.core.i18n import t
from app.teams import messages as _messages  # noqa: F401  (registers the texts)
from app.teams.board import TeamBoard
from app.teams.schemas import TeamIn
from models.accounts import Organisation, User
from models.teams import Team, TeamMember

# Crockford's base32: no I, L, O or U, so a code read aloud or off a screen is typed right. 8 characters
# are 40 bits: a guess hits one of a million teams once in a million tries, and tries are rate limited.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
LANES = {"company": "work", "school": "study", "class": "study", "other": "other"}
# Join attempts (right or wrong codes) per person per hour before 429.
JOIN_TRIES_PER_HOUR = 30


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(raw: str) -> str:
    """Upper case, spaces and dashes dropped, the look-alikes O→0 and I/L→1 read as Crockford does."""
    code = "".join(raw.split()).replace("-", "").upper().translate(str.maketrans("OIL", "011"))
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        raise AppError("teams.code_malformed")
    return code


def team_name(team: Team, lang: str) -> str:
    return team.name_en if lang == "en" and team.name_en else team.name_zh


def scope_of(team: Team) -> int:
    return team.campaign_id or 0  # type: ignore[attr-defined]


async def team(public_id: str) -> Team:
    found = await Team.get_or_none(public_id=public_id)
    if found is None:
        raise NotFound("teams.not_found")
    return found


async def owned_team(user: User, public_id: str) -> Team:
    found = await team(public_id)
    if found.owner_id != user.id:  # type: ignore[attr-defined]
        raise Forbidden("teams.not_owner")
    return found


async def create(principal: Principal, data: TeamIn) -> Team:
    """A new team owned by its creator (who is not made a member: a teacher may run several classes)."""
    user = principal.user
    name_zh = data.name_zh.strip()
    if not name_zh:
        raise AppError("teams.name_blank")
    parent = None
    if data.parent is not None:
        parent = await team(data.parent)
        if data.kind != "class" or parent.kind != "school":
            raise AppError("teams.parent_kind")
        in_school = await TeamMember.exists(team_id=parent.id, user_id=user.id)
        if parent.owner_id != user.id and not in_school:  # type: ignore[attr-defined]
            raise Forbidden("teams.parent_not_yours")
    organisation = None
    if data.organisation is not None:
        organisation = await Organisation.get_or_none(public_id=data.organisation)
        if organisation is None:
            raise NotFound("teams.organisation_not_found")
        if organisation.id not in {org for org, _ in principal.org_roles if org is not None}:
            raise Forbidden("teams.organisation_not_yours")
    campaign_id = (await campaigns.campaign(data.campaign)).id if data.campaign is not None else None
    if parent is not None and parent.campaign_id != campaign_id:  # type: ignore[attr-defined]
        raise AppError("teams.parent_campaign")
    async with in_transaction():
        created = await Team.create(
            public_id=accounts.new_public_id(),
            kind=data.kind,
            name_zh=name_zh,
            name_en=(data.name_en or "").strip() or None,
            parent=parent,
            owner=user,
            organisation=organisation,
            campaign_id=campaign_id,
            join_code=new_code(),  # a clash (1 in 10^12 per pair) fails the insert: 500, try again
            code_rotated_at=datetime.now(UTC),
        )
        await audit.record(
            actor=audit.actor_of(user),
            action="team.created",
            entity_type="team",
            entity_id=created.public_id,
            after={
                "kind": created.kind,
                "name_zh": created.name_zh,
                "name_en": created.name_en,
                "parent": parent.public_id if parent else None,
                "organisation": organisation.public_id if organisation else None,
                "campaign": data.campaign,
            },
        )
    return created


@dataclass(frozen=True)
class Joined:
    team: Team
    joined: bool  # False: already a member (a replayed join)


async def join(
    user: User,
    raw_code: str,
    *,
    max_members: int,
    board: TeamBoard | None = None,
    counters: WindowCounters | None = None,
) -> Joined:
    """Join the team whose current code this is; a second join of the same team changes nothing."""
    code = normalise_code(raw_code)
    if counters is not None:
        hit = await counters.hit(f"teams:join:{user.public_id}", JOIN_TRIES_PER_HOUR, 3600)
        if not hit.allowed:
            raise TooManyRequests("teams.too_many_codes", retry_after=hit.retry_after)
    found = await Team.get_or_none(join_code=code)
    if found is None:
        raise NotFound("teams.code_unknown")
    if await TeamMember.exists(team_id=found.id, user_id=user.id):
        return Joined(found, False)
    try:
        async with in_transaction():
            # The place and the code in one conditional update: a full team or a code rotated a moment
            # ago takes nobody in.
            taken = await Team.filter(id=found.id, join_code=code, member_count__lt=max_members).update(
                member_count=F("member_count") + 1
            )
            if not taken:
                now = await Team.get(id=found.id)
                if now.join_code != code:
                    raise NotFound("teams.code_unknown")
                raise Conflict("teams.full", cap=max_members)
            # (user, lane, scope) is unique: a second team of the same lane fails here and rolls back the place.
            member = await TeamMember.create(
                team_id=found.id, user_id=user.id, lane=LANES[found.kind], scope=scope_of(found)
            )
            await audit.record(
                actor=audit.actor_of(user),
                action="team.member.joined",
                entity_type="team",
                entity_id=found.public_id,
                after={"member": user.public_id, "lane": member.lane, "scope": member.scope},
            )
    except IntegrityError:
        if await TeamMember.exists(team_id=found.id, user_id=user.id):
            return Joined(found, False)  # the same join raced itself
        other = await TeamMember.get_or_none(
            user_id=user.id, lane=LANES[found.kind], scope=scope_of(found)
        ).prefetch_related("team")
        raise Conflict(
            "teams.lane_taken",
            lane=t(f"teams.lane.{LANES[found.kind]}"),
            other=other.team.name_zh if other else "",
            detail={"team": other.team.public_id if other else None},
        ) from None
    if board is not None:
        await board.refresh([found.id])
    return Joined(await Team.get(id=found.id), True)


async def _remove(actor: User, found: Team, member: User, action: str) -> bool:
    async with in_transaction():
        gone = await TeamMember.filter(team_id=found.id, user_id=member.id).delete()
        if not gone:
            return False
        await Team.filter(id=found.id, member_count__gt=0).update(member_count=F("member_count") - 1)
        await audit.record(
            actor=audit.actor_of(actor),
            action=action,
            entity_type="team",
            entity_id=found.public_id,
            before={"member": member.public_id},
        )
    return True


async def leave(user: User, public_id: str, *, board: TeamBoard | None = None) -> bool:
    """Leave the team; leaving a team one is not in (a replay) changes nothing and says so."""
    found = await team(public_id)
    left = await _remove(user, found, user, "team.member.left")
    if left and board is not None:
        await board.refresh([found.id])
    return left


async def remove(owner: User, public_id: str, member_public_id: str, *, board: TeamBoard | None = None) -> None:
    found = await owned_team(owner, public_id)
    member = await User.get_or_none(public_id=member_public_id)
    if member is None or not await _remove(owner, found, member, "team.member.removed"):
        raise NotFound("teams.not_member")
    if board is not None:
        await board.refresh([found.id])


async def rotate_code(owner: User, public_id: str) -> Team:
    """A new join code; the old one opens nothing from the moment this commits."""
    found = await owned_team(owner, public_id)
    async with in_transaction():
        await Team.filter(id=found.id).update(join_code=new_code(), code_rotated_at=datetime.now(UTC))
        # The audit chain is public: it records that the code changed, never the code.
        await audit.record(
            actor=audit.actor_of(owner),
            action="team.code.rotated",
            entity_type="team",
            entity_id=found.public_id,
            before={"code_rotated_at": audit.iso_utc(found.code_rotated_at)},
            after={"code_rotated": True},
        )
    return await Team.get(id=found.id)


async def memberships_of(user: User) -> list[tuple[Team, TeamMember]]:
    rows = await TeamMember.filter(user_id=user.id).order_by("joined_at").prefetch_related("team")
    return [(m.team, m) for m in rows]


async def is_member(user: User | None, found: Team) -> bool:
    return user is not None and await TeamMember.exists(team_id=found.id, user_id=user.id)


async def classes_of(found: Team) -> list[Team]:
    if found.kind != "school":
        return []
    return await Team.filter(parent_id=found.id).order_by("name_zh")


async def people_count(found: Team) -> int:
    """Direct members, and for a school its classes' members too."""
    classes = await classes_of(found)
    return found.member_count + sum(c.member_count for c in classes)


# --- personal data -----------------------------------------------------------------------------------


async def _export(user: User) -> dict[str, Any]:
    """The person's memberships and the teams they own, for the data export."""
    owned = await Team.filter(owner_id=user.id).order_by("created_at")
    return {
        "memberships": [
            {"team": t.public_id, "name_zh": t.name_zh, "kind": t.kind, "joined_at": m.joined_at.isoformat()}
            for t, m in await memberships_of(user)
        ],
        "owned": [{"team": t.public_id, "name_zh": t.name_zh, "kind": t.kind} for t in owned],
    }


async def _erase(user: User) -> None:
    """Account deletion (in its transaction): the person leaves every team, each leave audited; teams they
    own stay (their members rely on them). The board catches up at its next rebuild."""
    for found, _ in sorted(await memberships_of(user), key=lambda pair: pair[0].id):  # id order: no deadlock
        await _remove(user, found, user, "team.member.left")


privacy.register_exporter("teams", _export)
privacy.register_eraser("teams", _erase)
