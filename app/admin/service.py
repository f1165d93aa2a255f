"""Admin use cases, built on the accounts service."""

from __future__ import annotations

from app.accounts import service as accounts
from app.core.errors import AppError
from app.settings import Settings
from models.accounts import Organisation, User


async def list_organisations(limit: int, offset: int) -> list[Organisation]:
    return await Organisation.all().order_by("id").offset(offset).limit(limit)


async def resolve_member(settings: Settings, user: str | None, phone: str | None, actor: str) -> User:
    if bool(user) == bool(phone):
        raise AppError("admin.user_or_phone")
    if user:
        return await accounts.user_by_public_id(user)
    found, _ = await accounts.find_or_create_by_phone(settings, phone or "", actor=actor)
    return found


async def grant(settings: Settings, role: str, user: str | None, phone: str | None, org: str | None, actor: str):
    organisation = await accounts.organisation_by_public_id(org) if org else None
    accounts.check_grant(role, organisation)  # before a phone number creates anyone
    member = await resolve_member(settings, user, phone, actor)
    await accounts.grant_role(member, role, organisation, actor)
    return member, organisation


async def revoke(settings: Settings, role: str, user: str | None, phone: str | None, org: str | None, actor: str):
    organisation = await accounts.organisation_by_public_id(org) if org else None
    if phone and not user:
        user_obj = await User.get_or_none(phone_index=accounts.phone_lookup(settings, phone), deleted_at=None)
        if user_obj is None:
            raise AppError("accounts.user_not_found", status_code=404)
    else:
        user_obj = await resolve_member(settings, user, None, actor)
    await accounts.revoke_role(user_obj, role, organisation, actor)
    return user_obj, organisation
