"""Teams for tests: created and joined through the API, as a phone would."""

from __future__ import annotations

from typing import Any

import httpx

from app.settings import Settings
from tests.helpers import signed_in


async def create_team(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/teams", json={"kind": "company", "name_zh": "绿色科技", **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def join(client: httpx.AsyncClient, headers: dict[str, str], code: str) -> httpx.Response:
    return await client.post("/api/v1/teams/join", json={"code": code}, headers=headers)


async def owner_and_team(
    client: httpx.AsyncClient, settings: Settings, **body: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    _, headers = await signed_in(settings)
    return headers, await create_team(client, headers, **body)
