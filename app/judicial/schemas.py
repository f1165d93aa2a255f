"""Judicial API structs: restoration cases, the defendant's payments, the public case and its voucher.

Types are checked here; ranges and texts are checked by the service, whose refusals name the field in
the reader's language (zh/en).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile

from app.certificates.schemas import IssuanceOut, SerialRangeOut


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    """A restoration case as the court orders it: kg of sink to buy and/or trees to plant and tend."""

    case_number: Annotated[str, msgspec.Meta(description="案号, unique per court, 1–64 characters")]
    cause: Annotated[str, msgspec.Meta(description="案由, 1–200 characters")]
    damage_county_code: Annotated[str, msgspec.Meta(description="GB/T 2260 county where the damage was done")]
    defendant_name: Annotated[str, msgspec.Meta(description="stored encrypted, shown masked (张*) in public")]
    deadline: Annotated[date, msgspec.Meta(description="履行期限, today or later")]
    kg_owed: Annotated[int, msgspec.Meta(description="kg CO2e of sink to buy and retire, >= 0")] = 0
    trees_owed: Annotated[int, msgspec.Meta(description="trees to plant at the campaign site, >= 0")] = 0
    tend_years: Annotated[int, msgspec.Meta(description="years to tend the trees, 0–50")] = 0
    campaign: Annotated[str | None, msgspec.Meta(description="planting campaign slug (needed for trees)")] = None
    site: Annotated[str | None, msgspec.Meta(description="the campaign site's key; omitted: any site")] = None
    court_name: Annotated[
        str | None, msgspec.Meta(description="as signed; the court organisation's name if omitted")
    ] = None
    organisation: Annotated[
        str | None, msgspec.Meta(description="the court's public id; needed only by staff of several courts")
    ] = None


class PublicCaseOut(msgspec.Struct):
    """What anyone may see of a case: the defendant masked, never the payment link."""

    code: Annotated[str, msgspec.Meta(description="the case's random public code")]
    case_number: str
    court_name: str
    cause: str
    damage_county_code: str
    damage_county: str
    defendant: Annotated[str, msgspec.Meta(description="masked, e.g. 张*")]
    kg_owed: int
    kg_paid: Annotated[int, msgspec.Meta(description="kg CO2e retired for the case")]
    trees_owed: int
    trees_counted: Annotated[int, msgspec.Meta(description="trees of approved planting logs counted for it")]
    tend_years: int
    site: str
    deadline: date
    status: Annotated[str, msgspec.Meta(description="open | fulfilled | closed")]
    separated: Annotated[bool, msgspec.Meta(description="损益分离: some kg came from outside the damage county")]
    fulfilled_at: datetime | None
    closed_at: datetime | None
    page_url: str
    voucher_url: Annotated[str | None, msgspec.Meta(description="set once the case is fulfilled")]


class TendingOut(msgspec.Struct):
    """One yearly tending check (管护) and its state today, judged by date in the database."""

    year: int
    opens_on: Annotated[date, msgspec.Meta(description="first day the year's report is taken")]
    due_on: Annotated[date, msgspec.Meta(description="last day before the check is overdue")]
    state: Annotated[
        str,
        msgspec.Meta(
            description="done (report accepted) | submitted (report awaiting review) | overdue | due | upcoming"
        ),
    ]
    reported_on: date | None
    late: Annotated[bool, msgspec.Meta(description="reported after due_on")]
    photos: list[str] = msgspec.field(default_factory=list)
    note: str = ""
    rejection_reason: Annotated[
        str, msgspec.Meta(description="why the last report was sent back (empty: none was)")
    ] = ""
    rejections: int = 0


class TendingReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    """The review of a year's 管护报告: accept (final) or reject with a reason (the defendant files again)."""

    decision: Annotated[str, msgspec.Meta(description="accept | reject")]
    reason: Annotated[str, msgspec.Meta(description="required to reject; at most 300 characters")] = ""
    report: Annotated[
        int | None,
        msgspec.Meta(
            description="the report reviewed: the year's `rejections` + 1 as read; 409 if another has replaced it"
        ),
    ] = None


class CourtCaseOut(msgspec.Struct):
    """The court's view: the public facts plus the defendant's name and payment link."""

    case: PublicCaseOut
    defendant_name: str
    pay_url: Annotated[str, msgspec.Meta(description="the link to give the defendant")]
    kg_pending: Annotated[int, msgspec.Meta(description="kg held by the defendant's unpaid orders")]
    defendant_linked: Annotated[bool, msgspec.Meta(description="an account has paid or planted for the case")]
    tending_from: Annotated[
        date | None, msgspec.Meta(description="管护 starts: the completing log's planting date")
    ] = None
    tending_until: date | None = None
    tending: list[TendingOut] = msgspec.field(default_factory=list)


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    kg: Annotated[int, msgspec.Meta(description="kg to pay for now; at most what is still owed")]


class PaymentOut(msgspec.Struct):
    order: Annotated[str, msgspec.Meta(description="the market order's public id: pay it like any order")]
    kg: int
    total_fen: int
    cash_fen: int
    expires_at: datetime
    order_url: str
    pay_url: Annotated[str, msgspec.Meta(description="POST here to start paying (market API)")]


class VoucherCertificateOut(msgspec.Struct):
    code: str
    kg: int
    retired_at: datetime
    url: str
    serials: list[SerialRangeOut]
    issuances: Annotated[list[IssuanceOut], msgspec.Meta(description="projects and parcels behind the kg")]


class PlantedOut(msgspec.Struct):
    log: str
    planted_on: date
    trees: int
    species: str


class VoucherOut(msgspec.Struct):
    """The 生态修复履行凭证 of a fulfilled case."""

    case: PublicCaseOut
    certificates: list[VoucherCertificateOut]
    planted: list[PlantedOut]
    same_county_kg: int
    other_county_kg: int
    url: str
    qr_svg: str


@dataclass
class TendingReport:
    """multipart/form-data: `photo` (a JPEG, PNG or WebP of the trees, judged by its bytes) and `note`."""

    photo: UploadFile
    note: str = ""


@dataclass
class TendingForm:
    """The payment page's 管护报告 form (no JavaScript): the photo may be missing, which the page says."""

    photo: UploadFile | None = None
    note: str = ""
