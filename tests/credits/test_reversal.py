"""Reversal: a loss cancels unsold units first, then buffer-pool units for what was sold, or nothing at all."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.core.auth import Role
from app.core.errors import AppError, Conflict
from app.credits import inventory, reversal
from app.credits.lookup import lookup
from app.credits.verify import verify
from models.audit import AuditEvent
from models.credits import CreditSupply, LossEvent, Retirement, SerialBlock
from tests.credits.helpers import approved_project, issue_units, principal_of

LATER = datetime.now(UTC) + timedelta(days=1)


async def counters(issuance) -> tuple[int, int, int, int, int]:  # type: ignore[no-untyped-def]
    s = await CreditSupply.get(issuance_id=issuance.id)
    return s.tradable, s.reserved, s.retired, s.cancelled, s.buffer


@pytest.fixture
async def setting(db, settings):  # type: ignore[no-untyped-def]
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    project = await approved_project(owner, settings)
    issuance = await issue_units(owner, verifier, project, kg=100, buffer=25)
    return verifier, project, issuance


class TestRecordLoss:
    async def test_a_loss_within_the_unsold_units_cancels_only_them(self, setting) -> None:
        verifier, project, issuance = setting
        event = await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 3, 1), 60)
        assert (event.cancelled_unsold_kg, event.buffer_drawn_kg) == (60, 0)
        assert await counters(issuance) == (65, 0, 0, 60, 25)
        assert await AuditEvent.filter(action="credits.reversed", entity_id=event.public_id).exists()
        assert (await verify()).ok

    async def test_what_was_sold_is_made_good_from_the_buffer_and_flagged(self, setting) -> None:
        verifier, project, issuance = setting
        await inventory.reserve("order:1", 70, LATER, issuance_public_id=issuance.public_id)
        await inventory.retire("order:1", "张三", "trip")
        event = await reversal.record_loss(verifier, project.public_id, "pests", date(2026, 3, 1), 50)
        assert (event.cancelled_unsold_kg, event.buffer_drawn_kg) == (30, 20)
        assert await counters(issuance) == (5, 0, 70, 50, 5)
        retirement = await Retirement.get(reservation_ref="order:1").select_related("block")
        assert retirement.reversal_id == event.id  # type: ignore[attr-defined]
        view = await lookup(retirement.block.display)
        assert view.reversal is not None and view.reversal.cause == "pests"
        assert (await verify()).ok

    async def test_the_pool_beyond_the_project_covers_what_its_own_buffer_cannot(self, setting, settings) -> None:
        verifier, project, issuance = setting
        other_owner, _ = await principal_of(settings, Role.SMALLHOLDER)
        other = await issue_units(
            other_owner, verifier, await approved_project(other_owner, settings), kg=100, buffer=40
        )
        await inventory.reserve("order:2", 100, LATER, issuance_public_id=issuance.public_id)
        await inventory.retire("order:2", "李四", "offset")
        await reversal.record_loss(verifier, project.public_id, "land_conversion", date(2026, 3, 1), 45)
        assert await counters(issuance) == (0, 0, 100, 25, 0)
        assert await counters(other) == (120, 0, 0, 20, 20)
        assert (await verify()).ok

    async def test_refuses_when_the_buffer_cannot_cover_and_says_by_how_much(self, setting) -> None:
        verifier, project, issuance = setting
        await inventory.reserve("order:3", 100, LATER, issuance_public_id=issuance.public_id)
        await inventory.retire("order:3", "王五", "trip")
        with pytest.raises(Conflict) as refused:
            await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 3, 1), 40)
        assert refused.value.key == "credits.buffer_short"
        assert refused.value.params == {"needed": 40, "available": 25, "short": 15}
        assert await counters(issuance) == (25, 0, 100, 0, 25)  # nothing was written
        assert not await LossEvent.exists()
        assert not await Retirement.filter(reversal_id__not_isnull=True).exists()

    async def test_reserved_units_count_as_sold(self, setting) -> None:
        verifier, project, issuance = setting
        await inventory.reserve("order:4", 90, LATER, issuance_public_id=issuance.public_id)
        event = await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 3, 1), 15)
        assert (event.cancelled_unsold_kg, event.buffer_drawn_kg) == (10, 5)
        assert await counters(issuance) == (20, 90, 0, 15, 20)
        assert await SerialBlock.filter(reservation_ref="order:4", status="reserved").count() >= 1
        assert (await verify()).ok

    async def test_a_loss_cannot_exceed_what_was_issued_to_the_owner(self, setting) -> None:
        verifier, project, _ = setting
        await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 3, 1), 80)
        with pytest.raises(Conflict) as refused:
            await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 4, 1), 21)
        assert refused.value.params == {"loss": 21, "maximum": 20}

    async def test_only_issuances_on_the_named_parcels_are_affected(self, setting) -> None:
        verifier, project, _ = setting
        with pytest.raises(AppError, match=r"credits.loss_parcel_unknown"):
            await reversal.record_loss(
                verifier, project.public_id, "fire", date(2026, 3, 1), 5, parcel_public_ids=["elsewhere"]
            )
        with pytest.raises(AppError, match=r"credits.bad_cause"):
            await reversal.record_loss(verifier, project.public_id, "meteor", date(2026, 3, 1), 5)
