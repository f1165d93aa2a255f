"""notify(): one inbox row plus one outbox row per enabled channel, in the caller's transaction, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from tortoise.transactions import in_transaction

from app.accounts import service as accounts
from app.notifications import service
from models.audit import AuditEvent
from models.notifications import Notification, OutboxMessage
from tests.helpers import signed_in

NEW_DEVICE = {"device": "iPhone 15", "method": "sms", "at": "2026-11-25T01:00:00+00:00"}


async def wechat_user(settings, openid: str = "openid-a"):  # type: ignore[no-untyped-def]
    user, headers = await signed_in(settings)
    user.wechat_openid = openid
    await user.save(update_fields=["wechat_openid"])
    return user, headers


class TestNotify:
    async def test_writes_the_inbox_row_in_both_languages_and_an_outbox_row_per_enabled_channel(
        self, db, settings
    ) -> None:
        user, _ = await wechat_user(settings)
        n = await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="signin:1")
        assert n.title_zh == "新设备登录提醒" and n.title_en == "Sign-in from a new device"
        assert "2026-11-25 09:00" in n.body_zh and "iPhone 15" in n.body_zh and "短信验证码" in n.body_zh
        assert "2026-11-25 09:00" in n.body_en and "SMS code" in n.body_en
        assert n.params == NEW_DEVICE and n.read_at is None
        rows = await OutboxMessage.filter(notification_id=n.id).order_by("channel")
        assert [r.channel for r in rows] == ["sms", "wechat"]
        assert all(r.status == "pending" and r.attempts == 0 for r in rows)
        wechat = rows[1].payload
        assert wechat["data"] == {"thing1": "iPhone 15", "time2": "2026-11-25 09:00", "thing3": "短信验证码"}
        assert rows[0].payload["params"] == ["iPhone 15", "2026-11-25 09:00"]

    async def test_rolling_back_the_callers_transaction_leaves_neither_inbox_nor_outbox(self, db, settings) -> None:
        user, _ = await wechat_user(settings)
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="signin:2")
                assert await OutboxMessage.all().count() == 2  # visible inside the transaction
                raise RuntimeError("the business change failed")
        assert await Notification.all().count() == 0
        assert await OutboxMessage.all().count() == 0

    async def test_a_replayed_dedupe_key_creates_nothing_twice(self, db, settings) -> None:
        user, _ = await wechat_user(settings)
        first = await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="signin:3")
        again = await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="signin:3")
        assert again.id == first.id
        assert await Notification.all().count() == 1
        assert await OutboxMessage.all().count() == 2

    async def test_a_replay_inside_a_callers_transaction_keeps_the_callers_work(self, db, settings) -> None:
        user, _ = await wechat_user(settings)
        await service.notify(
            user, "account.role_granted", {"role": "verifier", "organisation": "A"}, dedupe_key="grant:1"
        )
        async with in_transaction():
            await accounts.create_organisation("foundation", "绿化基金会", None, "test")
            await service.notify(
                user, "account.role_granted", {"role": "verifier", "organisation": "A"}, dedupe_key="grant:1"
            )
        assert await AuditEvent.filter(action="organisation.created").count() == 1
        assert await Notification.all().count() == 1

    async def test_concurrent_callers_with_one_dedupe_key_write_one_notification(self, db, settings) -> None:
        user, _ = await wechat_user(settings)

        async def caller() -> int:
            async with in_transaction():
                n = await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="signin:race")
                await asyncio.sleep(0.01)  # keep the transaction open while the others insert
                return n.id

        ids = await asyncio.gather(*(caller() for _ in range(5)))
        assert len(set(ids)) == 1
        assert await Notification.all().count() == 1
        assert await OutboxMessage.all().count() == 2

    async def test_a_dedupe_key_reused_for_another_user_is_a_programming_error(self, db, settings) -> None:
        a, _ = await wechat_user(settings, "openid-a")
        b, _ = await wechat_user(settings, "openid-b")
        await service.notify(a, "account.role_granted", {"role": "verifier", "organisation": None}, dedupe_key="k")
        with pytest.raises(service.DedupeKeyReused):
            await service.notify(b, "account.role_granted", {"role": "verifier", "organisation": None}, dedupe_key="k")

    async def test_a_channel_the_user_turned_off_gets_no_outbox_row(self, db, settings) -> None:
        user, _ = await wechat_user(settings)
        await service.set_preferences(user, [("account.signed_in_new_device", "sms", False)])
        n = await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="signin:4")
        assert [r.channel for r in await OutboxMessage.filter(notification_id=n.id)] == ["wechat"]

    async def test_channels_off_by_default_send_nothing_until_turned_on(self, db, settings) -> None:
        user, _ = await wechat_user(settings)
        params = {"role": "organiser", "organisation": "四川省绿化基金会"}
        n = await service.notify(user, "account.role_granted", params, dedupe_key="grant:2")
        assert [r.channel for r in await OutboxMessage.filter(notification_id=n.id)] == ["wechat"]  # sms is opt-in
        await service.set_preferences(user, [("account.role_granted", "sms", True)])
        n = await service.notify(user, "account.role_granted", params, dedupe_key="grant:3")
        assert sorted(r.channel for r in await OutboxMessage.filter(notification_id=n.id)) == ["sms", "wechat"]

    async def test_no_wechat_row_for_a_user_without_an_openid(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        n = await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="signin:5")
        assert [r.channel for r in await OutboxMessage.filter(notification_id=n.id)] == ["sms"]

    async def test_announcements_reach_the_inbox_only_by_default(self, db, settings) -> None:
        user, _ = await wechat_user(settings)
        params = {
            "title_zh": "春季义务植树开始报名",
            "title_en": "Spring planting is open",
            "body_zh": "详见活动页。",
            "body_en": "See campaigns.",
        }
        n = await service.notify(user, "system.announcement", params, dedupe_key="ann:1:" + user.public_id)
        assert (n.title_zh, n.title_en, n.body_en) == (
            "春季义务植树开始报名",
            "Spring planting is open",
            "See campaigns.",
        )
        assert await OutboxMessage.all().count() == 0

    async def test_unknown_kinds_and_missing_params_are_refused(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        with pytest.raises(ValueError):
            await service.notify(user, "nothing.like.this", {}, dedupe_key="x")
        with pytest.raises(ValueError):
            await service.notify(user, "account.signed_in_new_device", {"device": "x"}, dedupe_key="y")
        assert await Notification.all().count() == 0


class TestPreferences:
    async def test_changes_are_stored_audited_and_the_inbox_cannot_be_turned_off(self, db, settings) -> None:
        from app.core.errors import AppError

        user, _ = await signed_in(settings)
        before = await service.preferences_of(user)
        assert before["account.signed_in_new_device"] == {"wechat": True, "sms": True}
        after = await service.set_preferences(user, [("account.signed_in_new_device", "wechat", False)])
        assert after["account.signed_in_new_device"] == {"wechat": False, "sms": True}
        event = await AuditEvent.get(action="notification_preferences.changed")
        assert event.entity_id == user.public_id and event.after["account.signed_in_new_device"]["wechat"] is False
        with pytest.raises(AppError) as caught:
            await service.set_preferences(user, [("account.signed_in_new_device", "inbox", False)])
        assert caught.value.key == "notifications.inbox_always_on"
        with pytest.raises(AppError) as caught:
            await service.set_preferences(user, [("system.announcement", "sms", True)])
        assert caught.value.key == "notifications.channel_not_offered"
        assert await service.preferences_of(user) == after


def test_local_time_is_beijing_time() -> None:
    assert service.local_time(datetime(2026, 1, 1, 16, 30, tzinfo=UTC).isoformat(), "zh") == "2026-01-02 00:30"


class TestPersonalData:
    async def test_export_includes_the_inbox_and_deletion_erases_it(self, db, settings) -> None:
        from app.accounts import privacy

        user, _ = await wechat_user(settings)
        other, _ = await wechat_user(settings, "openid-other")
        await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="pd:1")
        await service.notify(other, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="pd:2")
        await service.set_preferences(user, [("account.role_granted", "sms", True)])
        document = await privacy.export_user_data(settings, user)
        section = document["notifications"]
        assert [i["title"]["zh"] for i in section["inbox"]] == ["新设备登录提醒"]
        assert section["preferences"]["account.role_granted"]["sms"] is True
        await privacy.delete_account(user, confirmed=True)
        assert await Notification.filter(user_id=user.id).count() == 0
        assert await OutboxMessage.all().count() == 2  # only the other user's deliveries are left
        assert await service.preferences_of(user) == await service.preferences_of(other)
