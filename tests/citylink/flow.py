"""Driving the OAuth flow against the in-app sandbox city platform, as a browser and the mini-app would."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

from app.citylink.provider import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sandbox_credentials, sign
from app.settings import Settings


def local(url: str) -> str:
    """The path and query of an absolute URL (the ASGI client serves every host)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def start(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    r = await client.post("/api/v1/city-account/link", headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["authorize_url"])


async def consent(client: httpx.AsyncClient, authorize_url: str, decision: str = "allow", account: str = "") -> str:
    """The person answers on the sandbox consent page; returns where the platform redirects them."""
    r = await client.get(local(authorize_url))
    assert r.status_code == 200, r.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
    form = {**fields, "decision": decision}
    if account:
        form["account"] = account
    csrf = client.cookies.get("csrftoken") or ""
    r = await client.post(
        "/sandbox/city-account/authorize", data=form, headers={"x-csrftoken": csrf}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return r.headers["location"]


async def callback(client: httpx.AsyncClient, headers: dict[str, str], redirect: str) -> httpx.Response:
    q = query_of(redirect)
    body = {"state": q.get("state", "")}
    if "code" in q:
        body["code"] = q["code"]
    if "error" in q:
        body["error"] = q["error"]
    return await client.post("/api/v1/city-account/callback", json=body, headers=headers)


async def link(client: httpx.AsyncClient, headers: dict[str, str], account: str = "") -> dict:
    r = await callback(client, headers, await consent(client, await start(client, headers), account=account))
    assert r.status_code == 200, r.text
    return dict(r.json())


def signed_headers(settings: Settings, event_id: str, body: bytes, timestamp: int, secret: str | None = None) -> dict:
    secret = secret or sandbox_credentials(settings)["webhook_secret"]
    return {
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }
