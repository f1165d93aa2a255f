"""Random sequences of reservations, releases, retirements, expiries and reversals keep every invariant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.auth import Role
from app.core.errors import AppError
from app.credits import inventory, reversal
from app.credits.verify import verify
from models.credits import CreditSupply, Reservation, SerialBlock
from tests.credits.helpers import approved_project, issue_units, principal_of

step = st.one_of(
    st.tuples(st.just("reserve"), st.integers(0, 2), st.integers(1, 60)),  # issuance (2 = best available), kg
    st.tuples(st.just("release"), st.integers(0, 20)),
    st.tuples(st.just("retire"), st.integers(0, 20)),
    st.tuples(st.just("lapse"), st.integers(0, 20)),
    st.tuples(st.just("sweep")),
    st.tuples(st.just("replay"), st.integers(0, 20)),
    st.tuples(st.just("loss"), st.integers(1, 40)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=5, max_size=30))
async def test_any_sequence_keeps_the_inventory_verifiable(db, settings, steps) -> None:  # type: ignore[no-untyped-def]
    owner, _ = await principal_of(settings, Role.SMALLHOLDER)  # examples share the database: fresh people
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    project = await approved_project(owner, settings)
    issuances = [await issue_units(owner, verifier, project, kg=100, buffer=30) for _ in range(2)]
    run = uuid4().hex[:8]
    made: list[tuple[str, int, datetime, str | None]] = []
    for op in steps:
        try:
            if op[0] == "reserve":
                target = issuances[op[1]].public_id if op[1] < 2 else None
                args = (f"{run}:{len(made)}", op[2], datetime.now(UTC) + timedelta(minutes=10), target)
                made.append(args)
                await inventory.reserve(args[0], args[1], args[2], issuance_public_id=args[3])
            elif op[0] == "release" and made:
                await inventory.release(made[op[1] % len(made)][0])
            elif op[0] == "retire" and made:
                await inventory.retire(made[op[1] % len(made)][0], "某某", "offset")
            elif op[0] == "lapse" and made:
                past = datetime.now(UTC) - timedelta(seconds=1)
                reference = made[op[1] % len(made)][0]

                await Reservation.filter(reference=reference).update(reserved_until=past)
                await SerialBlock.filter(reservation_ref=reference, status="reserved").update(reserved_until=past)
            elif op[0] == "sweep":
                await inventory.expire_overdue_reservations()
            elif op[0] == "replay" and made:
                reference, kg, until, target = made[op[1] % len(made)]
                await inventory.reserve(reference, kg, until, issuance_public_id=target)  # changes nothing
            elif op[0] == "loss":
                await reversal.record_loss(verifier, project.public_id, "fire", date(2026, 1, 1), op[1])
        except AppError:
            pass  # refused (sold out, lapsed, retired, buffer short …): a refusal must leave no trace
        report = await verify()
        assert report.ok, (op, report.problems)
    for issuance in issuances:
        supply = await CreditSupply.get(issuance_id=issuance.id)
        assert supply.tradable + supply.reserved + supply.retired + supply.cancelled == supply.issued == 130
        assert 0 <= supply.buffer <= supply.tradable
