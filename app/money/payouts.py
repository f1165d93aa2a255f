"""Payouts: a seller is paid what their sales earned, through a payout provider, exactly once.

Rules, each kept by one conditional statement or a deterministic ledger transfer id:
- what a seller (user:<id>, or org:<id> for a collective's smallholder) may be paid is the balance of
  their `seller_income` account in the fen ledger; a payout of `amount` moves
  seller_income → payout_in_flight/<holder> at once (the ledger's conditional debit: concurrent
  requests never take more than is there) together with the payout row, in one transaction;
- the provider is asked after commit, with the payout's public id as `out_payout_no` (asking twice is
  one payout); when it confirms, payout_in_flight → payout_provider/<provider>; when it fails, the
  money goes back payout_in_flight → seller_income — each exactly once, by one conditional update of
  the payout's status and transfer ids derived from the payout;
- the payee account is personal data: AES-GCM encrypted at rest, shown masked, decrypted only to hand
  to the provider.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import structlog
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.accounts.service import new_public_id
from app.core import crypto
from app.core.audit import record
from app.core.auth import Principal
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.ledger import service as ledger
from app.market import service as market
from app.money import messages  # noqa: F401  (registers the domain's messages)
from app.money.protocol import (
    NotificationRejected,
    PayoutNotice,
    PayoutProvider,
    PayoutRequest,
    PayoutResult,
    ProviderRefused,
    ProviderUnavailable,
)
from app.settings import Settings
from models.ledger import LedgerAccount
from models.money import Payee, Payout, PayoutNotification

log = structlog.get_logger()

_IDS = uuid.UUID("6d6f6e65-792d-4f75-8070-61796f757473")
_ACCOUNT = "payee:account"
_NAME = "payee:name"
PAYEE_KINDS = ("bank", "wechat")
_BANK_CARD = re.compile(r"^[0-9]{12,19}$")
_OPENID = re.compile(r"^[0-9A-Za-z_-]{16,64}$")
OPEN = ("requested", "processing")


def _now() -> datetime:
    return datetime.now(UTC)


def transfer_id(payout: Payout, step: str) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"payout:{payout.public_id}:{step}")


# --- accounts ----------------------------------------------------------------------------------------
async def income_account(holder: str) -> LedgerAccount:
    return await ledger.open_account("fen", "seller_income", holder)


async def in_flight_account(holder: str) -> LedgerAccount:
    return await ledger.open_account("fen", "payout_in_flight", holder)


async def provider_account(provider: str) -> LedgerAccount:
    """Money paid out to sellers through the provider: only ever credited."""
    return await ledger.open_account("fen", "payout_provider", provider)


async def _balance(code: str, holder: str) -> int:
    account = await LedgerAccount.get_or_none(ledger="fen", code=code, owner=holder)
    return account.balance if account else 0


@dataclass(frozen=True)
class Balance:
    holder: str
    payable_fen: int  # seller_income: may be asked for now
    in_flight_fen: int  # asked for, the provider has not confirmed yet
    paid_out_fen: int  # confirmed by the provider
    payee: str | None  # masked


async def _may_act_for(principal: Principal, holder: str) -> None:
    if holder not in await market._holders_of(principal):
        raise Forbidden("money.not_your_income")


async def balance_of(settings: Settings, principal: Principal, holder: str) -> Balance:
    await _may_act_for(principal, holder)
    amounts = await Payout.filter(holder=holder, status="paid").values_list("amount_fen", flat=True)
    paid = sum(cast(int, p) for p in amounts)
    payee = await Payee.get_or_none(holder=holder)
    return Balance(
        holder=holder,
        payable_fen=await _balance("seller_income", holder),
        in_flight_fen=await _balance("payout_in_flight", holder),
        paid_out_fen=int(paid),
        payee=masked_payee(settings, payee.kind, payee.account_enc) if payee else None,
    )


async def balances_of(settings: Settings, principal: Principal) -> list[Balance]:
    return [await balance_of(settings, principal, h) for h in sorted(await market._holders_of(principal))]


# --- payees ------------------------------------------------------------------------------------------
def mask_account(kind: str, account: str) -> str:
    """6222020200112233445 → 银行卡 ****3445; an openid → 微信 oAbC…xYz9."""
    if kind == "bank":
        return f"银行卡 ****{account[-4:]}"
    return f"微信 {account[:4]}…{account[-4:]}"


def masked_payee(settings: Settings, kind: str, account_enc: bytes) -> str:
    return mask_account(kind, crypto.decrypt(settings.data_key, bytes(account_enc), _ACCOUNT))


async def set_payee(settings: Settings, principal: Principal, holder: str, kind: str, account: str, name: str) -> str:
    """Record where `holder` is paid; returns it masked. Only the masked form is ever shown or audited."""
    await _may_act_for(principal, holder)
    account, name = re.sub(r"\s", "", account or ""), (name or "").strip()
    if kind not in PAYEE_KINDS:
        raise AppError("money.bad_payee_kind", detail=[{"field": "kind"}], known=", ".join(PAYEE_KINDS))
    if not (_BANK_CARD if kind == "bank" else _OPENID).match(account):
        raise AppError(f"money.bad_{kind}_account", detail=[{"field": "account"}])
    if not 0 < len(name) <= 64:
        raise AppError("money.bad_payee_name", detail=[{"field": "name"}])
    values = {
        "kind": kind,
        "account_enc": crypto.encrypt(settings.data_key, account, _ACCOUNT),
        "name_enc": crypto.encrypt(settings.data_key, name, _NAME),
        "updated_by_id": principal.user.id,
    }
    shown = mask_account(kind, account)
    async with in_transaction():
        if not await Payee.filter(holder=holder).update(**values):
            try:
                async with in_transaction():
                    await Payee.create(holder=holder, **values)
            except IntegrityError:  # a concurrent first set-up won: this one replaces it
                await Payee.filter(holder=holder).update(**values)
        await record(
            actor=f"user:{principal.user.public_id}",
            action="money.payee.set",
            entity_type="payee",
            entity_id=holder,
            after={"kind": kind, "account": shown},
        )
    return shown


# --- payouts -----------------------------------------------------------------------------------------
async def request_payout(
    settings: Settings, provider: PayoutProvider, principal: Principal, holder: str, amount_fen: object
) -> Payout:
    """Take `amount_fen` of the holder's payable balance into flight and ask the provider to pay it."""
    await _may_act_for(principal, holder)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= ledger.MAX_AMOUNT:
        raise AppError("money.bad_amount", detail=[{"field": "amount_fen"}], minimum=settings.payout_min_fen)
    if amount_fen < settings.payout_min_fen:
        raise AppError("money.below_minimum", detail=[{"field": "amount_fen"}], minimum=settings.payout_min_fen)
    payee = await Payee.get_or_none(holder=holder)
    if payee is None:
        raise Conflict("money.no_payee")
    income, in_flight = await income_account(holder), await in_flight_account(holder)
    async with in_transaction():
        payout = await Payout.create(
            public_id=new_public_id(),
            holder=holder,
            requested_by_id=principal.user.id,
            amount_fen=amount_fen,
            provider=provider.name,
            payee_kind=payee.kind,
            payee_account_enc=payee.account_enc,
            payee_name_enc=payee.name_enc,
        )
        try:
            # The ledger's conditional debit: however many ask at once, never more than is there.
            await ledger.transfer(
                transfer_id(payout, "requested"), income, in_flight, amount_fen, "payout.requested", payout.public_id
            )
        except ledger.InsufficientBalance:
            available = await _balance("seller_income", holder)
            raise Conflict(
                "money.payout_too_much", detail=[{"field": "amount_fen"}], amount=amount_fen, available=available
            ) from None
        await record(
            actor=f"user:{principal.user.public_id}",
            action="money.payout.requested",
            entity_type="payout",
            entity_id=payout.public_id,
            after={"status": "requested", "holder": holder, "amount_fen": amount_fen, "provider": provider.name},
        )
    return await submit(settings, provider, payout)


