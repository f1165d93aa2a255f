"""Planting logs, their review, and the yearly 义务植树 certificate.

A log is written once per checked-in booking (the booking is its natural key) and moves
submitted → approved or submitted → rejected, each by one conditional update on the status (and the
revision), so a decision happens once however many organisers click at the same moment. While submitted
its owner may edit it; a rejected log may be corrected and resubmitted (back to submitted, the reason
kept in `rejections`) up to PLANTING_MAX_RESUBMISSIONS times; an approved log is final. Every change bumps
the log's revision, so an approval counts exactly the revision it flipped, and a reviewer who names the
revision they saw is told when the planter changed it since. The approval's transaction
also adds the trees to the campaign's counter (a conditional `F` update, never a count), awards the
`planting.approved` points under an id derived from the log (a replay awards nothing more), credits
the person's certificate of the year and writes the audit record.

The certificate (one per person per Beijing year, trees accumulating) is a 尽责证书 (kind `duty`) when
the person was of duty age at the date of an approved planting — men 11–60, women 11–55, age on the
planting date — and a 荣誉证书 (`honour`) otherwise, including when sex or birth date is unknown.
`credit_certificate` and `register_tally_source` are the extension points for donations in lieu;
`register_approval_hook` lets another domain (碳汇+司法) count an approved log in the approval's transaction.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.accounts import privacy
from app.accounts import service as accounts
from app.campaigns import checkin, live
from app.campaigns import service as campaigns
from app.core import audit
from app.core.auth import Principal, Role
from app.core.crypto import decrypt, encrypt, mask_name
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import BEIJING, t
from app.evidence import service as evidence
from app.planting import messages as _messages  # noqa: F401  (registers the texts)
from app.planting.schemas import LogIn, LogPatch
from app.points import service as points
from app.points.leaderboard import Leaderboard
from app.settings import Settings
from app.storage import Storage
from models.accounts import User
from models.campaigns import Booking, Campaign, CheckIn
from models.evidence import Photo
from models.ledger import Transfer
from models.planting import DutyCertificate, DutyProfile, PlantingLog

DUTY_TREES = 3  # the yearly duty: 3–5 trees per person (全民义务植树); 3 completes it
DUTY_MIN_AGE = 11
DUTY_MAX_AGE = {"m": 60, "f": 55}
NOTE_MAX = 500
REASON_MAX = 300
BATCH_MAX = 200
APPROVED_ACTION = "planting.approved"  # app/points/earning_rules.toml
# Namespace of approval award ids: uuid5(AWARDS, "planting.approved:<log public id>"), one per log.
AWARDS = uuid.UUID("9d3c4f0e-2a57-4d0b-8f4c-7b1d2e6a9c11")
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from paper


def subject_of(log: PlantingLog) -> str:
    return f"log:{log.public_id}"


def scope_of(campaign_id: int) -> str:
    """Duplicate photos are looked for across the whole campaign (ids, not slugs: the scope holds 64)."""
    return f"campaign:{campaign_id}"


def award_id(log: PlantingLog) -> uuid.UUID:
    return uuid.uuid5(AWARDS, f"{APPROVED_ACTION}:{log.public_id}")


def new_certificate_code() -> str:
    """16 characters of a 32-letter alphabet: 80 random bits."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))


def _status(prefix: str, value: str) -> dict[str, Any]:
    """A status named in both languages, for messages rendered later in the request's language."""
    return {"status_zh": t(f"{prefix}.{value}", "zh"), "status_en": t(f"{prefix}.{value}", "en")}


