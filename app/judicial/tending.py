"""碳汇+司法 tending (管护): the yearly checks of a case's trees, the defendant's reports, and the reminders.

Rules:
- tending starts when a case's trees are complete, from the planting date of the log that completed them
  (`tending_from`), for the years ordered; one check per year is written then, in the same transaction
  (the planting approval's): year N is due on the N-th anniversary and takes a report from
  TENDING_WINDOW_DAYS before it;
- the report is the defendant's 管护报告: a photo of the trees (through app/evidence, scoped to the
  campaign like the planting logs' photos, so the planting photo or last year's photo is refused as an
  exact duplicate) and a short note; the first photo marks the year reported, once (a conditional update),
  a late report is taken and shown late;
- the court that owns the case, or an organiser of the campaign the trees were planted in, reviews a report
  once (`review`, a conditional update on the report it saw): accepted is final and the year is done;
  rejected (with a reason) clears the report, so the year is due or overdue again by date and the defendant
  files again; the rejected photo stays as evidence (and cannot be sent again: it is an exact duplicate);
- a year's state (done, submitted, overdue, due, upcoming) is judged in SQL by date each time it is read
  (`states`), never stored and never flipped by a job, like a hold's `expires_at`; a report awaiting review
  is `submitted`, neither done nor overdue;
- reminders (`send_reminders`, a housekeeping job that may run on several workers at once) go through
  app/notifications to the defendant's linked account: once before the case's deadline, once before each
  tending check is due; a conditional update of `*_reminded_at` plus the notification's unique dedupe key
  make each reminder exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.expressions import Case, F, When
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.core import housekeeping
from app.core.audit import actor_of, record
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING
from app.evidence import service as evidence
from app.notifications import service as notifications
from app.planting import service as planting
from app.settings import Settings
from app.storage import Storage
from models.accounts import User
from models.evidence import Photo
from models.judicial import CaseTending, RestorationCase

TENDING_WINDOW_DAYS = 60  # a year's report is taken from this many days before its anniversary
REMIND_DAYS = 7  # reminders go out this many days before a deadline or a check's due day
NOTE_MAX = 300
STATES = ("done", "submitted", "overdue", "due", "upcoming")
DECISIONS = ("accept", "reject")
REASON_MAX = 300


def today() -> date:
    return datetime.now(UTC).astimezone(BEIJING).date()


def anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return start.replace(year=start.year + years, day=28)


def subject_of(case: RestorationCase, year: int) -> str:
    return f"tending:{case.code}:{year}"


async def start(case: RestorationCase, planted_on: date) -> None:
    """In the transaction that completed the case's trees (case row locked): the tending period and its
    yearly checks, once."""
    if not case.tend_years or case.tending_from is not None:
        return
    if not await RestorationCase.filter(id=case.id, tending_from=None).update(tending_from=planted_on):
        return
    for year in range(1, case.tend_years + 1):
        due = anniversary(planted_on, year)
        await CaseTending.create(
            case_id=case.id, year=year, opens_on=due - timedelta(days=TENDING_WINDOW_DAYS), due_on=due
        )
    await record(
        actor="system:judicial",
        action="judicial.tending.started",
        entity_type="restoration_case",
        entity_id=case.code,
        after={
            "tending_from": planted_on.isoformat(),
            "tending_until": anniversary(planted_on, case.tend_years).isoformat(),
            "checks": case.tend_years,
        },
    )


@dataclass(frozen=True)
class Check:
    year: int
    opens_on: date
    due_on: date
    state: str  # done | submitted | overdue | due | upcoming, judged in SQL on `on`
    reported_on: date | None
    late: bool  # reported after due_on
    note: str
    rejection_reason: str = ""  # why the last report was rejected (empty: none was)
    rejections: int = 0


def _state(on: date) -> Case:
    return Case(
        When(accepted_at__isnull=False, then="done"),
        When(reported_at__isnull=False, then="submitted"),
        When(due_on__lt=on, then="overdue"),
        When(opens_on__lte=on, then="due"),
        default="upcoming",
    )


async def states(case_ids: list[int], on: date | None = None) -> dict[int, list[Check]]:
    """Each case's checks, year by year, with their state on `on` (today in Beijing) judged by the database."""
    on = on or today()
    rows = (
        await CaseTending.filter(case_id__in=case_ids)
        .annotate(state=_state(on))
        .order_by("case_id", "year")
        .values(
            "case_id", "year", "opens_on", "due_on", "state", "reported_at", "note", "rejection_reason", "rejections"
        )
    )
    out: dict[int, list[Check]] = {i: [] for i in case_ids}
    for r in rows:
        reported = r["reported_at"].astimezone(BEIJING).date() if r["reported_at"] else None
        out[r["case_id"]].append(
            Check(
                r["year"],
                r["opens_on"],
                r["due_on"],
                str(r["state"]),
                reported,
                bool(reported and reported > r["due_on"]),
                r["note"],
                r["rejection_reason"],
                int(r["rejections"]),
            )
        )
    return out