async def submit(settings: Settings, provider: PayoutProvider, payout: Payout) -> Payout:
    """Ask the provider to pay (again: the same out_payout_no is one payout); act on a final answer."""
    request = PayoutRequest(
        out_payout_no=payout.public_id,
        amount_fen=payout.amount_fen,
        payee_kind=payout.payee_kind,
        payee_account=crypto.decrypt(settings.data_key, bytes(payout.payee_account_enc), _ACCOUNT),
        payee_name=crypto.decrypt(settings.data_key, bytes(payout.payee_name_enc), _NAME),
        remark="微碳汇碳汇收入 / MicroSink carbon income",
        notify_url=f"{settings.base_url.rstrip('/')}/api/v1/money/payouts/notify/{provider.name}",
    )
    try:
        result = await provider.create(request)
    except ProviderUnavailable:
        log.info("payout_provider_unavailable", payout=payout.public_id)
        return await Payout.get(id=payout.id)  # stays requested; retry_payouts asks again
    except ProviderRefused as refused:
        result = PayoutResult(payout.public_id, "failed", reason=refused.code)
    await settle(payout, result, actor=f"system:payouts:{provider.name}")
    return await Payout.get(id=payout.id)


async def settle(payout: Payout, result: PayoutResult | PayoutNotice, *, actor: str) -> bool:
    """Act on the provider's word once: paid → money out, failed → money back; processing → noted."""
    at = _now()
    if result.state == "processing":
        if result.provider_reference:
            await Payout.filter(id=payout.id, status="requested").update(
                status="processing", provider_reference=result.provider_reference[:64]
            )
        return False
    paid = result.state == "succeeded"
    async with in_transaction():
        # The one conditional update that settles a payout once, whoever else is settling it.
        if not await Payout.filter(id=payout.id, status__in=OPEN).update(
            status="paid" if paid else "failed",
            provider_reference=(result.provider_reference or payout.provider_reference)[:64],
            failure_reason="" if paid else (result.reason or "failed")[:64],
            resolved_at=at,
        ):
            return False
        in_flight = await in_flight_account(payout.holder)
        if paid:
            target, step, reason = await provider_account(payout.provider), "paid", "payout.paid"
        else:
            target, step, reason = await income_account(payout.holder), "returned", "payout.returned"
        await ledger.transfer(transfer_id(payout, step), in_flight, target, payout.amount_fen, reason, payout.public_id)
        await record(
            actor=actor,
            action=f"money.payout.{'paid' if paid else 'failed'}",
            entity_type="payout",
            entity_id=payout.public_id,
            before={"status": payout.status},
            after={
                "status": "paid" if paid else "failed",
                "amount_fen": payout.amount_fen,
                **({} if paid else {"reason": (result.reason or "failed")[:64]}),
            },
        )
    return True