def _bj_date(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


# --- the age rule -------------------------------------------------------------------------------------


def age_on(born: date, on: date) -> int:
    """Whole years of age on `on` (a birthday counts from its own day; 29 February from 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def kind_for(sex: str | None, born: date | None, planted_on: date) -> str:
    """`duty` for men aged 11–60 and women aged 11–55 on the planting date, else `honour`."""
    if sex not in DUTY_MAX_AGE or born is None:
        return "honour"
    age = age_on(born, planted_on)
    return "duty" if DUTY_MIN_AGE <= age <= DUTY_MAX_AGE[sex] else "honour"


@dataclass(frozen=True)
class Person:
    birth_date: date | None
    sex: str | None
    from_id_number: bool


def person_of(settings: Settings, user: User, profile: DutyProfile | None) -> Person:
    """Birth date and sex: from the verified resident ID number (digits 7–14 the birth date, digit 17
    odd for men) when the person gave one, else from the optional profile, else unknown."""
    if user.id_number_enc:
        number = decrypt(settings.data_key, bytes(user.id_number_enc), "id_number")
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return Person(born, "m" if int(number[16]) % 2 else "f", True)
    return _profile_values(settings, profile)


def _profile_values(settings: Settings, profile: DutyProfile | None) -> Person:
    if profile is None:
        return Person(None, None, False)
    born_text = (
        decrypt(settings.data_key, bytes(profile.birth_date_enc), "birth_date") if profile.birth_date_enc else None
    )
    sex = decrypt(settings.data_key, bytes(profile.sex_enc), "sex") if profile.sex_enc else None
    return Person(date.fromisoformat(born_text) if born_text else None, sex, False)


async def person(settings: Settings, user: User) -> Person:
    return person_of(settings, user, await DutyProfile.get_or_none(user_id=user.id))


async def set_profile(settings: Settings, user: User, birth_date: date | None, sex: str | None) -> Person:
    """Store (or forget, with None) the optional birth date and sex, encrypted; audited without the values.
    The person's certificates are re-judged against the new details."""
    if birth_date is not None and not date(1900, 1, 1) <= birth_date <= datetime.now(BEIJING).date():
        raise AppError("planting.bad_birth_date", detail=[{"field": "birth_date"}])
    if sex not in (None, "m", "f"):
        raise AppError("planting.bad_sex", detail=[{"field": "sex"}])
    values: dict[str, Any] = {
        "birth_date_enc": encrypt(settings.data_key, birth_date.isoformat(), "birth_date") if birth_date else None,
        "sex_enc": encrypt(settings.data_key, sex, "sex") if sex else None,
    }
    async with in_transaction():
        await DutyProfile.bulk_create([DutyProfile(user_id=user.id)], ignore_conflicts=True)
        await DutyProfile.filter(user_id=user.id).update(**values)
        await audit.record(
            actor=audit.actor_of(user),
            action="planting.profile_set",
            entity_type="user",
            entity_id=user.public_id,
            after={"birth_date": "set" if birth_date else "none", "sex": "set" if sex else "none"},
        )
        await _rejudge_certificates(settings, user)
    return await person(settings, user)


# --- logs -----------------------------------------------------------------------------------------------


def _check_log(settings: Settings, campaign: Campaign, data: LogIn) -> None:
    if data.species not in campaign.species:
        options = ", ".join(f"{k}（{campaigns.species_name(k, 'zh')}）" for k in campaign.species)
        raise AppError(
            "planting.species_unknown",
            species=data.species,
            options=options,
            detail=[{"field": "species", "options": list(campaign.species)}],
        )
    cap = settings.planting_max_trees_per_log
    if isinstance(data.count, bool) or not 1 <= data.count <= cap:
        raise AppError("planting.count_range", maximum=cap, value=data.count, detail=[{"field": "count", "max": cap}])
    if len(data.note.strip()) > NOTE_MAX:
        raise AppError("planting.note_too_long", maximum=NOTE_MAX, length=len(data.note.strip()))


async def submit(settings: Settings, user: User, booking_id: str, data: LogIn) -> PlantingLog:
    """Write the booking's one planting log (after its check-in), audited."""
    booking = await campaigns.my_booking(user, booking_id)
    if booking.status != "checked_in":
        raise Conflict("planting.booking_not_checked_in", **_status("campaigns.status", booking.status))
    campaign: Campaign = booking.campaign
    _check_log(settings, campaign, data)
    done = await CheckIn.get(booking_id=booking.id)
    if existing := await PlantingLog.get_or_none(booking_id=booking.id):
        raise Conflict("planting.log_exists", log=existing.public_id)
    try:
        async with in_transaction():
            log = await PlantingLog.create(
                public_id=accounts.new_public_id(),
                booking_id=booking.id,
                campaign_id=campaign.id,
                user_id=user.id,
                species=data.species,
                count=data.count,
                note=data.note.strip(),
                planted_on=_bj_date(done.captured_at),
                submitted_at=datetime.now(UTC),
            )
            await audit.record(
                actor=audit.actor_of(user),
                action="planting.log.submitted",
                entity_type="planting_log",
                entity_id=log.public_id,
                after={
                    "status": "submitted",
                    "booking": booking.public_id,
                    "campaign": campaign.slug,
                    "species": log.species,
                    "count": log.count,
                    "planted_on": log.planted_on.isoformat(),
                },
            )
    except IntegrityError:  # a concurrent submission for the same booking won
        other = await PlantingLog.get(booking_id=booking.id)
        raise Conflict("planting.log_exists", log=other.public_id) from None
    return log


async def my_log(user: User, public_id: str) -> PlantingLog:
    log = await PlantingLog.get_or_none(public_id=public_id, user_id=user.id).prefetch_related("campaign", "booking")
    if log is None:
        raise NotFound("planting.log_not_found")
    return log


# --- edits and resubmissions --------------------------------------------------------------------------------


def resubmissions_left(settings: Settings, log: PlantingLog) -> int:
    return max(settings.planting_max_resubmissions - log.resubmissions, 0)


def can_edit(log: PlantingLog) -> bool:
    return log.status == "submitted"


def can_resubmit(settings: Settings, log: PlantingLog) -> bool:
    return log.status == "rejected" and resubmissions_left(settings, log) > 0


def _claim(log: PlantingLog) -> dict[str, Any]:
    """What the log claims, for the audit: the note's text is the planter's own words (erased with the
    account), so the chain records only its length."""
    return {"species": log.species, "count": log.count, "note_chars": len(log.note), "revision": log.revision}


def _merged(log: PlantingLog, patch: LogPatch) -> LogIn:
    return LogIn(
        species=log.species if patch.species is None else patch.species,
        count=log.count if patch.count is None else patch.count,
        note=log.note if patch.note is None else patch.note,
    )


def can_remove_photos(settings: Settings, log: PlantingLog) -> bool:
    """While the log can still change: waiting for review, or rejected with a resubmission left (the
    planter is correcting it). An approved log's photos are the evidence its trees were counted on."""
    return can_edit(log) or can_resubmit(settings, log)


Change = Literal["edit", "resubmit", "remove_photo"]


def _allowed(settings: Settings, log: PlantingLog, wanted: Change) -> bool:
    if wanted == "edit":
        return can_edit(log)
    if wanted == "resubmit":
        return can_resubmit(settings, log)
    return can_remove_photos(settings, log)


def _refuse(settings: Settings, log: PlantingLog, wanted: Change) -> Conflict:
    """Why `wanted` is not allowed for the log as it stands."""
    if log.status == "approved":
        return Conflict("planting.approved_final")
    if wanted == "remove_photo":  # rejected, no resubmission left
        return Conflict("planting.resubmission_cap", limit=settings.planting_max_resubmissions)
    if wanted == "edit":  # rejected
        if can_resubmit(settings, log):
            return Conflict("planting.edit_rejected", left=resubmissions_left(settings, log))
        return Conflict("planting.resubmission_cap", limit=settings.planting_max_resubmissions)
    if log.status == "submitted":
        return Conflict("planting.resubmit_pending")
    return Conflict("planting.resubmission_cap", limit=settings.planting_max_resubmissions)


def _stale(log: PlantingLog, expected: int | None) -> None:
    if expected is not None and expected != log.revision:
        raise Conflict("planting.revision_changed", seen=expected, revision=log.revision)


def _check_change(settings: Settings, log: PlantingLog, wanted: Change, revision: int | None) -> None:
    """The test every change by the planter passes — once on the log as read (an early, cheap answer) and
    again on the locked row inside the change's transaction (the binding one): the status allows it, and
    the revision is the one the planter saw when they name it."""
    if not _allowed(settings, log, wanted):
        raise _refuse(settings, log, wanted)
    _stale(log, revision)


def _patched(settings: Settings, log: PlantingLog, patch: LogPatch) -> LogIn:
    """The log with the patch applied, checked exactly as a submission is."""
    data = _merged(log, patch)
    _check_log(settings, log.campaign, data)
    return data


async def _locked(log_id: int) -> PlantingLog:
    """The log's row, locked until the transaction ends (PostgreSQL; SQLite serialises transactions)."""
    row = await PlantingLog.filter(id=log_id).select_for_update().first()
    assert row is not None
    return row


async def edit(
    settings: Settings, user: User, public_id: str, patch: LogPatch, *, revision: int | None = None
) -> PlantingLog:
    """Change species, count or note of the caller's log while it waits for review, audited; 409 once it
    has been decided (approved: final; rejected: correct and resubmit instead) or, when `revision` is given,
    if the log changed since that revision. A change to nothing changes nothing."""
    log = await my_log(user, public_id)
    _check_change(settings, log, "edit", revision)
    data = _patched(settings, log, patch)
    values = {"species": data.species, "count": data.count, "note": data.note.strip()}
    async with in_transaction():
        current = await _locked(log.id)
        _check_change(settings, current, "edit", revision)
        if all(getattr(current, k) == v for k, v in values.items()):
            return await my_log(user, public_id)
        # Conditional on status and revision: an approval or rejection that won the row first leaves
        # nothing to edit, and an approval that comes after sees the new revision and counts it.
        changed = await PlantingLog.filter(id=log.id, status="submitted", revision=current.revision).update(
            **values, revision=F("revision") + 1
        )
        if not changed:
            raise _refuse(settings, await PlantingLog.get(id=log.id), "edit")
        after = await PlantingLog.get(id=log.id)
        await audit.record(
            actor=audit.actor_of(user),
            action="planting.log.edited",
            entity_type="planting_log",
            entity_id=log.public_id,
            before={"status": "submitted", **_claim(current)},
            after={"status": "submitted", **_claim(after)},
        )
    return await my_log(user, public_id)


async def resubmit(
    settings: Settings,
    user: User,
    public_id: str,
    patch: LogPatch,
    *,
    revision: int | None = None,
    now: datetime | None = None,
) -> PlantingLog:
    """Correct a rejected log and send it back for review (status submitted, the rejection kept in
    `rejections` and the audit chain), at most PLANTING_MAX_RESUBMISSIONS times; audited. 409 for an
    approved log (final), a log still waiting (edit it instead) or one past the cap."""
    log = await my_log(user, public_id)
    _check_change(settings, log, "resubmit", revision)
    data = _patched(settings, log, patch)
    now = now or datetime.now(UTC)
    async with in_transaction():
        current = await _locked(log.id)
        _check_change(settings, current, "resubmit", revision)
        reviewer = await User.get_or_none(id=current.reviewed_by_id)  # type: ignore[attr-defined]
        rejection = {
            "reason_zh": current.reject_reason_zh,
            "reason_en": current.reject_reason_en,
            "reviewed_by": reviewer.public_id if reviewer else None,
            "reviewed_at": current.reviewed_at.isoformat() if current.reviewed_at else None,
        }
        # Conditional on the status and the counter: of two racing resubmissions one goes on.
        changed = await PlantingLog.filter(id=log.id, status="rejected", resubmissions=current.resubmissions).update(
            status="submitted",
            species=data.species,
            count=data.count,
            note=data.note.strip(),
            resubmissions=F("resubmissions") + 1,
            revision=F("revision") + 1,
            rejections=[*(current.rejections or []), rejection],
            reject_reason_zh=None,
            reject_reason_en=None,
            reviewed_by_id=None,
            reviewed_at=None,
            submitted_at=now,
        )
        if not changed:
            raise _refuse(settings, await PlantingLog.get(id=log.id), "resubmit")
        after = await PlantingLog.get(id=log.id)
        await audit.record(
            actor=audit.actor_of(user),
            action="planting.log.resubmitted",
            entity_type="planting_log",
            entity_id=log.public_id,
            before={
                "status": "rejected",
                **_claim(current),
                "resubmissions": current.resubmissions,
                "reason_zh": current.reject_reason_zh,
                "reason_en": current.reject_reason_en,
            },
            after={"status": "submitted", **_claim(after), "resubmissions": after.resubmissions},
        )
    return await my_log(user, public_id)


def rejections_of(log: PlantingLog, lang: str) -> list[tuple[str, str | None]]:
    """The earlier rejections of a resubmitted log, oldest first: (reason in `lang`, reviewed_at ISO)."""
    return [
        (
            (r.get("reason_en") if lang == "en" and r.get("reason_en") else r.get("reason_zh")) or "",
            r.get("reviewed_at"),
        )
        for r in (log.rejections or [])
    ]


async def log_of_booking(user: User, booking_id: str) -> PlantingLog | None:
    booking = await campaigns.my_booking(user, booking_id)
    return await PlantingLog.get_or_none(booking_id=booking.id).prefetch_related("campaign", "booking")


async def logs_of_bookings(bookings: list[Booking]) -> dict[int, PlantingLog]:
    """The logs of these bookings, by booking id (for the campaign page's "my bookings")."""
    if not bookings:
        return {}
    rows = await PlantingLog.filter(booking_id__in=[b.id for b in bookings])
    return {r.booking_id: r for r in rows}  # type: ignore[attr-defined]


async def logs_of(user: User) -> list[PlantingLog]:
    return await PlantingLog.filter(user_id=user.id).order_by("-planted_on", "-id").prefetch_related("campaign")


async def add_photo(settings: Settings, storage: Storage, user: User, log_public_id: str, data: bytes) -> Photo:
    """Attach a photo to the caller's submitted log — the registry's parcel-photo steps, scoped to the
    campaign: 400/413 for a file that is not an acceptable photo, 409 for a decided log, a full log or
    the same photo already in the campaign; near-duplicates in the campaign are flagged."""
    log = await my_log(user, log_public_id)
    if log.status != "submitted":
        raise Conflict("planting.not_editable", **_status("planting.status", log.status))
    cap = settings.planting_photos_per_log
    subject = subject_of(log)
    if await evidence.count_of(subject) >= cap:  # an early answer; the binding count is under the lock
        raise Conflict("planting.photo_cap", limit=cap)
    prepared = await evidence.prepare(settings, data)
    distance, flags = await _distance_from_site(settings, log, prepared.processed.gps)
    stored = await evidence.store(storage, prepared)
    try:
        async with in_transaction() as conn:
            # The log's row lock serialises this with its review and with other uploads to it.
            locked = await PlantingLog.filter(id=log.id).select_for_update().using_db(conn).first()
            assert locked is not None
            if locked.status != "submitted":
                raise Conflict("planting.not_editable", **_status("planting.status", locked.status))
            if await evidence.count_of(subject, conn) >= cap:
                raise Conflict("planting.photo_cap", limit=cap)
            # A new photo changes what the reviewer judges: a review naming the earlier revision is refused.
            await PlantingLog.filter(id=log.id).using_db(conn).update(revision=F("revision") + 1)
            photo = await evidence.attach(
                prepared,
                stored,
                scope=scope_of(log.campaign_id),  # type: ignore[attr-defined]
                subject=subject,
                uploaded_by=user,
                near_duplicate_bits=settings.photo_near_duplicate_bits,
                distance_m=distance,
                flags=flags,
                connection=conn,
            )
            await audit.record(
                actor=audit.actor_of(user),
                action="planting.log.photo_added",
                entity_type="planting_log",
                entity_id=log.public_id,
                after=evidence.audit_view(photo),
            )
    except BaseException:
        await evidence.discard(storage, stored.keys)
        raise
    return photo


async def remove_photo(
    settings: Settings, storage: Storage, user: User, log_public_id: str, photo_public_id: str,
    *, revision: int | None = None,
) -> PlantingLog:  # fmt: skip
    """Take a photo off the caller's log while it can still change (waiting for review, or rejected with a
    resubmission left); 409 once approved (final), 404 for someone else's log or a photo not on this one.

    A change like an edit: the revision goes up (a review naming the earlier one is refused) and the
    audit records the photo's hashes, never its position. The photo's row is deleted, so the campaign's
    duplicate check no longer sees it, and its files leave the storage once no row refers to them. Photos
    are optional (no rule asks for one), so the last one may go too."""
    log = await my_log(user, log_public_id)
    _check_change(settings, log, "remove_photo", revision)
    subject = subject_of(log)
    async with in_transaction() as conn:
        # The log's row lock serialises this with its review, its edits and uploads to it.
        current = await _locked(log.id)
        _check_change(settings, current, "remove_photo", revision)
        photo = await evidence.photo_of(subject, photo_public_id, conn)
        if photo is None:
            raise NotFound("evidence.photo_not_found")
        changed = await PlantingLog.filter(id=log.id, status=current.status, revision=current.revision).update(
            revision=F("revision") + 1
        )
        if not changed:
            raise _refuse(settings, await PlantingLog.get(id=log.id), "remove_photo")
        await Photo.filter(id=photo.id).using_db(conn).delete()
        await audit.record(
            actor=audit.actor_of(user),
            action="planting.log.photo_removed",
            entity_type="planting_log",
            entity_id=log.public_id,
            before={"status": current.status, "revision": current.revision, **evidence.audit_view(photo)},
            after={"status": current.status, "revision": current.revision + 1},
        )
    # After the commit: a file another row still refers to (the same image elsewhere) stays.
    await evidence.discard(storage, [photo.content_key, photo.thumb_key])
    return await my_log(user, log_public_id)


async def _distance_from_site(
    settings: Settings, log: PlantingLog, gps: tuple[float, float] | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """Metres from the booked site's check-in point to where the photo says it was taken (EXIF, WGS84),
    and a `far_from_subject` flag for the reviewer beyond the site's radius or PLANTING_PHOTO_MAX_DISTANCE_M,
    whichever is larger. A flag, not a refusal: EXIF positions drift and some cameras record none."""
    if gps is None:
        return None, []
    booking = await Booking.get(id=log.booking_id).prefetch_related("slot__site")  # type: ignore[attr-defined]
    site = booking.slot.site
    metres = checkin.distance_m(site, gps[1], gps[0])
    if metres > max(site.checkin_radius_m, settings.planting_photo_max_distance_m):
        return metres, [{"code": "far_from_subject", "distance_m": metres}]
    return metres, []


async def photos_of(logs: list[PlantingLog]) -> dict[int, list[Photo]]:
    by_subject = await evidence.photos_of(subject_of(log) for log in logs)
    return {log.id: by_subject.get(subject_of(log), []) for log in logs}


# --- review ----------------------------------------------------------------------------------------------


def _organiser_of(principal: Principal, campaign: Campaign) -> bool:
    return campaign.organisation_id in principal.orgs_with(Role.ORGANISER.value)  # type: ignore[attr-defined]


async def organised_log(principal: Principal, public_id: str) -> PlantingLog:
    log = await PlantingLog.get_or_none(public_id=public_id).prefetch_related("campaign__organisation", "user")
    if log is None:
        raise NotFound("planting.log_not_found")
    if not _organiser_of(principal, log.campaign):
        raise Forbidden("planting.not_organiser", organisation=log.campaign.organisation.name)
    return log


async def pending_count(campaign: Campaign) -> int:
    """Logs of the campaign still waiting for the organiser's decision (for the dashboard)."""
    return await PlantingLog.filter(campaign_id=campaign.id, status="submitted").count()


async def pending(principal: Principal, campaign_slug: str | None = None) -> list[PlantingLog]:
    """Submitted logs of the campaigns of the organiser's organisations, oldest first."""
    orgs = principal.orgs_with(Role.ORGANISER.value)
    query = PlantingLog.filter(status="submitted", campaign__organisation_id__in=list(orgs))
    if campaign_slug:
        c = await campaigns.campaign(campaign_slug)
        if not _organiser_of(principal, c):
            raise Forbidden("planting.not_organiser", organisation=c.organisation.name)
        query = query.filter(campaign_id=c.id)
    # By the last submission: a resubmitted log queues again behind those already waiting; an edit keeps
    # its place.
    return await query.order_by("submitted_at", "id").limit(500).prefetch_related("campaign", "user")


def masked_holder(settings: Settings, user: User, lang: str = "zh") -> str:
    """A person as others may see them: the real name's first character, else the nickname's."""
    if user.real_name_enc:
        return mask_name(decrypt(settings.data_key, bytes(user.real_name_enc), "real_name"))
    if user.display_name:
        return mask_name(user.display_name)
    return t("planting.page.anonymous", lang)


@dataclass(frozen=True)
class Decision:
    log: PlantingLog
    outcome: str  # approved | already_approved | already_rejected | changed
    award: Transfer | None = None
    certificate: DutyCertificate | None = None


APPROVE_ATTEMPTS = 3


async def _approve(
    settings: Settings, principal: Principal, log: PlantingLog, now: datetime, revision: int | None = None
) -> Decision:
    """One log's approval, in one transaction; a log already decided is reported, not decided again.

    The flip is conditional on the revision read, so the trees and points counted are those of the
    revision approved. If the planter changed the log in between: with `revision` (what the reviewer saw)
    the outcome is `changed` and nothing is decided; without, the new revision is read and approved."""
    actor = audit.actor_of(principal.user)
    for _ in range(APPROVE_ATTEMPTS):
        if log.status != "submitted":
            return Decision(log, f"already_{log.status}")
        if revision is not None and revision != log.revision:
            return Decision(log, "changed")
        async with in_transaction():
            # Write first: only a submitted log of this revision flips, so of racing approvals (and an
            # edit) exactly one goes on.
            flipped = await PlantingLog.filter(id=log.id, status="submitted", revision=log.revision).update(
                status="approved", reviewed_by_id=principal.user.id, reviewed_at=now
            )
            if flipped:
                return await _approved(settings, log, actor)
        log = await PlantingLog.get(id=log.id).prefetch_related("campaign__organisation", "user")
    return Decision(log, "changed")  # edited again and again while we tried: let the reviewer look again


ApprovalHook = Callable[[PlantingLog], Awaitable[None]]
_APPROVAL_HOOKS: list[ApprovalHook] = []


def register_approval_hook(hook: ApprovalHook) -> None:
    """`hook(log)` runs in the approval's transaction, right after the log flipped to approved (so once per
    log: a replayed or repeated approval flips nothing and calls nothing); it sees the revision approved.
    It commits with the approval or neither does. An approved log is final: there is no un-approval."""
    if hook not in _APPROVAL_HOOKS:
        _APPROVAL_HOOKS.append(hook)


async def _approved(settings: Settings, log: PlantingLog, actor: str) -> Decision:
    """The rest of an approval, in its transaction, once the log's status has flipped."""
    campaign: Campaign = log.campaign
    await Campaign.filter(id=campaign.id).update(trees_planted=F("trees_planted") + log.count)
    # The award id is the log's: however many times the log was rejected and resubmitted it is approved
    # once, and a replay of the award pays nothing more.
    award = await points.earn_unless_capped(
        award_id(log),
        log.user,
        APPROVED_ACTION,
        units=log.count,
        campaign=campaign.slug,
        reference=f"planting_log:{log.public_id}",
    )
    awarded = award.amount if award else 0
    if awarded:
        await PlantingLog.filter(id=log.id).update(points_awarded=awarded)
    certificate = await credit_certificate(
        settings, log.user, log.planted_on, log.count, campaign.slug, actor=actor, source=f"log:{log.public_id}"
    )
    await audit.record(
        actor=actor,
        action="planting.log.approved",
        entity_type="planting_log",
        entity_id=log.public_id,
        before={"status": "submitted", "revision": log.revision},
        after={
            "status": "approved",
            "campaign": campaign.slug,
            "trees": log.count,
            "points": awarded,
            "certificate": certificate.code,
        },
    )
    approved = await PlantingLog.get(id=log.id)
    for hook in _APPROVAL_HOOKS:
        await hook(approved)
    return Decision(approved, "approved", award, certificate)


def _undecided(decision: Decision) -> Conflict:
    if decision.outcome == "changed":
        return Conflict("planting.revision_changed_review", revision=decision.log.revision)
    return Conflict("planting.already_decided", **_status("planting.status", decision.log.status))


async def _after_award(leaderboard: Leaderboard | None, decision: Decision) -> None:
    """After the approval committed: the campaign's live pages hear the new tree count, and a new award
    goes on the leaderboard."""
    if decision.outcome == "approved":
        await live.publish_progress(decision.log.campaign_id)  # type: ignore[attr-defined]
    if leaderboard is not None and decision.award is not None:
        user = await User.get(id=decision.log.user_id)  # type: ignore[attr-defined]
        wallet = await points.wallet_of(user)
        await leaderboard.record(user, wallet.id, decision.award.created_at.astimezone(BEIJING).year)


async def approve(
    settings: Settings,
    principal: Principal,
    public_id: str,
    *,
    now: datetime | None = None,
    leaderboard: Leaderboard | None = None,
    revision: int | None = None,
) -> Decision:
    """Approve one log (409 if it was already decided, or changed since `revision` when that is given)."""
    log = await organised_log(principal, public_id)
    decision = await _approve(settings, principal, log, now or datetime.now(UTC), revision)
    if decision.outcome != "approved":
        raise _undecided(decision)
    await _after_award(leaderboard, decision)
    return decision


async def approve_many(
    settings: Settings,
    principal: Principal,
    public_ids: list[str],
    *,
    now: datetime | None = None,
    leaderboard: Leaderboard | None = None,
    revisions: dict[str, int] | None = None,
) -> list[tuple[str, str]]:
    """Approve each listed log once (a repeated id is taken once), each in its own transaction; a log
    already decided, unknown, of another organisation or changed since the revision given for it in
    `revisions` is reported with its outcome, not decided."""
    revisions = revisions or {}
    unique = list(dict.fromkeys(public_ids))
    if not unique:
        raise AppError("planting.batch_empty", detail=[{"field": "ids"}])
    if len(unique) > BATCH_MAX:
        raise AppError("planting.batch_too_many", maximum=BATCH_MAX, detail=[{"field": "ids"}])
    now = now or datetime.now(UTC)
    results: list[tuple[str, str]] = []
    for public_id in unique:
        try:
            log = await organised_log(principal, public_id)
        except NotFound:
            results.append((public_id, "not_found"))
            continue
        except Forbidden:
            results.append((public_id, "forbidden"))
            continue
        decision = await _approve(settings, principal, log, now, revisions.get(public_id))
        await _after_award(leaderboard, decision)
        results.append((public_id, decision.outcome))
    return results


async def reject(
    principal: Principal,
    public_id: str,
    reason_zh: str,
    reason_en: str = "",
    *,
    now: datetime | None = None,
    revision: int | None = None,
) -> PlantingLog:
    """Reject one submitted log with a reason (zh required, en optional); 409 if already decided, or
    changed since `revision` when that is given."""
    zh, en = reason_zh.strip(), reason_en.strip()
    if not zh:
        raise AppError("planting.reason_required", detail=[{"field": "reason_zh"}])
    if len(zh) > REASON_MAX or len(en) > REASON_MAX:
        raise AppError(
            "planting.reason_too_long", detail=[{"field": "reason_zh" if len(zh) > REASON_MAX else "reason_en"}]
        )
    log = await organised_log(principal, public_id)
    seen = {"revision": revision} if revision is not None else {}
    async with in_transaction():
        flipped = await PlantingLog.filter(id=log.id, status="submitted", **seen).update(
            status="rejected",
            reject_reason_zh=zh,
            reject_reason_en=en or None,
            reviewed_by_id=principal.user.id,
            reviewed_at=now or datetime.now(UTC),
        )
        if not flipped:
            current = await PlantingLog.get(id=log.id)
            if current.status == "submitted":
                raise Conflict("planting.revision_changed_review", revision=current.revision)
            raise Conflict("planting.already_decided", **_status("planting.status", current.status))
        rejected = await PlantingLog.get(id=log.id)  # our update holds its row: the revision rejected
        # The reason is the organiser's text about a log, not about the person: it may go in the chain.
        await audit.record(
            actor=audit.actor_of(principal.user),
            action="planting.log.rejected",
            entity_type="planting_log",
            entity_id=log.public_id,
            before={"status": "submitted", "revision": rejected.revision},
            after={"status": "rejected", "reason_zh": zh, "reason_en": en or None},
        )
    return await PlantingLog.get(id=log.id).prefetch_related("campaign")


def reject_reason(log: PlantingLog, lang: str) -> str | None:
    if log.status != "rejected":
        return None
    return log.reject_reason_en if lang == "en" and log.reject_reason_en else log.reject_reason_zh


# --- certificates and the yearly duty ----------------------------------------------------------------------


async def _approved_dates(user: User, year: int) -> list[date]:
    rows = await PlantingLog.filter(
        user_id=user.id, status="approved", planted_on__gte=date(year, 1, 1), planted_on__lte=date(year, 12, 31)
    ).values_list("planted_on", flat=True)
    return list(rows)  # type: ignore[arg-type]


async def credit_certificate(
    settings: Settings,
    user: User,
    on: date,
    trees: int,
    campaign_slug: str,
    *,
    actor: str,
    source: str,
) -> DutyCertificate:
    """Add `trees` planted (or, later, donated in lieu) on `on` to the person's certificate of that
    Beijing year, issuing it on the first credit; call inside the crediting transaction. Audited.

    The extension point for donations in lieu (捐资代植, which counts as 尽责 too): the donation module
    calls this with the donation's date and trees and its own `source`, in its own transaction."""
    year = on.year
    who = await person(settings, user)
    # The row exists after this statement (a racing first credit meets the unique (user, year) key and
    # is ignored); the row lock then serialises the credits of one person and year.
    await DutyCertificate.bulk_create(
        [DutyCertificate(code=new_certificate_code(), user_id=user.id, year=year, kind="honour")],
        ignore_conflicts=True,
    )
    cert = await DutyCertificate.filter(user_id=user.id, year=year).select_for_update().first()
    assert cert is not None
    dates = await credit_dates(user, year) + [on]
    kind = "duty" if any(kind_for(who.sex, who.birth_date, d) == "duty" for d in dates) else "honour"
    before = {"kind": cert.kind, "trees": cert.trees, "campaigns": list(cert.campaigns)}
    slugs = list(cert.campaigns) + ([campaign_slug] if campaign_slug not in cert.campaigns else [])
    await DutyCertificate.filter(id=cert.id).update(trees=F("trees") + trees, kind=kind, campaigns=slugs)
    cert = await DutyCertificate.get(id=cert.id)
    await audit.record(
        actor=actor,
        action="planting.certificate.issued" if before["trees"] == 0 else "planting.certificate.credited",
        entity_type="planting_certificate",
        entity_id=cert.code,
        before=None if before["trees"] == 0 else before,
        after={"kind": cert.kind, "trees": cert.trees, "campaigns": cert.campaigns, "year": year, "source": source},
    )
    return cert


async def _rejudge_certificates(settings: Settings, user: User) -> None:
    """After the person's details change: each certificate's kind from the dates of everything credited to
    it (approved plantings and the registered sources' credits, e.g. donations in lieu)."""
    who = await person(settings, user)
    for cert in await DutyCertificate.filter(user_id=user.id).select_for_update():
        dates = await credit_dates(user, cert.year)
        kind = "duty" if any(kind_for(who.sex, who.birth_date, d) == "duty" for d in dates) else "honour"
        if kind != cert.kind:
            await DutyCertificate.filter(id=cert.id).update(kind=kind)
            await audit.record(
                actor=audit.actor_of(user),
                action="planting.certificate.rejudged",
                entity_type="planting_certificate",
                entity_id=cert.code,
                before={"kind": cert.kind},
                after={"kind": kind},
            )


TallySource = Callable[[User, int], Awaitable[int]]
_TALLY_SOURCES: dict[str, TallySource] = {}


DatesSource = Callable[[User, int], Awaitable[list[date]]]
_DATES_SOURCES: dict[str, DatesSource] = {}


def register_tally_source(name: str, fn: TallySource, dates: DatesSource) -> None:
    """Another way to meet the duty (e.g. donations in lieu, 捐资代植) adds its trees of a year (`fn`) and
    the Beijing dates of its credits in that year (`dates`: the age rule is judged on each of them)."""
    _TALLY_SOURCES[name] = fn
    _DATES_SOURCES[name] = dates


async def credit_dates(user: User, year: int) -> list[date]:
    """Every date something was credited to the person's certificate of `year`: approved plantings and
    the registered sources' credits. The certificate is 尽责 if the age rule held on any of them."""
    dates = await _approved_dates(user, year)
    for fn in _DATES_SOURCES.values():
        dates += await fn(user, year)
    return dates


@dataclass(frozen=True)
class DutyTally:
    year: int
    trees_planted: int  # approved planting logs dated in the year
    trees_in_lieu: int  # from the registered tally sources (donations in lieu)
    duty_trees: int
    certificate: DutyCertificate | None

    @property
    def trees(self) -> int:
        return self.trees_planted + self.trees_in_lieu

    @property
    def done(self) -> bool:
        return self.trees >= self.duty_trees


async def duty_tally(user: User, year: int) -> DutyTally:
    """The person's trees toward the yearly 义务植树 duty of a Beijing year: approved logs planted in the
    year, plus whatever the registered sources (donations in lieu) add."""
    counts = await PlantingLog.filter(
        user_id=user.id, status="approved", planted_on__gte=date(year, 1, 1), planted_on__lte=date(year, 12, 31)
    ).values_list("count", flat=True)
    planted = sum(int(c) for c in counts)  # type: ignore[call-overload]
    in_lieu = 0
    for fn in _TALLY_SOURCES.values():
        in_lieu += await fn(user, year)
    cert = await DutyCertificate.get_or_none(user_id=user.id, year=year)
    return DutyTally(year, planted, in_lieu, DUTY_TREES, cert)


async def certificate(code: str) -> DutyCertificate:
    cert = await DutyCertificate.get_or_none(code=code.strip().upper().replace("-", "")).prefetch_related("user")
    if cert is None:
        raise NotFound("planting.certificate_not_found")
    return cert


async def certificates_of(user: User) -> list[DutyCertificate]:
    return await DutyCertificate.filter(user_id=user.id).order_by("-year")


# --- the campaign page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecentLog:
    species: str
    count: int
    holder: str
    planted_on: date


async def recent_approved(settings: Settings, campaign: Campaign, lang: str, limit: int = 8) -> list[RecentLog]:
    """The campaign's latest approved logs for its page: species, trees, masked name, date."""
    rows = (
        await PlantingLog.filter(campaign_id=campaign.id, status="approved")
        .order_by("-reviewed_at", "-id")
        .limit(limit)
        .prefetch_related("user")
    )
    return [
        RecentLog(campaigns.species_name(r.species, lang), r.count, masked_holder(settings, r.user, lang), r.planted_on)
        for r in rows
    ]


# --- personal data ---------------------------------------------------------------------------------------


async def _export(settings: Settings, user: User) -> dict[str, Any]:
    """The person's logs, certificates and the optional birth date and sex they gave (decrypted)."""
    logs = await logs_of(user)
    profile = await DutyProfile.get_or_none(user_id=user.id)
    given = _profile_values(settings, profile)
    return {
        "profile": {"birth_date": given.birth_date.isoformat() if given.birth_date else None, "sex": given.sex},
        "logs": [
            {
                "log": log.public_id,
                "campaign": log.campaign.slug,
                "species": log.species,
                "count": log.count,
                "note": log.note,
                "planted_on": log.planted_on.isoformat(),
                "status": log.status,
                "reject_reason_zh": log.reject_reason_zh,
                "resubmissions": log.resubmissions,
                "earlier_rejections": [r.get("reason_zh") for r in (log.rejections or [])],
                "points_awarded": log.points_awarded,
            }
            for log in logs
        ],
        "certificates": [
            {"code": c.code, "year": c.year, "kind": c.kind, "trees": c.trees, "campaigns": c.campaigns}
            for c in await certificates_of(user)
        ],
    }


async def _erase(user: User) -> None:
    """Account deletion: forget the birth date and sex and the log notes; logs, counters and certificates
    stay (the campaign's record), tied only to the anonymised account, whose masked name becomes 匿名."""
    await DutyProfile.filter(user_id=user.id).delete()
    await PlantingLog.filter(user_id=user.id).update(note="")


privacy.register_keyed_exporter("planting", _export)
privacy.register_eraser("planting", _erase)
