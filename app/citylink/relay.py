"""The push relay: delivers the rows `publish_verified_record` wrote, at least once, as signed webhooks.

The claim / lease / fence loop of app/core/relay.py, shared with the notifications outbox:
a short claiming transaction takes due rows (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, the
same conditional update on SQLite), moves them to `sending` with a lease and `attempts + 1`; the
push happens outside any transaction; the outcome is a conditional update fenced by the attempt
number, so a worker whose lease ran out cannot overwrite its successor's result.

Before each push the row is checked again together with its link (still `sending` with our attempt,
link still `linked`): a record whose link ended after it was claimed is cancelled, not sent. A push
already on the wire when an unlink commits cannot be called back; the unlink then revokes the
tokens, so the platform refuses pushes that arrive after the revocation.

Outcomes: 2xx → delivered. 408, 429, 5xx, timeouts and unreachable → back to pending with
`next_attempt_at = now + base · 2^(attempts-1)` (capped) until the last attempt, then failed. Any
other 4xx → failed at once (the platform says this request will never be accepted), except a 401
`invalid_token`, which refreshes the access token and tries once more in the same attempt.
The body (and so its event id) is the same on every attempt; the timestamp and signature are new.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from litestar import Litestar

from app.citylink.provider import CityAccountError, CityAccountProvider, canonical_body, city_account_provider_for
from app.citylink.service import end_link, seal, unseal
from app.core import relay
from app.core.audit import iso_utc
from app.core.relay import RelayPolicy
from app.settings import Settings
from models.citylink import CityDelivery, CityLink

log = structlog.get_logger("microsink.citylink.relay")

# 30 s doubling to 6 h, 12 attempts: the last one about 14.5 h after the first.
POLICY = RelayPolicy(batch_size=20, lease_s=300.0, send_timeout_s=30.0, max_attempts=12, backoff_base_s=30.0)
REFRESH_EARLY = timedelta(seconds=60)


@dataclass
class RelayReport:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    id: int
    attempts: int  # after this claim; fences the outcome update
    link_id: int


class LinkEnded(Exception):
    """The link ended between the claim and the push: nothing is sent."""


async def claim_due(now: datetime, policy: RelayPolicy = POLICY) -> list[Claim]:
    """Take up to `batch_size` due rows (pending and due, or sending with an expired lease)."""
    return [
        Claim(row.id, attempts, row.link_id)  # type: ignore[attr-defined]
        for row, attempts in await relay.claim_due(CityDelivery, now, policy)
    ]


async def _fresh_access_token(settings: Settings, provider: CityAccountProvider, link: CityLink, force: bool) -> str:
    """The link's access token, refreshed first if it is (about to be) expired or was just rejected."""
    access = unseal(settings, link.access_token_enc, "access")
    expiring = link.token_expires_at is not None and link.token_expires_at - REFRESH_EARLY <= datetime.now(UTC)
    if access and not force and not expiring:
        return access
    refresh_token = unseal(settings, link.refresh_token_enc, "refresh")
    if not refresh_token:
        if access and not force:
            return access
        raise CityAccountError("access token expired and no refresh token is held", retryable=False)
    try:
        tokens = await provider.refresh(refresh_token)
    except CityAccountError as exc:
        if exc.oauth_error != "invalid_grant":
            raise
        # Another worker may have rotated the refresh token a moment ago: use what it stored.
        current = await CityLink.get_or_none(id=link.id, status="linked")
        if current is not None and bytes(current.refresh_token_enc or b"") != bytes(link.refresh_token_enc or b""):
            return unseal(settings, current.access_token_enc, "access") or ""
        # The platform revoked our grant (the person withdrew consent there): the link is over.
        await end_link(link.id, reason="revoked", actor="system:citylink-relay")
        raise CityAccountError(f"refresh refused ({exc.reason}); the person must link again", retryable=False) from exc
    stored = await CityLink.filter(id=link.id, status="linked").update(
        access_token_enc=seal(settings, tokens.access_token, "access"),
        refresh_token_enc=seal(settings, tokens.refresh_token, "refresh")
        if tokens.refresh_token
        else link.refresh_token_enc,
        token_expires_at=tokens.expires_at,
    )
    if not stored:
        raise LinkEnded()
    return tokens.access_token


