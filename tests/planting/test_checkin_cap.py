"""Check-ins per person per Beijing day are capped (CAMPAIGN_CHECKINS_PER_DAY) by a conditional update
of a counter in the check-in's transaction; each check-in earns the campaign.checkin points once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.campaigns import checkin
from app.campaigns import service as campaigns
from app.campaigns.schemas import CheckInIn
from app.core.errors import AppError
from app.core.i18n import BEIJING, t
from app.points import service as points
from models.campaigns import Booking, Campaign, CheckIn
from models.ledger import Transfer
from models.planting import CheckInDay
from tests.campaigns.builders import HOME
from tests.conftest import postgres_only
from tests.helpers import signed_in
from tests.planting.builders import planting_campaign


async def booked_in(settings, slugs, user):  # type: ignore[no-untyped-def]
    """The user booked on the running slot of a new campaign per slug; (booking, site) pairs."""
    out = []
    for slug in slugs:
        planted = await planting_campaign(settings, slug=slug)
        booking = await campaigns.book(user, planted.slot.id, now=planted.slot.starts_at - timedelta(days=1))
        out.append((booking, await planted.slot.site))
    return out


def scan(settings, site) -> CheckInIn:  # type: ignore[no-untyped-def]
    return CheckInIn(token=checkin.current_token(settings, site).token, lon=HOME[0], lat=HOME[1])


class TestDailyCap:
    async def test_the_fourth_check_in_of_a_day_is_refused_in_both_languages(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        pairs = await booked_in(settings, ["one", "two", "three", "four"], user)
        for booking, site in pairs[:3]:
            await checkin.check_in(settings, user, booking.public_id, scan(settings, site))
        booking, site = pairs[3]
        with pytest.raises(AppError) as refused:
            await checkin.check_in(settings, user, booking.public_id, scan(settings, site))
        exc = refused.value
        assert exc.status_code == 409 and exc.key == "campaigns.checkin.daily_cap"
        assert "最多签到 3 次" in t(exc.key, "zh", **exc.params)
        assert "at most 3 times a day" in t(exc.key, "en", **exc.params)
        assert (await Booking.get(id=booking.id)).status == "booked"  # rolled back with the refusal
        assert not await CheckIn.filter(booking_id=booking.id).exists()
        campaign = await Campaign.get(id=booking.campaign_id)  # type: ignore[attr-defined]
        assert campaign.checkins_count == 0
        assert (await CheckInDay.get(user_id=user.id)).checkins == 3

    async def test_the_cap_is_a_setting_and_counts_per_person(self, db, settings) -> None:
        settings = settings.with_(campaign_checkins_per_day=1)
        user, _ = await signed_in(settings)
        friend, _ = await signed_in(settings)
        (first, site), (second, other) = await booked_in(settings, ["one", "two"], user)
        await checkin.check_in(settings, user, first.public_id, scan(settings, site))
        with pytest.raises(AppError):
            await checkin.check_in(settings, user, second.public_id, scan(settings, other))
        theirs = await campaigns.book(friend, second.slot_id)  # type: ignore[attr-defined]
        await checkin.check_in(settings, friend, theirs.public_id, scan(settings, other))

    async def test_an_offline_check_in_counts_on_its_captured_day(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        ((booking, site),) = await booked_in(settings, ["one"], user)
        captured = datetime.now(UTC) - timedelta(minutes=20)
        token = checkin.token_for(settings, site.id, checkin.step_at(captured))
        data = CheckInIn(token=token, lon=HOME[0], lat=HOME[1], captured_at=captured)
        done = await checkin.check_in(settings, user, booking.public_id, data)
        assert done.offline
        day = await CheckInDay.get(user_id=user.id)
        assert day.day == captured.astimezone(BEIJING).date() and day.checkins == 1

    @postgres_only
    async def test_racing_check_ins_of_one_person_never_pass_the_cap(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        pairs = await booked_in(settings, [f"race-{n}" for n in range(6)], user)

        async def one(booking, site):  # type: ignore[no-untyped-def]
            try:
                await checkin.check_in(settings, user, booking.public_id, scan(settings, site))
                return "in"
            except AppError as exc:
                return exc.key

        outcomes = await asyncio.gather(*(one(b, s) for b, s in pairs))
        assert outcomes.count("in") == 3 and outcomes.count("campaigns.checkin.daily_cap") == 3
        assert await CheckIn.all().count() == 3
        assert (await CheckInDay.get(user_id=user.id)).checkins == 3


class TestCheckInPoints:
    async def test_a_check_in_earns_the_rule_once_per_booking(self, db, settings) -> None:
        user, _ = await signed_in(settings)
        ((booking, site),) = await booked_in(settings, ["one"], user)
        await checkin.check_in(settings, user, booking.public_id, scan(settings, site))
        assert (await points.balance_of(user)).balance == 5
        award = await Transfer.get(id=checkin.award_id(booking))
        assert award.reason == "earn.campaign.checkin" and award.reference == f"campaign_booking:{booking.public_id}"
        with pytest.raises(AppError):  # a repeated check-in is refused and earns nothing more
            await checkin.check_in(settings, user, booking.public_id, scan(settings, site))
        assert (await points.balance_of(user)).balance == 5

    async def test_past_the_points_cap_the_check_in_still_counts(self, db, settings) -> None:
        settings = settings.with_(campaign_checkins_per_day=5)
        user, _ = await signed_in(settings)
        pairs = await booked_in(settings, ["one", "two", "three", "four"], user)
        for booking, site in pairs:
            await checkin.check_in(settings, user, booking.public_id, scan(settings, site))
        assert (await points.balance_of(user)).balance == 15  # the daily cap of campaign.checkin
        assert await CheckIn.all().count() == 4
