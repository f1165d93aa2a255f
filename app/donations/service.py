"""Donations to a campaign: money in lieu of planting (捐资尽责), 捐赠票据 requests, points to a budget.

Rules:
- a money donation is N whole trees × the campaign's `donation_fen_per_tree`, accepted only when the
  campaign has the "donate" mode and is open by its dates (Beijing days); the price is locked on the
  donation, which must be paid within `PAY_WITHIN` (`expires_at`, enforced in SQL when it is paid);
- it is paid through the payments service (purpose `campaign.donation`): inside the notification's
  transaction `_fulfil` flips the donation pending → paid by one conditional update (so it is paid
  once, never after its moment), moves the amount on the `fen` ledger from clearing into the
  campaign's fund (`fen/campaign_fund/campaign:<id>`), adds it to `Campaign.fen_raised` and to the
  campaign's tally, and audits `donation.paid`; a late, second or mismatched payment is refused here
  and the payments service refunds it, as it does for the market;
- after payment the donor may request one 捐赠票据 per donation (name or organisation title, an
  optional 税号 checked as a unified social credit code, an email); it can be changed until an
  organiser of the campaign exports it, and not after (the receipt may already be issued);
- points donations move points from the person's wallet to the campaign's points budget
  (`points/campaign_budget/campaign:<id>`); the ledger transfer's id is derived from the person and
  their Idempotency-Key, so the same key and body replay, another body is 409; the wallet never goes
  below zero (the ledger's conditional update);
- totals for the campaign page live in one `DonationTally` row, moved in the donation's transaction.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.accounts.service import new_public_id
from app.campaigns import live
from app.campaigns import service as campaigns
from app.core import housekeeping
from app.core.audit import actor_of, record
from app.core.auth import Principal, Role
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING
from app.donations import messages  # noqa: F401  (registers the domain's messages)
from app.ledger import service as ledger
from app.money.invoices import uscc_valid
from app.payments import service as payments
from app.payments.protocol import PaymentProvider
from app.planting import service as planting
from app.points import service as points_service
from app.settings import Settings
from models.accounts import User
from models.campaigns import Campaign
from models.donations import Donation, DonationReceipt, DonationTally, PointsDonation
from models.ledger import LedgerAccount
from models.payments import PaymentAttempt

PURPOSE = "campaign.donation"
PAY_WITHIN = timedelta(minutes=30)  # a donation not paid by then can no longer be paid
MAX_TREES = 10_000  # per donation
MIN_POINTS = 10  # per points donation
MAX_POINTS = 100_000  # per points donation
RECEIPT_KINDS = ("personal", "organisation")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_IDS = uuid.UUID("0b6c7f7e-1d2a-4f41-9b8e-5d0a6c2e9f31")  # namespace of points-donation transfer ids
MAX_KEY = 255


def now() -> datetime:
    return datetime.now(UTC)


def _bad(key: str, field_name: str, **params: Any) -> AppError:
    return AppError(key, detail=[{"field": field_name}], **params)


def _whole(value: object, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def reference_of(donation: Donation) -> str:
    return f"donation:{donation.public_id}"


def campaign_owner(campaign: Campaign) -> str:
    return f"campaign:{campaign.id}"


async def fund_account(campaign: Campaign) -> LedgerAccount:
    """The foundation's fund for this campaign, in fen: what donations in lieu brought in."""
    return await ledger.open_account("fen", "campaign_fund", campaign_owner(campaign))


async def budget_account(campaign: Campaign) -> LedgerAccount:
    """The campaign's points budget: what people gave it; never below zero."""
    return await ledger.open_account("points", "campaign_budget", campaign_owner(campaign))


def is_open(campaign: Campaign, at: datetime | None = None) -> bool:
    """Open by its dates: from its first to its last day, in Beijing time."""
    today: date = (at or now()).astimezone(BEIJING).date()
    return campaign.starts_on <= today <= campaign.ends_on


def accepts_donations(campaign: Campaign, at: datetime | None = None) -> bool:
    return "donate" in campaign.modes and bool(campaign.donation_fen_per_tree) and is_open(campaign, at)


