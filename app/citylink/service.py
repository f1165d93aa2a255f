"""Linked city carbon account: linking (OAuth2 code + PKCE), unlinking, and publishing verified records.

Linking: `start_linking` keeps a random `state` with the PKCE verifier in the Litestar store, bound
to the person's session, for STATE_TTL_S and one use; `complete_linking` takes it back, trades the
code for tokens at the provider and stores them encrypted. Provider calls never happen inside a
database transaction (the sandbox provider is this very app).

Publishing: `publish_verified_record` writes one delivery row per live link in the caller's
transaction; the relay (relay.py) pushes it. Unlinking cancels every row not yet delivered, and the
relay checks the link again just before each send.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from litestar.stores.base import Store
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.accounts.privacy import register_eraser, register_exporter
from app.accounts.service import new_public_id
from app.citylink.provider import CityAccountError, CityAccountProvider, TokenSet, pkce_challenge
from app.core import audit
from app.core.crypto import decrypt, encrypt
from app.core.errors import AppError, Conflict, NotFound
from app.core.i18n import register_messages
from app.settings import Settings
from models.accounts import User
from models.citylink import CityDelivery, CityLink

log = structlog.get_logger("microsink.citylink")

KINDS = ("planting.approved", "credits.retired")
STATE_TTL_S = 10 * 60
MAX_PAYLOAD_BYTES = 16 * 1024
UNDELIVERED = ("pending", "sending")


def _state_key(state: str) -> str:
    return f"citylink-state:{hashlib.sha256(state.encode()).hexdigest()}"


def seal(settings: Settings, token: str, purpose: str) -> bytes:
    return encrypt(settings.data_key, token, f"citylink:{purpose}")


def unseal(settings: Settings, blob: bytes | None, purpose: str) -> str | None:
    return decrypt(settings.data_key, bytes(blob), f"citylink:{purpose}") if blob else None


def _offered(provider: CityAccountProvider | None) -> CityAccountProvider:
    if provider is None:
        raise NotFound("citylink.not_offered")
    return provider


async def live_link(user: User, connection: BaseDBAsyncClient | None = None) -> CityLink | None:
    return await CityLink.filter(user_id=user.id, status="linked").using_db(connection).first()


@dataclass(frozen=True)
class LinkStatus:
    link: CityLink | None
    deliveries: list[CityDelivery]
    offered: bool


async def status_of(user: User, provider: CityAccountProvider | None, limit: int = 20) -> LinkStatus:
    """The live link (if any) and the latest deliveries over all of the person's links."""
    link = await live_link(user)
    deliveries = (
        await CityDelivery.filter(link__user_id=user.id).order_by("-created_at", "-id").limit(limit).all()
        if limit
        else []
    )
    return LinkStatus(link, deliveries, provider is not None)


async def start_linking(store: Store, provider: CityAccountProvider | None, user: User, session_public_id: str) -> str:
    """The authorisation URL to send the person to; the state is good for one callback in this session."""
    provider = _offered(provider)
    if await live_link(user) is not None:
        raise Conflict("citylink.already_linked")
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (RFC 7636 §4.1)
    record = {"user": user.public_id, "session": session_public_id, "verifier": verifier, "provider": provider.name}
    await store.set(_state_key(state), json.dumps(record), expires_in=STATE_TTL_S)
    return provider.authorization_url(state=state, code_challenge=pkce_challenge(verifier))


async def _take_state(store: Store, state: str, user: User, session_public_id: str) -> dict[str, Any] | None:
    """The state's record if it was issued to this session; it is then used up. Someone else's
    attempt with it does not use it up (they cannot spend the person's pending link)."""
    key = _state_key(state)
    raw = await store.get(key)
    if raw is None:
        return None
    record = dict(json.loads(raw))
    if record["session"] != session_public_id or record["user"] != user.public_id:
        return None
    await store.delete(key)  # one use; a racing second callback still meets the provider's single-use code
    return record


