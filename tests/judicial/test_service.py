"""碳汇+司法 rules without HTTP: cases, partial payments that add up and never exceed what is owed, the
retirements linked once, the same-county rule, planting, the voucher and closure, and their audit."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError

from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.core.i18n import t
from app.credits import inventory
from app.judicial import service as judicial
from app.payments.sandbox import SandboxProvider
from app.planting import service as planting
from models.audit import AuditEvent
from models.credits import Retirement, SerialBlock
from models.judicial import CaseOrder, CasePlanting, CaseRetirement, RestorationCase
from models.market import Order
from models.payments import PaymentAttempt
from tests.conftest import postgres_only
from tests.judicial.helpers import a_case, a_court, case_ask, fresh, paid
from tests.market.helpers import a_buyer, lapse, listed, pay


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


async def actions(case: RestorationCase) -> list[str]:
    return [
        str(a)
        for a in await AuditEvent.filter(entity_type="restoration_case", entity_id=case.code)
        .order_by("id")
        .values_list("action", flat=True)
    ]


class TestCreateCase:
    async def test_a_court_creates_a_case_with_random_codes_and_the_name_encrypted(self, db, settings) -> None:
        court, _ = await a_court(settings)
        case = await judicial.create_case(settings, court, case_ask())
        assert len(case.code) == 10 and len(case.pay_code) == 12 and case.code not in case.pay_code
        assert set(case.code + case.pay_code) <= set(judicial.CODE_ALPHABET)
        assert "张三".encode() not in bytes(case.defendant_name_enc)
        assert judicial.defendant_name(settings, case) == "张三"
        assert judicial.defendant_masked(settings, case) == "张*"
        assert case.court_name == (await case.organisation).name and case.status == "open"
        event = await AuditEvent.get(action="judicial.case.created", entity_id=case.code)
        assert event.after["case_number"] == "（2026）川0112刑初123号" and event.after["kg_owed"] == 100
        assert "张" not in str(event.after) and case.pay_code not in str(event.after)

    async def test_the_case_number_is_unique_per_court_only(self, db, settings) -> None:
        court, _ = await a_court(settings)
        await judicial.create_case(settings, court, case_ask())
        with pytest.raises(Conflict) as twice:
            await judicial.create_case(settings, court, case_ask(defendant_name="李四"))
        assert twice.value.key == "judicial.case_exists"
        other, _ = await a_court(settings)
        await judicial.create_case(settings, other, case_ask())
        assert await RestorationCase.all().count() == 2

    @pytest.mark.parametrize(
        ("change", "key", "field"),
        [
            ({"case_number": " "}, "judicial.bad_case_number", "case_number"),
            ({"cause": ""}, "judicial.bad_cause", "cause"),
            ({"damage_county_code": "510100"}, "regions.not_a_county", "damage_county_code"),
            ({"defendant_name": ""}, "judicial.bad_defendant", "defendant_name"),
            ({"kg_owed": -1}, "judicial.bad_kg", "kg_owed"),
            ({"kg_owed": 1.5}, "judicial.bad_kg", "kg_owed"),
            ({"kg_owed": 0}, "judicial.owes_nothing", "kg_owed"),
            ({"trees_owed": 10}, "judicial.trees_need_site", "campaign"),
            ({"tend_years": 51}, "judicial.bad_tend_years", "tend_years"),
            ({"campaign": "no-such-campaign"}, "judicial.unknown_campaign", "campaign"),
        ],
    )
    async def test_refuses_bad_input_naming_the_field(self, db, settings, change, key, field) -> None:
        court, _ = await a_court(settings)
        with pytest.raises(AppError) as refused:
            await judicial.create_case(settings, court, case_ask(**change))
        assert refused.value.key == key and refused.value.detail[0]["field"] == field
        assert refused.value.status_code == 400
        assert await RestorationCase.all().count() == 0

    async def test_a_deadline_in_the_past_is_refused(self, db, settings) -> None:
        from datetime import date

        court, _ = await a_court(settings)
        with pytest.raises(AppError) as refused:
            await judicial.create_case(settings, court, case_ask(deadline=date(2020, 1, 1)))
        assert refused.value.key == "judicial.bad_deadline"

    async def test_only_a_court_creates_or_sees_cases(self, db, settings) -> None:
        from app.core.auth import Role
        from tests.credits.helpers import principal_of

        operator, _ = await principal_of(settings, Role.SCENIC_OPERATOR)
        with pytest.raises(Forbidden):
            await judicial.create_case(settings, operator, case_ask())
        case = await a_case(settings)
        with pytest.raises(Forbidden):
            await judicial.cases_of(operator)
        with pytest.raises(Forbidden):
            await judicial.own_case(operator, case.code)
        other_court, _ = await a_court(settings)
        with pytest.raises(NotFound):  # another court's case is answered as unknown
            await judicial.own_case(other_court, case.code)

    async def test_an_unknown_code_is_not_found(self, db, settings) -> None:
        with pytest.raises(NotFound) as missing:
            await judicial.case_by_code("NOSUCHCODE")
        assert missing.value.key == "judicial.case_not_found"
        with pytest.raises(NotFound):
            await judicial.case_by_pay_code("NOSUCHCODE")


class TestPayments:
    async def test_partial_payments_add_up_and_the_last_one_fulfils_the_case(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=100)
        defendant = await a_buyer()
        first = await paid(settings, provider, defendant, case, 30)
        assert first.status == "fulfilled"
        case = await fresh(case)
        assert case.kg_paid == 30 and case.status == "open" and case.defendant_id == defendant.id  # type: ignore[attr-defined]
        await paid(settings, provider, defendant, case, 50)
        assert (await fresh(case)).kg_paid == 80
        await paid(settings, provider, defendant, case, 20)
        case = await fresh(case)
        assert case.kg_paid == 100 and case.status == "fulfilled" and case.fulfilled_at is not None
        assert sum(r.kg for r in await CaseRetirement.filter(case_id=case.id)) == 100
        assert await actions(case) == [
            "judicial.case.created",
            "judicial.defendant.linked",
            "judicial.order.linked",
            "judicial.payment.retired",
            "judicial.order.linked",
            "judicial.payment.retired",
            "judicial.order.linked",
            "judicial.payment.retired",
            "judicial.case.fulfilled",
        ]

    async def test_the_retirements_are_for_the_court_case_under_its_number_and_the_name_stays_masked(
        self, db, settings, provider
    ) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=20)
        order = await paid(settings, provider, await a_buyer(), case, 20)
        retired = await Retirement.filter(certificate_code=order.certificate_code)
        assert retired and {r.purpose for r in retired} == {"court_case"}
        assert {r.purpose_reference for r in retired} == {"（2026）川0112刑初123号"}
        assert {r.beneficiary for r in retired} == {"张*"}  # the name itself never reaches a public table
        assert "张三" not in str(await AuditEvent.filter(entity_id=case.code).values_list("after", flat=True))

    async def test_paying_more_than_is_owed_is_refused_with_what_is_left_and_nothing_is_written(
        self, db, settings, provider
    ) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=50)
        defendant = await a_buyer()
        await paid(settings, provider, defendant, case, 30)
        with pytest.raises(Conflict) as refused:
            await judicial.pay_toward(settings, defendant, case.pay_code, 30)
        assert refused.value.key == "judicial.overpay" and refused.value.detail[0]["field"] == "kg"
        assert refused.value.params == {"kg": 30, "left": 20, "owed": 50, "paid": 30, "pending": 0}
        assert "超过尚需购买的 20 千克" in t(refused.value.key, "zh", **refused.value.params)
        assert "cannot pay more than owed" in t(refused.value.key, "en", **refused.value.params)
        assert await CaseOrder.filter(case_id=case.id).count() == 1 and await Order.all().count() == 1

    async def test_an_unpaid_order_holds_its_kg_until_it_lapses(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=50)
        defendant = await a_buyer()
        waiting = await judicial.pay_toward(settings, defendant, case.pay_code, 50)
        with pytest.raises(Conflict) as refused:
            await judicial.pay_toward(settings, defendant, case.pay_code, 10)
        assert refused.value.params["pending"] == 50 and refused.value.params["left"] == 0
        await lapse(waiting)
        again = await judicial.pay_toward(settings, defendant, case.pay_code, 50)
        await pay(settings, provider, defendant, again)
        assert (await fresh(case)).kg_paid == 50

    async def test_a_fulfilment_that_would_exceed_the_owed_kg_is_refunded_and_counts_nothing(
        self, db, settings, provider
    ) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=50)
        defendant = await a_buyer()
        order = await judicial.pay_toward(settings, defendant, case.pay_code, 40)
        # As if kg had been counted meanwhile by some path that slipped past the order's check.
        await RestorationCase.filter(id=case.id).update(kg_paid=20)
        attempt = await pay(settings, provider, defendant, order)
        assert (await Order.get(id=order.id)).status == "pending"
        assert attempt.status != "fulfilled"
        assert await Retirement.filter(reservation_ref=f"order:{order.public_id}").count() == 0
        assert (await fresh(case)).kg_paid == 20 and await CaseRetirement.all().count() == 0
        assert await PaymentAttempt.filter(id=attempt.id).exists()

    async def test_the_database_refuses_more_kg_retired_than_owed(self, db, settings) -> None:
        case = await a_case(settings, kg_owed=50)
        with pytest.raises(IntegrityError):
            await RestorationCase.filter(id=case.id).update(kg_paid=51)

    async def test_another_account_cannot_pay_once_the_defendant_is_linked(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=50)
        await judicial.pay_toward(settings, await a_buyer(), case.pay_code, 10)
        with pytest.raises(Forbidden) as refused:
            await judicial.pay_toward(settings, await a_buyer(), case.pay_code, 10)
        assert refused.value.key == "judicial.not_the_defendant"

    async def test_a_fulfilled_case_takes_no_more_payments(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=20)
        defendant = await a_buyer()
        await paid(settings, provider, defendant, case, 20)
        with pytest.raises(Conflict) as refused:
            await judicial.pay_toward(settings, defendant, case.pay_code, 10)
        assert refused.value.key == "judicial.case_fulfilled"

    @postgres_only
    async def test_twenty_parallel_payments_never_order_more_than_is_owed(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=50)
        defendant = await a_buyer()
        await judicial.pay_toward(settings, defendant, case.pay_code, 10)  # links the defendant first
        results = await asyncio.gather(
            *(judicial.pay_toward(settings, defendant, case.pay_code, 10) for _ in range(20)), return_exceptions=True
        )
        placed = [r for r in results if isinstance(r, Order)]
        refused = [r for r in results if isinstance(r, Conflict) and r.key == "judicial.overpay"]
        assert len(placed) == 4 and len(refused) == 16, results
        for order in [*placed, await Order.get(id=(await CaseOrder.filter(case_id=case.id).first()).order_id)]:  # type: ignore[union-attr]
            await pay(settings, provider, defendant, order)
        case = await fresh(case)
        assert case.kg_paid == 50 and case.status == "fulfilled"

    @pytest.mark.parametrize("kg", [0, -5, "10", 2.5, True])
    async def test_a_bad_amount_is_refused_naming_kg(self, db, settings, kg) -> None:
        case = await a_case(settings)
        with pytest.raises(AppError) as refused:
            await judicial.pay_toward(settings, await a_buyer(), case.pay_code, kg)
        assert refused.value.key == "judicial.bad_payment_kg" and refused.value.detail[0]["field"] == "kg"


class TestSerialsUsedOnce:
    async def test_a_retirement_counts_for_one_case_only(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=20)
        await paid(settings, provider, await a_buyer(), case, 20)
        counted = await CaseRetirement.filter(case_id=case.id).first()
        assert counted is not None
        other = await a_case(settings, case_number="（2026）川0112刑初999号", kg_owed=20)
        with pytest.raises(IntegrityError):
            await CaseRetirement.create(
                retirement_id=counted.retirement_id,  # type: ignore[attr-defined]
                case_id=other.id,
                order_id=counted.order_id,  # type: ignore[attr-defined]
                kg=counted.kg,
                county_code=counted.county_code,
                same_county=True,
            )

    async def test_the_case_serials_stay_retired_and_can_never_be_sold_again(self, db, settings, provider) -> None:
        _, issuance, _ = await listed(settings, kg=100)
        case = await a_case(settings, kg_owed=40)
        await paid(settings, provider, await a_buyer(), case, 40)
        block_ids = [
            r.block_id  # type: ignore[attr-defined]
            for r in await Retirement.filter(
                id__in=await CaseRetirement.filter(case_id=case.id).values_list("retirement_id", flat=True)
            )
        ]
        assert await inventory.sellable_kg(issuance.public_id) == 60
        # Someone buys everything else that is for sale: the case's blocks are not among it.
        await inventory.reserve(
            "test:all-the-rest", 60, judicial.now().replace(year=2099), issuance_public_id=issuance.public_id
        )
        with pytest.raises(Conflict):
            await inventory.reserve(
                "test:one-more", 1, judicial.now().replace(year=2099), issuance_public_id=issuance.public_id
            )
        blocks = await SerialBlock.filter(id__in=block_ids)
        assert blocks and {b.status for b in blocks} == {"retired"} and sum(b.quantity for b in blocks) == 40


class TestSameCounty:
    async def test_kg_from_the_damage_county_leave_the_case_unseparated(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=20)
        await paid(settings, provider, await a_buyer(), case, 20)
        case = await fresh(case)
        assert case.separated is False
        assert {r.same_county for r in await CaseRetirement.filter(case_id=case.id)} == {True}

    async def test_kg_from_elsewhere_flag_the_case_as_separated(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=20, damage_county_code="513225")
        await paid(settings, provider, await a_buyer(), case, 20)
        case = await fresh(case)
        assert case.separated is True and case.status == "fulfilled"
        assert (await CaseOrder.get(case_id=case.id)).same_county is False
        voucher = await judicial.voucher(settings, case.code)
        assert voucher.other_county_kg == 20 and voucher.same_county_kg == 0

    async def test_the_damage_county_is_preferred_over_a_cheaper_listing_elsewhere(self, db, settings) -> None:
        _, _, local = await listed(settings, kg=500, price_fen=200)
        _, _, cheap = await listed(settings, kg=500, price_fen=100)
        from models.market import Listing

        await Listing.filter(id=cheap.id).update(county_code="513225")
        case = await a_case(settings, kg_owed=20)
        offer = await judicial.offer_for(settings, case, 20)
        assert offer.listing == local.public_id and offer.same_county
        off = await judicial.offer_for(settings.with_(judicial_same_county="off"), case, 20)
        assert off.listing == cheap.public_id and not off.same_county

    async def test_when_the_court_requires_the_county_kg_from_elsewhere_are_refused(self, db, settings) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=20, damage_county_code="513225")
        strict = settings.with_(judicial_same_county="require")
        with pytest.raises(Conflict) as refused:
            await judicial.pay_toward(strict, await a_buyer(), case.pay_code, 20)
        assert refused.value.key == "judicial.nothing_in_county"
        assert await Order.all().count() == 0


class TestVoucherAndClosure:
    async def test_an_open_case_has_no_voucher_and_says_what_is_left(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=50)
        await paid(settings, provider, await a_buyer(), case, 30)
        with pytest.raises(Conflict) as refused:
            await judicial.voucher(settings, case.code)
        assert refused.value.key == "judicial.not_fulfilled.kg"
        assert "还差 20 千克碳汇" in t(refused.value.key, "zh", **refused.value.params)

    async def test_the_voucher_lists_the_case_serials_and_parcels(self, db, settings, provider) -> None:
        _, issuance, _ = await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=50)
        defendant = await a_buyer()
        one = await paid(settings, provider, defendant, case, 30)
        two = await paid(settings, provider, defendant, case, 20)
        voucher = await judicial.voucher(settings, case.code)
        assert [c.code for c in voucher.certificates] == [one.certificate_code, two.certificate_code]
        assert sum(c.kg for c in voucher.certificates) == 50
        serials = [s.serial for c in voucher.certificates for s in c.serials]
        counted = await SerialBlock.filter(
            id__in=await Retirement.filter(
                id__in=await CaseRetirement.filter(case_id=case.id).values_list("retirement_id", flat=True)
            ).values_list("block_id", flat=True)
        ).values_list("display", flat=True)
        assert sorted(serials) == sorted(counted)
        assert voucher.certificates[0].issuances[0].parcels == voucher.certificates[1].issuances[0].parcels
        assert {p.id for p in voucher.certificates[0].issuances[0].parcels} == set(issuance.parcel_public_ids)
        assert voucher.defendant == "张*" and voucher.same_county_kg == 50

    async def test_the_court_closes_a_fulfilled_case_once(self, db, settings, provider) -> None:
        await listed(settings, kg=500)
        court, _ = await a_court(settings)
        case = await a_case(settings, court, kg_owed=20)
        with pytest.raises(Conflict) as early:
            await judicial.close_case(court, case.code)
        assert early.value.key == "judicial.close_not_fulfilled"
        await paid(settings, provider, await a_buyer(), case, 20)
        closed = await judicial.close_case(court, case.code)
        assert closed.status == "closed" and closed.closed_at is not None
        with pytest.raises(Conflict) as twice:
            await judicial.close_case(court, case.code)
        assert twice.value.key == "judicial.case_closed"
        assert (await actions(case))[-2:] == ["judicial.case.fulfilled", "judicial.case.closed"]
        assert (await judicial.voucher(settings, case.code)).case.status == "closed"

    async def test_another_court_cannot_close_it(self, db, settings, provider) -> None:
        case = await a_case(settings, kg_owed=20)
        other, _ = await a_court(settings)
        with pytest.raises(NotFound):
            await judicial.close_case(other, case.code)

    async def test_the_certificate_page_names_the_case(self, db, settings, provider) -> None:
        from app.certificates import service as certificates

        await listed(settings, kg=500)
        case = await a_case(settings, kg_owed=20)
        order = await paid(settings, provider, await a_buyer(), case, 20)
        rows = await certificates.page_rows(str(order.certificate_code), "zh")
        assert ("司法生态修复", f"{case.court_name} （2026）川0112刑初123号 · {case.code}") in rows


class TestPlanting:
    async def test_approved_logs_of_the_defendant_at_the_site_count_toward_the_trees(self, db, settings) -> None:
        from tests.planting.builders import planting_campaign, submitted

        planted = await planting_campaign(settings)
        case = await a_case(
            settings, kg_owed=0, trees_owed=5, tend_years=3, campaign=planted.campaign.slug, site="hill"
        )
        defendant = await a_buyer()
        await judicial.plant_for(case.pay_code, defendant)
        first = await submitted(settings, planted, count=3, user=defendant)
        stranger_log = await submitted(settings, planted, count=4)
        assert (await fresh(case)).trees_counted == 0  # submitted, not yet approved
        await planting.approve(settings, planted.organiser, first.public_id)
        await planting.approve(settings, planted.organiser, stranger_log.public_id)
        case = await fresh(case)  # counted by the approval itself, nobody looked at the case
        assert case.trees_counted == 3 and case.status == "open"
        assert await CasePlanting.filter(case_id=case.id).values_list("log_id", flat=True) == [first.id]
        assert "judicial.planting.counted" in await actions(case)
        with pytest.raises(Conflict) as refused:
            await judicial.voucher(settings, case.code)
        assert t(refused.value.key, "zh", **refused.value.params).endswith("（还差 2 株树），暂无履行凭证")

    async def test_a_log_counts_for_one_case_only(self, db, settings) -> None:
        from tests.planting.builders import planting_campaign, submitted

        planted = await planting_campaign(settings)
        court, _ = await a_court(settings)
        one = await a_case(settings, court, kg_owed=0, trees_owed=3, campaign=planted.campaign.slug)
        two = await a_case(
            settings,
            court,
            case_number="（2026）川0112刑初124号",
            kg_owed=0,
            trees_owed=3,
            campaign=planted.campaign.slug,
        )
        defendant = await a_buyer()
        await judicial.plant_for(one.pay_code, defendant)
        await judicial.plant_for(two.pay_code, defendant)
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        assert await judicial.count_planting(await fresh(one)) == 0  # counted at approval, for the older case
        assert await judicial.count_planting(await fresh(two)) == 0
        assert (await fresh(one)).status == "fulfilled" and (await fresh(two)).trees_counted == 0
        voucher = await judicial.voucher(settings, one.code)
        assert [(p.log, p.trees) for p in voucher.planted] == [(log.public_id, 3)]