def _check_open(campaign: Campaign, at: datetime) -> None:
    if not is_open(campaign, at):
        raise Conflict(
            "donations.campaign_closed", starts=campaign.starts_on.isoformat(), ends=campaign.ends_on.isoformat()
        )


# --- money donations ---------------------------------------------------------------------------------
async def create_donation(donor: User, slug: str, trees: int, *, at: datetime | None = None) -> Donation:
    """A pending donation of `trees` at the campaign's price, payable until `expires_at`."""
    campaign = await campaigns.campaign(slug)
    at = at or now()
    if "donate" not in campaign.modes or not campaign.donation_fen_per_tree:
        raise Conflict("donations.not_accepted")
    _check_open(campaign, at)
    if not _whole(trees, 1, MAX_TREES):
        raise _bad("donations.bad_trees", "trees", maximum=MAX_TREES)
    price = campaign.donation_fen_per_tree
    amount = trees * price
    if amount > ledger.MAX_AMOUNT:
        raise _bad("donations.too_large", "trees")
    public_id = new_public_id()
    async with in_transaction():
        donation = await Donation.create(
            public_id=public_id,
            campaign_id=campaign.id,
            donor_id=donor.id,
            trees=trees,
            fen_per_tree=price,
            amount_fen=amount,
            expires_at=at + PAY_WITHIN,
        )
        await record(
            actor=actor_of(donor),
            action="donation.created",
            entity_type="donation",
            entity_id=public_id,
            after={
                "status": "pending",
                "campaign": campaign.slug,
                "trees": trees,
                "fen_per_tree": price,
                "amount_fen": amount,
                "expires_at": donation.expires_at.isoformat(),
            },
        )
    return donation


async def donation_for(donor: User, public_id: str) -> Donation:
    found = await Donation.get_or_none(public_id=public_id, donor_id=donor.id).prefetch_related("campaign")
    if found is None:
        raise NotFound("donations.not_found")
    return found


async def donations_of(donor: User, limit: int = 50) -> list[Donation]:
    return await Donation.filter(donor_id=donor.id).prefetch_related("campaign").order_by("-id").limit(limit)


def status_now(donation: Donation, at: datetime | None = None) -> str:
    """A pending donation past its moment is expired even before the sweep marks it."""
    if donation.status == "pending" and donation.expires_at <= (at or now()):
        return "expired"
    return donation.status


async def pay(settings: Settings, provider: PaymentProvider, donor: User, public_id: str) -> PaymentAttempt:
    """Start (or resume) paying a pending donation through the payments service."""
    donation = await donation_for(donor, public_id)
    status = status_now(donation)
    if status != "pending":
        raise Conflict(f"donations.donation_{status}")
    return await payments.start(
        settings,
        provider,
        purpose=PURPOSE,
        subject=donation.public_id,
        amount_fen=donation.amount_fen,
        description=f"微碳汇 捐资植树 {donation.trees} 棵",
        expires_at=donation.expires_at,
        payer_openid=donor.wechat_openid,
    )


