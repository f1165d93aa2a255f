"""Check-in: a rotating signed token, inside the window, within the radius, once per booking; offline
within 72 h if the token was valid at the captured time; every refusal names the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.campaigns import checkin
from app.campaigns import service as campaigns
from app.campaigns.schemas import CheckInIn
from app.core.errors import AppError
from app.core.i18n import t
from app.registry.geometry import wgs84_to_gcj02
from models.campaigns import Booking, Campaign, CheckIn
from tests.campaigns.builders import FAR, HOME, make_campaign
from tests.helpers import signed_in


async def booked(settings, **kw):  # type: ignore[no-untyped-def]
    campaign, slot, other = await make_campaign(**kw)
    user, _ = await signed_in(settings)
    booking = await campaigns.book(user, slot.id, now=slot.starts_at - timedelta(days=1))  # booked well before
    site = await slot.site
    return campaign, site, user, booking, other


def scan(token: str, where: tuple[float, float] = HOME, **kw) -> CheckInIn:  # type: ignore[no-untyped-def]
    return CheckInIn(token=token, lon=where[0], lat=where[1], **kw)


def refusal(exc: pytest.ExceptionInfo[AppError], lang: str = "zh") -> str:
    return t(exc.value.key, lang, **exc.value.params)


class TestOnline:
    async def test_the_current_token_at_the_site_checks_in_and_counts(self, db, settings) -> None:
        campaign, site, user, booking, _ = await booked(settings)
        token = checkin.current_token(settings, site).token
        done = await checkin.check_in(settings, user, booking.public_id, scan(token))
        assert done.distance_m == 0 and not done.offline
        assert (await Booking.get(id=booking.id)).status == "checked_in"
        assert (await Campaign.get(id=campaign.id)).checkins_count == 1

    async def test_a_second_check_in_on_one_booking_is_refused(self, db, settings) -> None:
        campaign, site, user, booking, _ = await booked(settings)
        token = checkin.current_token(settings, site).token
        await checkin.check_in(settings, user, booking.public_id, scan(token))
        with pytest.raises(AppError) as again:
            await checkin.check_in(settings, user, booking.public_id, scan(token))
        assert again.value.key == "campaigns.checkin.already" and "不能重复签到" in refusal(again)
        assert await CheckIn.filter(booking_id=booking.id).count() == 1
        assert (await Campaign.get(id=campaign.id)).checkins_count == 1

    async def test_the_same_token_serves_another_booking(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        friend, _ = await signed_in(settings)
        theirs = await campaigns.book(friend, booking.slot_id)  # type: ignore[attr-defined]
        token = checkin.current_token(settings, site).token
        await checkin.check_in(settings, user, booking.public_id, scan(token))
        await checkin.check_in(settings, friend, theirs.public_id, scan(token))
        assert await CheckIn.all().count() == 2

    async def test_the_previous_step_is_still_accepted_but_older_ones_have_expired(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        now = datetime.now(UTC)
        step = checkin.step_at(now)
        with pytest.raises(AppError) as old:
            await checkin.check_in(
                settings, user, booking.public_id, scan(checkin.token_for(settings, site.id, step - 2)), now=now
            )
        assert old.value.key == "campaigns.checkin.token_expired"
        assert "二维码已过期" in refusal(old) and "60 秒" in refusal(old)
        await checkin.check_in(
            settings, user, booking.public_id, scan(checkin.token_for(settings, site.id, step - 1)), now=now
        )

    async def test_a_token_of_another_site_is_refused_and_names_the_booked_site(self, db, settings) -> None:
        _, _, user, booking, other = await booked(settings)
        token = checkin.current_token(settings, await other.site).token
        with pytest.raises(AppError) as refused:
            await checkin.check_in(settings, user, booking.public_id, scan(token, FAR))
        assert refused.value.key == "campaigns.checkin.token_other_site" and "山泉植树点" in refusal(refused)

    async def test_a_forged_or_foreign_token_is_refused(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        good = checkin.current_token(settings, site).token
        forged = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
        with pytest.raises(AppError) as bad_mac:
            await checkin.check_in(settings, user, booking.public_id, scan(forged))
        assert bad_mac.value.key == "campaigns.checkin.token_forged"
        other_key = settings.with_(secret_key="another-secret-key-of-another-deployment-000")
        with pytest.raises(AppError) as other:
            await checkin.check_in(
                settings, user, booking.public_id, scan(checkin.current_token(other_key, site).token)
            )
        assert other.value.key == "campaigns.checkin.token_forged"
        with pytest.raises(AppError) as junk:
            await checkin.check_in(settings, user, booking.public_id, scan("https://example.com/"))
        assert junk.value.key == "campaigns.checkin.token_malformed"
        assert (await Booking.get(id=booking.id)).status == "booked"

    async def test_outside_the_radius_says_how_far_and_the_limit(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        token = checkin.current_token(settings, site).token
        # ~1.2 km east of the point at this latitude (1° lon ≈ 95.9 km)
        away = (HOME[0] + 0.0125, HOME[1])
        with pytest.raises(AppError) as refused:
            await checkin.check_in(settings, user, booking.public_id, scan(token, away))
        assert refusal(refused) == "距离签到点 1.2 公里，超出 300 米范围"
        assert refusal(refused, "en") == "1.2 km from the check-in point, beyond the 300 m allowed"
        assert refused.value.detail["radius_m"] == 300 and 1150 < refused.value.detail["distance_m"] < 1250
        # just inside the radius is fine
        near = (HOME[0] + 0.0030, HOME[1])
        done = await checkin.check_in(settings, user, booking.public_id, scan(token, near))
        assert 250 < done.distance_m <= 300

    async def test_a_gcj02_position_is_converted_before_measuring(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        token = checkin.current_token(settings, site).token
        shifted = wgs84_to_gcj02(*HOME)  # what the mini-app reports standing on the point
        with pytest.raises(AppError):  # read as WGS84 the shifted numbers lie hundreds of metres away
            await checkin.check_in(settings, user, booking.public_id, scan(token, shifted))
        done = await checkin.check_in(
            settings, user, booking.public_id, scan(token, shifted, coordinate_system="gcj02")
        )
        assert done.distance_m <= 1 and done.coordinate_system == "gcj02"

    async def test_outside_the_window_names_the_window(self, db, settings) -> None:
        starts = datetime.now(UTC) + timedelta(hours=2)  # the slot starts in 2 h; check-in opens 30 min before
        _, site, user, booking, _ = await booked(settings, starts=starts)
        token = checkin.current_token(settings, site).token
        with pytest.raises(AppError) as early:
            await checkin.check_in(settings, user, booking.public_id, scan(token))
        assert early.value.key == "campaigns.checkin.outside_window"
        assert "不在签到时段" in refusal(early) and "北京时间" in refusal(early)

    async def test_a_cancelled_booking_cannot_check_in(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        await campaigns.cancel(user, booking.public_id)
        with pytest.raises(AppError) as refused:
            await checkin.check_in(settings, user, booking.public_id, scan(checkin.current_token(settings, site).token))
        assert refused.value.key == "campaigns.checkin.not_booked"


class TestOffline:
    async def test_a_scan_captured_offline_two_days_ago_is_accepted(self, db, settings) -> None:
        captured = datetime.now(UTC) - timedelta(hours=48)
        _, site, user, booking, _ = await booked(settings, starts=captured - timedelta(minutes=10))
        token = checkin.current_token(settings, site, captured).token
        done = await checkin.check_in(settings, user, booking.public_id, scan(token, captured_at=captured))
        assert done.offline and abs((done.captured_at - captured).total_seconds()) < 1

    async def test_after_72_hours_it_is_too_late(self, db, settings) -> None:
        captured = datetime.now(UTC) - timedelta(hours=73)
        _, site, user, booking, _ = await booked(settings, starts=datetime.now(UTC) - timedelta(hours=1))
        token = checkin.current_token(settings, site, captured).token
        with pytest.raises(AppError) as late:
            await checkin.check_in(settings, user, booking.public_id, scan(token, captured_at=captured))
        assert late.value.key == "campaigns.checkin.offline_too_late" and "72 小时" in refusal(late)

    async def test_a_captured_time_in_the_future_is_refused(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        captured = datetime.now(UTC) + timedelta(minutes=10)
        token = checkin.current_token(settings, site).token
        with pytest.raises(AppError) as future:
            await checkin.check_in(settings, user, booking.public_id, scan(token, captured_at=captured))
        assert future.value.key == "campaigns.checkin.captured_in_future"

    async def test_the_token_must_have_been_valid_at_the_captured_time(self, db, settings) -> None:
        _, site, user, booking, _ = await booked(settings)
        now = datetime.now(UTC)
        captured = now - timedelta(minutes=30)  # inside the window, but the token scanned is from now
        with pytest.raises(AppError) as not_yet:
            await checkin.check_in(
                settings,
                user,
                booking.public_id,
                scan(checkin.current_token(settings, site, now).token, captured_at=captured),
            )
        assert not_yet.value.key == "campaigns.checkin.token_not_yet"
        stale = checkin.current_token(settings, site, captured - timedelta(minutes=5)).token
        with pytest.raises(AppError) as expired:
            await checkin.check_in(settings, user, booking.public_id, scan(stale, captured_at=captured))
        assert expired.value.key == "campaigns.checkin.token_expired"

    async def test_the_captured_time_must_be_inside_the_window(self, db, settings) -> None:
        slot_starts = datetime.now(UTC) - timedelta(hours=1)
        _, site, user, booking, _ = await booked(settings, starts=slot_starts)
        captured = slot_starts - timedelta(hours=2)  # the window opened 30 min before the slot
        token = checkin.current_token(settings, site, captured).token
        with pytest.raises(AppError) as outside:
            await checkin.check_in(settings, user, booking.public_id, scan(token, captured_at=captured))
        assert outside.value.key == "campaigns.checkin.outside_window"


class TestPersonalData:
    async def test_the_export_holds_my_check_in_and_deletion_forgets_the_position(self, db, settings) -> None:
        from app.accounts import privacy

        campaign, site, user, booking, _ = await booked(settings)
        await checkin.check_in(settings, user, booking.public_id, scan(checkin.current_token(settings, site).token))
        exported = (await privacy.export_user_data(settings, user))["campaigns"]
        assert exported[0]["booking"] == booking.public_id and exported[0]["check_in"]["lon"] == HOME[0]
        await privacy.delete_account(user, confirmed=True)
        kept = await CheckIn.get(booking_id=booking.id)
        assert kept.lon is None and kept.lat is None and kept.distance_m == 0
        assert (await Campaign.get(id=campaign.id)).checkins_count == 1
