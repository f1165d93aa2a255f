"""Booking a slot: capacity by one conditional update, one booking per person and slot, cancel once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.campaigns import service
from app.core.errors import Conflict
from models.audit import AuditEvent
from models.campaigns import Booking, Campaign, Slot
from tests.campaigns.builders import make_campaign
from tests.conftest import postgres_only
from tests.helpers import signed_in


async def people(settings, n: int):  # type: ignore[no-untyped-def]
    return [(await signed_in(settings))[0] for _ in range(n)]


class TestBook:
    async def test_takes_a_place_and_moves_the_counters(self, db, settings) -> None:
        campaign, slot, _ = await make_campaign()
        (alice,) = await people(settings, 1)
        booking = await service.book(alice, slot.id)
        assert booking.status == "booked"
        assert (await Slot.get(id=slot.id)).booked == 1
        assert (await Campaign.get(id=campaign.id)).bookings_count == 1
        assert await AuditEvent.filter(action="campaign.booking.booked", entity_id=booking.public_id).exists()

    async def test_a_full_slot_refuses_and_says_how_many_places_it_had(self, db, settings) -> None:
        _, slot, _ = await make_campaign(capacity=2)
        a, b, c = await people(settings, 3)
        await service.book(a, slot.id)
        await service.book(b, slot.id)
        with pytest.raises(Conflict) as refused:
            await service.book(c, slot.id)
        assert refused.value.key == "campaigns.slot_full" and refused.value.params == {"capacity": 2}
        assert (await Slot.get(id=slot.id)).booked == 2

    async def test_a_second_booking_of_the_same_slot_is_refused_and_takes_no_place(self, db, settings) -> None:
        campaign, slot, _ = await make_campaign()
        (alice,) = await people(settings, 1)
        await service.book(alice, slot.id)
        with pytest.raises(Conflict) as refused:
            await service.book(alice, slot.id)
        assert refused.value.key == "campaigns.already_booked"
        assert (await Slot.get(id=slot.id)).booked == 1
        assert (await Campaign.get(id=campaign.id)).bookings_count == 1
        assert await Booking.filter(slot_id=slot.id).count() == 1

    async def test_a_slot_that_is_over_cannot_be_booked(self, db, settings) -> None:
        _, slot, _ = await make_campaign(starts=datetime.now(UTC) - timedelta(hours=5))
        (alice,) = await people(settings, 1)
        with pytest.raises(Conflict) as refused:
            await service.book(alice, slot.id)
        assert refused.value.key == "campaigns.slot_over"

    async def test_the_database_refuses_more_bookings_than_places(self, db) -> None:
        _, slot, _ = await make_campaign(capacity=1)
        from tortoise.exceptions import IntegrityError, OperationalError

        with pytest.raises((IntegrityError, OperationalError)):
            await Slot.filter(id=slot.id).update(booked=2)


class TestCancel:
    async def test_gives_the_place_back_exactly_once(self, db, settings) -> None:
        campaign, slot, _ = await make_campaign()
        (alice,) = await people(settings, 1)
        booking = await service.book(alice, slot.id)
        await service.cancel(alice, booking.public_id)
        with pytest.raises(Conflict) as again:
            await service.cancel(alice, booking.public_id)
        assert again.value.key == "campaigns.booking_not_cancellable"
        assert (await Slot.get(id=slot.id)).booked == 0
        assert (await Campaign.get(id=campaign.id)).bookings_count == 0
        assert await AuditEvent.filter(action="campaign.booking.cancelled").count() == 1

    async def test_a_cancelled_booking_can_be_booked_again_on_the_same_row(self, db, settings) -> None:
        _, slot, _ = await make_campaign()
        (alice,) = await people(settings, 1)
        first = await service.book(alice, slot.id)
        await service.cancel(alice, first.public_id)
        again = await service.book(alice, slot.id)
        assert again.public_id == first.public_id and again.status == "booked"
        assert (await Slot.get(id=slot.id)).booked == 1

    async def test_nobody_cancels_another_persons_booking(self, db, settings) -> None:
        _, slot, _ = await make_campaign()
        alice, bob = await people(settings, 2)
        booking = await service.book(alice, slot.id)
        with pytest.raises(Exception) as refused:
            await service.cancel(bob, booking.public_id)
        assert getattr(refused.value, "key", "") == "campaigns.booking_not_found"
        assert (await Slot.get(id=slot.id)).booked == 1


class TestRacing:
    @postgres_only
    async def test_a_hundred_and_twenty_people_racing_for_twenty_places_get_exactly_twenty(self, db, settings) -> None:
        campaign, slot, _ = await make_campaign(capacity=20)
        crowd = await people(settings, 120)

        async def attempt(user):  # type: ignore[no-untyped-def]
            try:
                await service.book(user, slot.id)
                return True
            except Conflict as exc:
                assert exc.key == "campaigns.slot_full"
                return False

        results = await asyncio.gather(*(attempt(u) for u in crowd))
        assert sum(results) == 20
        assert (await Slot.get(id=slot.id)).booked == 20
        assert (await Campaign.get(id=campaign.id)).bookings_count == 20
        assert await Booking.filter(slot_id=slot.id, status="booked").count() == 20

    @postgres_only
    async def test_racing_cancels_of_one_booking_give_one_place_back(self, db, settings) -> None:
        campaign, slot, _ = await make_campaign(capacity=3)
        alice, bob = await people(settings, 2)
        booking = await service.book(alice, slot.id)
        await service.book(bob, slot.id)

        async def attempt() -> bool:
            try:
                await service.cancel(alice, booking.public_id)
                return True
            except Conflict:
                return False

        results = await asyncio.gather(*(attempt() for _ in range(10)))
        assert sum(results) == 1
        assert (await Slot.get(id=slot.id)).booked == 1
        assert (await Campaign.get(id=campaign.id)).bookings_count == 1