async def _fulfil(settings: Settings, subject: str, attempt: PaymentAttempt) -> None:
    """Inside the payment notification's transaction: paid once, the fund credited once."""
    donation = await Donation.filter(public_id=subject).select_for_update().first()
    if donation is None:
        raise payments.NotFulfillable("unknown_donation")
    if attempt.amount_fen != donation.amount_fen:
        raise payments.NotFulfillable("amount_differs")
    if donation.status == "paid":
        raise payments.NotFulfillable("paid_twice")
    at = now()
    if status_now(donation, at) != "pending":
        raise payments.NotFulfillable(status_now(donation, at))
    # The one conditional update that lets a donation be paid once, and never after its moment.
    if not await Donation.filter(id=donation.id, status="pending", expires_at__gt=at).update(
        status="paid", paid_at=at, out_trade_no=attempt.out_trade_no
    ):
        raise payments.NotFulfillable("paid_twice")
    campaign = await Campaign.get(id=donation.campaign_id)  # type: ignore[attr-defined]
    reference = reference_of(donation)
    await ledger.transfer(
        payments.transfer_id(reference, "fund"),
        await payments.clearing_account(),
        await fund_account(campaign),
        donation.amount_fen,
        "donation.fund",
        reference,
    )
    # Counters move by an increment in this same transaction (never read-then-write, never a COUNT).
    await Campaign.filter(id=campaign.id).update(fen_raised=F("fen_raised") + donation.amount_fen)
    await _tally(campaign, trees_donated=donation.trees, donations_paid=1)
    # 捐资尽责 counts as 义务植树: the donor's certificate of the year is issued or credited here, once,
    # as the payment is (the same function planting approvals use, kind by the age rule on the day paid).
    donor = await User.get(id=donation.donor_id)  # type: ignore[attr-defined]
    await planting.credit_certificate(
        settings,
        donor,
        at.astimezone(BEIJING).date(),
        donation.trees,
        campaign.slug,
        actor=f"system:payments:{attempt.provider}",
        source=f"donation:{donation.public_id}",
    )
    await record(
        actor=f"system:payments:{attempt.provider}",
        action="donation.paid",
        entity_type="donation",
        entity_id=donation.public_id,
        before={"status": "pending"},
        after={
            "status": "paid",
            "campaign": campaign.slug,
            "trees": donation.trees,
            "amount_fen": donation.amount_fen,
            "payment": attempt.out_trade_no,
            "fund": f"campaign_fund/{campaign_owner(campaign)}",
        },
    )


async def _after_paid(subject: str) -> None:
    """Once the payment's transaction committed: the campaign's live pages hear the new fen raised."""
    campaign_ids = await Donation.filter(public_id=subject).values_list("campaign_id", flat=True)
    for campaign_id in campaign_ids:
        await live.publish_progress(campaign_id)  # type: ignore[arg-type]


payments.register_fulfiller(PURPOSE, _fulfil, lambda subject: f"/donations/{subject}", after=_after_paid)


async def _tally(campaign: Campaign, **add: int) -> None:
    """Add to the campaign's totals row (created on first use) by one increment."""
    await DonationTally.bulk_create([DonationTally(campaign_id=campaign.id)], ignore_conflicts=True)
    await DonationTally.filter(campaign_id=campaign.id).update(**{k: F(k) + v for k, v in add.items()})


async def expire_overdue_donations(at: datetime | None = None) -> int:
    """The sweep: mark each unpaid donation past its moment expired, once (payment is already refused
    in SQL after `expires_at`, so this only tidies up and audits)."""
    at = at or now()
    expired = 0
    for donation in await Donation.filter(status="pending", expires_at__lte=at).order_by("id").limit(1000):
        async with in_transaction():
            if await Donation.filter(id=donation.id, status="pending", expires_at__lte=at).update(status="expired"):
                expired += 1
                await record(
                    actor="system:donations",
                    action="donation.expired",
                    entity_type="donation",
                    entity_id=donation.public_id,
                    before={"status": "pending"},
                    after={"status": "expired"},
                )
    return expired


housekeeping.register("donations.expire_overdue", expire_overdue_donations)
# Trees donated in lieu count toward the person's yearly 义务植树 tally (app/planting).
planting.register_tally_source(
    "donations", lambda user, year: donated_trees(user, year), lambda user, year: donation_dates(user, year)
)


# --- 尽责 tally ----------------------------------------------------------------------------------------
async def donated_trees(user: User, year: int) -> int:
    """Trees the person donated in lieu of planting, by the Beijing year of payment: each counts as one
    tree of 义务植树 duty (全民义务植树 recognises 捐资 as a form of 尽责). For app/planting's yearly tally."""
    start, end = _year_bounds(year)
    rows = (
        await Donation.filter(donor_id=user.id, status="paid", paid_at__gte=start, paid_at__lt=end)
        .annotate(n=Sum("trees"))
        .values("n")
    )
    return int(rows[0]["n"] or 0) if rows else 0


