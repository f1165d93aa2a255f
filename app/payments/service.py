"""The payments service: payment attempts, the notify entry point, refunds, and the money they move.

Rules:
- one attempt per (subject, out_trade_no); the provider sees only our out_trade_no and its amount;
- a notification is trusted only after the provider verified it (`parse_notification`), and only if
  its amount, appid and mchid match the attempt; anything else is refused with a 4xx, logged and
  counted (`microsink_payment_notifications_rejected_total`), and changes nothing;
- a verified notification is recorded once (unique per delivery and per provider transaction and
  kind): a replay or a retry answers "accepted" and changes nothing;
- in the notification's one transaction the attempt becomes paid, the money enters clearing, and the
  subject's fulfiller (the market's order fulfilment, registered by purpose) runs in a savepoint; when
  it cannot fulfil (the order expired, was cancelled or was already paid) the attempt becomes
  `refund_due` instead and is refunded through the provider once (`out_refund_no` = "R" + out_trade_no)
  — never after its subject was fulfilled, because retired credits are never un-retired;
- money is integer fen on the `fen` ledger: provider → clearing on payment, clearing → provider on refund;
- an attempt the provider reports paid and refunded outside us (never recorded paid here, so no money
  entered our ledger) ends `refunded_elsewhere` once, with the provider's facts in the audit chain: its
  subject is not fulfilled and gives back what it holds once (the purpose's `end_unpaid`), and a paid
  notice arriving for it afterwards is recorded and changes nothing.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

import structlog
from prometheus_client import Counter
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.audit import record
from app.core.errors import AppError, Conflict, NotFound
from app.ledger import service as ledger
from app.payments import messages  # noqa: F401  (registers the domain's messages)
from app.payments.protocol import (
    NotificationRejected,
    PaymentNotice,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderRefused,
    ProviderUnavailable,
    RefundRequest,
)
from app.settings import Settings, SettingsError
from models.ledger import LedgerAccount
from models.payments import PaymentAttempt, PaymentNotification

log = structlog.get_logger("microsink.payments")
REJECTED = Counter(
    "microsink_payment_notifications_rejected_total",
    "Payment notifications refused before they changed anything, by provider and reason",
    ["provider", "reason"],
)
REFUNDS_FAILED = Counter(
    "microsink_payment_refunds_failed_total",
    "Refunds the provider reported failed or closed (attempt now refund_failed: an operator pays it back)",
    ["provider", "state"],
)
REFUNDED_ELSEWHERE = Counter(
    "microsink_payments_refunded_elsewhere_total",
    "Attempts the provider reported paid and refunded outside us (ended refunded_elsewhere, once each)",
    ["provider"],
)
_IDS = uuid.UUID("6f1d2c8e-6b39-4a51-9c55-3c1f0a3f2b10")  # namespace of the ledger transfer ids we derive


class NotFulfillable(Exception):
    """The subject cannot take this payment (expired, cancelled, already paid …): refund it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Fulfiller = Callable[[Settings, str, PaymentAttempt], Awaitable[None]]
_FULFILLERS: dict[str, Fulfiller] = {}
_RETURN_PATHS: dict[str, Callable[[str], str]] = {}
_AFTER_FULFILMENT: dict[str, Callable[[str], Awaitable[None]]] = {}
_END_UNPAID: dict[str, Callable[[str, str], Awaitable[bool]]] = {}


def register_fulfiller(
    purpose: str,
    fulfil: Fulfiller,
    return_path: Callable[[str], str],
    after: Callable[[str], Awaitable[None]] | None = None,
    end_unpaid: Callable[[str, str], Awaitable[bool]] | None = None,
) -> None:
    """`fulfil(settings, subject, attempt)` runs inside the notification's transaction; it raises NotFulfillable.
    `return_path(subject)` is the page the payer goes back to after paying. `after(subject)`, if given,
    runs once that transaction committed a fulfilment (e.g. telling live pages); it must not fail.
    `end_unpaid(subject, actor)`, if given, runs inside the transaction that settles an attempt as
    refunded elsewhere: the subject stops holding what it holds, once (True when this call ended it)."""
    _FULFILLERS[purpose] = fulfil
    _RETURN_PATHS[purpose] = return_path
    if after is not None:
        _AFTER_FULFILMENT[purpose] = after
    if end_unpaid is not None:
        _END_UNPAID[purpose] = end_unpaid


