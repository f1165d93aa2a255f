"""The check-in QR and the check-in itself, online and offline.

A token is `MSCK1.<site id>.<step>.<mac>`: step = unix seconds // STEP_S, mac = the first 10 bytes of
HMAC-SHA256(key, "MSCK1.<site id>.<step>") in hex, the key derived from SECRET_KEY for this purpose
only. A token is valid during its own step and the next (so a code scanned just before it rotates
still works): at time T the steps step(T) and step(T) - 1 are accepted.

Online, T is the server's now. Offline, the mini-app keeps the token, the time and the position and
submits within OFFLINE_MAX_AGE; T is the captured time, which must not be in the future (beyond
CLOCK_SKEW_S of phone clock drift) and must fall where the token was valid, inside the slot's window.
The check-in flips the booking booked → checked_in by one conditional update, so a booking checks in
once however often the request is repeated; the check-in row is unique per booking as well.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.campaigns import live
from app.campaigns import messages as _messages  # noqa: F401  (registers the texts)
from app.campaigns.schemas import CheckInIn
from app.campaigns.service import my_booking
from app.core import audit
from app.core.errors import AppError, Conflict
from app.core.i18n import BEIJING, t
from app.points import service as points
from app.points.leaderboard import Leaderboard
from app.registry.geometry import GEOD, gcj02_to_wgs84
from app.settings import Settings
from models.accounts import User
from models.campaigns import Booking, Campaign, CheckIn, Site, Slot
from models.ledger import Transfer
from models.planting import CheckInDay

PREFIX = "MSCK1"
STEP_S = 60
OFFLINE_MAX_AGE = timedelta(hours=72)
CLOCK_SKEW_S = 60
CHECKIN_POINTS_ACTION = "campaign.checkin"  # app/points/earning_rules.toml
# Namespace of check-in award ids: uuid5(AWARDS, "campaign.checkin:<booking public id>"), one per booking.
AWARDS = uuid.UUID("5b0f6c64-6f1e-4c55-9a55-0c2d6c1e7a01")


def award_id(booking: Booking) -> uuid.UUID:
    return uuid.uuid5(AWARDS, f"{CHECKIN_POINTS_ACTION}:{booking.public_id}")


async def _count_the_day(settings: Settings, user: User, at: datetime) -> None:
    """Raise the person's check-ins of `at`'s Beijing day by one conditional update under the cap, or
    refuse (409). Inside the check-in's transaction, so a refused or failed check-in counts nothing."""
    day = at.astimezone(BEIJING).date()
    cap = settings.campaign_checkins_per_day
    await CheckInDay.bulk_create([CheckInDay(user_id=user.id, day=day)], ignore_conflicts=True)
    raised = await CheckInDay.filter(user_id=user.id, day=day, checkins__lt=cap).update(checkins=F("checkins") + 1)
    if not raised:
        raise Conflict("campaigns.checkin.daily_cap", cap=cap, day=day.isoformat(), detail={"cap": cap})


def _key(settings: Settings) -> bytes:
    return hashlib.sha256(f"campaign-checkin:{settings.secret_key}".encode()).digest()


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_S


def _mac(settings: Settings, site_id: int, step: int) -> str:
    return hmac.new(_key(settings), f"{PREFIX}.{site_id}.{step}".encode(), hashlib.sha256).hexdigest()[:20]


def token_for(settings: Settings, site_id: int, step: int) -> str:
    return f"{PREFIX}.{site_id}.{step}.{_mac(settings, site_id, step)}"


@dataclass(frozen=True)
class CurrentToken:
    token: str
    valid_from: datetime
    valid_until: datetime  # the end of the grace step: after this the token is refused
    refresh_in_s: int  # seconds until the next token replaces it on the organiser's screen


def current_token(settings: Settings, site: Site, now: datetime | None = None) -> CurrentToken:
    now = now or datetime.now(UTC)
    step = step_at(now)
    starts = datetime.fromtimestamp(step * STEP_S, UTC)
    return CurrentToken(
        token=token_for(settings, site.id, step),
        valid_from=starts,
        valid_until=starts + timedelta(seconds=2 * STEP_S),
        refresh_in_s=max(1, int((starts + timedelta(seconds=STEP_S) - now).total_seconds())),
    )


def _parse(settings: Settings, token: str) -> tuple[int, int]:
    parts = token.strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
        raise AppError("campaigns.checkin.token_malformed")
    site_id, step = int(parts[1]), int(parts[2])
    if not hmac.compare_digest(parts[3], _mac(settings, site_id, step)):
        raise AppError("campaigns.checkin.token_forged")
    return site_id, step


def _bj(value: datetime) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _distance_text(metres: int, lang: str) -> str:
    if metres < 1000:
        return f"{metres} 米" if lang == "zh" else f"{metres} m"
    km = f"{metres / 1000:.1f}".rstrip("0").rstrip(".")
    return f"{km} 公里" if lang == "zh" else f"{km} km"