async def donation_dates(user: User, year: int) -> list[date]:
    """The Beijing dates of the person's paid donations in `year` (their certificate's kind is judged on them)."""
    start, end = _year_bounds(year)
    paid = await Donation.filter(donor_id=user.id, status="paid", paid_at__gte=start, paid_at__lt=end).values_list(
        "paid_at", flat=True
    )
    return [cast(datetime, at).astimezone(BEIJING).date() for at in paid]


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """A Beijing year's bounds in UTC, as the column is stored (SQLite compares the stored text)."""
    return datetime(year, 1, 1, tzinfo=BEIJING).astimezone(UTC), datetime(year + 1, 1, 1, tzinfo=BEIJING).astimezone(
        UTC
    )


# --- 捐赠票据 requests ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReceiptAsk:
    kind: str
    title: str
    email: str
    tax_id: str = ""


def _check_receipt(ask: ReceiptAsk) -> ReceiptAsk:
    title, email = (ask.title or "").strip(), (ask.email or "").strip()
    tax_id = (ask.tax_id or "").strip().upper()
    if ask.kind not in RECEIPT_KINDS:
        raise _bad("donations.bad_receipt_kind", "kind", known=", ".join(RECEIPT_KINDS))
    if not 0 < len(title) <= 100:
        raise _bad("donations.bad_receipt_title", "title")
    if tax_id and not uscc_valid(tax_id):
        raise _bad("donations.bad_tax_id", "tax_id")
    if len(email) > 254 or not _EMAIL.match(email):
        raise _bad("donations.bad_email", "email")
    return ReceiptAsk(ask.kind, title, email, tax_id)


async def receipt_of(donation: Donation) -> DonationReceipt | None:
    return await DonationReceipt.get_or_none(donation_id=donation.id)


async def request_receipt(donor: User, public_id: str, ask: ReceiptAsk) -> DonationReceipt:
    """Record the donor's 捐赠票据 request once per paid donation; change it until it is exported."""
    ask = _check_receipt(ask)
    donation = await donation_for(donor, public_id)
    if donation.status != "paid":
        raise Conflict("donations.receipt_needs_payment")
    values: dict[str, Any] = {"kind": ask.kind, "title": ask.title, "tax_id": ask.tax_id, "email": ask.email}
    # The audit chain is public: it records the kind and whether a 税号 was given, never name or email.
    shown = {"kind": ask.kind, "tax_id_given": bool(ask.tax_id), "status": "requested"}
    try:
        async with in_transaction():
            existing = await DonationReceipt.filter(donation_id=donation.id).select_for_update().first()
            if existing is None:
                receipt = await DonationReceipt.create(donation_id=donation.id, **values)
                await record(
                    actor=actor_of(donor),
                    action="donation.receipt.requested",
                    entity_type="donation_receipt",
                    entity_id=donation.public_id,
                    after=shown,
                )
                return receipt
            # Write first: only a request not yet exported changes.
            if not await DonationReceipt.filter(id=existing.id, status="requested").update(**values):
                raise Conflict("donations.receipt_exported")
            await record(
                actor=actor_of(donor),
                action="donation.receipt.updated",
                entity_type="donation_receipt",
                entity_id=donation.public_id,
                before={"kind": existing.kind, "tax_id_given": bool(existing.tax_id), "status": "requested"},
                after=shown,
            )
            return await DonationReceipt.get(id=existing.id)
    except IntegrityError:
        # A concurrent first request of this donation won the unique key: this one is an update.
        return await request_receipt(donor, public_id, ask)


# --- organisers ---------------------------------------------------------------------------------------
async def organised_campaign(principal: Principal, slug: str) -> Campaign:
    campaign = await campaigns.campaign(slug)
    if campaign.organisation_id not in principal.orgs_with(Role.ORGANISER.value):  # type: ignore[attr-defined]
        raise Forbidden("campaigns.not_organiser", organisation=campaign.organisation.name)
    return campaign


@dataclass(frozen=True)
class DonationLine:
    donation: Donation
    receipt: DonationReceipt | None


async def paid_donations(principal: Principal, slug: str, limit: int = 500) -> tuple[Campaign, list[DonationLine]]:
    """The organiser's list: paid donations of their campaign, newest first, with receipt requests."""
    campaign = await organised_campaign(principal, slug)
    rows = await Donation.filter(campaign_id=campaign.id, status="paid").order_by("-paid_at", "-id").limit(limit)
    receipts = {r.donation_id: r for r in await DonationReceipt.filter(donation_id__in=[d.id for d in rows])}  # type: ignore[attr-defined]
    return campaign, [DonationLine(d, receipts.get(d.id)) for d in rows]