def return_path(attempt: PaymentAttempt) -> str:
    make = _RETURN_PATHS.get(attempt.purpose)
    return make(attempt.subject) if make else "/"


def provider_for(settings: Settings) -> PaymentProvider:
    """The configured provider (PAYMENT_PROVIDER): sandbox, the embedded default, or wechatpay."""
    if settings.payment_provider == "sandbox":
        from app.payments.sandbox import SandboxProvider

        return SandboxProvider(settings)
    if settings.payment_provider == "wechatpay":
        from app.payments.wechatpay import WeChatPayProvider

        return WeChatPayProvider.from_settings(settings)
    raise SettingsError(f"unknown PAYMENT_PROVIDER {settings.payment_provider!r}")


def _now() -> datetime:
    return datetime.now(UTC)


def transfer_id(*parts: object) -> uuid.UUID:
    """A ledger transfer id derived from what it is for, so a retried step is a replay, never a second move."""
    return uuid.uuid5(_IDS, ":".join(str(p) for p in parts))


async def provider_account(provider: str) -> LedgerAccount:
    """Money outside us, at the provider: it may go negative (what payers sent us, less refunds)."""
    return await ledger.open_account("fen", "payment_provider", provider, may_go_negative=True)


async def clearing_account() -> LedgerAccount:
    """Money received and not yet shared out; never below zero."""
    return await ledger.open_account("fen", "clearing", "platform")


def notify_url(settings: Settings, provider: str) -> str:
    return f"{settings.base_url.rstrip('/')}/api/v1/payments/notify/{provider}"


def in_app_only(provider: PaymentProvider) -> bool:
    """True when the payer can pay only inside our WeChat mini-program (JSAPI's wx.requestPayment), not
    on a web page in a phone's browser; the sandbox's confirm page is an ordinary web page."""
    return bool(getattr(provider, "in_app_only", False))


# --- starting a payment -----------------------------------------------------------------------------
async def start(
    settings: Settings,
    provider: PaymentProvider,
    *,
    purpose: str,
    subject: str,
    amount_fen: int,
    description: str,
    expires_at: datetime,
    payer_openid: str | None = None,
) -> PaymentAttempt:
    """An open attempt for the subject (the same one again while it is open), created at the provider."""
    now = _now()
    if expires_at <= now:
        raise Conflict("payments.expired")
    if in_app_only(provider) and not payer_openid:  # JSAPI pays an openid of our mini-program, nobody else
        raise Conflict("payments.open_in_mini_program")
    existing = (
        await PaymentAttempt.filter(
            purpose=purpose,
            subject=subject,
            provider=provider.name,
            status="pending",
            amount_fen=amount_fen,
            expires_at=expires_at,
        )
        .order_by("-id")
        .first()
    )
    if existing is not None and existing.client:
        return existing
    attempt = existing or await _new_attempt(provider, purpose, subject, amount_fen, description, expires_at)
    try:
        started = await provider.create(
            PaymentRequest(
                out_trade_no=attempt.out_trade_no,
                amount_fen=amount_fen,
                description=attempt.description,
                expires_at=expires_at,
                notify_url=notify_url(settings, provider.name),
                payer_openid=payer_openid,
            )
        )
    except ProviderUnavailable:
        raise AppError("payments.unavailable", status_code=503) from None
    except ProviderRefused as refused:
        raise Conflict("payments.refused", code=refused.code) from None
    attempt.client = dict(started.client)
    await attempt.save(update_fields=["client"])
    return attempt


