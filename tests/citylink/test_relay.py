"""The push relay: signed pushes delivered once, retries with back-off, permanent failures, unlink races."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta

from app.citylink import relay, service
from app.citylink.service import unseal
from app.core.relay import RelayPolicy
from models.citylink import CityDelivery, CityLink, SandboxReceipt, SandboxToken
from tests.citylink.fake_platform import fake_platform, linked_to_fake
from tests.citylink.flow import link
from tests.conftest import postgres_only
from tests.helpers import signed_in

POLICY = RelayPolicy(batch_size=10, lease_s=60, send_timeout_s=2, max_attempts=4, backoff_base_s=30, backoff_cap_s=3600)
RECORD = {"planting_log": "pl-1", "trees": 3, "site": "510104", "kg_co2e": 0}


class TestRelayAgainstTheSandbox:
    async def test_a_published_record_is_pushed_signed_and_counted_once(self, client, app, settings) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers, account="CD0000000001")
        assert await service.publish_verified_record(user, "planting.approved", "planting-log:1", RECORD) == 1
        report = await relay.run_once(settings, app.state.city_account, policy=POLICY)
        assert (report.claimed, report.delivered) == (1, 1), report.errors
        row = await CityDelivery.get()
        assert row.status == "delivered" and row.last_status == 200 and row.delivered_at is not None
        receipt = await SandboxReceipt.get(event_id=row.event_id)
        assert receipt.account_id == "CD0000000001" and receipt.deliveries == 1
        assert receipt.body["record"] == RECORD and receipt.body["kind"] == "planting.approved"
        # A second pass finds nothing to do.
        assert (await relay.run_once(settings, app.state.city_account, policy=POLICY)).claimed == 0
        r = await client.get("/api/v1/city-account", headers=headers)
        assert r.json()["deliveries"][0]["status"] == "delivered"

    async def test_an_expiring_access_token_is_refreshed_first_and_the_old_pair_dies(
        self, client, app, settings
    ) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers)
        old = await CityLink.get(user_id=user.id)
        old_access = unseal(settings, old.access_token_enc, "access") or ""
        await CityLink.filter(id=old.id).update(token_expires_at=datetime.now(UTC) + timedelta(seconds=5))
        await service.publish_verified_record(user, "credits.retired", "retirement:9", {"kg": 12})
        report = await relay.run_once(settings, app.state.city_account, policy=POLICY)
        assert report.delivered == 1, report.errors
        new = await CityLink.get(id=old.id)
        assert unseal(settings, new.access_token_enc, "access") != old_access
        assert new.token_expires_at > datetime.now(UTC) + timedelta(hours=1)
        old_row = await SandboxToken.get(access_hash=hashlib.sha256(old_access.encode()).hexdigest())
        assert old_row.revoked_at is not None  # rotated

    async def test_a_token_the_platform_rejects_is_refreshed_and_the_push_retried_once(
        self, client, app, settings
    ) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers)
        # The platform expired the access token early; we still believe it is good for hours.
        await SandboxToken.all().update(access_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        await service.publish_verified_record(user, "credits.retired", "retirement:10", {"kg": 1})
        report = await relay.run_once(settings, app.state.city_account, policy=POLICY)
        assert report.delivered == 1, report.errors
        assert await SandboxReceipt.all().count() == 1

    async def test_a_grant_revoked_on_the_platform_ends_the_link(self, client, app, settings) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers)
        await SandboxToken.all().update(revoked_at=datetime.now(UTC))  # the person withdrew consent there
        await service.publish_verified_record(user, "credits.retired", "retirement:11", {"kg": 1})
        await relay.run_once(settings, app.state.city_account, policy=POLICY)
        ended = await CityLink.get(user_id=user.id)
        assert (ended.status, ended.unlink_reason, ended.access_token_enc) == ("unlinked", "revoked", None)
        assert (await CityDelivery.get()).status == "cancelled"
        assert not await SandboxReceipt.exists()


class TestRelayFailurePaths:
    async def test_5xx_retries_with_exponential_backoff_then_delivers_once(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        await service.publish_verified_record(user, "planting.approved", "pl:1", RECORD)
        async with fake_platform() as (fake, provider):
            fake.script = [503, 500]
            t0 = datetime.now(UTC)
            first = await relay.run_once(settings, provider, policy=POLICY, now=t0)
            row = await CityDelivery.get()
            assert first.retried == 1 and row.status == "pending" and row.last_status == 503
            assert row.next_attempt_at == t0 + timedelta(seconds=30)
            assert (
                await relay.run_once(settings, provider, policy=POLICY, now=t0 + timedelta(seconds=29))
            ).claimed == 0
            await relay.run_once(settings, provider, policy=POLICY, now=t0 + timedelta(seconds=30))
            row = await CityDelivery.get()
            assert row.attempts == 2 and row.next_attempt_at == t0 + timedelta(seconds=30 + 60)
            done = await relay.run_once(settings, provider, policy=POLICY, now=t0 + timedelta(seconds=90))
            assert done.delivered == 1
            assert fake.arrivals == [row.event_id] * 3 and fake.accepted == {row.event_id: 1}

    async def test_408_and_429_are_retried(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        await service.publish_verified_record(user, "planting.approved", "pl:2", RECORD)
        async with fake_platform() as (fake, provider):
            fake.script = [429, 408]
            now = datetime.now(UTC)
            for step in range(3):
                await relay.run_once(settings, provider, policy=POLICY, now=now + timedelta(hours=step))
        assert (await CityDelivery.get()).status == "delivered"

    async def test_a_4xx_is_permanent_and_not_retried(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        await service.publish_verified_record(user, "planting.approved", "pl:3", RECORD)
        async with fake_platform() as (fake, provider):
            fake.script = [422]
            report = await relay.run_once(settings, provider, policy=POLICY)
            later = await relay.run_once(settings, provider, policy=POLICY, now=datetime.now(UTC) + timedelta(days=1))
        row = await CityDelivery.get()
        assert report.failed == 1 and later.claimed == 0
        assert (row.status, row.attempts, row.last_status) == ("failed", 1, 422)

    async def test_a_wrong_webhook_secret_is_refused_by_the_receiver_and_fails(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        await service.publish_verified_record(user, "planting.approved", "pl:4", RECORD)
        async with fake_platform() as (fake, provider):
            provider._webhook_secret = "not-the-shared-secret"
            await relay.run_once(settings, provider, policy=POLICY)
        assert fake.refused == [(401, "bad_signature")] and not fake.accepted
        assert (await CityDelivery.get()).status == "failed"

    async def test_a_timeout_is_retried_and_the_last_attempt_fails(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        await service.publish_verified_record(user, "planting.approved", "pl:5", RECORD)
        quick = RelayPolicy(batch_size=10, lease_s=60, send_timeout_s=0.2, max_attempts=2, backoff_base_s=30)
        async with fake_platform() as (fake, provider):
            fake.delay_s = 1.0
            now = datetime.now(UTC)
            first = await relay.run_once(settings, provider, policy=quick, now=now)
            assert first.retried == 1 and "timed out" in (await CityDelivery.get()).last_error
            second = await relay.run_once(settings, provider, policy=quick, now=now + timedelta(minutes=1))
            assert second.failed == 1
        row = await CityDelivery.get()
        assert (row.status, row.attempts) == ("failed", 2)

    async def test_a_crashed_push_is_taken_over_after_its_lease_and_keeps_its_event_id(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        await service.publish_verified_record(user, "planting.approved", "pl:6", RECORD)
        now = datetime.now(UTC)
        crashed = await relay.claim_due(now, POLICY)  # a worker claimed it, then died
        assert len(crashed) == 1 and await relay.claim_due(now, POLICY) == []
        async with fake_platform() as (fake, provider):
            report = await relay.run_once(settings, provider, policy=POLICY, now=now + timedelta(seconds=61))
        assert report.delivered == 1
        row = await CityDelivery.get()
        assert row.attempts == 2 and list(fake.accepted) == [row.event_id]

    @postgres_only
    async def test_concurrent_relay_passes_never_deliver_one_row_twice(self, db, settings) -> None:
        users = [(await signed_in(settings))[0] for _ in range(6)]
        for user in users:
            await linked_to_fake(settings, user)
            for i in range(10):
                await service.publish_verified_record(user, "planting.approved", f"pl:{i}", RECORD)
        policy = RelayPolicy(batch_size=4, lease_s=60, send_timeout_s=5, max_attempts=3)
        claimed_by: Counter[int] = Counter()
        async with fake_platform() as (fake, provider):
            fake.delay_s = 0.005

            async def worker(number: int) -> None:
                while True:
                    report = await relay.run_once(settings, provider, policy=policy)
                    claimed_by[number] += report.claimed
                    if report.claimed == 0:
                        return

            await asyncio.gather(*(worker(i) for i in range(6)))
        assert len(fake.arrivals) == 60 and set(Counter(fake.arrivals).values()) == {1}
        assert await CityDelivery.filter(status="delivered").count() == 60
        assert sum(1 for n in claimed_by.values() if n) >= 3  # the passes really ran side by side


class TestUnlinkStopsPushes:
    async def test_unlink_before_the_relay_runs_cancels_and_delivers_nothing(self, client, app, settings) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers)
        await service.publish_verified_record(user, "planting.approved", "pl:1", RECORD)
        r = await client.post("/api/v1/city-account/unlink", headers=headers)
        assert r.status_code == 200 and r.json()["linked"] is False
        report = await relay.run_once(settings, app.state.city_account, policy=POLICY)
        assert report.claimed == 0 and not await SandboxReceipt.exists()
        assert (await CityDelivery.get()).status == "cancelled"

    async def test_an_unlink_between_claim_and_push_delivers_nothing(self, client, app, settings) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers)
        await service.publish_verified_record(user, "planting.approved", "pl:1", RECORD)
        now = datetime.now(UTC)
        [claim] = await relay.claim_due(now, POLICY)  # the relay took the row ...
        await client.post("/api/v1/city-account/unlink", headers=headers)  # ... then the person unlinked
        report = relay.RelayReport()
        await relay._deliver(claim, now, settings, app.state.city_account, POLICY, report)
        assert not await SandboxReceipt.exists()
        assert (await CityDelivery.get()).status == "cancelled"

    async def test_a_row_published_against_a_link_that_just_ended_is_cancelled_at_send(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        link_row = await linked_to_fake(settings, user)
        await service.publish_verified_record(user, "planting.approved", "pl:1", RECORD)
        # As if the unlink committed between the publisher's read and its commit: the row stayed pending.
        await CityLink.filter(id=link_row.id).update(status="unlinked", access_token_enc=None)
        async with fake_platform() as (fake, provider):
            report = await relay.run_once(settings, provider, policy=POLICY)
        assert report.cancelled == 1 and fake.arrivals == []

    async def test_relinking_does_not_resend_old_records_unless_published_again(self, client, app, settings) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers, account="CD0000000007")
        await service.publish_verified_record(user, "planting.approved", "pl:1", RECORD)
        await client.post("/api/v1/city-account/unlink", headers=headers)
        await link(client, headers, account="CD0000000007")
        assert (await relay.run_once(settings, app.state.city_account, policy=POLICY)).claimed == 0
        assert await service.publish_verified_record(user, "planting.approved", "pl:1", RECORD) == 1
        assert (await relay.run_once(settings, app.state.city_account, policy=POLICY)).delivered == 1
        statuses = sorted(await CityDelivery.all().values_list("status", flat=True))
        assert statuses == ["cancelled", "delivered"]
        assert await SandboxReceipt.all().count() == 1
