"""A signed portable record: anyone can check it, and any change after signing shows."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.points import service as points
from tests.helpers import signed_in


async def my_record(client, settings):  # type: ignore[no-untyped-def]
    user, headers = await signed_in(settings)
    await points.earn(uuid4(), user, "planting.approved", units=2)
    r = await client.get("/api/v1/portable/record", headers=headers)
    assert r.status_code == 200
    return user, r.json()


class TestPortableRecord:
    async def test_the_record_carries_my_points_and_verifies(self, client, settings) -> None:
        user, envelope = await my_record(client, settings)
        assert envelope["document"]["subject"] == f"user:{user.public_id}"
        assert envelope["document"]["points"]["balance"] == 20
        r = await client.post("/api/v1/portable/verify", json=envelope)
        assert r.json()["valid"] is True and r.json()["reason"] == "ok"

    async def test_another_platform_can_check_it_offline_with_the_published_key(self, client, settings) -> None:
        _, envelope = await my_record(client, settings)
        key = (await client.get("/api/v1/portable/keys")).json()[0]
        public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["public_key"]))
        canonical = json.dumps(envelope["document"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        public.verify(base64.urlsafe_b64decode(envelope["signature"]["value"]), canonical.encode())  # raises if not
        assert key["key_id"] == hashlib.sha256(base64.urlsafe_b64decode(key["public_key"])).hexdigest()[:16]

    async def test_a_changed_amount_breaks_the_signature(self, client, settings) -> None:
        _, envelope = await my_record(client, settings)
        forged = copy.deepcopy(envelope)
        forged["document"]["points"]["balance"] = 2000
        r = await client.post("/api/v1/portable/verify", json=forged, headers={"Accept-Language": "en"})
        assert r.json()["valid"] is False and r.json()["reason"] == "bad_signature"
        assert "changed after it was signed" in r.json()["message"]

    async def test_a_record_from_another_key_or_no_record_is_refused(self, client, settings) -> None:
        _, envelope = await my_record(client, settings)
        other = copy.deepcopy(envelope)
        other["signature"]["key_id"] = "0" * 16
        assert (await client.post("/api/v1/portable/verify", json=other)).json()["reason"] == "unknown_key"
        assert (await client.post("/api/v1/portable/verify", json={"hello": 1})).json()["reason"] == "not_a_record"

    async def test_my_record_needs_sign_in_but_keys_and_verify_do_not(self, client) -> None:
        assert (await client.get("/api/v1/portable/record")).status_code == 401
        assert (await client.get("/api/v1/portable/keys")).status_code == 200
