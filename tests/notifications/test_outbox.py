"""The outbox relay: sends each row once, retries with backoff, takes over crashed sends, never double-claims."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from app.notifications import outbox, service
from app.notifications.outbox import Providers, RelayPolicy
from app.notifications.sms import SmsSendError
from app.notifications.tencent_sms import TencentSms
from app.notifications.wechat_message import SandboxWechatMessenger, WechatSubscribeMessenger
from models.notifications import OutboxMessage
from tests.conftest import postgres_only
from tests.helpers import signed_in
from tests.notifications.fakes import FakeTencentSms, FakeWechat, serve

NEW_DEVICE = {"device": "Pixel 9", "method": "wechat", "at": "2026-11-25T01:00:00+00:00"}
POLICY = RelayPolicy(batch_size=10, lease_s=60, max_attempts=3, backoff_base_s=30, backoff_cap_s=3600)


class RecordingSms:
    """An SMS provider double that counts calls per outbox row and can fail on demand."""

    def __init__(self, fail_times: int = 0, retryable: bool = True, delay_s: float = 0.0) -> None:
        self.calls: list[tuple[str, str, tuple[str, ...], str | None]] = []
        self.fail_times = fail_times
        self.retryable = retryable
        self.delay_s = delay_s

    async def send(
        self, phone: str, template_id: str, params: Sequence[str], *, session_context: str | None = None
    ) -> str:
        self.calls.append((phone, template_id, tuple(params), session_context))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_times > 0:
            self.fail_times -= 1
            raise SmsSendError("provider down", retryable=self.retryable)
        return f"msg-{len(self.calls)}"


async def sms_only_rows(settings, n: int = 1) -> tuple[list[OutboxMessage], str]:  # type: ignore[no-untyped-def]
    """`n` notifications to one phone-only user (SMS on), so each has exactly one outbox row."""
    user, _ = await signed_in(settings)
    for i in range(n):
        await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key=f"dev:{user.id}:{i}")
    rows = await OutboxMessage.all().order_by("id")
    assert len(rows) == n and {r.channel for r in rows} == {"sms"}
    from app.accounts.service import reveal_phone

    return rows, reveal_phone(settings, user) or ""


class TestRunOnce:
    async def test_sends_with_the_template_id_the_provider_approved(self, db, settings) -> None:
        await sms_only_rows(settings)
        sms = RecordingSms()
        configured = settings.with_(notification_template_ids={"sms": {"account-signed-in-new-device": "2288001"}})
        await outbox.run_once(configured, Providers(wechat=SandboxWechatMessenger(), sms=sms), policy=POLICY)
        assert [call[1] for call in sms.calls] == ["2288001"]

    async def test_sends_once_and_marks_sent_with_the_provider_id(self, db, settings) -> None:
        (row,), phone = await sms_only_rows(settings)
        sms = RecordingSms()
        providers = Providers(wechat=SandboxWechatMessenger(), sms=sms)
        report = await outbox.run_once(settings, providers, policy=POLICY)
        assert (report.claimed, report.sent) == (1, 1)
        again = await outbox.run_once(settings, providers, policy=POLICY, now=datetime.now(UTC) + timedelta(days=1))
        assert again.claimed == 0
        assert sms.calls == [
            (phone, "account-signed-in-new-device", ("Pixel 9", "2026-11-25 09:00"), f"outbox:{row.id}")
        ]
        await row.refresh_from_db()
        assert (row.status, row.provider_message_id, row.attempts, row.lease_until) == ("sent", "msg-1", 1, None)
        assert row.sent_at is not None

    async def test_a_failure_retries_with_exponential_backoff_then_fails(self, db, settings) -> None:
        (row,), _ = await sms_only_rows(settings)
        sms = RecordingSms(fail_times=99)
        providers = Providers(wechat=SandboxWechatMessenger(), sms=sms)
        t0 = datetime.now(UTC)
        await outbox.run_once(settings, providers, policy=POLICY, now=t0)
        await row.refresh_from_db()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == t0 + timedelta(seconds=30)
        assert "provider down" in (row.last_error or "")
        # Not due yet: nothing happens a second before.
        assert (await outbox.run_once(settings, providers, policy=POLICY, now=t0 + timedelta(seconds=29))).claimed == 0
        t1 = t0 + timedelta(seconds=30)
        await outbox.run_once(settings, providers, policy=POLICY, now=t1)
        await row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 2, t1 + timedelta(seconds=60))
        t2 = t1 + timedelta(seconds=60)
        report = await outbox.run_once(settings, providers, policy=POLICY, now=t2)
        await row.refresh_from_db()
        assert (row.status, row.attempts, report.failed) == ("failed", 3, 1)
        assert (await outbox.run_once(settings, providers, policy=POLICY, now=t2 + timedelta(days=1))).claimed == 0
        assert len(sms.calls) == 3

    async def test_a_transient_failure_then_success_is_sent_once(self, db, settings) -> None:
        (row,), _ = await sms_only_rows(settings)
        sms = RecordingSms(fail_times=1)
        providers = Providers(wechat=SandboxWechatMessenger(), sms=sms)
        t0 = datetime.now(UTC)
        await outbox.run_once(settings, providers, policy=POLICY, now=t0)
        await outbox.run_once(settings, providers, policy=POLICY, now=t0 + timedelta(seconds=31))
        await row.refresh_from_db()
        assert (row.status, row.attempts, row.provider_message_id, row.last_error) == ("sent", 2, "msg-2", None)

    async def test_a_permanent_failure_is_not_retried(self, db, settings) -> None:
        (row,), _ = await sms_only_rows(settings)
        sms = RecordingSms(fail_times=1, retryable=False)
        providers = Providers(wechat=SandboxWechatMessenger(), sms=sms)
        await outbox.run_once(settings, providers, policy=POLICY)
        await outbox.run_once(settings, providers, policy=POLICY, now=datetime.now(UTC) + timedelta(days=1))
        await row.refresh_from_db()
        assert (row.status, row.attempts, len(sms.calls)) == ("failed", 1, 1)

    async def test_a_crashed_send_is_taken_over_after_its_lease_expires(self, db, settings) -> None:
        (row,), _ = await sms_only_rows(settings)
        t0 = datetime.now(UTC)
        claimed = await outbox.claim_due(t0, POLICY)  # a worker claims the row and dies mid-send
        assert [c.id for c in claimed] == [row.id]
        await row.refresh_from_db()
        assert (row.status, row.attempts) == ("sending", 1)
        sms = RecordingSms()
        providers = Providers(wechat=SandboxWechatMessenger(), sms=sms)
        still_leased = await outbox.run_once(settings, providers, policy=POLICY, now=t0 + timedelta(seconds=59))
        assert still_leased.claimed == 0 and sms.calls == []
        taken_over = await outbox.run_once(settings, providers, policy=POLICY, now=t0 + timedelta(seconds=61))
        assert (taken_over.claimed, taken_over.sent) == (1, 1)
        await row.refresh_from_db()
        assert (row.status, row.attempts) == ("sent", 2)

    async def test_a_late_worker_cannot_overwrite_the_outcome_of_the_worker_that_took_over(self, db, settings) -> None:
        (row,), _ = await sms_only_rows(settings)
        t0 = datetime.now(UTC)
        (stale,) = await outbox.claim_due(t0, POLICY)
        providers = Providers(wechat=SandboxWechatMessenger(), sms=RecordingSms())
        await outbox.run_once(settings, providers, policy=POLICY, now=t0 + timedelta(seconds=61))
        report = outbox.RelayReport()
        failing = Providers(wechat=SandboxWechatMessenger(), sms=RecordingSms(fail_times=1))
        await outbox._deliver(stale, t0, settings, failing, POLICY, report)
        await row.refresh_from_db()
        assert row.status == "sent" and report.retried == 0

    async def test_a_crash_during_the_last_attempt_ends_failed_not_resent(self, db, settings) -> None:
        (row,), _ = await sms_only_rows(settings)
        await OutboxMessage.filter(id=row.id).update(attempts=POLICY.max_attempts - 1)
        t0 = datetime.now(UTC)
        await outbox.claim_due(t0, POLICY)
        sms = RecordingSms()
        report = await outbox.run_once(
            settings, Providers(SandboxWechatMessenger(), sms), policy=POLICY, now=t0 + timedelta(seconds=61)
        )
        await row.refresh_from_db()
        assert (row.status, report.expired, sms.calls) == ("failed", 1, [])

    async def test_a_user_without_an_address_any_more_fails_permanently(self, db, settings) -> None:
        (row,), _ = await sms_only_rows(settings)
        from models.accounts import User

        await User.all().update(phone_enc=None)
        sms = RecordingSms()
        await outbox.run_once(settings, Providers(SandboxWechatMessenger(), sms), policy=POLICY)
        await row.refresh_from_db()
        assert row.status == "failed" and sms.calls == []

    @postgres_only
    async def test_concurrent_relays_never_send_the_same_row_twice(self, db, settings) -> None:
        await sms_only_rows(settings, n=60)
        sms = RecordingSms(delay_s=0.005)
        providers = Providers(wechat=SandboxWechatMessenger(), sms=sms)
        policy = RelayPolicy(batch_size=4, lease_s=60, max_attempts=3)
        claimed_by: dict[int, int] = Counter()

        async def worker(number: int) -> None:
            while True:
                report = await outbox.run_once(settings, providers, policy=policy)
                claimed_by[number] += report.claimed
                if report.claimed == 0:
                    return

        await asyncio.gather(*(worker(i) for i in range(6)))
        per_row = Counter(context for *_, context in sms.calls)
        assert len(per_row) == 60 and set(per_row.values()) == {1}, per_row.most_common(3)
        assert await OutboxMessage.filter(status="sent").count() == 60
        assert sum(claimed_by.values()) == 60
        assert sum(1 for n in claimed_by.values() if n) >= 3  # the workers really ran side by side


class TestRelayWithRealAdapters:
    async def test_wechat_and_tencent_sms_deliveries_end_to_end(self, db, settings) -> None:
        wx_fake, sms_fake = FakeWechat(), FakeTencentSms()
        user, _ = await signed_in(settings)
        user.wechat_openid = "openid-e2e"
        await user.save(update_fields=["wechat_openid"])
        n = await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="e2e")
        async with serve(wx_fake.app()) as wx_base, serve(sms_fake.app()) as sms_base:
            providers = Providers(
                wechat=WechatSubscribeMessenger(wx_base, wx_fake.appid, wx_fake.secret),
                sms=TencentSms(sms_base, sms_fake.secret_id, sms_fake.secret_key, sms_fake.app_id, "微碳汇"),
            )
            report = await outbox.run_once(settings, providers, policy=POLICY)
            await providers.aclose()
        assert report.sent == 2, report.errors
        rows = {r.channel: r for r in await OutboxMessage.filter(notification_id=n.id)}
        assert rows["wechat"].provider_message_id == str(wx_fake.sent[0]["msgid"])
        assert wx_fake.sent[0]["touser"] == "openid-e2e" and wx_fake.sent[0]["page"] == "pages/me/devices"
        assert sms_fake.requests[0]["SessionContext"] == f"outbox:{rows['sms'].id}"
        assert rows["sms"].provider_message_id.startswith("2640:")

    async def test_a_refused_wechat_subscription_is_failed_without_retry(self, db, settings) -> None:
        wx_fake = FakeWechat()
        wx_fake.refused_openids.add("openid-refuses")
        user, _ = await signed_in(settings)
        user.wechat_openid = "openid-refuses"
        await user.save(update_fields=["wechat_openid"])
        await service.set_preferences(user, [("account.signed_in_new_device", "sms", False)])
        await service.notify(user, "account.signed_in_new_device", NEW_DEVICE, dedupe_key="refused")
        async with serve(wx_fake.app()) as wx_base:
            providers = Providers(WechatSubscribeMessenger(wx_base, wx_fake.appid, wx_fake.secret), RecordingSms())
            await outbox.run_once(settings, providers, policy=POLICY)
            later = await outbox.run_once(settings, providers, policy=POLICY, now=datetime.now(UTC) + timedelta(days=1))
            await providers.aclose()
        row = await OutboxMessage.get()
        assert (row.status, row.attempts, later.claimed) == ("failed", 1, 0)
        assert "43101" in (row.last_error or "")


class TestRelayInTheApp:
    async def test_the_lifespan_relay_delivers_when_background_workers_are_on(self, settings) -> None:
        from app.main import create_app
        from tests.conftest import running

        app = create_app(settings.with_(background_workers=True, outbox_poll_interval_s=0.05))
        async with running(app):
            user, _ = await signed_in(settings)
            user.wechat_openid = "openid-lifespan"
            await user.save(update_fields=["wechat_openid"])
            await service.notify(
                user, "account.role_granted", {"role": "verifier", "organisation": None}, dedupe_key="life"
            )
            for _ in range(100):
                if await OutboxMessage.filter(status="sent").exists():
                    break
                await asyncio.sleep(0.05)
            sandbox = app.state.notification_providers.wechat
            assert [m.openid for m in sandbox.sent()] == ["openid-lifespan"]
            row = await OutboxMessage.get()
        assert row.status == "sent" and row.provider_message_id == sandbox.sent()[0].message_id

    async def test_no_relay_runs_without_background_workers(self, settings) -> None:
        from app.main import create_app
        from tests.conftest import running

        app = create_app(settings)  # the test settings turn background workers off
        async with running(app):
            user, _ = await signed_in(settings)
            user.wechat_openid = "openid-idle"
            await user.save(update_fields=["wechat_openid"])
            await service.notify(
                user, "account.role_granted", {"role": "verifier", "organisation": None}, dedupe_key="idle"
            )
            await asyncio.sleep(0.3)
            assert await OutboxMessage.filter(status="pending").count() == 1