async def receive(provider: PayoutProvider, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
    """The notify entry point: verify, match the payout and its amount, record once, settle once."""
    try:
        notice = provider.parse_notification({k.lower(): v for k, v in headers.items()}, body, _now())
        payout = await Payout.get_or_none(public_id=notice.out_payout_no, provider=provider.name)
        if payout is None:
            raise NotificationRejected("unknown_payout", notice.out_payout_no[:32])
        if notice.amount_fen != payout.amount_fen:
            raise NotificationRejected("amount_mismatch", f"{notice.amount_fen} != {payout.amount_fen}")
    except NotificationRejected as rejected:
        log.warning("payout_notification_rejected", provider=provider.name, reason=rejected.reason)
        return provider.acknowledgement(False, rejected.reason)
    try:
        async with in_transaction():
            await PayoutNotification.create(
                provider=provider.name,
                replay_key=notice.replay_key[:128],
                out_payout_no=payout.public_id,
                state=notice.state,
                amount_fen=notice.amount_fen,
            )
            await settle(payout, notice, actor=f"system:payouts:{provider.name}")
    except IntegrityError:
        if not await PayoutNotification.exists(provider=provider.name, replay_key=notice.replay_key[:128]):
            raise
        # a replay (or a concurrent copy that won): accepted, nothing changes
    return provider.acknowledgement(True)


async def retry_payouts(settings: Settings, provider: PayoutProvider) -> int:
    """Housekeeping: ask again for payouts the provider never took, and query those it is processing."""
    settled = 0
    for payout in await Payout.filter(status__in=OPEN, provider=provider.name).order_by("id").limit(100):
        if payout.status == "requested":
            settled += (await submit(settings, provider, payout)).status in ("paid", "failed")
            continue
        try:
            result = await provider.query(payout.public_id)
        except (ProviderUnavailable, ProviderRefused):
            continue
        settled += await settle(payout, result, actor=f"system:payouts:{provider.name}")
    return settled


async def payouts_of(principal: Principal, limit: int = 100) -> list[Payout]:
    return await Payout.filter(holder__in=await market._holders_of(principal)).order_by("-id").limit(limit)


async def payout_for(principal: Principal, public_id: str) -> Payout:
    payout = await Payout.get_or_none(public_id=public_id)
    if payout is None or payout.holder not in await market._holders_of(principal):
        raise NotFound("money.payout_not_found")
    return payout