async def _new_attempt(
    provider: PaymentProvider, purpose: str, subject: str, amount_fen: int, description: str, expires_at: datetime
) -> PaymentAttempt:
    async with in_transaction():
        attempt = await PaymentAttempt.create(
            out_trade_no="MS" + secrets.token_hex(15),
            provider=provider.name,
            purpose=purpose,
            subject=subject,
            amount_fen=amount_fen,
            description=description[:127],
            appid=str(getattr(provider, "appid", "")),
            mchid=str(getattr(provider, "mchid", "")),
            expires_at=expires_at,
        )
        await record(
            actor=f"system:payments:{provider.name}",
            action="payment.created",
            entity_type="payment",
            entity_id=attempt.out_trade_no,
            after={"status": "pending", "amount_fen": amount_fen, "subject": subject, "purpose": purpose},
        )
    return attempt


async def attempts_of(purpose: str, subject: str) -> list[PaymentAttempt]:
    return await PaymentAttempt.filter(purpose=purpose, subject=subject).order_by("id")


async def close_open(provider: PaymentProvider, purpose: str, subject: str) -> int:
    """Close the subject's open attempts at the provider (the order was cancelled); a payment that
    still arrives is refunded by the notification path."""
    closed = 0
    for attempt in await PaymentAttempt.filter(purpose=purpose, subject=subject, status="pending"):
        try:
            await provider.close(attempt.out_trade_no)
        except (ProviderRefused, ProviderUnavailable) as why:
            log.info("payment_close_failed", out_trade_no=attempt.out_trade_no, error=str(why))
            continue
        closed += await _mark_closed(provider, attempt, "subject_ended")
    return closed


# --- notifications ----------------------------------------------------------------------------------
def _refuse(provider: PaymentProvider, reason: str, detail: str = "") -> tuple[int, bytes, str]:
    REJECTED.labels(provider=provider.name, reason=reason).inc()
    log.warning("payment_notification_rejected", provider=provider.name, reason=reason, detail=detail[:200])
    return provider.acknowledgement(False, reason)