async def complete_linking(
    settings: Settings,
    store: Store,
    provider: CityAccountProvider | None,
    user: User,
    session_public_id: str,
    *,
    state: str,
    code: str | None,
    error: str | None = None,
) -> CityLink:
    """The OAuth callback: check the state belongs to this session, trade the code, store the link."""
    provider = _offered(provider)
    record = await _take_state(store, state, user, session_public_id) if state else None
    if record is None or record["provider"] != provider.name:
        raise AppError("citylink.state_invalid")
    if error:
        raise AppError("citylink.denied" if error == "access_denied" else "citylink.provider_error", error=error)
    if not code:
        raise AppError("citylink.code_missing")
    try:
        tokens = await provider.exchange_code(code, record["verifier"])
    except CityAccountError as exc:
        log.warning("citylink_exchange_failed", reason=exc.reason, status=exc.status, oauth_error=exc.oauth_error)
        if exc.oauth_error == "invalid_grant":
            raise AppError("citylink.code_refused", reason=exc.reason) from None
        raise AppError("citylink.provider_unavailable", status_code=502) from None
    try:
        return await _store_link(settings, provider.name, user, tokens)
    except IntegrityError:  # a link made meanwhile (the partial unique index): do not keep a second
        await _revoke_quietly(provider, tokens.refresh_token or tokens.access_token)
        raise Conflict("citylink.already_linked") from None


async def _store_link(settings: Settings, provider_name: str, user: User, tokens: TokenSet) -> CityLink:
    async with in_transaction():
        link = await CityLink.create(
            public_id=new_public_id(),
            user_id=user.id,
            provider=provider_name,
            account_id=tokens.account_id,
            scope=tokens.scope,
            access_token_enc=seal(settings, tokens.access_token, "access"),
            refresh_token_enc=seal(settings, tokens.refresh_token, "refresh") if tokens.refresh_token else None,
            token_expires_at=tokens.expires_at,
        )
        # The city account id identifies a person elsewhere: it stays out of the public chain.
        await audit.record(
            actor=audit.actor_of(user),
            action="city_account.linked",
            entity_type="city_link",
            entity_id=link.public_id,
            before=None,
            after={"status": "linked", "provider": provider_name},
        )
    return link


async def _revoke_quietly(provider: CityAccountProvider, token: str) -> None:
    try:
        await provider.revoke(token)
    except CityAccountError as exc:  # the link is gone here whatever the platform says
        log.warning("citylink_revoke_failed", reason=exc.reason)


async def end_link(link_id: int, *, reason: str, actor: str) -> tuple[int, bytes | None, bytes | None] | None:
    """End a live link in one transaction: tokens dropped, undelivered rows cancelled, audited.

    Returns (cancelled rows, access token blob, refresh token blob) for revocation, None if the
    link was not live (already unlinked by someone else)."""
    async with in_transaction() as conn:
        link = await CityLink.filter(id=link_id, status="linked").using_db(conn).first()
        if link is None:
            return None
        tokens = (link.access_token_enc, link.refresh_token_enc)
        ended = (
            await CityLink.filter(id=link_id, status="linked")
            .using_db(conn)
            .update(
                status="unlinked",
                access_token_enc=None,
                refresh_token_enc=None,
                token_expires_at=None,
                unlinked_at=datetime.now(UTC),
                unlink_reason=reason,
            )
        )
        if not ended:
            return None
        cancelled = (
            await CityDelivery.filter(link_id=link_id, status__in=UNDELIVERED)
            .using_db(conn)
            .update(status="cancelled", lease_until=None, last_error=f"link ended: {reason}")
        )
        await audit.record(
            actor=actor,
            action="city_account.unlinked",
            entity_type="city_link",
            entity_id=link.public_id,
            before={"status": "linked"},
            after={"status": "unlinked", "reason": reason, "cancelled_deliveries": cancelled},
        )
    return cancelled, tokens[0], tokens[1]


async def unlink(settings: Settings, provider: CityAccountProvider | None, user: User) -> CityLink:
    """Stop pushes for good: the link ends, tokens are dropped, undelivered records cancelled, tokens revoked."""
    link = await live_link(user)
    if link is None:
        raise Conflict("citylink.not_linked")
    ended = await end_link(link.id, reason="user", actor=audit.actor_of(user))
    if ended is None:
        raise Conflict("citylink.not_linked")
    _, access_blob, refresh_blob = ended
    if provider is not None and provider.name == link.provider:
        token = unseal(settings, refresh_blob, "refresh") or unseal(settings, access_blob, "access")
        if token:
            await _revoke_quietly(provider, token)
    return await CityLink.get(id=link.id)


def webhook_event_id(kind: str, source_event_id: str, provider: str, account_id: str) -> str:
    """Stable per (record, city account): a record published again to the same account is a duplicate there."""
    digest = hashlib.sha256(f"{kind}\n{source_event_id}\n{provider}\n{account_id}".encode()).hexdigest()
    return f"evt_{digest[:40]}"


