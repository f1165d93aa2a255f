"""After donations, `ledger-verify`, `money-verify` and `donations-verify` (the app.cli commands) say OK;
`donations-verify` names each breach of the fund, the counters, the tally or the points budget."""

from __future__ import annotations

import pytest
from tortoise.expressions import F

from app.donations import service as donations
from app.donations import verify as checks
from app.payments.sandbox import SandboxProvider
from models.campaigns import Campaign
from models.donations import Donation, DonationTally, PointsDonation
from models.ledger import Transfer
from tests.accounts.test_cli import cli
from tests.donations.helpers import a_donor, donate_campaign, give_points, lapse, late_notification, pay


async def some_donations(settings):  # type: ignore[no-untyped-def]
    """Two paid donations, a late one refunded, one unpaid, and a points donation."""
    from app.payments import service as payments

    provider = SandboxProvider(settings)
    campaign = await donate_campaign()
    donor = await a_donor()
    paid = await donations.create_donation(donor, campaign.slug, 2)
    await pay(settings, provider, donor, paid)
    await pay(settings, provider, donor, await donations.create_donation(donor, campaign.slug, 1))
    late = await donations.create_donation(donor, campaign.slug, 1)
    attempt = await donations.pay(settings, provider, donor, late.public_id)
    await lapse(late)
    signed = await late_notification(provider, attempt)
    assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
    await donations.create_donation(donor, campaign.slug, 5)
    await give_points(donor, 100)
    await donations.donate_points(donor, campaign.slug, 30, "k")
    return campaign, paid


async def test_every_verify_command_says_ok_after_donations(db, settings) -> None:
    await some_donations(settings)
    for command, said in (
        ("ledger-verify", "OK"),
        ("money-verify", "money OK"),
        ("donations-verify", "donations OK: 4 donations, 1 campaigns"),
    ):
        result = cli(settings, command)
        assert result.returncode == 0 and said in result.stdout, (command, result.stdout + result.stderr)


@pytest.mark.parametrize("breach", ["fund", "counter", "tally", "points", "unpaid"])
async def test_donations_verify_names_the_breach(db, settings, breach) -> None:
    campaign, paid = await some_donations(settings)
    if breach == "fund":  # the fund got less than the donation
        await Transfer.filter(reason="donation.fund").update(amount=F("amount") - 1)
        expected = f"donation {paid.public_id}"
    elif breach == "counter":
        await Campaign.filter(id=campaign.id).update(fen_raised=F("fen_raised") + 3000)
        expected = f"campaign {campaign.slug}"
    elif breach == "tally":
        await DonationTally.filter(campaign_id=campaign.id).update(trees_donated=F("trees_donated") + 1)
        expected = f"campaign {campaign.slug}"
    elif breach == "points":
        await PointsDonation.all().update(points=31)
        expected = f"campaign {campaign.slug}"
    else:  # a donation said unpaid though its money reached the fund
        await Donation.filter(id=paid.id).update(status="expired")
        expected = f"donation {paid.public_id}"
    problems = (await checks.verify()).problems
    assert any(p.startswith(expected) for p in problems), problems
    result = cli(settings, "donations-verify")
    assert result.returncode == 1 and "DONATIONS BROKEN" in result.stdout and expected in result.stdout
