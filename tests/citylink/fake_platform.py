"""A local fake city platform for the relay's failure paths: a records receiver on loopback that checks
the signature with its own HMAC code, answers scripted statuses and counts each event id once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar, Request, Response, post

from app.accounts.service import new_public_id
from app.citylink.provider import OAuth2CityAccount
from app.citylink.service import seal
from app.settings import Settings
from models.accounts import User
from models.citylink import CityLink
from tests.notifications.fakes import serve

SECRET = "fake-platform-webhook-secret"
ACCESS = "fake-access-token"


class FakeCityPlatform:
    def __init__(self) -> None:
        self.script: list[int] = []  # statuses to answer before accepting (e.g. [503, 503])
        self.delay_s = 0.0
        self.arrivals: list[str] = []  # event ids in arrival order, duplicates included
        self.accepted: Counter[str] = Counter()
        self.refused: list[tuple[int, str]] = []

    def app(self) -> Litestar:
        fake = self

        @post("/records", status_code=200)
        async def records(request: Request) -> Response[dict[str, Any]]:
            body = await request.body()
            if fake.delay_s:
                await asyncio.sleep(fake.delay_s)
            ts = request.headers.get("x-microsink-timestamp", "0")
            expected = "v1=" + hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
            event_id = request.headers.get("x-microsink-event-id", "")
            if not hmac.compare_digest(expected, request.headers.get("x-microsink-signature", "")):
                fake.refused.append((401, "bad_signature"))
                return Response({"error": "bad_signature"}, status_code=401)
            if abs(time.time() - int(ts)) > 300:
                return Response({"error": "stale_timestamp"}, status_code=400)
            if request.headers.get("authorization") != f"Bearer {ACCESS}":
                return Response({"error": "invalid_token"}, status_code=401)
            fake.arrivals.append(event_id)
            if fake.script:
                status = fake.script.pop(0)
                fake.refused.append((status, event_id))
                return Response({"error": "scripted"}, status_code=status)
            first = event_id not in fake.accepted
            fake.accepted[event_id] += 1
            return Response({"status": "accepted" if first else "duplicate"})

        return Litestar(route_handlers=[records], openapi_config=None)


@asynccontextmanager
async def fake_platform() -> AsyncIterator[tuple[FakeCityPlatform, OAuth2CityAccount]]:
    fake = FakeCityPlatform()
    async with serve(fake.app()) as base:
        provider = OAuth2CityAccount(
            name="oauth2",
            authorize_url=base + "/oauth/authorize",
            api_base_url=base,
            client_id="ms",
            client_secret="s",
            webhook_secret=SECRET,
            redirect_uri="http://127.0.0.1/cb",
            timeout_s=5,
        )
        try:
            yield fake, provider
        finally:
            await provider.aclose()


async def linked_to_fake(settings: Settings, user: User) -> CityLink:
    return await CityLink.create(
        public_id=new_public_id(),
        user_id=user.id,
        provider="oauth2",
        account_id=f"FAKE{user.id}",
        access_token_enc=seal(settings, ACCESS, "access"),
        refresh_token_enc=None,
        token_expires_at=datetime.now(UTC) + timedelta(hours=2),
    )