async def publish_verified_record(
    user: User,
    kind: str,
    event_id: str,
    payload: dict[str, Any],
    connection: BaseDBAsyncClient | None = None,
) -> int:
    """Queue a verified record for every live link of `user`, in the caller's transaction (`connection`).

    `event_id` is the publisher's own id of the record (e.g. "planting-log:123"); publishing it again
    writes nothing new for a link that already has it. Returns how many live links it was queued for.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown city record kind {kind!r}; known: {', '.join(KINDS)}")
    if not event_id or len(event_id) > 128:
        raise ValueError("event_id must be 1–128 characters")
    if len(json.dumps(payload, ensure_ascii=False).encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload over {MAX_PAYLOAD_BYTES} bytes")
    links = await CityLink.filter(user_id=user.id, status="linked").using_db(connection).all()
    if not links:
        return 0
    now = datetime.now(UTC)
    rows = [
        CityDelivery(
            link_id=link.id,
            event_id=webhook_event_id(kind, event_id, link.provider, link.account_id),
            source_event_id=event_id,
            kind=kind,
            payload=payload,
            occurred_at=now,
            next_attempt_at=now,
        )
        for link in links
    ]
    # ON CONFLICT DO NOTHING: a replayed publish neither fails the caller's transaction nor adds a row.
    await CityDelivery.bulk_create(rows, ignore_conflicts=True, using_db=connection)
    return len(links)


async def _export(user: User) -> dict[str, Any]:
    links = await CityLink.filter(user_id=user.id).order_by("id")
    deliveries = await CityDelivery.filter(link__user_id=user.id).order_by("id")
    by_link = {link.id: link.public_id for link in links}
    return {
        "links": [
            {
                "id": link.public_id,
                "provider": link.provider,
                "account_id": link.account_id,
                "status": link.status,
                "linked_at": link.linked_at.isoformat(),
                "unlinked_at": link.unlinked_at.isoformat() if link.unlinked_at else None,
                "unlink_reason": link.unlink_reason,
            }
            for link in links
        ],
        "deliveries": [
            {
                "link": by_link.get(d.link_id),  # type: ignore[attr-defined]
                "kind": d.kind,
                "record_id": d.source_event_id,
                "record": d.payload,
                "status": d.status,
                "created_at": d.created_at.isoformat(),
                "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
            }
            for d in deliveries
        ],
    }


async def _erase(user: User) -> None:
    """Account deletion: end the link (tokens dropped, pushes cancelled), forget the city account id and
    our copies of the records. Runs inside the deletion's transaction, so it cannot call the platform."""
    link = await live_link(user)
    if link is not None:
        await end_link(link.id, reason="account_deleted", actor=audit.actor_of(user))
    link_ids = await CityLink.filter(user_id=user.id).values_list("id", flat=True)
    await CityLink.filter(user_id=user.id).update(account_id="", scope="")
    await CityDelivery.filter(link_id__in=list(link_ids)).update(payload={})


register_exporter("city_account", _export)
register_eraser("city_account", _erase)

register_messages(
    {
        "citylink.not_offered": {
            "zh": "本平台暂未开通城市碳账户关联",
            "en": "Linking a city carbon account is not offered here",
        },
        "citylink.already_linked": {
            "zh": "您已关联城市碳账户；如需更换，请先解除关联",
            "en": "You already linked a city carbon account; unlink it first to link another",
        },
        "citylink.not_linked": {"zh": "您尚未关联城市碳账户", "en": "You have not linked a city carbon account"},
        "citylink.state_invalid": {
            "zh": "关联请求已失效或不是在本次登录中发起的（state 不匹配），请重新发起关联",
            "en": "This linking request expired or was not started in this session (state mismatch); start again",
        },
        "citylink.denied": {
            "zh": "您在城市碳账户平台拒绝了授权，未关联",
            "en": "You declined on the city platform; nothing was linked",
        },
        "citylink.provider_error": {
            "zh": "城市碳账户平台返回错误（{error}），未关联",
            "en": "The city platform answered with an error ({error}); nothing was linked",
        },
        "citylink.code_missing": {
            "zh": "回调缺少授权码（code），请重新发起关联",
            "en": "The callback carries no authorisation code; start again",
        },
        "citylink.code_refused": {
            "zh": "城市碳账户平台拒绝了授权码（已使用、已过期或校验不符），请重新发起关联：{reason}",
            "en": "The city platform refused the authorisation code (used, expired or not matching); "
            "start again: {reason}",
        },
        "citylink.provider_unavailable": {
            "zh": "暂时无法连接城市碳账户平台，请稍后再试",
            "en": "The city platform cannot be reached right now; try again later",
        },
    }
)