CSV_COLUMNS = (
    "donation",
    "paid_at_beijing",
    "trees",
    "amount_fen",
    "amount_yuan",
    "receipt_kind",
    "title",
    "tax_id",
    "email",
    "requested_at_beijing",
    "exported_at_beijing",
)


def yuan(fen: int) -> str:
    """12345 → '123.45', from the integer: no float ever."""
    return f"{fen // 100}.{fen % 100:02d}"


def _cell(value: object) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _beijing(value: datetime | None) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@dataclass(frozen=True)
class ReceiptExport:
    csv: bytes  # UTF-8 with a BOM, so Excel on Chinese Windows reads it
    newly_exported: int
    total: int


async def export_receipts(principal: Principal, slug: str) -> ReceiptExport:
    """Every receipt request of the campaign as CSV; those not exported before are marked exported now,
    each once and audited, and from then on the donor can no longer change them."""
    campaign = await organised_campaign(principal, slug)
    at = now()
    async with in_transaction():
        receipt_ids = list(
            await DonationReceipt.filter(donation__campaign_id=campaign.id).order_by("id").values_list("id", flat=True)
        )
        waiting = await DonationReceipt.filter(id__in=receipt_ids, status="requested").prefetch_related("donation")
        marked = 0
        for receipt in waiting:
            # One conditional update per request: an export racing this one, or the donor's change, wins once.
            if await DonationReceipt.filter(id=receipt.id, status="requested").update(
                status="exported", exported_at=at
            ):
                marked += 1
                await record(
                    actor=actor_of(principal.user),
                    action="donation.receipt.exported",
                    entity_type="donation_receipt",
                    entity_id=receipt.donation.public_id,
                    before={"status": "requested"},
                    after={"status": "exported", "campaign": campaign.slug},
                )
    rows = await DonationReceipt.filter(id__in=receipt_ids).prefetch_related("donation").order_by("id")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        d = r.donation
        writer.writerow(
            [
                d.public_id,
                _beijing(d.paid_at),
                d.trees,
                d.amount_fen,
                yuan(d.amount_fen),
                r.kind,
                _cell(r.title),
                r.tax_id,
                _cell(r.email),
                _beijing(r.created_at),
                _beijing(r.exported_at),
            ]
        )
    return ReceiptExport(("\ufeff" + buffer.getvalue()).encode(), marked, len(rows))


# --- points donations ---------------------------------------------------------------------------------
def points_donation_id(user: User, key: str) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"{user.public_id}|{key}")


@dataclass(frozen=True)
class PointsGiven:
    donation: PointsDonation
    replayed: bool


def _same(row: PointsDonation, campaign: Campaign, points: int) -> None:
    if (row.campaign_id, row.points) != (campaign.id, points):  # type: ignore[attr-defined]
        raise Conflict("donations.key_reused")


async def donate_points(user: User, slug: str, points: int, key: str, *, at: datetime | None = None) -> PointsGiven:
    """Move `points` from the person's wallet to the campaign's points budget, once per key."""
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise _bad("donations.key_needed", "Idempotency-Key")
    if not _whole(points, MIN_POINTS, MAX_POINTS):
        raise _bad("donations.bad_points", "points", minimum=MIN_POINTS, maximum=MAX_POINTS)
    campaign = await campaigns.campaign(slug)
    transfer_id = points_donation_id(user, key)
    if existing := await PointsDonation.get_or_none(id=transfer_id):
        _same(existing, campaign, points)
        return PointsGiven(existing, True)
    _check_open(campaign, at or now())
    wallet = await points_service.wallet_of(user)
    budget = await budget_account(campaign)
    try:
        async with in_transaction():
            # The row first: a concurrent copy of this very donation waits here, then fails on the key.
            row = await PointsDonation.create(id=transfer_id, campaign_id=campaign.id, donor_id=user.id, points=points)
            try:
                await ledger.transfer(
                    transfer_id, wallet, budget, points, "donation.points", campaign_owner(campaign), known_new=True
                )
            except ledger.InsufficientBalance:
                raise Conflict("donations.not_enough_points", points=points) from None
            await _tally(campaign, points_donated=points, points_donations=1)
            await record(
                actor=actor_of(user),
                action="donation.points",
                entity_type="campaign",
                entity_id=campaign.slug,
                after={"points": points, "transfer": str(transfer_id), "budget": f"campaign_budget/{campaign.id}"},
            )
    except IntegrityError:
        existing = await PointsDonation.get_or_none(id=transfer_id)
        if existing is None:
            raise
        _same(existing, campaign, points)
        return PointsGiven(existing, True)
    return PointsGiven(row, False)


