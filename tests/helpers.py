"""Shortcuts for tests: a signed-in user with roles, without going through a sign-in flow."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta

from app.accounts import service as accounts
from app.core.auth import Role, hash_secret, issue_access_token
from app.settings import Settings
from models.accounts import AuthSession, Organisation, User

_phones = itertools.count(13900000000)
_orgs = itertools.count(1)


async def signed_in(
    settings: Settings, *roles: Role, phone: str | None = None, org: Organisation | None = None
) -> tuple[User, dict[str, str]]:
    """A user holding `roles` (in `org`, or a fresh organisation of a fitting kind) and their auth header."""
    user, _ = await accounts.find_or_create_by_phone(settings, phone or str(next(_phones)))
    for role in roles:
        target = org
        fits = accounts.ROLE_ORGANISATION_KINDS[role.value]
        if target is None and None not in fits:
            kind = sorted(k for k in fits if k)[0]
            target = await accounts.create_organisation(kind, f"测试组织-{role.value}-{next(_orgs)}", None, "test")
        await accounts.grant_role(user, role.value, target, actor="test")
    session = await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="token",
        secret_hash=hash_secret(secrets.token_urlsafe(16)),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    token = issue_access_token(settings, user.public_id, session.public_id)
    return user, {"Authorization": f"Bearer {token}"}