async def _push(claim: Claim, settings: Settings, provider: CityAccountProvider) -> int:
    # Checked again now, not at claim time: an unlink since then cancelled the row or ended the link.
    row = await CityDelivery.get_or_none(id=claim.id, status="sending", attempts=claim.attempts)
    link = await CityLink.get_or_none(id=claim.link_id, status="linked")
    if row is None or link is None or link.provider != provider.name:
        raise LinkEnded()
    body = canonical_body(
        {
            "id": row.event_id,
            "kind": row.kind,
            "occurred_at": iso_utc(row.occurred_at),
            "account_id": link.account_id,
            "record": row.payload,
        }
    )
    access = await _fresh_access_token(settings, provider, link, force=False)
    try:
        return await provider.push(access, row.event_id, body, int(time.time()))
    except CityAccountError as exc:
        if not exc.token_rejected:
            raise
    link = await CityLink.get_or_none(id=claim.link_id, status="linked")
    if link is None:
        raise LinkEnded()
    access = await _fresh_access_token(settings, provider, link, force=True)
    return await provider.push(access, row.event_id, body, int(time.time()))


async def _deliver(
    claim: Claim,
    now: datetime,
    settings: Settings,
    provider: CityAccountProvider,
    policy: RelayPolicy,
    report: RelayReport,
) -> None:
    fence = relay.fence(CityDelivery, claim.id, claim.attempts)
    try:
        status = await asyncio.wait_for(_push(claim, settings, provider), policy.send_timeout_s)
    except asyncio.CancelledError:
        raise  # shutting down: the lease expires and another pass retries
    except LinkEnded:
        done = await fence.update(status="cancelled", lease_until=None, last_error="link ended before the push")
        report.cancelled += done
        log.info("citylink_push_cancelled", delivery_id=claim.id)
        return
    except Exception as exc:  # every failure is recorded on the row, never lost
        failure = await relay.record_failure(
            fence, exc, claim.attempts, now, policy, last_status=getattr(exc, "status", None)
        )
        report.failed += failure.recorded and failure.outcome == "failed"
        report.retried += failure.recorded and failure.outcome == "retried"
        report.errors.append(failure.error)
        log.warning(
            "citylink_push_failed",
            delivery_id=claim.id,
            attempts=claim.attempts,
            permanent=failure.permanent,
            error=failure.error,
            recorded=failure.recorded,
        )
        return
    done = await fence.update(
        status="delivered", lease_until=None, last_error=None, last_status=status, delivered_at=datetime.now(UTC)
    )
    report.delivered += done
    if not done:
        # Our lease ran out (or an unlink cancelled it mid-push) and the row moved on without us.
        log.warning("citylink_push_outcome_lost", delivery_id=claim.id, status=status)


async def run_once(
    settings: Settings,
    provider: CityAccountProvider | None,
    *,
    policy: RelayPolicy = POLICY,
    now: datetime | None = None,
) -> RelayReport:
    """One pass: claim a batch of due rows and push them concurrently. `now` lets tests step the clock."""
    now = now or datetime.now(UTC)
    report = RelayReport(expired=await relay.expire_exhausted(CityDelivery, now, policy))
    if provider is None:
        return report
    claims = await claim_due(now, policy)
    report.claimed = len(claims)
    await asyncio.gather(*(_deliver(c, now, settings, provider, policy, report) for c in claims))
    return report


async def relay_forever(settings: Settings, provider: CityAccountProvider, policy: RelayPolicy = POLICY) -> None:
    async def one_pass() -> int:
        return (await run_once(settings, provider, policy=policy)).claimed

    await relay.run_forever(one_pass, policy.batch_size, settings.outbox_poll_interval_s, "citylink_pass_failed")


@asynccontextmanager
async def relay_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Builds the provider (app.state.city_account) and, with background_workers, runs the relay task."""
    settings: Settings = app.state.settings
    provider = city_account_provider_for(settings, app)
    app.state.city_account = provider
    task = (
        asyncio.create_task(relay_forever(settings, provider), name="citylink-relay")
        if settings.background_workers and provider is not None
        else None
    )
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        close = getattr(provider, "aclose", None)
        if close is not None:
            await close()
