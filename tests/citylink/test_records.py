"""Publishing verified records, the receiver's signature checks, unlinking, and the privacy hooks."""

from __future__ import annotations

import json
import time

import pytest
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.citylink import service
from app.citylink.provider import SignatureError, canonical_body, verify_signature
from app.citylink.service import unseal
from models.audit import AuditEvent
from models.citylink import CityDelivery, CityLink, SandboxReceipt, SandboxToken
from tests.citylink.fake_platform import linked_to_fake
from tests.citylink.flow import link, signed_headers
from tests.helpers import signed_in

RECORDS = "/api/v1/sandbox/city-account/records"


class TestPublishVerifiedRecord:
    async def test_it_writes_one_row_per_live_link_in_the_callers_transaction(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        with pytest.raises(RuntimeError):
            async with in_transaction() as conn:
                await service.publish_verified_record(user, "planting.approved", "pl:1", {"t": 1}, connection=conn)
                raise RuntimeError("the publisher's transaction fails")
        assert not await CityDelivery.exists()
        async with in_transaction() as conn:
            assert await service.publish_verified_record(user, "planting.approved", "pl:1", {"t": 1}, conn) == 1
        row = await CityDelivery.get()
        assert (row.status, row.kind, row.source_event_id, row.payload) == (
            "pending",
            "planting.approved",
            "pl:1",
            {"t": 1},
        )
        assert row.event_id.startswith("evt_")

    async def test_a_replayed_publish_adds_nothing_even_inside_a_postgres_transaction(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        await linked_to_fake(settings, user)
        async with in_transaction() as conn:
            await service.publish_verified_record(user, "credits.retired", "r:1", {"kg": 5}, conn)
            await service.publish_verified_record(user, "credits.retired", "r:1", {"kg": 5}, conn)
            await service.publish_verified_record(user, "planting.approved", "r:1", {"t": 1}, conn)  # another kind
        assert await CityDelivery.all().count() == 2

    async def test_a_person_without_a_link_gets_nothing_queued(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        assert await service.publish_verified_record(user, "credits.retired", "r:1", {"kg": 5}) == 0
        assert not await CityDelivery.exists()

    async def test_unknown_kinds_and_bad_ids_are_refused(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        with pytest.raises(ValueError, match="unknown city record kind"):
            await service.publish_verified_record(user, "points.earned", "x", {})
        with pytest.raises(ValueError, match="event_id"):
            await service.publish_verified_record(user, "credits.retired", "", {})
        with pytest.raises(ValueError, match="payload"):
            await service.publish_verified_record(user, "credits.retired", "x", {"big": "x" * 20_000})


def _push_body(event_id: str, account_id: str, kind: str = "planting.approved") -> bytes:
    return canonical_body(
        {"id": event_id, "kind": kind, "occurred_at": "2026-03-12T02:00:00Z", "account_id": account_id, "record": {}}
    )


class TestSandboxReceiver:
    async def _linked(self, client, settings) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        user, headers = await signed_in(settings)
        await link(client, headers, account="CD0000000099")
        row = await CityLink.get(user_id=user.id)
        return unseal(settings, row.access_token_enc, "access") or "", row.account_id

    async def test_a_signed_push_is_accepted_and_a_replayed_event_id_counted_once(self, client, settings) -> None:
        token, account = await self._linked(client, settings)
        body = _push_body("evt_1", account)
        for expected in ("accepted", "duplicate", "duplicate"):
            headers = {**signed_headers(settings, "evt_1", body, int(time.time())), "Authorization": f"Bearer {token}"}
            r = await client.post(RECORDS, content=body, headers=headers)
            assert r.status_code == 200 and r.json()["status"] == expected
        receipt = await SandboxReceipt.get(event_id="evt_1")
        assert await SandboxReceipt.all().count() == 1 and receipt.deliveries == 3

    async def test_a_tampered_body_a_wrong_secret_and_a_stale_timestamp_are_refused(self, client, settings) -> None:
        token, account = await self._linked(client, settings)
        body = _push_body("evt_2", account)
        bearer = {"Authorization": f"Bearer {token}"}
        now = int(time.time())
        tampered = body.replace(b'"record":{}', b'"record":{"kg":999}')
        r = await client.post(
            RECORDS, content=tampered, headers={**signed_headers(settings, "evt_2", body, now), **bearer}
        )
        assert (r.status_code, r.json()["error"]) == (401, "bad_signature")
        wrong = signed_headers(settings, "evt_2", body, now, secret="guessed")
        r = await client.post(RECORDS, content=body, headers={**wrong, **bearer})
        assert (r.status_code, r.json()["error"]) == (401, "bad_signature")
        stale = signed_headers(settings, "evt_2", body, now - 301)
        r = await client.post(RECORDS, content=body, headers={**stale, **bearer})
        assert (r.status_code, r.json()["error"]) == (400, "stale_timestamp")
        assert not await SandboxReceipt.exists()

    async def test_a_push_needs_a_live_token_of_the_same_account(self, client, settings) -> None:
        token, account = await self._linked(client, settings)
        body = _push_body("evt_3", "CD-somebody-else")
        now = int(time.time())
        r = await client.post(
            RECORDS,
            content=body,
            headers={**signed_headers(settings, "evt_3", body, now), "Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 403
        body = _push_body("evt_3", account)
        r = await client.post(
            RECORDS,
            content=body,
            headers={**signed_headers(settings, "evt_3", body, now), "Authorization": "Bearer nope"},
        )
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
        assert not await SandboxReceipt.exists()

    def test_verify_signature_refuses_missing_headers(self, settings) -> None:
        with pytest.raises(SignatureError, match="missing_signature"):
            verify_signature("s", {}, b"{}", time.time())


class TestUnlink:
    async def test_it_drops_tokens_cancels_undelivered_rows_revokes_and_audits(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers)
        row = await CityLink.get(user_id=user.id)
        access = unseal(settings, row.access_token_enc, "access") or ""
        await service.publish_verified_record(user, "planting.approved", "pl:1", {})
        r = await client.post("/api/v1/city-account/unlink", headers=headers)
        assert r.status_code == 200 and r.json()["linked"] is False
        row = await CityLink.get(id=row.id)
        assert (row.status, row.access_token_enc, row.refresh_token_enc, row.unlink_reason) == (
            "unlinked",
            None,
            None,
            "user",
        )
        assert (await CityDelivery.get()).status == "cancelled"
        import hashlib

        token = await SandboxToken.get(access_hash=hashlib.sha256(access.encode()).hexdigest())
        assert token.revoked_at is not None  # the platform was told
        event = await AuditEvent.get(action="city_account.unlinked", entity_id=row.public_id)
        assert event.after == {"status": "unlinked", "reason": "user", "cancelled_deliveries": 1}

    async def test_unlinking_without_a_link_is_a_clear_409(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.post("/api/v1/city-account/unlink?lang=en", headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "citylink.not_linked"
        assert "not linked" in r.json()["message"]


class TestPrivacy:
    async def test_the_export_lists_links_and_pushed_records(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers, account="CD0000000123")
        await service.publish_verified_record(user, "credits.retired", "r:7", {"kg": 3})
        document = (await client.get("/api/v1/me/export", headers=headers)).json()
        section = document["city_account"]
        assert section["links"][0]["account_id"] == "CD0000000123"
        assert section["deliveries"][0]["record"] == {"kg": 3}
        assert "token" not in json.dumps(section)

    async def test_deleting_the_account_unlinks_drops_tokens_and_forgets_the_city_account(
        self, client, settings
    ) -> None:
        user, headers = await signed_in(settings)
        await link(client, headers, account="CD0000000124")
        await service.publish_verified_record(user, "credits.retired", "r:8", {"kg": 3})
        await privacy.delete_account(user, confirmed=True)
        row = await CityLink.get(user_id=user.id)
        assert (row.status, row.access_token_enc, row.refresh_token_enc) == ("unlinked", None, None)
        assert row.account_id == "" and row.unlink_reason == "account_deleted"
        delivery = await CityDelivery.get()
        assert (delivery.status, delivery.payload) == ("cancelled", {})
