"""Finding or creating a person: one account per phone or openid, even when first sign-ins race."""

import asyncio

from app.accounts import service as accounts
from app.core.auth import Role
from models.accounts import User
from models.audit import AuditEvent
from tests.helpers import signed_in


class TestFindOrCreate:
    async def test_parallel_first_wechat_sign_ins_make_one_account(self, db) -> None:
        results = await asyncio.gather(*(accounts.find_or_create_by_openid("o-race", None) for _ in range(10)))
        assert len({user.id for user, _ in results}) == 1
        assert sum(created for _, created in results) == 1
        assert await User.filter(wechat_openid="o-race").count() == 1

    async def test_parallel_first_phone_sign_ins_make_one_account(self, db, settings) -> None:
        results = await asyncio.gather(*(accounts.find_or_create_by_phone(settings, "13700001111") for _ in range(10)))
        assert len({user.id for user, _ in results}) == 1
        assert await AuditEvent.filter(action="user.created").count() == 1

    async def test_a_later_unionid_is_remembered(self, db) -> None:
        await accounts.find_or_create_by_openid("o-1", None)
        user, created = await accounts.find_or_create_by_openid("o-1", "u-1")
        assert not created and (await User.get(id=user.id)).wechat_unionid == "u-1"

    async def test_an_account_an_admin_creates_names_the_admin(self, client, settings) -> None:
        admin, headers = await signed_in(settings, Role.PLATFORM_ADMIN)
        r = await client.post(
            "/api/v1/admin/memberships", json={"phone": "13700002222", "role": "platform_admin"}, headers=headers
        )
        event = await AuditEvent.get(action="user.created", entity_id=r.json()["user"])
        assert event.actor == f"user:{admin.public_id}" and event.after == {"via": "admin"}