def distance_m(site: Site, lon: float, lat: float) -> int:
    """Geodesic metres (WGS84 ellipsoid) from the site's check-in point, rounded up to a whole metre."""
    _, _, metres = GEOD.inv(site.lon, site.lat, lon, lat)
    return int(-(-metres // 1))


def window_of(site: Site, slot: Slot) -> tuple[datetime, datetime]:
    return (
        slot.starts_at - timedelta(minutes=site.checkin_opens_min),
        slot.ends_at + timedelta(minutes=site.checkin_closes_min),
    )


async def check_in(
    settings: Settings,
    user: User,
    booking_id: str,
    data: CheckInIn,
    now: datetime | None = None,
    leaderboard: Leaderboard | None = None,
) -> CheckIn:
    """Accept the booking's one check-in, or refuse with the rule and the limit it broke.

    Also counts the check-in against the person's daily cap (CAMPAIGN_CHECKINS_PER_DAY, Beijing day)
    and awards the `campaign.checkin` points once per booking (none once the points caps are reached)."""
    now = now or datetime.now(UTC)
    booking = await my_booking(user, booking_id)
    slot: Slot = booking.slot
    site: Site = slot.site
    if booking.status == "checked_in":
        done = await CheckIn.get(booking_id=booking.id)
        raise Conflict("campaigns.checkin.already", at=_bj(done.captured_at))
    if booking.status != "booked":
        raise Conflict("campaigns.checkin.not_booked", status=t(f"campaigns.status.{booking.status}"))

    token_site, token_step = _parse(settings, data.token)
    if token_site != site.id:
        raise AppError("campaigns.checkin.token_other_site", site=site.name_zh)

    offline = data.captured_at is not None
    at = data.captured_at.astimezone(UTC) if data.captured_at else now
    if offline:
        if at > now + timedelta(seconds=CLOCK_SKEW_S):
            raise AppError("campaigns.checkin.captured_in_future", at=_bj(at))
        if now - at > OFFLINE_MAX_AGE:
            raise AppError(
                "campaigns.checkin.offline_too_late", hours=int(OFFLINE_MAX_AGE.total_seconds() // 3600), at=_bj(at)
            )
        at = min(at, now)

    valid_from = datetime.fromtimestamp(token_step * STEP_S, UTC)
    if token_step > step_at(at):
        raise AppError("campaigns.checkin.token_not_yet", at=_bj(at), valid_from=_bj(valid_from))
    if token_step < step_at(at) - 1:
        raise AppError(
            "campaigns.checkin.token_expired",
            valid_until=_bj(valid_from + timedelta(seconds=2 * STEP_S)),
            at=_bj(at),
            step=STEP_S,
        )

    opens, closes = window_of(site, slot)
    if not opens <= at <= closes:
        raise AppError("campaigns.checkin.outside_window", at=_bj(at), opens=_bj(opens), closes=_bj(closes))

    lon, lat = (data.lon, data.lat) if data.coordinate_system == "wgs84" else gcj02_to_wgs84(data.lon, data.lat)
    metres = distance_m(site, lon, lat)
    if metres > site.checkin_radius_m:
        raise AppError(
            "campaigns.checkin.too_far",
            distance_zh=_distance_text(metres, "zh"),
            distance_en=_distance_text(metres, "en"),
            radius_zh=_distance_text(site.checkin_radius_m, "zh"),
            radius_en=_distance_text(site.checkin_radius_m, "en"),
            detail={"distance_m": metres, "radius_m": site.checkin_radius_m},
        )

    async with in_transaction():
        # Write first: only a booked booking becomes checked in, so a repeat (or a race) checks in nothing.
        flipped = await Booking.filter(id=booking.id, status="booked").update(status="checked_in")
        if not flipped:
            current = await Booking.get(id=booking.id)
            if current.status == "checked_in":
                done = await CheckIn.get(booking_id=booking.id)
                raise Conflict("campaigns.checkin.already", at=_bj(done.captured_at))
            raise Conflict("campaigns.checkin.not_booked", status=t(f"campaigns.status.{current.status}"))
        await _count_the_day(settings, user, at)
        checkin = await CheckIn.create(
            booking_id=booking.id,
            token_step=token_step,
            captured_at=at,
            lon=lon,
            lat=lat,
            coordinate_system=data.coordinate_system,
            distance_m=metres,
            offline=offline,
        )
        await Campaign.filter(id=booking.campaign_id).update(checkins_count=F("checkins_count") + 1)  # type: ignore[attr-defined]
        await audit.record(
            actor=audit.actor_of(user),
            action="campaign.booking.checked_in",
            entity_type="campaign_booking",
            entity_id=booking.public_id,
            before={"status": "booked"},
            after={
                "status": "checked_in",
                "site": site.key,
                "distance_m": metres,
                "offline": offline,
                "at": audit.iso_utc(at),
            },
        )
        award: Transfer | None = await points.earn_unless_capped(
            award_id(booking),
            user,
            CHECKIN_POINTS_ACTION,
            campaign=booking.campaign.slug,
            reference=f"campaign_booking:{booking.public_id}",
        )
    if award is not None and leaderboard is not None:
        wallet = await points.wallet_of(user)
        await leaderboard.record(user, wallet.id, award.created_at.astimezone(BEIJING).year)
    await live.publish_progress(booking.campaign_id)  # type: ignore[attr-defined]  # committed: tell the live pages
    return checkin
