"""Account events reach the user through the one notification service."""

from app.accounts import service as accounts
from models.notifications import Notification, OutboxMessage


class TestAccountNotifications:
    async def test_a_granted_role_lands_in_the_inbox_once(self, db, settings) -> None:
        user, _ = await accounts.find_or_create_by_phone(settings, "13600001111")
        org = await accounts.create_organisation("foundation", "四川省绿化基金会", None, "test")
        await accounts.grant_role(user, "organiser", org, actor="test")
        await accounts.grant_role(user, "organiser", org, actor="test")  # idempotent grant
        notes = await Notification.filter(user_id=user.id, kind="account.role_granted")
        assert len(notes) == 1
        assert "四川省绿化基金会" in notes[0].body_zh
        # WeChat is on by default for this kind, but this user has no openid: nothing to send there
        assert await OutboxMessage.filter(notification_id=notes[0].id).count() == 0

    async def test_only_a_second_sign_in_warns_about_a_new_device(self, settings) -> None:
        import httpx

        from app.main import create_app
        from tests.accounts.test_sms_signin import last_code, login, send
        from tests.conftest import running

        app = create_app(settings.with_(sms_per_phone_per_minute=5))  # two codes inside one minute
        async with running(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                await send(client)
                assert (await login(client, last_code(app))).status_code == 200
                assert await Notification.filter(kind="account.signed_in_new_device").count() == 0
                await send(client)
                assert (await login(client, last_code(app))).status_code == 200
            notes = await Notification.filter(kind="account.signed_in_new_device")
            assert len(notes) == 1
            assert "手机小程序或应用" in notes[0].body_zh and "短信" in notes[0].body_zh
            assert "the mini-app or a phone app" in notes[0].body_en and "微" not in notes[0].body_en
            # SMS is on by default for this kind and the user has a phone: one message queued
            assert await OutboxMessage.filter(notification_id=notes[0].id, channel="sms").count() == 1
