"""Deleting an account erases the beneficiary names the person gave on their retirements, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.accounts.privacy import delete_account
from app.core.auth import Role
from app.credits import inventory
from app.credits.lookup import lookup
from app.credits.verify import verify
from models.credits import Retirement
from tests.credits.helpers import approved_project, issue_units, principal_of


class TestEraseRetirements:
    async def test_it_erases_the_name_the_buyer_gave_and_keeps_serials_and_quantities(self, db, settings) -> None:
        owner, _ = await principal_of(settings, Role.SMALLHOLDER)
        verifier, _ = await principal_of(settings, Role.VERIFIER)
        buyer, _ = await principal_of(settings)
        other, _ = await principal_of(settings)
        issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=100, buffer=25)
        until = datetime.now(UTC) + timedelta(hours=1)
        for reference, who, purpose in (("order:mine", buyer, "trip"), ("order:theirs", other, "trip")):
            await inventory.reserve(reference, 10, until, issuance_public_id=issuance.public_id)
            await inventory.retire(
                reference, "王小明", purpose, purpose_reference="G8", holder=f"user:{who.user.public_id}"
            )
        await delete_account(buyer.user, confirmed=True)
        mine = await Retirement.get(reservation_ref="order:mine").select_related("block")
        theirs = await Retirement.get(reservation_ref="order:theirs")
        assert (mine.beneficiary, mine.beneficiary_shown, mine.purpose_reference) == ("—", "hidden", "")
        assert (theirs.beneficiary, theirs.beneficiary_shown, theirs.purpose_reference) == ("王小明", "full", "G8")
        # The units stay retired under their serials: the public record that they were used once.
        view = await lookup(mine.block.display)
        assert view.block.status == "retired" and view.block.quantity == 10 and view.retirement is not None
        assert view.retirement.beneficiary_shown == "hidden"
        assert (await verify()).ok
