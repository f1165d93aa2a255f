"""The outbox relay: delivers the outbox rows `notify()` wrote, at least once, with retries.

One pass (`run_once`) claims due rows, sends each through its channel's provider and records the
outcome, with the claim / lease / fence loop of app/core/relay.py (shared with the city pushes).

Outcomes: `sent` with the provider's message id; a transient failure goes back to `pending` with
`next_attempt_at = now + base · 2^(attempts-1)` (capped) and `last_error`; a permanent failure (the
provider says retrying cannot help, e.g. WeChat 43101 "user refused", or we hold no address) or the
last allowed attempt ends `failed`.

At-least-once, not exactly-once. A row can be delivered twice when the provider accepted the
message but we never recorded it: the worker died (or lost its database connection, or its lease
ran out during a slow send) between the provider's answer and the `sent` update. The lease then
expires and another pass sends it again. The window is one provider round trip plus one UPDATE.
To make such duplicates traceable, the outbox row id goes to the provider wherever the protocol has
a client reference (Tencent SMS `SessionContext` = "outbox:<id>"); WeChat subscription messages have
none, so there only our logs (row id next to msgid) connect the two. A lease shorter than a send's
timeout would widen the window, hence `lease_s` ≫ `send_timeout_s`. Leases are compared with the
worker's clock, so workers' clocks must agree to well within `lease_s` (NTP does).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from litestar import Litestar
from litestar.stores.base import Store

from app.accounts.service import reveal_phone
from app.core import relay
from app.core.relay import RelayPolicy
from app.notifications import tencent_sms as _tencent  # noqa: F401  (registers SMS_PROVIDER=tencent)
from app.notifications.sms import SmsProvider, sms_provider_for
from app.notifications.wechat_message import WechatMessenger, wechat_messenger_for
from app.settings import Settings
from models.accounts import User
from models.notifications import Notification, OutboxMessage

log = structlog.get_logger("microsink.outbox")


@dataclass
class Providers:
    wechat: WechatMessenger
    sms: SmsProvider

    async def aclose(self) -> None:
        for provider in (self.wechat, self.sms):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()


def providers_for(settings: Settings, store: Store | None = None) -> Providers:
    return Providers(wechat=wechat_messenger_for(settings, store), sms=sms_provider_for(settings))


@dataclass
class RelayReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)


class UndeliverableError(Exception):
    """We hold no address for the channel any more (e.g. the account was deleted); retrying cannot help."""

    retryable = False


@dataclass(frozen=True)
class Claim:
    id: int
    attempts: int  # after this claim; fences the outcome update
    channel: str
    payload: dict[str, Any]
    notification_id: int


async def claim_due(now: datetime, policy: RelayPolicy = RelayPolicy()) -> list[Claim]:
    """Take up to `batch_size` due rows (pending and due, or sending with an expired lease)."""
    return [
        Claim(row.id, attempts, row.channel, row.payload, row.notification_id)  # type: ignore[attr-defined]
        for row, attempts in await relay.claim_due(OutboxMessage, now, policy)
    ]


def _accepts_reference(fn: Any) -> bool:
    try:
        return "session_context" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


async def _send(claim: Claim, settings: Settings, providers: Providers) -> str | None:
    notification = await Notification.get(id=claim.notification_id)
    user = await User.get(id=notification.user_id)  # type: ignore[attr-defined]
    payload = claim.payload
    if claim.channel == "wechat":
        if not user.wechat_openid or user.deleted_at is not None:
            raise UndeliverableError("no WeChat openid for this user")
        return await providers.wechat.send(
            user.wechat_openid,
            settings.provider_template_id("wechat", payload["template_id"]),
            payload.get("page", ""),
            payload["data"],
            payload.get("lang", "zh_CN"),
        )
    if claim.channel == "sms":
        phone = reveal_phone(settings, user) if user.deleted_at is None else None
        if not phone:
            raise UndeliverableError("no phone number for this user")
        template_id = settings.provider_template_id("sms", payload["template_id"])
        if _accepts_reference(providers.sms.send):
            return await providers.sms.send(  # type: ignore[call-arg]
                phone, template_id, payload["params"], session_context=f"outbox:{claim.id}"
            )
        return await providers.sms.send(phone, template_id, payload["params"])
    raise UndeliverableError(f"unknown channel {claim.channel}")


async def _deliver(
    claim: Claim, now: datetime, settings: Settings, providers: Providers, policy: RelayPolicy, report: RelayReport
) -> None:
    fence = relay.fence(OutboxMessage, claim.id, claim.attempts)
    try:
        message_id = await asyncio.wait_for(_send(claim, settings, providers), policy.send_timeout_s)
    except asyncio.CancelledError:
        raise  # shutting down: the lease expires and another pass retries
    except Exception as exc:  # every provider failure is recorded on the row, never lost
        failure = await relay.record_failure(fence, exc, claim.attempts, now, policy)
        report.failed += failure.recorded and failure.outcome == "failed"
        report.retried += failure.recorded and failure.outcome == "retried"
        report.errors.append(failure.error)
        log.warning(
            "outbox_send_failed",
            outbox_id=claim.id,
            channel=claim.channel,
            attempts=claim.attempts,
            permanent=failure.permanent,
            error=failure.error,
            recorded=failure.recorded,
        )
        return
    done = await fence.update(
        status="sent", lease_until=None, last_error=None, provider_message_id=message_id, sent_at=datetime.now(UTC)
    )
    report.sent += done
    if done:
        log.info("outbox_sent", outbox_id=claim.id, channel=claim.channel, provider_message_id=message_id)
    else:
        # Our lease ran out and another worker took the row: it may be sent twice (see module docstring).
        log.warning("outbox_lease_lost", outbox_id=claim.id, channel=claim.channel, provider_message_id=message_id)


async def run_once(
    settings: Settings,
    providers: Providers | None = None,
    *,
    policy: RelayPolicy = RelayPolicy(),
    now: datetime | None = None,
) -> RelayReport:
    """One pass: claim a batch of due rows and deliver them concurrently. Returns what happened.

    `providers` defaults to the ones the settings name (sandboxes in the embedded default); `now`
    lets tests step the clock through backoff and lease expiry.
    """
    now = now or datetime.now(UTC)
    if providers is None:
        providers = providers_for(settings)
    report = RelayReport(expired=await relay.expire_exhausted(OutboxMessage, now, policy))
    claims = await claim_due(now, policy)
    report.claimed = len(claims)
    await asyncio.gather(*(_deliver(c, now, settings, providers, policy, report) for c in claims))
    return report


async def relay_forever(settings: Settings, providers: Providers, policy: RelayPolicy = RelayPolicy()) -> None:
    """Run passes until cancelled; a full batch goes again at once, otherwise wait a poll interval."""

    async def one_pass() -> int:
        return (await run_once(settings, providers, policy=policy)).claimed

    await relay.run_forever(one_pass, policy.batch_size, settings.outbox_poll_interval_s, "outbox_pass_failed")


@asynccontextmanager
async def relay_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Builds the providers (kept on app.state) and, with background_workers, runs the relay task."""
    settings: Settings = app.state.settings
    shared_sms = getattr(app.state, "sms", None)  # the sign-in code's provider: one sandbox outbox page
    providers = Providers(
        wechat=wechat_messenger_for(settings, app.stores.get("wechat_token")),
        sms=shared_sms if shared_sms is not None else sms_provider_for(settings),
    )
    app.state.notification_providers = providers
    task = asyncio.create_task(relay_forever(settings, providers)) if settings.background_workers else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        close = getattr(providers.wechat, "aclose", None)
        if close is not None:
            await close()
        if shared_sms is None:
            close = getattr(providers.sms, "aclose", None)
            if close is not None:
                await close()
