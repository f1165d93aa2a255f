"""Every hand-written constraint of every migration exists in the database, and bites."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC as _UTC
from datetime import date as _date
from datetime import datetime as _datetime

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

import migrations
from migrations._constraints import Check, PartialUnique, Trigger


def all_constraints() -> list:
    found = []
    for info in pkgutil.iter_modules(migrations.__path__):
        if info.name[:4].isdigit():
            module = importlib.import_module(f"migrations.{info.name}")
            found += getattr(module, "CONSTRAINTS", [])
    return found


CONSTRAINTS = all_constraints()


def test_the_foundation_constraints_are_declared() -> None:
    names = {c.name for c in CONSTRAINTS}
    assert {"membership_role_known", "membership_platform_role_once", "session_kind_known"} <= names


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=lambda c: c.name)
async def test_constraint_exists_in_the_database(db, constraint) -> None:
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        if isinstance(constraint, Check):
            sql = "SELECT 1 FROM pg_constraint WHERE conname = $1 AND contype = 'c'"
        elif isinstance(constraint, PartialUnique):
            sql = (
                "SELECT 1 FROM pg_indexes WHERE indexname = $1 AND indexdef LIKE '%UNIQUE%' AND indexdef LIKE '%WHERE%'"
            )
        else:
            assert isinstance(constraint, Trigger)
            sql = "SELECT 1 FROM pg_trigger WHERE tgname = $1"
        rows = await conn.execute_query_dict(sql, [constraint.name])
        assert rows, f"{constraint.name} missing on PostgreSQL"
    else:
        for name in constraint.sqlite_objects():
            rows = await conn.execute_query_dict("SELECT type FROM sqlite_master WHERE name = ?", [name])
            assert rows, f"{name} (for {constraint.name}) missing on SQLite"


class TestConstraintsBite:
    async def test_an_unknown_role_cannot_be_stored(self, db) -> None:
        from models.accounts import Membership, User

        user = await User.create(public_id="u1")
        with pytest.raises(IntegrityError):
            await Membership.create(user=user, organisation=None, role="emperor")

    async def test_a_platform_role_is_held_once_even_though_the_organisation_is_null(self, db) -> None:
        from models.accounts import Membership, User

        user = await User.create(public_id="u2")
        await Membership.create(user=user, organisation=None, role="platform_admin")
        with pytest.raises(IntegrityError):
            await Membership.create(user=user, organisation=None, role="platform_admin")

    async def test_a_person_has_at_most_one_live_city_link(self, db) -> None:
        from models.accounts import User
        from models.citylink import CityLink

        user = await User.create(public_id="u3")
        await CityLink.create(public_id="l1", user=user, provider="sandbox", account_id="a", access_token_enc=b"x")
        await CityLink.create(public_id="l0", user=user, provider="sandbox", account_id="a", status="unlinked")
        with pytest.raises(IntegrityError):
            await CityLink.create(public_id="l2", user=user, provider="sandbox", account_id="b", access_token_enc=b"y")


async def _donation_rows(campaign: object, user: object, later: object) -> dict[str, object]:
    from uuid import uuid4

    from models.donations import Donation, DonationReceipt, DonationTally, PointsDonation

    donation = await Donation.create(
        public_id="d1", campaign=campaign, donor=user, trees=2, fen_per_tree=3000, amount_fen=6000, expires_at=later
    )
    return {
        "donation": donation,
        "donation_receipt": await DonationReceipt.create(
            donation=donation, kind="personal", title="张三", email="z@example.com"
        ),
        "donation_points": await PointsDonation.create(id=uuid4(), campaign=campaign, donor=user, points=10),
        "donation_tally": await DonationTally.create(campaign=campaign),
    }


async def _valid_rows() -> dict[str, object]:
    """One valid row per constrained table, for the violations below to start from."""
    from datetime import UTC, date, datetime, timedelta

    from models.accounts import AuthSession, Organisation, User
    from models.core import IdempotencyRecord
    from models.notifications import Notification, NotificationPreference, OutboxMessage
    from models.signin import SmsCode

    later = datetime.now(UTC) + timedelta(hours=1)
    user = await User.create(public_id="bites")
    note = await Notification.create(
        public_id="n1",
        user=user,
        kind="system.announcement",
        params={},
        dedupe_key="d1",
        title_zh="t",
        title_en="t",
        body_zh="b",
        body_en="b",
    )
    from uuid import uuid4

    from models.ledger import Hold, LedgerAccount, Transfer

    source = await LedgerAccount.create(
        ledger="points", code="platform_issuance", owner="platform", may_go_negative=True
    )
    wallet = await LedgerAccount.create(ledger="points", code="user_wallet", owner="user:bites", balance=5)
    from models.coupons import Coupon, CouponOffer
    from models.points import AwardCounter

    shop = await Organisation.create(public_id="shop", kind="merchant", name="茶舍")
    offer = await CouponOffer.create(
        public_id="o1", merchant=shop, title_zh="茶", title_en="Tea", points_price=1, stock=1
    )

    from models.citylink import CityDelivery, CityLink

    city_link = await CityLink.create(
        public_id="cl1", user=user, provider="sandbox", account_id="CD1", access_token_enc=b"sealed"
    )
    city_delivery = await CityDelivery.create(
        link=city_link,
        event_id="evt_1",
        source_event_id="pl:1",
        kind="planting.approved",
        payload={},
        occurred_at=later,
        next_attempt_at=later,
    )

    from models.evidence import Photo
    from models.registry import ExternalParcel, Parcel, ParcelEstimate, Project, StandMeasurement

    square = {"type": "Polygon", "coordinates": [[[104, 30], [104.001, 30], [104.001, 30.001], [104, 30]]]}
    bbox = {"min_lon": 104, "min_lat": 30, "max_lon": 104.001, "max_lat": 30.001, "size_class": 0}
    project = await Project.create(
        public_id="p1", name="后山", owner_user=user, created_by=user, county_code="510112", methodology_id="SC-LCP-AFF"
    )
    parcel = await Parcel.create(
        public_id="pa1",
        project=project,
        geometry=square,
        input_crs="wgs84",
        area_m2=5000,
        **bbox,
        county_code="510112",
        tenure_kind="forest_right_certificate",
        tenure_number_enc=b"x",
        tenure_number_index="i",
        holder_kind="individual",
        holder_name_enc=b"x",
        sink_type="afforestation",
    )

    from models.portable import ImportedEntry, PortableClaim, PortableImport, PortableMoveOut

    claim = await PortableClaim.create(user=user, code_hash="c" * 64, expires_at=later)
    imported = await PortableImport.create(
        public_id="i1", user=user, claim=claim, issuer="https://x", subject="s", document_sha256="d", issued_at=later
    )

    from models.credits import (
        CreditSupply,
        Issuance,
        LossEvent,
        MonitoringReport,
        Reservation,
        Retirement,
        SerialBlock,
        SerialCounter,
    )

    sha = "0" * 64
    report = await MonitoringReport.create(
        public_id="mr1",
        project=project,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        methodology_id="SC-LCP-AFF",
        methodology_version="0.1.0",
        parameter_sha256=sha,
        kg_issued=8,
        buffer_kg=2,
        submitted_by=user,
    )
    issuance = await Issuance.create(
        public_id="is1",
        project=project,
        monitoring_report=report,
        origin_key="p1:2025",
        vintage=2025,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        class_code="AFF",
        county_code="510112",
        methodology_id="SC-LCP-AFF",
        methodology_version="0.1.0",
        parameter_sha256=sha,
        quantity=10,
        owner_kg=8,
        buffer_kg=2,
        serial_start=1,
        serial_end=10,
        owner_holder="user:bites",
        issued_by=user,
    )
    block = await SerialBlock.create(
        issuance=issuance, serial_start=1, serial_end=8, quantity=8, display="b1", status="tradable", holder="user:x"
    )
    credit_rows = {
        "report": report,
        "issuance": issuance,
        "supply": await CreditSupply.create(issuance=issuance, issued=10, tradable=10, buffer=2),
        "block": block,
        "buffer_block": await SerialBlock.create(
            issuance=issuance,
            serial_start=9,
            serial_end=10,
            quantity=2,
            display="b2",
            status="tradable",
            holder="buffer_pool",
        ),
        "reservation": await Reservation.create(reference="r1", kg=1, reserved_until=later, request_hash="h"),
        "retirement": await Retirement.create(
            block=block,
            reservation_ref="r1",
            beneficiary="b",
            beneficiary_shown="full",
            purpose="trip",
            certificate_code="c",
        ),
        "loss": await LossEvent.create(
            public_id="le1",
            project=project,
            cause="fire",
            occurred_on=date(2026, 1, 1),
            loss_kg=3,
            cancelled_unsold_kg=2,
            buffer_drawn_kg=1,
            recorded_by=user,
        ),
        "serial_counter": await SerialCounter.create(project=project),
    }
    credit_rows.update(await _market_rows(user, issuance, later))
    credit_rows.update(await _event_rows(user, credit_rows["retirement"], credit_rows["order"]))

    from models.campaigns import Booking, Campaign, CheckIn, Site, Slot

    campaign = await Campaign.create(
        slug="c1",
        title_zh="春",
        title_en="Spring",
        story_zh="s",
        story_en="s",
        organisation=shop,
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 31),
        goal_trees=10,
        donation_fen_per_tree=100,
    )
    site = await Site.create(
        campaign=campaign,
        key="hill",
        name_zh="山",
        name_en="Hill",
        lon=104.3,
        lat=30.5,
        county_code="510112",
        checkin_radius_m=300,
        checkin_opens_min=30,
        checkin_closes_min=60,
    )
    slot = await Slot.create(site=site, starts_at=later, ends_at=later + timedelta(hours=3), capacity=2, booked=1)
    booking = await Booking.create(public_id="b1", slot=slot, campaign=campaign, user=user)
    campaign_rows = {
        "campaign": campaign,
        "campaign_site": site,
        "campaign_slot": slot,
        "campaign_booking": booking,
        "campaign_checkin": await CheckIn.create(
            booking=booking,
            token_step=1,
            captured_at=later,
            lon=104.3,
            lat=30.5,
            coordinate_system="wgs84",
            distance_m=0,
            offline=False,
        ),
        **await _donation_rows(campaign, user, later),
    }
    from models.planting import CheckInDay, DutyCertificate, PlantingLog

    campaign_rows.update(
        {
            "planting_log": await PlantingLog.create(
                public_id="l1",
                booking=booking,
                campaign=campaign,
                user=user,
                species="tree.cupressus",
                count=3,
                planted_on=date(2027, 3, 12),
            ),
            "planting_certificate": await DutyCertificate.create(
                code="ABCDEFGHJKLMNPQR", user=user, year=2027, kind="duty", trees=3
            ),
            "checkin_day": await CheckInDay.create(user=user, day=date(2027, 3, 12), checkins=1),
        }
    )

    from models.judicial import CaseOrder, CasePlanting, CaseRetirement, CaseTending, RestorationCase

    court_case = await RestorationCase.create(
        code="CASE000001",
        pay_code="PAY000000001",
        organisation=shop,
        case_number="（2026）川0112刑初1号",
        court_name="法院",
        cause="滥伐林木罪",
        damage_county_code="510112",
        defendant_name_enc=b"x",
        kg_owed=10,
        trees_owed=3,
        campaign=campaign,
        deadline=date(2027, 1, 1),
        created_by=user,
    )
    judicial_rows = {
        "judicial_case": court_case,
        "judicial_case_order": await CaseOrder.create(
            order=credit_rows["order"], case=court_case, kg=10, same_county=True
        ),
        "judicial_case_retirement": await CaseRetirement.create(
            retirement=credit_rows["retirement"],
            case=court_case,
            order=credit_rows["order"],
            kg=10,
            county_code="510112",
            same_county=True,
        ),
        "judicial_case_planting": await CasePlanting.create(
            log=campaign_rows["planting_log"], case=court_case, trees=3
        ),
        "judicial_case_tending": await CaseTending.create(
            case=court_case, year=1, opens_on=date(2027, 11, 1), due_on=date(2027, 12, 31)
        ),
    }

    return {
        **credit_rows,
        **campaign_rows,
        **judicial_rows,
        "city_link": city_link,
        "move_out": await PortableMoveOut.create(id=uuid4(), user=user, audience="https://x", claim_code="c", amount=1),
        "portable_import": imported,
        "imported_entry": await ImportedEntry.create(
            user=user,
            portable_import=imported,
            issuer="https://x",
            kind="planting",
            entry_id="e1",
            occurred_on=date(2026, 3, 12),
            trees=1,
        ),
        "city_delivery": city_delivery,
        "project": project,
        "parcel": parcel,
        "measurement": await StandMeasurement.create(
            parcel=parcel, measured_on=date(2026, 1, 1), stand_volume_m3_per_ha=18, recorded_by=user
        ),
        "parcel_estimate": await ParcelEstimate.create(
            parcel=parcel,
            methodology_id="SC-LCP-AFF",
            methodology_version="0.1.0",
            parameter_set_version="0.1.1",
            parameter_set_sha256="a" * 64,
            basis="ex_ante",
            method="growth_rate",
            kg_per_year=599,
            buffer_kg_per_year=149,
            accounting_year=2026,
            inputs_sha256="b" * 64,
            occasion="added",
            estimate={},
        ),
        "photo": await Photo.create(
            public_id="ph1",
            scope="project:p",
            subject="parcel:p",
            uploaded_by=user,
            sha256="c" * 64,
            dhash=-1,
            format="jpeg",
            original_bytes=1000,
            content_key="d" * 64,
            thumb_key="e" * 64,
            width=4,
            height=3,
            gps_lat=30.5,
            gps_lon=104.1,
            distance_m=0,
        ),
        "external_parcel": await ExternalParcel.create(
            scheme="CCER", external_id="X-1", geometry=square, area_m2=5000, **bbox
        ),
        "offer": offer,
        "coupon": await Coupon.create(code="C1", offer=offer, user=user, transfer_id=uuid4()),
        "counter": await AwardCounter.create(user=user, action="checkin.daily", period="day:2026-11-25"),
        "ledger_account": wallet,
        "transfer": await Transfer.create(
            id=uuid4(), ledger="points", debit=source, credit=wallet, amount=5, reason="x", request_hash="h"
        ),
        "hold": await Hold.create(
            id=uuid4(),
            ledger="points",
            debit=wallet,
            credit=source,
            amount=1,
            reason="x",
            request_hash="h",
            expires_at=later,
        ),
        "session": await AuthSession.create(
            public_id="s1", user=user, kind="token", secret_hash="h" * 64, sign_in_method="sms", expires_at=later
        ),
        "idempotency": await IdempotencyRecord.create(scope="s", key="k", request_hash="r", expires_at=later),
        "sms": await SmsCode.create(phone_index="p", code_hash="c", expires_at=later),
        "outbox": await OutboxMessage.create(notification=note, channel="sms", payload={}, next_attempt_at=later),
        "preference": await NotificationPreference.create(
            user=user, kind="system.announcement", channel="sms", enabled=True
        ),
    }


async def _market_rows(user, issuance, later) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from models.market import Listing, Order, OrderLine
    from models.payments import PaymentAttempt, SandboxTrade

    listing = await Listing.create(
        public_id="li1",
        issuance=issuance,
        seller_holder="user:bites",
        seller_shown="masked",
        price_fen=100,
        price_unit_kg=10,
        basis="ex_ante",
        county_code="510112",
        created_by=user,
    )
    order = await Order.create(
        public_id="o1",
        buyer=user,
        listing=listing,
        seller_holder="user:bites",
        kg=10,
        price_fen=100,
        price_unit_kg=10,
        total_fen=100,
        cash_fen=100,
        fee_bps=2000,
        purpose="trip",
        beneficiary="b",
        beneficiary_shown="masked",
        expires_at=later,
    )
    attempt = await PaymentAttempt.create(
        out_trade_no="MS1",
        provider="sandbox",
        purpose="market.order",
        subject="o1",
        amount_fen=100,
        description="d",
        expires_at=later,
    )
    trade = await SandboxTrade.create(
        out_trade_no="MS1", transaction_id="t1", amount_fen=100, description="d", notify_url="u", expires_at=later
    )
    line = await OrderLine.create(
        order=order,
        position=0,
        listing=listing,
        seller_holder="user:bites",
        kg=10,
        price_fen=100,
        price_unit_kg=10,
        total_fen=100,
    )
    return {
        "listing": listing,
        "order": order,
        "order_line": line,
        "attempt": attempt,
        "sandbox_trade": trade,
        **await _money_rows(user),
    }


async def _event_rows(user, retirement, order) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from datetime import date

    from models.accounts import Organisation
    from models.events import Event, EventOrder, EventRetirement

    org = await Organisation.create(public_id="ev-org", kind="event_organiser", name="活动主办方")
    event = await Event.create(
        code="EVENT234",
        organisation=org,
        name_zh="活动",
        venue_zh="场馆",
        county_code="510115",
        starts_on=date(2027, 4, 18),
        inputs={"attendees": 1},
        estimate_kg="1.5",
        estimate_offset_kg=2,
        factor_set_version="1.0.0",
        factor_set_sha256="0" * 64,
        created_by=user,
    )
    return {
        "event": event,
        "event_order": await EventOrder.create(order=order, event=event, source="attendee"),
        "event_retirement": await EventRetirement.create(
            event=event, retirement=retirement, certificate_code="c", kg=8, source="attendee", linked_by="test"
        ),
    }


async def _money_rows(user) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from models.accounts import Organisation
    from models.money import InvoiceRequest, Payee, Payout

    org = await Organisation.create(public_id="orgbites", kind="company", name="bites")
    payee = await Payee.create(holder="user:bites", kind="bank", account_enc=b"x", name_enc=b"y", updated_by=user)
    payout = await Payout.create(
        public_id="po1",
        holder="user:bites",
        requested_by=user,
        amount_fen=100,
        provider="sandbox",
        payee_kind="bank",
        payee_account_enc=b"x",
        payee_name_enc=b"y",
    )
    invoice = await InvoiceRequest.create(
        public_id="inv1",
        organisation=org,
        requested_by=user,
        title="t",
        tax_id="91350100M000100Y43",
        email="e@example.cn",
        amount_fen=100,
        order_count=1,
    )
    return {"payee": payee, "payout": payout, "invoice": invoice, **await _team_rows(user)}


async def _team_rows(user) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from models.teams import Team, TeamMember

    now = datetime.now(UTC)
    school = await Team.create(
        public_id="t1", kind="school", name_zh="校", owner=user, join_code="AAAAAAAA", code_rotated_at=now
    )
    a_class = await Team.create(
        public_id="t2", kind="class", name_zh="班", parent=school, owner=user, join_code="BBBBBBBB", code_rotated_at=now
    )
    member = await TeamMember.create(team=a_class, user=user, lane="study", scope=0)
    return {"team": school, "team_class": a_class, "team_member": member}


# constraint name → (row, the change that must be refused)
VIOLATIONS = {
    "campaign_dates_ordered": ("campaign", {"ends_on": _date(2027, 2, 1)}),
    "campaign_goals_positive": ("campaign", {"goal_trees": 0}),
    "campaign_counters_nonnegative": ("campaign", {"bookings_count": -1}),
    "campaign_donation_price_positive": ("campaign", {"donation_fen_per_tree": 0}),
    "campaign_site_rules_sane": ("campaign_site", {"checkin_radius_m": 0}),
    "campaign_slot_capacity_positive": ("campaign_slot", {"capacity": 0, "booked": 0}),
    "campaign_slot_booked_within_capacity": ("campaign_slot", {"booked": 3}),
    "campaign_slot_times_ordered": ("campaign_slot", {"ends_at": _datetime(2000, 1, 1, tzinfo=_UTC)}),
    "campaign_booking_status_known": ("campaign_booking", {"status": "maybe"}),
    "campaign_checkin_sane": ("campaign_checkin", {"distance_m": -1}),
    "planting_log_status_known": ("planting_log", {"status": "maybe"}),
    "planting_log_count_positive": ("planting_log", {"count": 0}),
    "planting_log_rejection_has_reason": ("planting_log", {"status": "rejected"}),
    "planting_log_revision_counts": ("planting_log", {"resubmissions": -1}),
    "planting_certificate_kind_known": ("planting_certificate", {"kind": "gold"}),
    "planting_certificate_trees_nonnegative": ("planting_certificate", {"trees": -1}),
    "campaign_checkin_day_nonnegative": ("checkin_day", {"checkins": -1}),
    "session_kind_known": ("session", {"kind": "pigeon"}),
    "idempotency_status_range": ("idempotency", {"status_code": 42}),
    "sms_code_attempts_range": ("sms", {"attempts": -1}),
    "outbox_status_known": ("outbox", {"status": "lost"}),
    "outbox_channel_known": ("outbox", {"channel": "fax"}),
    "outbox_attempts_nonnegative": ("outbox", {"attempts": -1}),
    "outbox_sending_has_lease": ("outbox", {"status": "sending", "lease_until": None}),
    "notification_preference_channel_known": ("preference", {"channel": "fax"}),
    "points_award_counter_nonnegative": ("counter", {"awarded": -1}),
    "coupon_offer_price_positive": ("offer", {"points_price": 0}),
    "coupon_offer_stock_nonnegative": ("offer", {"stock": -1}),
    "coupon_status_known": ("coupon", {"status": "lost"}),
    "ledger_account_ledger_known": ("ledger_account", {"ledger": "beans"}),
    "ledger_account_held_nonnegative": ("ledger_account", {"held": -1}),
    "ledger_account_never_negative": ("ledger_account", {"balance": -1}),
    "ledger_transfer_amount_positive": ("transfer", {"amount": 0}),
    "ledger_transfer_two_accounts": ("transfer", {"credit_id": F("debit_id")}),
    "ledger_hold_amount_positive": ("hold", {"amount": 0}),
    "ledger_hold_status_known": ("hold", {"status": "lost"}),
    "ledger_hold_posted_amount": ("hold", {"posted_amount": 1}),
    "citylink_link_status_known": ("city_link", {"status": "lost", "access_token_enc": None}),
    "citylink_linked_has_token": ("city_link", {"access_token_enc": None}),
    "citylink_unlinked_holds_no_token": ("city_link", {"status": "unlinked"}),
    "citylink_delivery_status_known": ("city_delivery", {"status": "lost"}),
    "citylink_delivery_attempts_nonnegative": ("city_delivery", {"attempts": -1}),
    "citylink_delivery_sending_has_lease": ("city_delivery", {"status": "sending", "lease_until": None}),
    "registry_project_status_known": ("project", {"status": "lost"}),
    "registry_project_one_owner": ("project", {"owner_user_id": None}),
    "registry_parcel_status_known": ("parcel", {"status": "lost"}),
    "registry_parcel_active_only_when_claimed": ("parcel", {"active": True}),
    "registry_parcel_input_crs_known": ("parcel", {"input_crs": "bd09"}),
    "registry_parcel_holder_kind_known": ("parcel", {"holder_kind": "company"}),
    "registry_parcel_tenure_kind_known": ("parcel", {"tenure_kind": "napkin"}),
    "registry_parcel_sink_type_known": ("parcel", {"sink_type": "ocean"}),
    "registry_parcel_area_positive": ("parcel", {"area_m2": 0}),
    "registry_parcel_bbox_ordered": ("parcel", {"min_lon": 105}),
    "registry_stand_volume_nonnegative": ("measurement", {"stand_volume_m3_per_ha": -1}),
    "registry_estimate_basis_known": ("parcel_estimate", {"basis": "guess"}),
    "evidence_photo_format_known": ("photo", {"format": "gif"}),
    "evidence_photo_sizes_positive": ("photo", {"width": 0}),
    "evidence_photo_gps_whole": ("photo", {"gps_lon": None}),
    "evidence_photo_distance_nonnegative": ("photo", {"distance_m": -1}),
    "registry_estimate_kg_nonnegative": ("parcel_estimate", {"buffer_kg_per_year": -1}),
    "registry_estimate_occasion_known": ("parcel_estimate", {"occasion": "whim"}),
    "registry_external_parcel_scheme_known": ("external_parcel", {"scheme": "XYZ"}),
    "registry_external_parcel_area_positive": ("external_parcel", {"area_m2": -5}),
    "registry_external_parcel_bbox_ordered": ("external_parcel", {"max_lat": 29}),
    "portable_move_out_amount_positive": ("move_out", {"amount": 0}),
    "portable_entry_kind_known": ("imported_entry", {"kind": "rumour"}),
    "portable_entry_counts_nonnegative": ("imported_entry", {"kg": -1}),
    "portable_import_points_nonnegative": ("portable_import", {"points_credited": -1}),
    "credits_report_status_known": ("report", {"status": "lost"}),
    "credits_report_period_ordered": ("report", {"period_start": _date(2026, 1, 1)}),
    "credits_report_quantities": ("report", {"kg_issued": 0}),
    "credits_issuance_quantities": ("issuance", {"owner_kg": 0}),
    "credits_issuance_serial_range": ("issuance", {"serial_end": 11}),
    "credits_supply_adds_up": ("supply", {"retired": 1}),
    "credits_supply_nonnegative": ("supply", {"tradable": 11, "cancelled": -1}),
    "credits_supply_buffer_within_tradable": ("supply", {"buffer": 11}),
    "credits_block_status_known": ("block", {"status": "lost"}),
    "credits_block_quantity": ("block", {"serial_end": 9}),
    "credits_block_reserved_has_reservation": ("block", {"status": "reserved"}),
    "credits_block_tradable_is_free": ("block", {"reservation_ref": "r1"}),
    "credits_block_buffer_never_sold": ("buffer_block", {"status": "retired"}),
    "credits_reservation_status_known": ("reservation", {"status": "lost"}),
    "credits_reservation_kg_positive": ("reservation", {"kg": 0}),
    "credits_retirement_shown_known": ("retirement", {"beneficiary_shown": "partly"}),
    "credits_retirement_purpose_known": ("retirement", {"purpose": "vanity"}),
    "credits_loss_cause_known": ("loss", {"cause": "meteor"}),
    "credits_loss_adds_up": ("loss", {"loss_kg": 4}),
    "credits_serial_counter_positive": ("serial_counter", {"next_serial": 0}),
    "market_listing_status_known": ("listing", {"status": "lost"}),
    "market_listing_shown_known": ("listing", {"seller_shown": "shouted"}),
    "market_listing_price_positive": ("listing", {"price_fen": 0}),
    "market_order_status_known": ("order", {"status": "lost"}),
    "market_order_purpose_known": ("order", {"purpose": "vanity"}),
    "market_order_kg_positive": ("order", {"kg": 0}),
    "market_order_line_adds_up": ("order_line", {"total_fen": 101}),
    "market_order_total_adds_up": ("order", {"cash_fen": 99}),
    "market_order_split_adds_up": ("order", {"fee_bps": 10001}),
    "market_order_fulfilled_has_certificate": ("order", {"status": "fulfilled", "fee_fen": 20, "seller_fen": 80}),
    "payments_attempt_status_known": ("attempt", {"status": "lost"}),
    "payments_attempt_amount_positive": ("attempt", {"amount_fen": 0}),
    "payments_sandbox_status_known": ("sandbox_trade", {"status": "lost"}),
    "money_payout_amount_positive": ("payout", {"amount_fen": 0}),
    "money_payout_status_known": ("payout", {"status": "lost"}),
    "money_payee_kind_known": ("payee", {"kind": "alipay"}),
    "money_invoice_amount_positive": ("invoice", {"order_count": 0}),
    "teams_team_kind_known": ("team", {"kind": "club"}),
    "teams_team_member_count_nonnegative": ("team", {"member_count": -1}),
    "teams_team_parent_only_for_a_class": ("team_class", {"kind": "company"}),
    "teams_member_lane_known": ("team_member", {"lane": "play"}),
    "donation_amount_is_trees_times_price": ("donation", {"amount_fen": 5999}),
    "donation_status_known": ("donation", {"status": "lost"}),
    "donation_receipt_kind_known": ("donation_receipt", {"kind": "company"}),
    "donation_points_positive": ("donation_points", {"points": 0}),
    "donation_tally_nonnegative": ("donation_tally", {"points_donated": -1}),
    "judicial_case_status_known": ("judicial_case", {"status": "lost"}),
    "judicial_case_owes_something": ("judicial_case", {"kg_owed": 0, "trees_owed": 0}),
    "judicial_case_paid_within_owed": ("judicial_case", {"kg_paid": 11}),
    "judicial_case_trees_counted_nonnegative": ("judicial_case", {"trees_counted": -1}),
    "judicial_case_planting_has_site": ("judicial_case", {"campaign_id": None}),
    "judicial_case_order_kg_positive": ("judicial_case_order", {"kg": 0}),
    "judicial_case_retirement_kg_positive": ("judicial_case_retirement", {"kg": 0}),
    "judicial_case_planting_trees_positive": ("judicial_case_planting", {"trees": 0}),
    "judicial_case_tending_dates": ("judicial_case_tending", {"opens_on": _date(2028, 1, 1)}),
    "judicial_case_tending_accepted_reported": (
        "judicial_case_tending",
        {"accepted_at": _datetime(2027, 12, 1, tzinfo=_UTC)},
    ),
    "judicial_case_tending_rejections": ("judicial_case_tending", {"rejections": -1}),
    "events_event_estimate_positive": ("event", {"estimate_offset_kg": 0}),
    "events_order_source_known": ("event_order", {"source": "visitor"}),
    "events_retirement_counts": ("event_retirement", {"kg": 0}),
}


def test_every_check_constraint_has_a_violation_below() -> None:
    checks = {c.name for c in CONSTRAINTS if isinstance(c, Check)}
    tested_elsewhere = {"membership_role_known", "audit_event_seal_complete"}
    assert checks - tested_elsewhere <= set(VIOLATIONS), checks - tested_elsewhere - set(VIOLATIONS)


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
async def test_a_check_constraint_refuses_a_violating_update(db, name: str) -> None:
    rows = await _valid_rows()
    row_name, change = VIOLATIONS[name]
    row = rows[row_name]
    with pytest.raises(IntegrityError, match=name):
        await type(row).filter(id=row.id).update(**change)  # type: ignore[attr-defined]