async def overdue(case_id: int, on: date | None = None) -> list[int]:
    """The years of the case unreported past their due day (SQL by date)."""
    return [
        int(y)  # type: ignore[call-overload]
        for y in await CaseTending.filter(case_id=case_id, reported_at__isnull=True, due_on__lt=on or today())
        .order_by("year")
        .values_list("year", flat=True)
    ]


def summary(checks: list[Check]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for c in checks:
        counts[c.state] += 1
    return counts


async def report(
    settings: Settings, storage: Storage, case: RestorationCase, user: User, year: object, data: bytes, note: str
) -> Photo:
    """The defendant's 管护报告 for `year`: a photo (and a note); the first photo marks the year reported."""
    if case.defendant_id != user.id:  # type: ignore[attr-defined]
        raise Forbidden("judicial.not_the_defendant")
    if not isinstance(year, int) or isinstance(year, bool):
        raise NotFound("judicial.tending_not_found")
    check = await CaseTending.get_or_none(case_id=case.id, year=year)
    if check is None:
        raise NotFound("judicial.tending_not_found")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise AppError("judicial.tending_note_too_long", detail=[{"field": "note"}], most=NOTE_MAX)
    if today() < check.opens_on:
        raise Conflict("judicial.tending_not_open", year=year, opens_on=check.opens_on.isoformat())
    if check.reported_at is not None:
        raise Conflict("judicial.tending_reported", year=year)
    prepared = await evidence.prepare(settings, data)
    stored = await evidence.store(storage, prepared)
    try:
        async with in_transaction() as conn:
            # Once: of two reports racing, one flips the year; the other's photo is discarded.
            if (
                not await CaseTending.filter(id=check.id, reported_at=None)
                .using_db(conn)
                .update(reported_at=datetime.now(UTC), reported_by_id=user.id, note=note)
            ):
                raise Conflict("judicial.tending_reported", year=year)
            photo = await evidence.attach(
                prepared,
                stored,
                scope=planting.scope_of(case.campaign_id),  # type: ignore[attr-defined]
                subject=subject_of(case, int(year)),
                uploaded_by=user,
                near_duplicate_bits=settings.photo_near_duplicate_bits,
                distance_m=None,
                flags=[],
                connection=conn,
            )
            await record(
                actor=actor_of(user),
                action="judicial.tending.reported",
                entity_type="restoration_case",
                entity_id=case.code,
                after={"year": year, "due_on": check.due_on.isoformat(), "photo": evidence.audit_view(photo)},
            )
    except BaseException:
        await evidence.discard(storage, stored.keys)
        raise
    return photo


async def review(
    case: RestorationCase, reviewer: User, year: object, decision: str, reason: str, report: int | None = None
) -> CaseTending:
    """The court's (or the campaign organiser's) review of the year's report, once: `accept` is final and the
    year is done; `reject` (a reason is required) clears the report so the year is due or overdue again by date
    and the defendant may file again. `report`: the number of the report the reviewer saw (1 for the year's
    first, 2 after one rejection …); when another report has replaced it meanwhile, 409 and nothing changes.
    The caller has already been checked as a reviewer of the case."""
    if not isinstance(year, int) or isinstance(year, bool):
        raise NotFound("judicial.tending_not_found")
    check = await CaseTending.get_or_none(case_id=case.id, year=year)
    if check is None:
        raise NotFound("judicial.tending_not_found")
    if decision not in DECISIONS:
        raise AppError("judicial.tending_bad_decision", detail=[{"field": "decision"}])
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise AppError("judicial.tending_reason_too_long", detail=[{"field": "reason"}], most=REASON_MAX)
    if decision == "reject" and not reason:
        raise AppError("judicial.tending_reason_required", detail=[{"field": "reason"}])
    if check.accepted_at is not None:
        raise Conflict("judicial.tending_accepted", year=year)
    if check.reported_at is None:
        raise Conflict("judicial.tending_nothing_to_review", year=year)
    if report is not None and report != check.rejections + 1:  # sent back and filed again since it was seen
        raise Conflict("judicial.tending_reviewed", year=year)
    now = datetime.now(UTC)
    async with in_transaction() as conn:
        # Once, and on the report the reviewer saw: the report is the (rejections + 1)-th of the year, still
        # filed and not accepted. A second review, or one racing it, finds no row and is refused.
        the_report = CaseTending.filter(
            id=check.id, reported_at__isnull=False, accepted_at=None, rejections=check.rejections
        ).using_db(conn)
        if decision == "accept":
            changed = await the_report.update(accepted_at=now, reviewed_by_id=reviewer.id)
        else:
            changed = await the_report.update(
                reported_at=None,
                reported_by_id=None,
                note="",
                rejected_at=now,
                rejection_reason=reason,
                rejections=F("rejections") + 1,
                reviewed_by_id=reviewer.id,
            )
        if not changed:
            raise Conflict("judicial.tending_reviewed", year=year)
        await record(
            actor=actor_of(reviewer),
            action="judicial.tending.accepted" if decision == "accept" else "judicial.tending.rejected",
            entity_type="restoration_case",
            entity_id=case.code,
            before={"year": year, "state": "submitted", "report": check.rejections + 1},
            after={"year": year, "state": "done" if decision == "accept" else "rejected", "reason": reason},
        )
    return await CaseTending.get(id=check.id)


async def photos(case: RestorationCase, years: list[int]) -> dict[int, list[Photo]]:
    """The photos of each year's current report: those of a report sent back came before its rejection and
    stay stored as evidence, but beside the new report they would be mistaken for part of it."""
    by_subject = await evidence.photos_of([subject_of(case, y) for y in years])
    rejected = dict(
        await CaseTending.filter(case_id=case.id, year__in=years, rejected_at__isnull=False).values_list(
            "year", "rejected_at"
        )
    )
    return {
        y: [p for p in by_subject.get(subject_of(case, y), []) if y not in rejected or p.created_at > rejected[y]]
        for y in years
    }


# --- reminders ----------------------------------------------------------------------------------------
async def send_reminders(on: date | None = None) -> int:
    """Remind defendants once before their case's deadline and once before each tending check is due."""
    on = on or today()
    sent = 0
    soon = on + timedelta(days=REMIND_DAYS)
    cases = await RestorationCase.filter(
        status="open", defendant_id__isnull=False, deadline_reminded_at=None, deadline__gte=on, deadline__lte=soon
    ).select_related("defendant")
    for case in cases:
        async with in_transaction():
            if not await RestorationCase.filter(id=case.id, deadline_reminded_at=None).update(
                deadline_reminded_at=datetime.now(UTC)
            ):
                continue  # another worker reminded meanwhile
            assert case.defendant is not None
            await notifications.notify(
                case.defendant,
                "judicial.deadline_soon",
                {
                    "case_number": case.case_number,
                    "deadline": case.deadline.isoformat(),
                    "kg_left": max(case.kg_owed - case.kg_paid, 0),
                    "trees_left": max(case.trees_owed - case.trees_counted, 0),
                },
                dedupe_key=f"judicial.deadline:{case.code}",
            )
            sent += 1
    checks = await CaseTending.filter(
        reported_at=None, reminded_at=None, due_on__gte=on, due_on__lte=soon, case__defendant_id__isnull=False
    ).select_related("case__defendant")
    for check in checks:
        async with in_transaction():
            if not await CaseTending.filter(id=check.id, reminded_at=None).update(reminded_at=datetime.now(UTC)):
                continue
            assert check.case.defendant is not None
            await notifications.notify(
                check.case.defendant,
                "judicial.tending_due",
                {"case_number": check.case.case_number, "year": check.year, "due_on": check.due_on.isoformat()},
                dedupe_key=f"judicial.tending:{check.case.code}:{check.year}",
            )
            sent += 1
    return sent


async def _erase(user: User) -> None:
    """Account deletion: forget the defendant's own words on the tending; the years reported, their photos
    (evidence for the court) and the audit stay, tied to the anonymised account."""
    await CaseTending.filter(reported_by_id=user.id).update(note="")


privacy.register_eraser("judicial_tending", _erase)

# Every housekeeping round (several workers may run it at once: each reminder is claimed by one update).
housekeeping.register("judicial.reminders", send_reminders)

notifications.register_kind(
    notifications.Kind(
        name="judicial.deadline_soon",
        label={"zh": "生态修复履行期限提醒", "en": "Restoration deadline reminder"},
        required=("case_number", "deadline", "kg_left", "trees_left"),
        title={"zh": "生态修复履行期限将至", "en": "Your restoration deadline is near"},
        body={
            "zh": lambda p, lang: (
                f"案件 {p['case_number']} 的履行期限为 {p['deadline']}，尚需购买 {p['kg_left']} 千克碳汇、"
                f"种植 {p['trees_left']} 株树。请在期限前通过法院给您的缴纳链接完成。"
            ),
            "en": lambda p, lang: (
                f"Case {p['case_number']} must be fulfilled by {p['deadline']}: {p['kg_left']} kg of sink still to buy "
                f"and {p['trees_left']} trees still to plant. Use the payment link the court gave you."
            ),
        },
        defaults={notifications.WECHAT: True, notifications.SMS: True},
        wechat=notifications.WechatTemplate(
            template_id="judicial-deadline-soon",
            page="pages/notifications/index",
            data=lambda p, lang: {"thing1": str(p["case_number"])[:20], "date2": str(p["deadline"])},
        ),
        sms=notifications.SmsTemplate(
            template_id="judicial-deadline-soon", params=lambda p: [str(p["case_number"])[:20], str(p["deadline"])]
        ),
    )
)

notifications.register_kind(
    notifications.Kind(
        name="judicial.tending_due",
        label={"zh": "管护报告提醒", "en": "Tending report reminder"},
        required=("case_number", "year", "due_on"),
        title={"zh": "请提交第 {year} 年管护报告", "en": "Your tending report for year {year} is due"},
        body={
            "zh": "案件 {case_number} 第 {year} 年的管护报告（树木照片）须在 {due_on} 前通过缴纳链接提交。",
            "en": "Case {case_number}: the tending report (a photo of the trees) for year {year} is due by {due_on}; "
            "send it through your payment link.",
        },
        defaults={notifications.WECHAT: True, notifications.SMS: True},
        wechat=notifications.WechatTemplate(
            template_id="judicial-tending-due",
            page="pages/notifications/index",
            data=lambda p, lang: {"thing1": str(p["case_number"])[:20], "date2": str(p["due_on"])},
        ),
        sms=notifications.SmsTemplate(
            template_id="judicial-tending-due",
            params=lambda p: [str(p["case_number"])[:20], str(p["year"]), str(p["due_on"])],
        ),
    )
)