async def receive(
    settings: Settings,
    provider: PaymentProvider,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> tuple[int, bytes, str]:
    """The notify entry point (the route and the sandbox both call it): verify, record once, act once.

    Returns the provider's acknowledgement (status, body, media type): 2xx once recorded (or already
    recorded), 4xx when refused. `settings` gives a refund started here our notify URL, so the
    provider's refund notification comes back to us.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        notice = provider.parse_notification(lowered, body, now or _now())
    except NotificationRejected as rejected:
        return _refuse(provider, rejected.reason, rejected.detail)
    try:
        if notice.kind == "paid":
            refund_due = await _paid(settings, provider, notice)
        else:
            refund_due = None
            await _refund_notice(provider, notice)
    except NotificationRejected as rejected:
        return _refuse(provider, rejected.reason, rejected.detail)
    if refund_due is not None:
        try:
            await refund(settings, provider, refund_due)
        except AppError as failed:  # recorded as refund_due: the housekeeping round retries it
            log.warning("payment_refund_deferred", out_trade_no=refund_due.out_trade_no, error=failed.key)
    return provider.acknowledgement(True)


def _check_matches(attempt: PaymentAttempt, notice: PaymentNotice) -> None:
    if notice.amount_fen != attempt.amount_fen:
        raise NotificationRejected("amount_mismatch", f"{notice.amount_fen} != {attempt.amount_fen}")
    if attempt.appid and notice.appid != attempt.appid:
        raise NotificationRejected("wrong_appid", notice.appid)
    if attempt.mchid and notice.mchid != attempt.mchid:
        raise NotificationRejected("wrong_mchid", notice.mchid)


async def _already_recorded(provider: PaymentProvider, notice: PaymentNotice) -> bool:
    return await PaymentNotification.filter(provider=provider.name, replay_key=notice.replay_key).exists() or (
        await PaymentNotification.filter(
            provider=provider.name, kind=notice.kind, provider_transaction_id=notice.provider_transaction_id
        ).exists()
    )


async def _paid(settings: Settings, provider: PaymentProvider, notice: PaymentNotice) -> PaymentAttempt | None:
    """Record a payment and fulfil its subject once; returns the attempt when it must be refunded."""
    attempt = await PaymentAttempt.get_or_none(provider=provider.name, out_trade_no=notice.out_trade_no)
    if attempt is None:
        raise NotificationRejected("unknown_trade", notice.out_trade_no)
    _check_matches(attempt, notice)
    if await _already_recorded(provider, notice):
        return None  # a replay or a retry: accepted, nothing changes
    fulfil = _FULFILLERS.get(attempt.purpose)
    if fulfil is None:
        raise NotificationRejected("unknown_purpose", attempt.purpose)
    at = _now()
    try:
        async with in_transaction():
            note = await PaymentNotification.create(
                provider=provider.name,
                kind=notice.kind,
                notification_id=notice.notification_id[:64],
                replay_key=notice.replay_key[:128],
                out_trade_no=notice.out_trade_no,
                provider_transaction_id=notice.provider_transaction_id,
                amount_fen=notice.amount_fen,
                outcome="noted",
                resource=dict(notice.raw),
            )
            # The one conditional update that lets a payment in once per attempt.
            if not await PaymentAttempt.filter(id=attempt.id, status__in=("pending", "closed")).update(
                status="paid", provider_transaction_id=notice.provider_transaction_id, paid_at=at
            ):
                # Settled by an earlier notification, or refunded elsewhere: the notice is kept, nothing moves.
                if (await PaymentAttempt.get(id=attempt.id)).status == "refunded_elsewhere":
                    log.warning(
                        "payment_notice_after_refunded_elsewhere",
                        out_trade_no=attempt.out_trade_no,
                        provider_transaction_id=notice.provider_transaction_id,
                    )
                return None
            await ledger.transfer(
                transfer_id("payment", attempt.out_trade_no, "in"),
                await provider_account(provider.name),
                await clearing_account(),
                attempt.amount_fen,
                "payment.received",
                attempt.out_trade_no,
            )
            try:
                async with in_transaction():  # a savepoint: a refusal undoes only the fulfilment
                    await fulfil(settings, attempt.subject, attempt)
                outcome, reason = "fulfilled", ""
            except NotFulfillable as why:
                outcome, reason = "refund_due", why.reason
                await PaymentAttempt.filter(id=attempt.id).update(status="refund_due", refund_reason=reason[:32])
            note.outcome = outcome
            await note.save(update_fields=["outcome"])
            await record(
                actor=f"system:payments:{provider.name}",
                action=f"payment.{'paid' if outcome == 'fulfilled' else 'refund_due'}",
                entity_type="payment",
                entity_id=attempt.out_trade_no,
                before={"status": attempt.status},
                after={
                    "status": "paid" if outcome == "fulfilled" else "refund_due",
                    "amount_fen": attempt.amount_fen,
                    "subject": attempt.subject,
                    **({"reason": reason} if reason else {}),
                },
            )
    except IntegrityError:
        if await _already_recorded(provider, notice):
            return None  # a concurrent copy of this notification won: nothing more to do
        raise
    if outcome == "refund_due":
        return await PaymentAttempt.get(id=attempt.id)
    after = _AFTER_FULFILMENT.get(attempt.purpose)
    if after is not None:
        await after(attempt.subject)
    return None


async def _refund_notice(provider: PaymentProvider, notice: PaymentNotice) -> None:
    """A refund's outcome from the provider: recorded once; a success settles a processing refund."""
    attempt = await PaymentAttempt.get_or_none(provider=provider.name, out_trade_no=notice.out_trade_no)
    if attempt is None:
        raise NotificationRejected("unknown_trade", notice.out_trade_no)
    if notice.out_refund_no and notice.out_refund_no != refund_number(attempt):
        raise NotificationRejected("unknown_refund", notice.out_refund_no)
    if notice.refund_fen and notice.refund_fen != attempt.amount_fen:
        raise NotificationRejected("amount_mismatch", f"refund {notice.refund_fen} != {attempt.amount_fen}")
    if await _already_recorded(provider, notice):
        return
    try:
        async with in_transaction():
            await PaymentNotification.create(
                provider=provider.name,
                kind=notice.kind,
                notification_id=notice.notification_id[:64],
                replay_key=notice.replay_key[:128],
                out_trade_no=notice.out_trade_no,
                provider_transaction_id=notice.provider_transaction_id,
                amount_fen=notice.amount_fen,
                outcome="refund",
                resource=dict(notice.raw),
            )
            if notice.kind == "refund_succeeded":
                await _settle_refund(attempt, notice.out_refund_no or attempt.out_refund_no)
            else:  # refund_failed (REFUND.ABNORMAL) or refund_closed: asking again gets the same answer
                await _refund_failed(attempt, notice.out_refund_no or attempt.out_refund_no, notice.kind)
    except IntegrityError:
        if not await _already_recorded(provider, notice):
            raise


# --- refunds ----------------------------------------------------------------------------------------
def refund_number(attempt: PaymentAttempt) -> str:
    return "R" + attempt.out_trade_no


async def refund(settings: Settings, provider: PaymentProvider, attempt: PaymentAttempt) -> PaymentAttempt:
    """Give a payment back that fulfilled nothing; asking twice is safe (out_refund_no is fixed).

    The provider posts the refund's outcome (REFUND.*) to the same notify route as payments."""
    current = await PaymentAttempt.get(id=attempt.id)
    if current.status == "paid":
        raise Conflict("payments.refund_after_retirement")
    if current.status == "refunded":
        return current
    if current.status != "refund_due":
        raise Conflict("payments.not_refundable", status=current.status)
    number = refund_number(current)
    await PaymentAttempt.filter(id=current.id, status="refund_due").update(out_refund_no=number)
    try:
        result = await provider.refund(
            RefundRequest(
                out_trade_no=current.out_trade_no,
                out_refund_no=number,
                refund_fen=current.amount_fen,
                total_fen=current.amount_fen,
                reason="订单已失效或已支付，原路退回 / order no longer payable, refunded",
                notify_url=notify_url(settings, provider.name),
            )
        )
    except ProviderUnavailable:
        raise AppError("payments.unavailable", status_code=503) from None
    except ProviderRefused as refused:
        log.warning("payment_refund_refused", out_trade_no=current.out_trade_no, code=refused.code)
        raise Conflict("payments.refused", code=refused.code) from None
    if result.state == "succeeded":
        async with in_transaction():
            await _settle_refund(current, number)
    elif result.state in ("failed", "closed"):
        async with in_transaction():
            await _refund_failed(current, number, f"refund_{result.state}")
    return await PaymentAttempt.get(id=current.id)


async def _settle_refund(attempt: PaymentAttempt, number: str) -> None:
    """The money goes back out of clearing, once (inside the caller's transaction)."""
    if not await PaymentAttempt.filter(id=attempt.id, status="refund_due").update(
        status="refunded", out_refund_no=number, refunded_at=_now()
    ):
        return
    await ledger.transfer(
        transfer_id("payment", attempt.out_trade_no, "refund"),
        await clearing_account(),
        await provider_account(attempt.provider),
        attempt.amount_fen,
        "payment.refunded",
        attempt.out_trade_no,
    )
    await record(
        actor=f"system:payments:{attempt.provider}",
        action="payment.refunded",
        entity_type="payment",
        entity_id=attempt.out_trade_no,
        before={"status": "refund_due"},
        after={"status": "refunded", "amount_fen": attempt.amount_fen, "out_refund_no": number},
    )


async def _refund_failed(attempt: PaymentAttempt, number: str, why: str) -> None:
    """The provider will not pay this refund (ABNORMAL: e.g. the payer's card is closed; or CLOSED):
    asking again with the same out_refund_no gets the same answer, so the attempt ends `refund_failed`,
    its money stays in clearing, and an operator pays it back by other means (docs/payments.md)."""
    if not await PaymentAttempt.filter(id=attempt.id, status="refund_due").update(
        status="refund_failed", out_refund_no=number
    ):
        return
    REFUNDS_FAILED.labels(provider=attempt.provider, state=why).inc()
    log.error("payment_refund_failed", out_trade_no=attempt.out_trade_no, out_refund_no=number, state=why)
    await record(
        actor=f"system:payments:{attempt.provider}",
        action="payment.refund_failed",
        entity_type="payment",
        entity_id=attempt.out_trade_no,
        before={"status": "refund_due"},
        after={"status": "refund_failed", "amount_fen": attempt.amount_fen, "out_refund_no": number, "state": why},
    )


BY_HAND_WAYS = ("bank_transfer", "cash", "wechat_transfer", "alipay_transfer", "other")


async def refunded_by_hand_account() -> LedgerAccount:
    """Money an operator paid back outside the provider (bank transfer, cash …): it left us for good."""
    return await ledger.open_account("fen", "refunded_by_hand", "platform")


async def settle_by_hand(actor: str, out_trade_no: str, way: str, reference: str, note: str = "") -> PaymentAttempt:
    """An operator paid back a refund the provider would not (`refund_failed`) by other means: the money
    leaves clearing once, the attempt ends `refunded_by_hand`, and who, how and the reference (a bank
    transfer number …) go to the audit chain. 404 for an unknown payment, 409 for one not refund_failed."""
    way, reference, note = way.strip(), reference.strip(), note.strip()
    if way not in BY_HAND_WAYS:
        raise AppError("payments.bad_by_hand_way", detail=[{"field": "way"}], known=", ".join(BY_HAND_WAYS))
    if not 0 < len(reference) <= 64:
        raise AppError("payments.bad_by_hand_reference", detail=[{"field": "reference"}])
    if len(note) > 500:
        raise AppError("payments.bad_by_hand_note", detail=[{"field": "note"}])
    attempt = await PaymentAttempt.get_or_none(out_trade_no=out_trade_no.strip())
    if attempt is None:
        raise NotFound("payments.not_found")
    async with in_transaction():
        # One conditional update: two operators settling the same refund at once move the money once.
        if not await PaymentAttempt.filter(id=attempt.id, status="refund_failed").update(
            status="refunded_by_hand", refunded_at=_now()
        ):
            current = await PaymentAttempt.get(id=attempt.id)
            raise Conflict("payments.not_refund_failed", status=current.status)
        await ledger.transfer(
            transfer_id("payment", attempt.out_trade_no, "refund"),  # the provider's refund id: never both
            await clearing_account(),
            await refunded_by_hand_account(),
            attempt.amount_fen,
            "payment.refunded",
            attempt.out_trade_no,
        )
        await record(
            actor=actor,
            action="payment.refunded_by_hand",
            entity_type="payment",
            entity_id=attempt.out_trade_no,
            before={"status": "refund_failed"},
            after={
                "status": "refunded_by_hand",
                "amount_fen": attempt.amount_fen,
                "way": way,
                "reference": reference,
                "note": note,
            },
        )
    return await PaymentAttempt.get(id=attempt.id)


async def failed_refunds(limit: int = 200) -> list[PaymentAttempt]:
    """What operators must pay back by hand: refunds the provider reported failed or closed."""
    return await PaymentAttempt.filter(status="refund_failed").order_by("id").limit(limit)


async def retry_refunds(settings: Settings, provider: PaymentProvider) -> int:
    """The housekeeping round: refund what is due and was not refunded yet (the provider was down)."""
    done = 0
    for attempt in await PaymentAttempt.filter(status="refund_due", provider=provider.name).order_by("id").limit(100):
        try:
            if (await refund(settings, provider, attempt)).status == "refunded":
                done += 1
        except AppError as failed:
            log.info("payment_refund_retry_failed", out_trade_no=attempt.out_trade_no, error=failed.key)
    return done


# --- reconciliation ---------------------------------------------------------------------------------
RECONCILE_AFTER = timedelta(minutes=5)  # a notice normally lands within seconds; after this we ask
RECONCILE_BATCH = 100  # attempts asked about per round
# The provider's answer to a query about a trade it never created: the worker died between writing the
# attempt and creating the trade, or the provider was down then (start() answered 503).
NEVER_CREATED = {"ORDER_NOT_EXIST", "RESOURCE_NOT_EXISTS"}
# Where this process's next round starts: each round continues after the last attempt the previous one
# asked about, so attempts that never settle (refunded elsewhere, an unreachable provider) cannot hide
# later ones from every round (they did: the 100 oldest were asked again and again). Per process, and
# nothing depends on it but how soon an attempt is asked about.
_reconcile_after_id = 0


async def reconcile_pending(settings: Settings, provider: PaymentProvider, at: datetime | None = None) -> int:
    """The housekeeping round: ask the provider about attempts still pending after RECONCILE_AFTER.

    A notice may never arrive or never take (its transaction failed, our notify route was down beyond
    the provider's retries): a `paid` answer goes through the very path a notice takes (`_paid`: recorded
    once by the provider's transaction id, fulfilled or refunded once, audited), so a notice that still
    arrives afterwards changes nothing. An attempt the provider says was not paid and whose moment has
    passed is closed at the provider and here. Returns the attempts settled or closed.
    """
    global _reconcile_after_id
    at = at or _now()
    settled = 0
    due = PaymentAttempt.filter(provider=provider.name, status="pending", created_at__lte=at - RECONCILE_AFTER)
    batch = await due.filter(id__gt=_reconcile_after_id).order_by("id").limit(RECONCILE_BATCH)
    if len(batch) < RECONCILE_BATCH and _reconcile_after_id:  # the end reached: wrap round to the oldest
        seen = {a.id for a in batch}
        batch += [
            a
            for a in await due.order_by("id").limit(RECONCILE_BATCH - len(batch))
            if a.id not in seen and a.id <= _reconcile_after_id
        ]
    _reconcile_after_id = batch[-1].id if len(batch) == RECONCILE_BATCH else 0
    for attempt in batch:
        try:
            status = await provider.query(attempt.out_trade_no)
        except ProviderRefused as why:
            if why.code in NEVER_CREATED and attempt.expires_at <= at:
                # No trade, and none can be made now (the provider refuses one past its moment): closed.
                settled += await _mark_closed(provider, attempt, "never_created_at_provider")
                continue
            log.info("payment_reconcile_query_failed", out_trade_no=attempt.out_trade_no, error=str(why)[:200])
            continue
        except ProviderUnavailable as why:
            log.info("payment_reconcile_query_failed", out_trade_no=attempt.out_trade_no, error=str(why)[:200])
            continue
        if status.state == "refunded":
            # Paid and already refunded at the provider, though we neither saw the payment nor asked for
            # a refund (only refund_due attempts are refunded): fulfilling it would deliver unpaid goods.
            settled += await _settle_refunded_elsewhere(provider, attempt, status)
            continue
        if status.state == "paid" and status.provider_transaction_id:
            notice = PaymentNotice(
                kind="paid",
                notification_id=f"query:{status.provider_transaction_id}"[:64],
                out_trade_no=attempt.out_trade_no,
                provider_transaction_id=status.provider_transaction_id,
                amount_fen=status.amount_fen,
                occurred_at=status.occurred_at or at,
                appid=attempt.appid,
                mchid=attempt.mchid,
                replay_key=f"query:{status.provider_transaction_id}",
                raw={"source": "query", "state": status.state, "amount_fen": status.amount_fen},
            )
            try:
                refund_due = await _paid(settings, provider, notice)
            except NotificationRejected as rejected:  # e.g. the provider's amount differs: an operator looks
                _refuse(provider, rejected.reason, f"query {attempt.out_trade_no}: {rejected.detail}")
                continue
            log.warning("payment_reconciled", out_trade_no=attempt.out_trade_no, refund_due=refund_due is not None)
            settled += 1
            if refund_due is not None:
                try:
                    await refund(settings, provider, refund_due)
                except AppError as failed:  # recorded as refund_due: retry_refunds takes it from here
                    log.warning("payment_refund_deferred", out_trade_no=attempt.out_trade_no, error=failed.key)
        elif status.state in ("pending", "closed", "failed") and attempt.expires_at <= at:
            if status.state == "pending":
                try:
                    await provider.close(attempt.out_trade_no)
                except (ProviderUnavailable, ProviderRefused) as why:  # paid meanwhile: the next round sees it
                    log.info("payment_close_failed", out_trade_no=attempt.out_trade_no, error=str(why)[:200])
                    continue
            settled += await _mark_closed(provider, attempt, "unpaid_past_expiry")
    return settled


async def _mark_closed(provider: PaymentProvider, attempt: PaymentAttempt, reason: str) -> int:
    async with in_transaction():
        if not await PaymentAttempt.filter(id=attempt.id, status="pending").update(status="closed"):
            return 0
        await record(
            actor=f"system:payments:{provider.name}",
            action="payment.closed",
            entity_type="payment",
            entity_id=attempt.out_trade_no,
            before={"status": "pending"},
            after={"status": "closed", "reason": reason, "subject": attempt.subject},
        )
    return 1


async def _settle_refunded_elsewhere(provider: PaymentProvider, attempt: PaymentAttempt, status: PaymentStatus) -> int:
    """End a pending attempt the provider reports paid and refunded outside us: once, audited with the
    provider's facts, its subject ended as if unpaid (no money entered our ledger: we never recorded the
    payment). Its other open attempts are closed at the provider, as a cancel closes them."""
    actor = f"system:payments:{provider.name}"
    end = _END_UNPAID.get(attempt.purpose)
    async with in_transaction():
        # The one conditional update: a second round, or a notice that won meanwhile, finds it not pending.
        if not await PaymentAttempt.filter(id=attempt.id, status="pending").update(
            status="refunded_elsewhere", provider_transaction_id=status.provider_transaction_id
        ):
            return 0
        ended = bool(end and await end(attempt.subject, actor))
        await record(
            actor=actor,
            action="payment.refunded_elsewhere",
            entity_type="payment",
            entity_id=attempt.out_trade_no,
            before={"status": "pending"},
            after={
                "status": "refunded_elsewhere",
                "amount_fen": attempt.amount_fen,
                "subject": attempt.subject,
                "subject_ended": ended,
                "provider_state": status.state,
                "provider_transaction_id": status.provider_transaction_id,
                "provider_amount_fen": status.amount_fen,
                "provider_paid_at": status.occurred_at.isoformat() if status.occurred_at else None,
            },
        )
    REFUNDED_ELSEWHERE.labels(provider=provider.name).inc()
    log.error(
        "payment_reconcile_refunded_elsewhere",
        out_trade_no=attempt.out_trade_no,
        provider_transaction_id=status.provider_transaction_id,
        subject=attempt.subject,
        subject_ended=ended,
    )
    if ended:
        await close_open(provider, attempt.purpose, attempt.subject)
    return 1


async def refunded_elsewhere(limit: int = 200) -> list[PaymentAttempt]:
    """For operators: attempts the provider reported paid and refunded outside us, newest first."""
    return await PaymentAttempt.filter(status="refunded_elsewhere").order_by("-id").limit(limit)


async def attempt_by_out_trade_no(out_trade_no: str) -> PaymentAttempt:
    attempt = await PaymentAttempt.get_or_none(out_trade_no=out_trade_no)
    if attempt is None:
        raise NotFound("payments.not_found")
    return attempt
