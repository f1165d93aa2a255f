"""The inbox API and page: a user sees and marks only their own notifications; preferences per kind × channel."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from app.core.auth import SESSION_COOKIE, hash_secret
from app.notifications import service
from models.accounts import AuthSession
from models.audit import AuditEvent
from models.notifications import Notification
from tests.helpers import signed_in

ROLE = {"role": "verifier", "organisation": "四川省林草核证中心"}


async def notify_n(user, n: int, prefix: str = "k") -> list[Notification]:  # type: ignore[no-untyped-def]
    return [
        await service.notify(user, "account.role_granted", ROLE, dedupe_key=f"{prefix}:{user.id}:{i}") for i in range(n)
    ]


class TestInboxApi:
    async def test_lists_newest_first_paginated_with_the_unread_count(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        made = await notify_n(user, 5)
        r = await client.get("/api/v1/notifications?page=1&page_size=2", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["total"], body["unread"], body["page"], body["page_size"]) == (5, 5, 1, 2)
        assert [i["id"] for i in body["items"]] == [made[4].public_id, made[3].public_id]
        assert body["items"][0]["title"] == "您已获得“核证员”角色" and body["items"][0]["read"] is False
        r = await client.get("/api/v1/notifications?page=3&page_size=2", headers={**headers, "Accept-Language": "en"})
        assert [i["id"] for i in r.json()["items"]] == [made[0].public_id]
        assert r.json()["items"][0]["title"] == "You now hold the role: verifier"

    async def test_marks_one_read_then_all_read(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        made = await notify_n(user, 3)
        r = await client.post(f"/api/v1/notifications/{made[0].public_id}/read", headers=headers)
        assert r.status_code == 200 and r.json()["read"] is True
        first_read_at = r.json()["read_at"]
        r = await client.post(f"/api/v1/notifications/{made[0].public_id}/read", headers=headers)
        assert r.json()["read_at"] == first_read_at  # marking again keeps the first read time
        assert (await client.get("/api/v1/notifications", headers=headers)).json()["unread"] == 2
        r = await client.post("/api/v1/notifications/read-all", headers=headers)
        assert r.status_code == 200 and r.json() == {"marked": 2}
        assert (await client.get("/api/v1/notifications", headers=headers)).json()["unread"] == 0
        r = await client.get("/api/v1/notifications?unread_only=true", headers=headers)
        assert r.json()["items"] == []

    async def test_a_user_cannot_read_or_mark_another_users_notifications(self, client, settings) -> None:
        alice, alice_h = await signed_in(settings)
        bob, bob_h = await signed_in(settings)
        (alices,) = await notify_n(alice, 1, "a")
        await notify_n(bob, 2, "b")
        r = await client.get("/api/v1/notifications", headers=bob_h)
        assert r.json()["total"] == 2 and alices.public_id not in {i["id"] for i in r.json()["items"]}
        r = await client.post(f"/api/v1/notifications/{alices.public_id}/read", headers=bob_h)
        assert r.status_code == 404 and r.json()["code"] == "notifications.not_found"
        await client.post("/api/v1/notifications/read-all", headers=bob_h)
        await alices.refresh_from_db()
        assert alices.read_at is None
        assert (await client.get("/api/v1/notifications", headers=alice_h)).json()["unread"] == 1

    async def test_needs_a_signed_in_user(self, client) -> None:
        assert (await client.get("/api/v1/notifications")).status_code == 401
        assert (await client.post("/api/v1/notifications/read-all")).status_code == 401
        assert (await client.get("/api/v1/notifications/preferences")).status_code == 401

    async def test_page_size_is_bounded(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.get("/api/v1/notifications?page_size=1000", headers=headers)
        assert r.status_code == 400 and r.json()["code"] == "error.validation"


class TestPreferencesApi:
    async def test_shows_each_kind_with_the_inbox_locked_on(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.get("/api/v1/notifications/preferences", headers=headers)
        assert r.status_code == 200
        items = {i["kind"]: i for i in r.json()["items"]}
        assert {"account.signed_in_new_device", "account.role_granted", "system.announcement"} <= set(items)
        role = {c["channel"]: c for c in items["account.role_granted"]["channels"]}
        assert role["inbox"] == {"channel": "inbox", "enabled": True, "locked": True}
        assert role["wechat"]["enabled"] is True and role["sms"]["enabled"] is False
        assert items["account.role_granted"]["label"] == "角色授予"

    async def test_a_user_turns_channels_on_and_off_and_it_is_audited(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        r = await client.put(
            "/api/v1/notifications/preferences",
            json={
                "preferences": [
                    {"kind": "account.role_granted", "channel": "sms", "enabled": True},
                    {"kind": "account.role_granted", "channel": "wechat", "enabled": False},
                ]
            },
            headers=headers,
        )
        assert r.status_code == 200, r.text
        role = {
            c["channel"]: c["enabled"]
            for i in r.json()["items"]
            if i["kind"] == "account.role_granted"
            for c in i["channels"]
        }
        assert role == {"inbox": True, "sms": True, "wechat": False}
        assert (await service.preferences_of(user))["account.role_granted"] == {"wechat": False, "sms": True}
        assert await AuditEvent.filter(action="notification_preferences.changed", entity_id=user.public_id).count() == 1

    async def test_turning_off_the_inbox_or_an_unknown_kind_is_a_400_that_says_why(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.put(
            "/api/v1/notifications/preferences",
            json={"preferences": [{"kind": "account.role_granted", "channel": "inbox", "enabled": False}]},
            headers={**headers, "Accept-Language": "en"},
        )
        assert r.status_code == 400 and r.json()["code"] == "notifications.inbox_always_on"
        assert "always on" in r.json()["message"]
        r = await client.put(
            "/api/v1/notifications/preferences",
            json={"preferences": [{"kind": "no.such.kind", "channel": "sms", "enabled": True}]},
            headers=headers,
        )
        assert r.status_code == 400 and r.json()["code"] == "notifications.unknown_kind"
        assert await AuditEvent.filter(action="notification_preferences.changed").count() == 0


async def cookie_for(user) -> str:  # type: ignore[no-untyped-def]
    cookie = secrets.token_urlsafe(32)
    await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="cookie",
        secret_hash=hash_secret(cookie),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return cookie


class TestInboxPage:
    async def test_lists_the_inbox_in_chinese_and_english(self, client, settings) -> None:
        user, _ = await signed_in(settings)
        await notify_n(user, 2)
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        r = await client.get("/notifications")
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert "消息通知" in r.text and "您已获得“核证员”角色" in r.text and "未读 2 条" in r.text
        r = await client.get("/notifications?lang=en")
        assert "You now hold the role: verifier" in r.text and "2 unread" in r.text

    async def test_shows_only_the_signed_in_users_notifications(self, client, settings) -> None:
        alice, _ = await signed_in(settings)
        bob, _ = await signed_in(settings)
        await service.notify(
            alice,
            "system.announcement",
            {"title_zh": "只给爱丽丝", "title_en": "Alice only", "body_zh": "。", "body_en": "."},
            dedupe_key="a",
        )
        client.cookies.set(SESSION_COOKIE, await cookie_for(bob))
        r = await client.get("/notifications")
        assert r.status_code == 200 and "只给爱丽丝" not in r.text and "暂时没有通知" in r.text

    async def test_a_stranger_is_sent_to_sign_in(self, client) -> None:
        r = await client.get("/notifications")
        assert r.status_code in (302, 303, 307) and r.headers["location"].startswith("/sign-in")

    async def test_mark_all_read_form_needs_the_csrf_token(self, client, settings) -> None:
        user, _ = await signed_in(settings)
        await notify_n(user, 1)
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        page = await client.get("/notifications")
        assert (await client.post("/notifications/read-all")).status_code == 403
        assert await Notification.filter(user_id=user.id, read_at=None).count() == 1
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = await client.post("/notifications/read-all", data={"_csrf_token": token})
        assert r.status_code == 303, r.text
        assert await Notification.filter(user_id=user.id, read_at=None).count() == 0
