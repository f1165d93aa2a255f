"""Users, organisations and roles, and the personal data rules (PIPL) that go with them.

Phone numbers, real names and ID numbers are only ever stored encrypted, looked up by blind index and
shown masked. Sign-in flows live in `signin.py`; they find or create users through this module.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from msgspec import UNSET, UnsetType
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core import audit
from app.core.auth import GRANTABLE_ROLES, Role
from app.core.crypto import InvalidPhone, blind_index, decrypt, encrypt, mask_phone, normalise_phone
from app.core.errors import AppError, Conflict, NotFound
from app.core.i18n import register_messages
from app.regions import service as regions
from app.settings import Settings
from models.accounts import AuthSession, Membership, Organisation, User

ORGANISATION_KINDS = (
    "foundation",
    "collective",
    "cooperative",
    "court",
    "scenic_operator",
    "event_organiser",
    "company",
    "verifier_body",
    "merchant",
    "platform",
)


def new_public_id() -> str:
    """26 random hex characters (104 bits): unguessable and URL-safe."""
    return secrets.token_hex(13)


@dataclass(frozen=True)
class PhoneIdentity:
    """A phone number as every part of the app handles it: normalised, blind-indexed, masked."""

    number: str
    index: str
    masked: str


def valid_phone(phone: str) -> str:
    """The normalised number, or a 400 naming the `phone` field."""
    try:
        return normalise_phone(phone)
    except InvalidPhone:
        raise AppError(
            "accounts.invalid_phone",
            detail=[{"field": "phone", "source": "body", "message": "not an 11-digit mainland China mobile number"}],
        ) from None


def phone_identity(settings: Settings, raw: str) -> PhoneIdentity:
    number = valid_phone(raw)
    index = blind_index(settings.blind_index_key, number, "phone")
    return PhoneIdentity(number=number, index=index, masked=f"{number[:3]}****{number[-4:]}")


def phone_lookup(settings: Settings, phone: str) -> str:
    return phone_identity(settings, phone).index


def masked_phone(user: User) -> str | None:
    return mask_phone(user.phone_prefix3, user.phone_last4)


def reveal_phone(settings: Settings, user: User) -> str | None:
    if user.phone_enc is None:
        return None
    return decrypt(settings.data_key, bytes(user.phone_enc), "phone")


async def _find_or_create(
    lookup: dict[str, Any], fields: dict[str, Any], actor: str | None, via: str
) -> tuple[User, bool]:
    if user := await User.get_or_none(**lookup):
        return user, False
    try:
        async with in_transaction():  # a savepoint when the caller already holds a transaction
            user = await User.create(public_id=new_public_id(), **lookup, **fields)
            await audit.record(
                actor=actor or audit.actor_of(user),
                action="user.created",
                entity_type="user",
                entity_id=user.public_id,
                after={"via": via},
            )
        return user, True
    except IntegrityError:
        # A concurrent first sign-in created the same person a moment earlier: that is the account.
        if user := await User.get_or_none(**lookup):
            return user, False
        raise


async def find_or_create_by_phone(settings: Settings, phone: str, actor: str | None = None) -> tuple[User, bool]:
    """The user owning this (normalised) phone number, created on first sign-in (or by an admin: `actor`)."""
    phone_id = phone_identity(settings, phone)
    number = phone_id.number
    return await _find_or_create(
        {"phone_index": phone_id.index},
        {
            "phone_enc": encrypt(settings.data_key, number, "phone"),
            "phone_prefix3": number[:3],
            "phone_last4": number[-4:],
        },
        actor,
        via="sms" if actor is None else "admin",
    )


async def find_or_create_by_openid(openid: str, unionid: str | None) -> tuple[User, bool]:
    """The user of this mini-program openid, created on first sign-in."""
    user, created = await _find_or_create({"wechat_openid": openid}, {"wechat_unionid": unionid}, None, via="wechat")
    if not created and unionid and user.wechat_unionid != unionid:
        # WeChat reveals the unionid once the app joins an Open Platform account; keep it current.
        await User.filter(id=user.id).update(wechat_unionid=unionid)
        user.wechat_unionid = unionid
    return user, created


async def create_organisation(kind: str, name: str, county_code: str | None, actor: str) -> Organisation:
    if kind not in ORGANISATION_KINDS:
        raise AppError("accounts.unknown_org_kind", kind=kind, kinds=", ".join(ORGANISATION_KINDS))
    if not name.strip() or len(name) > 128 or not name.isprintable():
        raise AppError(
            "accounts.bad_org_name",
            detail=[{"field": "name", "source": "body", "message": "1–128 printable characters"}],
        )
    # Any level: a provincial foundation is registered at 510000, a village collective at its county.
    if county_code is not None and regions.region(county_code) is None:
        raise AppError(
            "accounts.bad_county_code",
            detail=[{"field": "county_code", "source": "body", "message": "a current GB/T 2260 region code"}],
        )
    if await Organisation.filter(kind=kind, name=name.strip()).exists():
        raise Conflict("accounts.org_exists")
    async with in_transaction():
        org = await Organisation.create(
            public_id=new_public_id(), kind=kind, name=name.strip(), county_code=county_code
        )
        await audit.record(
            actor=actor,
            action="organisation.created",
            entity_type="organisation",
            entity_id=org.public_id,
            after={"kind": kind, "name": org.name, "county_code": county_code},
        )
    return org


# Which kinds of organisation each role belongs to; None in the set means "may be held alone"
# (a platform admin always, an individual 林农/牧民 who sells a micro-sink without a collective).
ROLE_ORGANISATION_KINDS: dict[str, frozenset[str | None]] = {
    Role.SMALLHOLDER: frozenset({None, "collective", "cooperative"}),
    Role.ORGANISER: frozenset({"foundation", "company", "collective", "cooperative"}),
    Role.VERIFIER: frozenset({"verifier_body"}),
    Role.COURT: frozenset({"court"}),
    Role.SCENIC_OPERATOR: frozenset({"scenic_operator"}),
    Role.EVENT_ORGANISER: frozenset({"event_organiser", "company", "foundation"}),
    Role.MERCHANT: frozenset({"merchant", "company"}),
    Role.PLATFORM_ADMIN: frozenset({None}),
}


def check_grant(role: str, organisation: Organisation | None) -> None:
    """Refuse an unknown role, or a role in (or without) an organisation of the wrong kind."""
    if role not in ROLE_ORGANISATION_KINDS:
        raise AppError("accounts.unknown_role", role=role, roles=", ".join(r.value for r in GRANTABLE_ROLES))
    fits = ROLE_ORGANISATION_KINDS[role]
    if role == Role.PLATFORM_ADMIN and organisation is not None:
        # Guards check roles, not organisations: a platform admin "in" one organisation would still
        # act platform-wide, so the grant must say so.
        raise AppError("accounts.platform_role_has_no_org")
    if organisation is None and None not in fits:
        raise AppError("accounts.role_needs_org", role=role)
    if organisation is not None and organisation.kind not in fits:
        kinds = ", ".join(sorted(k for k in fits if k))
        raise AppError("accounts.role_wrong_org_kind", role=role, kind=organisation.kind, kinds=kinds)


async def grant_role(user: User, role: str, organisation: Organisation | None, actor: str) -> Membership:
    """Give `user` a role, in an organisation or (platform admin only) platform-wide. Idempotent."""
    check_grant(role, organisation)
    org_id = organisation.id if organisation else None
    async with in_transaction():
        existing = await Membership.get_or_none(user_id=user.id, organisation_id=org_id, role=role)
        if existing:
            return existing
        membership = await Membership.create(user=user, organisation=organisation, role=role)
        await audit.record(
            actor=actor,
            action="membership.granted",
            entity_type="user",
            entity_id=user.public_id,
            after={"role": role, "organisation": organisation.public_id if organisation else None},
        )
        # Imported here: notifications' personal-data exporter imports this module at load time.
        from app.notifications import service as notifications

        await notifications.notify(
            user,
            "account.role_granted",
            {"role": role, "organisation": organisation.name if organisation else None},
            dedupe_key=f"grant:{membership.id}",
        )
    return membership


async def revoke_role(user: User, role: str, organisation: Organisation | None, actor: str) -> None:
    org_id = organisation.id if organisation else None
    async with in_transaction():
        if role == Role.PLATFORM_ADMIN and await Membership.filter(role=role, organisation_id=None).count() <= 1:
            # Without an admin only the command line could let anyone back in.
            raise Conflict("accounts.last_admin")
        deleted = await Membership.filter(user_id=user.id, organisation_id=org_id, role=role).delete()
        if not deleted:
            raise NotFound("accounts.membership_not_found")
        await audit.record(
            actor=actor,
            action="membership.revoked",
            entity_type="user",
            entity_id=user.public_id,
            before={"role": role, "organisation": organisation.public_id if organisation else None},
        )


async def user_by_public_id(public_id: str) -> User:
    user = await User.get_or_none(public_id=public_id, deleted_at=None)
    if user is None:
        raise NotFound("accounts.user_not_found")
    return user


async def organisation_by_public_id(public_id: str) -> Organisation:
    org = await Organisation.get_or_none(public_id=public_id)
    if org is None:
        raise NotFound("accounts.organisation_not_found")
    return org


def profile(user: User, roles: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "public_id": user.public_id,
        "display_name": user.display_name,
        "phone": masked_phone(user),
        "wechat_linked": user.wechat_openid is not None,
        "language": user.language,
        "district": _district_of(user),
        "roles": roles,
        "created_at": user.created_at,
    }


def _district_of(user: User) -> dict[str, str] | None:
    if user.district_code is None:
        return None
    return {"code": user.district_code, "name": regions.full_name(user.district_code)}


LANGUAGES = ("zh-CN", "en")


async def update_profile(
    user: User,
    *,
    display_name: str | UnsetType = UNSET,
    district_code: str | UnsetType | None = UNSET,
    language: str | UnsetType = UNSET,
) -> User:
    """Change what the person may change about themselves; each given field is checked, all or nothing.

    A nickname is shown on leaderboards, so it may not be a phone number; the district must be a
    county-level region (null clears it). Not audited: the audit chain holds no personal data.
    """
    changes: dict[str, Any] = {}
    if display_name is not UNSET:
        name = str(display_name).strip()
        if len(name) > 20 or not name.isprintable() or sum(c.isdigit() for c in name) >= 7:
            raise AppError("accounts.bad_display_name", detail=[{"field": "display_name"}])
        changes["display_name"] = name
    if district_code is not UNSET:
        changes["district_code"] = (
            None if district_code is None else regions.county(district_code, "district_code").code
        )
    if language is not UNSET:
        if language not in LANGUAGES:
            raise AppError("accounts.bad_language", languages=", ".join(LANGUAGES), detail=[{"field": "language"}])
        changes["language"] = language
    if changes:
        await User.filter(id=user.id).update(**changes)
        user.update_from_dict(changes)
    return user


async def roles_of(user: User) -> list[dict[str, Any]]:
    rows = await Membership.filter(user_id=user.id).prefetch_related("organisation")
    roles: list[dict[str, Any]] = [{"role": Role.CITIZEN.value, "organisation": None}]
    for m in rows:
        org = m.organisation
        roles.append({"role": m.role, "organisation": {"public_id": org.public_id, "name": org.name} if org else None})
    return roles


async def revoke_all_sessions(user: User, reason: str) -> int:
    return await AuthSession.filter(user_id=user.id, revoked_at=None).update(
        revoked_at=datetime.now(UTC), revoked_reason=reason
    )


register_messages(
    {
        "accounts.unknown_org_kind": {
            "zh": "未知的组织类型 {kind}；可选：{kinds}",
            "en": "Unknown organisation kind {kind}; choose one of: {kinds}",
        },
        "accounts.bad_org_name": {
            "zh": "组织名称须为 1–128 个可见字符",
            "en": "Organisation name must be 1–128 printable characters",
        },
        "accounts.bad_display_name": {
            "zh": "昵称须为 0–20 个可见字符，且不能是手机号码",
            "en": "A nickname is 0–20 printable characters and may not be a phone number",
        },
        "accounts.bad_language": {"zh": "语言须为以下之一：{languages}", "en": "Language must be one of: {languages}"},
        "accounts.bad_county_code": {
            "zh": "行政区划代码（county_code）无效：须为现行 GB/T 2260 代码，例如 510000（四川省）或 510112（龙泉驿区）",
            "en": "county_code: not a current GB/T 2260 code, e.g. 510000 (Sichuan) or 510112 (Longquanyi)",
        },
        "accounts.unknown_role": {
            "zh": "未知的角色 {role}；可选：{roles}",
            "en": "Unknown role {role}; choose one of: {roles}",
        },
        "accounts.role_needs_org": {
            "zh": "角色 {role} 必须属于某个组织，请指定组织",
            "en": "Role {role} belongs to an organisation: name one",
        },
        "accounts.platform_role_has_no_org": {
            "zh": "平台管理员是全平台角色，不能属于某个组织：请不要指定组织",
            "en": "Platform admin is a platform-wide role: do not name an organisation",
        },
        "accounts.role_wrong_org_kind": {
            "zh": "角色 {role} 不能属于 {kind} 类型的组织；可选的组织类型：{kinds}",
            "en": "Role {role} does not belong in a {kind} organisation; it fits: {kinds}",
        },
        "accounts.org_exists": {
            "zh": "已有同类型、同名的组织，请勿重复创建",
            "en": "An organisation of this kind with this name already exists",
        },
        "accounts.last_admin": {
            "zh": "这是最后一位平台管理员，不能撤销：请先任命另一位管理员",
            "en": "This is the last platform admin and cannot be removed: appoint another admin first",
        },
        "accounts.membership_not_found": {"zh": "该用户没有此角色", "en": "The user does not hold this role"},
        "accounts.user_not_found": {"zh": "找不到该用户", "en": "User not found"},
        "accounts.organisation_not_found": {"zh": "找不到该组织", "en": "Organisation not found"},
        "admin.user_or_phone": {
            "zh": "请填写 user（用户编号）或 phone（手机号）中的一项，且只填一项",
            "en": "Give either user (public id) or phone, not both",
        },
        "accounts.invalid_phone": {
            "zh": "手机号（phone）格式不正确，请输入 11 位中国大陆手机号，例如 13800138000",
            "en": "phone: not a valid number; enter an 11-digit mainland China mobile number, e.g. 13800138000",
        },
    }
)