# --- the campaign page ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Totals:
    trees_donated: int
    donations_paid: int
    fen_raised: int
    points_donated: int
    points_donations: int


async def totals_of(campaign: Campaign) -> Totals:
    """What the campaign page shows: one row read (the tally) plus the campaign row it already has."""
    tally = await DonationTally.get_or_none(campaign_id=campaign.id)
    if tally is None:
        return Totals(0, 0, campaign.fen_raised, 0, 0)
    return Totals(
        tally.trees_donated, tally.donations_paid, campaign.fen_raised, tally.points_donated, tally.points_donations
    )


@dataclass(frozen=True)
class CampaignBox:
    """What the campaign page's donation section shows (the campaigns page includes the partial)."""

    totals: Totals
    accepts: bool  # donate mode, a price, open by its dates
    has_donate: bool
    open: bool
    points_available: int
    points_key: str  # a fresh key per form shown: a resubmitted form replays, never donates twice
    min_points: int
    max_points: int
    organiser: bool


async def campaign_box(campaign: Campaign, principal: Principal | None) -> CampaignBox:
    available = (await points_service.balance_of(principal.user)).available if principal else 0
    return CampaignBox(
        totals=await totals_of(campaign),
        accepts=accepts_donations(campaign),
        has_donate="donate" in campaign.modes and bool(campaign.donation_fen_per_tree),
        open=is_open(campaign),
        points_available=available,
        points_key=secrets.token_hex(16),
        min_points=MIN_POINTS,
        max_points=MAX_POINTS,
        organiser=bool(principal and campaign.organisation_id in principal.orgs_with(Role.ORGANISER.value)),  # type: ignore[attr-defined]
    )


# --- personal data ----------------------------------------------------------------------------------------
async def _export(user: User) -> dict[str, Any]:
    """The person's donations, receipt requests and points donations, for the data export."""
    rows = await Donation.filter(donor_id=user.id).prefetch_related("campaign").order_by("id")
    receipts = {r.donation_id: r for r in await DonationReceipt.filter(donation_id__in=[d.id for d in rows])}  # type: ignore[attr-defined]
    given = await PointsDonation.filter(donor_id=user.id).prefetch_related("campaign").order_by("created_at")
    return {
        "donations": [
            {
                "donation": d.public_id,
                "campaign": d.campaign.slug,
                "trees": d.trees,
                "amount_fen": d.amount_fen,
                "status": d.status,
                "paid_at": d.paid_at.isoformat() if d.paid_at else None,
                "receipt": None
                if (r := receipts.get(d.id)) is None
                else {"kind": r.kind, "title": r.title, "tax_id": r.tax_id, "email": r.email, "status": r.status},
            }
            for d in rows
        ],
        "points_donations": [
            {"campaign": p.campaign.slug, "points": p.points, "at": p.created_at.isoformat()} for p in given
        ],
    }


async def _erase(user: User) -> None:
    """Account deletion: receipt requests not yet exported lose the name, 税号 and email (no receipt will
    be issued from them). Exported ones stay with the foundation, which has issued (or is issuing) the
    receipt and keeps it as its accounting record; donations and amounts stay (the campaign's record)."""
    donation_ids = await Donation.filter(donor_id=user.id).values_list("id", flat=True)
    await DonationReceipt.filter(donation_id__in=list(donation_ids), status="requested").update(
        title="（已注销）", tax_id="", email=""
    )


privacy.register_exporter("donations", _export)
privacy.register_eraser("donations", _erase)
