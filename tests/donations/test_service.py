"""Donations in lieu (捐资尽责): paid once into the campaign fund, refunds, receipts, 尽责 tally, points."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from app.campaigns import live
from app.core.auth import Role
from app.core.errors import AppError, Conflict, Forbidden
from app.core.i18n import BEIJING, t
from app.donations import service as donations
from app.payments import service as payments
from app.payments.sandbox import SandboxProvider
from app.planting import service as planting
from app.points import service as points
from models.audit import AuditEvent
from models.campaigns import Campaign
from models.donations import Donation, DonationReceipt, DonationTally, PointsDonation
from models.payments import PaymentAttempt, PaymentNotification, SandboxTrade
from tests.conftest import postgres_only
from tests.credits.helpers import principal_of
from tests.donations.helpers import (
    a_donor,
    all_clean,
    budget_balance,
    donate_campaign,
    fund_balance,
    give_points,
    lapse,
    late_notification,
    open_payment,
    organiser_of,
    pay,
)

VALID_USCC = "91350100M000100Y43"


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


class TestCreateDonation:
    async def test_locks_the_price_and_the_moment_to_pay(self, db) -> None:
        campaign = await donate_campaign()
        donation = await donations.create_donation(await a_donor(), campaign.slug, 2)
        assert (donation.trees, donation.fen_per_tree, donation.amount_fen, donation.status) == (
            2,
            3000,
            6000,
            "pending",
        )
        assert donation.expires_at > datetime.now(UTC) + donations.PAY_WITHIN - timedelta(minutes=1)
        assert await AuditEvent.filter(action="donation.created", entity_id=donation.public_id).count() == 1

    async def test_a_campaign_without_the_donate_mode_refuses_in_both_languages(self, db) -> None:
        campaign = await donate_campaign()
        await Campaign.filter(id=campaign.id).update(modes=["plant"], donation_fen_per_tree=None)
        with pytest.raises(Conflict) as refused:
            await donations.create_donation(await a_donor(), campaign.slug, 1)
        assert refused.value.key == "donations.not_accepted" and refused.value.status_code == 409
        assert "不接受" in t(refused.value.key, "zh") and "does not take" in t(refused.value.key, "en")
        assert await Donation.all().count() == 0

    async def test_a_campaign_not_open_by_its_dates_refuses(self, db) -> None:
        campaign = await donate_campaign()
        past = datetime.now(BEIJING).date() - timedelta(days=40)
        await Campaign.filter(id=campaign.id).update(starts_on=past - timedelta(days=5), ends_on=past)
        with pytest.raises(Conflict) as refused:
            await donations.create_donation(await a_donor(), campaign.slug, 1)
        assert refused.value.key == "donations.campaign_closed"
        assert "不在进行中" in t(refused.value.key, "zh", **refused.value.params)
        assert "not running" in t(refused.value.key, "en", **refused.value.params)

    @pytest.mark.parametrize("trees", [0, -1, 10_001, True])
    async def test_a_tree_count_out_of_range_is_refused(self, db, trees) -> None:
        campaign = await donate_campaign()
        with pytest.raises(AppError) as refused:
            await donations.create_donation(await a_donor(), campaign.slug, trees)
        assert refused.value.key == "donations.bad_trees" and refused.value.status_code == 400


class TestPaidOnce:
    async def test_payment_credits_the_campaign_fund_once_and_raises_the_counter(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 2)
        attempt = await pay(settings, provider, donor, donation)
        assert attempt.status == "paid" and attempt.purpose == donations.PURPOSE
        paid = await Donation.get(id=donation.id)
        assert (paid.status, paid.out_trade_no) == ("paid", attempt.out_trade_no)
        assert await fund_balance(campaign) == 6000
        assert (await Campaign.get(id=campaign.id)).fen_raised == 6000
        tally = await DonationTally.get(campaign_id=campaign.id)
        assert (tally.trees_donated, tally.donations_paid) == (2, 1)
        assert await AuditEvent.filter(action="donation.paid", entity_id=donation.public_id).count() == 1
        await all_clean()

    async def test_a_replayed_notification_changes_nothing(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 3)
        attempt = await open_payment(settings, provider, donor, donation)
        signed = await provider.pay(attempt.out_trade_no)
        for _ in range(5):
            assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        resigned = provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no))
        assert (await payments.receive(settings, provider, resigned.headers, resigned.body))[0] == 204
        assert await fund_balance(campaign) == 9000
        assert (await Campaign.get(id=campaign.id)).fen_raised == 9000
        assert (await DonationTally.get(campaign_id=campaign.id)).trees_donated == 3
        assert await AuditEvent.filter(action="donation.paid").count() == 1
        await all_clean()

    async def test_an_amount_mismatch_is_rejected_and_changes_nothing(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 1)
        attempt = await open_payment(settings, provider, donor, donation)
        await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).update(status="paid")
        odd = provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no), amount_fen=1)
        status, body, _ = await payments.receive(settings, provider, odd.headers, odd.body)
        assert status == 400 and b"amount_mismatch" in body
        assert await PaymentNotification.all().count() == 0
        assert (await Donation.get(id=donation.id)).status == "pending"
        assert await fund_balance(campaign) == 0 and (await Campaign.get(id=campaign.id)).fen_raised == 0
        await all_clean()

    async def test_a_late_payment_is_refunded_and_the_fund_untouched(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 1)
        attempt = await open_payment(settings, provider, donor, donation)
        await lapse(donation)
        late = await late_notification(provider, attempt)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        refunded = await PaymentAttempt.get(id=attempt.id)
        assert (refunded.status, refunded.refund_reason) == ("refunded", "expired")
        assert (await Donation.get(id=donation.id)).status == "pending"
        assert await fund_balance(campaign) == 0 and (await Campaign.get(id=campaign.id)).fen_raised == 0
        await all_clean()

    async def test_a_second_payment_of_a_paid_donation_is_refunded(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 1)
        first = await open_payment(settings, provider, donor, donation)
        # The first attempt was closed here (reconciliation) while the payer still had it open elsewhere.
        await PaymentAttempt.filter(id=first.id).update(status="closed")
        second = await open_payment(settings, provider, donor, donation)
        assert second.id != first.id
        await pay(settings, provider, donor, donation)  # pays the open (second) attempt
        late = await provider.pay(first.out_trade_no)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        refund = await PaymentAttempt.get(id=first.id)
        assert (refund.status, refund.refund_reason) == ("refunded", "paid_twice")
        assert (await PaymentAttempt.get(id=second.id)).status == "paid"
        assert await fund_balance(campaign) == 3000 and (await Campaign.get(id=campaign.id)).fen_raised == 3000
        await all_clean()

    async def test_paying_an_expired_donation_is_refused(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 1)
        await lapse(donation)
        with pytest.raises(Conflict) as refused:
            await open_payment(settings, provider, donor, donation)
        assert refused.value.key == "donations.donation_expired"

    async def test_the_sweep_expires_each_unpaid_donation_once(self, db) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        stale = await donations.create_donation(donor, campaign.slug, 1)
        fresh = await donations.create_donation(donor, campaign.slug, 1)
        await lapse(stale)
        assert await donations.expire_overdue_donations() == 1
        assert await donations.expire_overdue_donations() == 0
        assert (await Donation.get(id=stale.id)).status == "expired"
        assert (await Donation.get(id=fresh.id)).status == "pending"
        assert await AuditEvent.filter(action="donation.expired").count() == 1


class TestConcurrency:
    @postgres_only
    async def test_twenty_concurrent_copies_of_one_notification_credit_the_fund_once(
        self, db, settings, provider
    ) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 2)
        attempt = await open_payment(settings, provider, donor, donation)
        signed = await provider.pay(attempt.out_trade_no)
        resigned = provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no))
        copies = [signed] * 10 + [resigned] * 10
        answers = await asyncio.gather(*(payments.receive(settings, provider, c.headers, c.body) for c in copies))
        assert {a[0] for a in answers} == {204}
        assert await fund_balance(campaign) == 6000
        assert (await Campaign.get(id=campaign.id)).fen_raised == 6000
        assert (await DonationTally.get(campaign_id=campaign.id)).trees_donated == 2
        assert await AuditEvent.filter(action="donation.paid").count() == 1
        await all_clean()

    @postgres_only
    async def test_many_donors_paying_at_once_add_up_exactly(self, db, settings, provider) -> None:
        campaign = await donate_campaign()

        async def give(trees: int) -> None:
            donor = await a_donor()
            donation = await donations.create_donation(donor, campaign.slug, trees)
            await pay(settings, provider, donor, donation)

        await asyncio.gather(*(give(n % 3 + 1) for n in range(30)))
        trees = sum(n % 3 + 1 for n in range(30))
        assert (await Campaign.get(id=campaign.id)).fen_raised == trees * 3000 == await fund_balance(campaign)
        tally = await DonationTally.get(campaign_id=campaign.id)
        assert (tally.trees_donated, tally.donations_paid) == (trees, 30)
        await all_clean()


class TestDutyTally:
    async def test_donated_trees_count_by_the_beijing_year_of_payment(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        for trees in (2, 3):
            await pay(settings, provider, donor, await donations.create_donation(donor, campaign.slug, trees))
        unpaid = await donations.create_donation(donor, campaign.slug, 7)
        year = datetime.now(BEIJING).year
        assert await donations.donated_trees(donor, year) == 5
        assert await donations.donated_trees(donor, year - 1) == 0
        assert await donations.donated_trees(await a_donor(), year) == 0
        # 2020-12-31 23:30 Beijing is 15:30 UTC, a 2020 payment; 00:30 on 2021-01-01 Beijing is still 2020 in UTC.
        late_evening = datetime(2020, 12, 31, 15, 30, tzinfo=UTC)
        await Donation.filter(id=unpaid.id).update(status="paid", paid_at=late_evening)
        assert await donations.donated_trees(donor, 2020) == 7
        await Donation.filter(id=unpaid.id).update(paid_at=datetime(2020, 12, 31, 16, 30, tzinfo=UTC))
        assert await donations.donated_trees(donor, 2020) == 0
        assert await donations.donated_trees(donor, 2021) == 7

    async def test_donated_trees_count_in_the_planting_duty_tally(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        year = datetime.now(BEIJING).year
        assert (await planting.duty_tally(donor, year)).trees == 0
        await pay(settings, provider, donor, await donations.create_donation(donor, campaign.slug, 3))
        tally = await planting.duty_tally(donor, year)
        assert (tally.trees_planted, tally.trees_in_lieu, tally.done) == (0, 3, True)
        [certificate] = await planting.certificates_of(donor)  # issued with the payment, once
        assert (certificate.year, certificate.trees, certificate.campaigns) == (year, 3, [campaign.slug])
        assert certificate.kind == "honour"  # no birth date or sex given: the honour certificate

    async def test_a_profile_set_after_a_donation_rejudges_its_certificate_on_the_day_paid(
        self, db, settings, provider
    ) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        await pay(settings, provider, donor, await donations.create_donation(donor, campaign.slug, 3))
        [certificate] = await planting.certificates_of(donor)
        assert certificate.kind == "honour"  # no birth date or sex yet
        await planting.set_profile(settings, donor, date(1990, 1, 1), "f")  # 30-something: the duty age
        [certificate] = await planting.certificates_of(donor)
        assert certificate.kind == "duty"  # judged on the donation's date, though no tree was planted
        await planting.set_profile(settings, donor, date(1950, 1, 1), "f")  # past 55 on the day paid
        [certificate] = await planting.certificates_of(donor)
        assert certificate.kind == "honour"

    async def test_a_replayed_payment_credits_the_certificate_once(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 2)
        attempt = await open_payment(settings, provider, donor, donation)
        signed = await provider.pay(attempt.out_trade_no)
        for _ in range(3):
            assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        resigned = provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no))
        assert (await payments.receive(settings, provider, resigned.headers, resigned.body))[0] == 204
        [certificate] = await planting.certificates_of(donor)
        assert certificate.trees == 2


class TestLiveProgress:
    async def test_a_paid_donation_publishes_the_new_funds_after_its_commit(self, client, app, settings) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 2)
        channels = app.plugins.get(live.LiveChannels)
        async with channels.start_subscription([channels.channel(campaign.id)]) as subscriber:
            await pay(settings, SandboxProvider(settings), donor, donation)
            event = json.loads(await asyncio.wait_for(subscriber.iter_events().__anext__(), 5))
        assert event["fen"] == donation.amount_fen


class TestReceipt:
    async def test_recorded_once_changeable_until_exported_then_final(self, db, settings, provider) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        donation = await donations.create_donation(donor, campaign.slug, 2)
        with pytest.raises(Conflict) as unpaid:
            await donations.request_receipt(
                donor, donation.public_id, donations.ReceiptAsk("personal", "张三", "z@example.com")
            )
        assert unpaid.value.key == "donations.receipt_needs_payment"
        await pay(settings, provider, donor, donation)
        await donations.request_receipt(
            donor, donation.public_id, donations.ReceiptAsk("personal", "张三", "z@example.com")
        )
        ask = donations.ReceiptAsk("organisation", "成都某某科技有限公司", "fin@example.com", VALID_USCC.lower())
        receipt = await donations.request_receipt(donor, donation.public_id, ask)
        assert await DonationReceipt.all().count() == 1
        assert (receipt.kind, receipt.tax_id, receipt.status) == ("organisation", VALID_USCC, "requested")
        events = await AuditEvent.filter(entity_type="donation_receipt").order_by("id").values_list("action", "after")
        assert [a for a, _ in events] == ["donation.receipt.requested", "donation.receipt.updated"]
        assert all("张三" not in str(after) and "example.com" not in str(after) for _, after in events)
        organiser, _ = await organiser_of(settings, campaign)
        export = await donations.export_receipts(organiser, campaign.slug)
        assert (export.newly_exported, export.total) == (1, 1)
        with pytest.raises(Conflict) as final:
            await donations.request_receipt(donor, donation.public_id, ask)
        assert final.value.key == "donations.receipt_exported"
        assert (await DonationReceipt.get(id=receipt.id)).status == "exported"
        assert await AuditEvent.filter(action="donation.receipt.exported").count() == 1
        again = await donations.export_receipts(organiser, campaign.slug)
        assert (again.newly_exported, again.total) == (0, 1)
        assert await AuditEvent.filter(action="donation.receipt.exported").count() == 1

    @pytest.mark.parametrize(
        ("change", "key"),
        [
            ({"tax_id": "91350100M000100Y44"}, "donations.bad_tax_id"),
            ({"tax_id": "123"}, "donations.bad_tax_id"),
            ({"email": "not-an-email"}, "donations.bad_email"),
            ({"title": "  "}, "donations.bad_receipt_title"),
            ({"kind": "company"}, "donations.bad_receipt_kind"),
        ],
    )
    async def test_bad_receipt_details_are_refused_with_the_field_named(self, db, change, key) -> None:
        values = {"kind": "organisation", "title": "某公司", "email": "a@example.com", "tax_id": VALID_USCC}
        with pytest.raises(AppError) as refused:
            await donations.request_receipt(await a_donor(), "none", donations.ReceiptAsk(**{**values, **change}))
        assert refused.value.key == key and refused.value.status_code == 400


class TestExport:
    async def test_the_csv_has_a_bom_and_one_row_per_request_of_this_campaign_only(
        self, db, settings, provider
    ) -> None:
        campaign = await donate_campaign()
        other = await donate_campaign(slug="autumn")
        names = ["=HYPERLINK(1)", "李四"]
        for name, where, trees in ((names[0], campaign, 1), (names[1], campaign, 4), ("王五", other, 1)):
            donor = await a_donor()
            donation = await donations.create_donation(donor, where.slug, trees)
            await pay(settings, provider, donor, donation)
            await donations.request_receipt(
                donor, donation.public_id, donations.ReceiptAsk("personal", name, "x@example.com")
            )
        organiser, _ = await organiser_of(settings, campaign)
        export = await donations.export_receipts(organiser, campaign.slug)
        assert export.csv.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(export.csv.decode("utf-8-sig"))))
        assert tuple(rows[0]) == donations.CSV_COLUMNS
        body = rows[1:]
        assert len(body) == 2 and {r[6] for r in body} == {"'=HYPERLINK(1)", "李四"}
        by_trees = {r[2]: r for r in body}
        assert (by_trees["4"][3], by_trees["4"][4], by_trees["4"][5]) == ("12000", "120.00", "personal")
        assert all(r[10] for r in body)  # exported_at filled in
        assert await DonationReceipt.filter(status="requested").count() == 1  # the other campaign's

    async def test_only_organisers_of_the_campaign_export(self, db, settings) -> None:
        campaign = await donate_campaign()
        stranger, _ = await principal_of(settings, Role.ORGANISER)
        with pytest.raises(Forbidden):
            await donations.export_receipts(stranger, campaign.slug)
        with pytest.raises(Forbidden):
            await donations.paid_donations(stranger, campaign.slug)


class TestPointsDonation:
    async def test_moves_points_to_the_campaign_budget_and_the_tally(self, db) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        await give_points(donor, 500)
        given = await donations.donate_points(donor, campaign.slug, 200, "key-1")
        assert not given.replayed and given.donation.points == 200
        assert (await points.balance_of(donor)).balance == 300
        assert await budget_balance(campaign) == 200
        tally = await DonationTally.get(campaign_id=campaign.id)
        assert (tally.points_donated, tally.points_donations) == (200, 1)
        assert (await donations.totals_of(campaign)).points_donated == 200
        assert await AuditEvent.filter(action="donation.points").count() == 1
        await all_clean()

    async def test_the_same_key_and_body_replays_and_another_body_is_a_conflict(self, db) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        await give_points(donor, 500)
        first = await donations.donate_points(donor, campaign.slug, 100, "k")
        again = await donations.donate_points(donor, campaign.slug, 100, "k")
        assert again.replayed and again.donation.id == first.donation.id
        with pytest.raises(Conflict) as reused:
            await donations.donate_points(donor, campaign.slug, 150, "k")
        assert reused.value.key == "donations.key_reused" and reused.value.status_code == 409
        assert (await points.balance_of(donor)).balance == 400 and await budget_balance(campaign) == 100
        # The same key of another person is another donation.
        other = await a_donor()
        await give_points(other, 100)
        assert not (await donations.donate_points(other, campaign.slug, 100, "k")).replayed
        await all_clean()

    async def test_a_wallet_never_goes_below_zero(self, db) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        await give_points(donor, 50)
        with pytest.raises(Conflict) as short:
            await donations.donate_points(donor, campaign.slug, 60, "k1")
        assert short.value.key == "donations.not_enough_points"
        assert await PointsDonation.all().count() == 0 and (await points.balance_of(donor)).balance == 50
        await all_clean()

    @pytest.mark.parametrize(("amount", "key"), [(9, "k"), (100_001, "k"), (100, ""), (100, " ")])
    async def test_bad_amounts_and_missing_keys_are_refused(self, db, amount, key) -> None:
        campaign = await donate_campaign()
        with pytest.raises(AppError) as refused:
            await donations.donate_points(await a_donor(), campaign.slug, amount, key)
        assert refused.value.status_code == 400

    async def test_a_closed_campaign_takes_no_points(self, db) -> None:
        campaign = await donate_campaign()
        await Campaign.filter(id=campaign.id).update(ends_on=datetime.now(BEIJING).date() - timedelta(days=1))
        donor = await a_donor()
        await give_points(donor, 100)
        with pytest.raises(Conflict) as refused:
            await donations.donate_points(donor, campaign.slug, 10, "k")
        assert refused.value.key == "donations.campaign_closed"

    @postgres_only
    async def test_fifty_parallel_donations_take_exactly_what_the_wallet_affords(self, db) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        await give_points(donor, 1000)

        async def give(n: int) -> bool:
            try:
                await donations.donate_points(donor, campaign.slug, 100, f"k{n}")
            except Conflict as short:
                assert short.key == "donations.not_enough_points"
                return False
            return True

        results = await asyncio.gather(*(give(n) for n in range(50)))
        assert sum(results) == 10
        assert (await points.balance_of(donor)).balance == 0 and await budget_balance(campaign) == 1000
        assert (await DonationTally.get(campaign_id=campaign.id)).points_donated == 1000
        await all_clean()

    @postgres_only
    async def test_concurrent_copies_of_one_key_donate_once(self, db) -> None:
        campaign = await donate_campaign()
        donor = await a_donor()
        await give_points(donor, 1000)
        answers = await asyncio.gather(*(donations.donate_points(donor, campaign.slug, 100, "same") for _ in range(10)))
        assert sum(not a.replayed for a in answers) == 1
        assert (await points.balance_of(donor)).balance == 900
        assert (await DonationTally.get(campaign_id=campaign.id)).points_donations == 1
        await all_clean()


class TestPersonalData:
    async def test_export_lists_donations_and_deletion_blanks_receipts_not_yet_exported(
        self, db, settings, provider
    ) -> None:
        from app.accounts import privacy

        campaign = await donate_campaign()
        donor = await a_donor()
        kept = await donations.create_donation(donor, campaign.slug, 1)
        blanked = await donations.create_donation(donor, campaign.slug, 2)
        for d in (kept, blanked):
            await pay(settings, provider, donor, d)
            await donations.request_receipt(
                donor, d.public_id, donations.ReceiptAsk("personal", "张三", "z@example.com")
            )
        await DonationReceipt.filter(donation_id=kept.id).update(status="exported")
        exported = await privacy.export_user_data(settings, donor)
        assert [d["trees"] for d in exported["donations"]["donations"]] == [1, 2]
        assert exported["donations"]["donations"][0]["receipt"]["title"] == "张三"
        await privacy.delete_account(donor, confirmed=True)
        assert (await DonationReceipt.get(donation_id=kept.id)).title == "张三"
        gone = await DonationReceipt.get(donation_id=blanked.id)
        assert (gone.title, gone.email) == ("（已注销）", "")
        assert (await Donation.get(id=blanked.id)).status == "paid"
