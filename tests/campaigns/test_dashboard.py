"""The organiser dashboard: only organisers of the campaign's organisation see it; bookings per slot and
check-ins per site from the data; CSV exports are UTF-8 with a BOM, mask people and are audited."""

from __future__ import annotations

import csv
import io
import re

from app.accounts import service as accounts
from app.campaigns import checkin, service
from app.campaigns.schemas import CheckInIn
from app.core.auth import SESSION_COOKIE, Role
from app.planting import service as planting
from models.audit import AuditEvent
from models.campaigns import Campaign
from tests.campaigns.builders import HOME, foundation, make_campaign
from tests.campaigns.test_api import cookie_for
from tests.helpers import signed_in
from tests.planting.builders import planting_campaign, submitted


async def _campaign_with_a_check_in(settings):  # type: ignore[no-untyped-def]
    org = await foundation()
    campaign, slot, valley = await make_campaign(org)
    citizen, _ = await signed_in(settings, phone="13812345678")
    other, _ = await signed_in(settings)
    booking = await service.book(citizen, slot.id)
    await service.book(other, valley.id)
    token = checkin.current_token(settings, await slot.site).token
    await checkin.check_in(settings, citizen, booking.public_id, CheckInIn(token=token, lon=HOME[0], lat=HOME[1]))
    return org, campaign, slot, valley, booking


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # the BOM spreadsheet programs need for UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


class TestDashboard:
    async def test_organisers_of_the_organisation_see_slots_sites_and_counters(self, client, settings) -> None:
        org, _, slot, valley, _ = await _campaign_with_a_check_in(settings)
        _, mine = await signed_in(settings, Role.ORGANISER, org=org)
        r = await client.get("/api/v1/campaigns/spring/dashboard", headers=mine)
        assert r.status_code == 200, r.text
        board = r.json()
        assert board["bookings"] == 2 and board["checkins"] == 1
        assert board["pending_reviews"] == 0 and board["funds_raised_fen"] == 0 and board["trees_approved"] == 0
        slots = {s["slot_id"]: s for s in board["slots"]}
        assert slots[slot.id]["booked"] == 1 and slots[slot.id]["capacity"] == 20
        assert slots[valley.id]["booked"] == 1 and slots[valley.id]["places_left"] == 9
        assert {s["site"]: s["checkins"] for s in board["sites"]} == {"hill": 1, "valley": 0}
        assert board["exports"] == [
            "/api/v1/campaigns/spring/exports/bookings.csv",
            "/api/v1/campaigns/spring/exports/checkins.csv",
            "/api/v1/campaigns/spring/exports/logs.csv",
        ]

    async def test_funds_and_trees_read_the_campaign_counters(self, client, settings) -> None:
        org = await foundation()
        campaign, _, _ = await make_campaign(org)
        await Campaign.filter(id=campaign.id).update(fen_raised=123456, trees_planted=77)
        _, mine = await signed_in(settings, Role.ORGANISER, org=org)
        board = (await client.get("/api/v1/campaigns/spring/dashboard", headers=mine)).json()
        assert board["funds_raised_fen"] == 123456 and board["trees_approved"] == 77

    async def test_others_are_refused_with_a_message_in_their_language(self, client, settings) -> None:
        org = await foundation()
        await make_campaign(org)
        _, theirs = await signed_in(settings, Role.ORGANISER)
        _, citizen = await signed_in(settings)
        zh = await client.get("/api/v1/campaigns/spring/dashboard", headers=theirs)
        assert zh.status_code == 403 and "组织者" in zh.text
        en = await client.get("/api/v1/campaigns/spring/dashboard", headers={**theirs, "Accept-Language": "en"})
        assert en.status_code == 403 and "Only organisers of" in en.text
        assert (await client.get("/api/v1/campaigns/spring/dashboard", headers=citizen)).status_code == 403
        assert (await client.get("/api/v1/campaigns/spring/exports/checkins.csv", headers=theirs)).status_code == 403
        assert (await client.get("/api/v1/campaigns/spring/dashboard")).status_code == 401
        assert await AuditEvent.filter(action="campaign.exported").count() == 0

    async def test_the_page_works_without_javascript_and_links_the_exports(self, client, settings) -> None:
        org, *_ = await _campaign_with_a_check_in(settings)
        user = (await accounts.find_or_create_by_phone(settings, "13900008888"))[0]
        await accounts.grant_role(user, Role.ORGANISER.value, org, actor="test")
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        zh = await client.get("/campaigns/spring/dashboard")
        assert zh.status_code == 200 and "组织者看板" in zh.text and "<script" not in zh.text
        assert 'id="pending-reviews"' in zh.text and 'id="funds-raised"' in zh.text
        assert 'href="/campaigns/spring/dashboard/checkins.csv?lang=zh"' in zh.text
        en = await client.get("/campaigns/spring/dashboard?lang=en")
        assert "Organiser dashboard" in en.text and "Bookings per slot" in en.text
        campaign_page = await client.get("/campaigns/spring")
        assert 'href="/campaigns/spring/dashboard?lang=zh"' in campaign_page.text
        download = await client.get("/campaigns/spring/dashboard/bookings.csv")
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")


class TestExports:
    async def test_bookings_per_slot_as_csv_with_a_bom(self, client, settings) -> None:
        org, _, slot, _, _ = await _campaign_with_a_check_in(settings)
        _, mine = await signed_in(settings, Role.ORGANISER, org=org)
        r = await client.get("/api/v1/campaigns/spring/exports/bookings.csv", headers=mine)
        assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
        assert 'filename="campaign-spring-bookings.csv"' in r.headers["content-disposition"]
        rows = _rows(r.content)
        assert rows[0][:3] == ["地点", "地点名称", "时段编号"]
        first = next(row for row in rows[1:] if row[2] == str(slot.id))
        assert first[0] == "hill" and first[1] == "山泉植树点" and first[5:] == ["20", "1", "19"]
        assert len(rows) == 1 + 3  # two slots at the hill, one in the valley

    async def test_check_ins_mask_the_people_and_never_carry_positions(self, client, settings) -> None:
        org, _, _, _, booking = await _campaign_with_a_check_in(settings)
        _, mine = await signed_in(settings, Role.ORGANISER, org=org)
        r = await client.get("/api/v1/campaigns/spring/exports/checkins.csv", headers={**mine, "Accept-Language": "en"})
        rows = _rows(r.content)
        assert rows[0] == [
            "booking", "site", "slot starts (Beijing time)", "checked in at (Beijing time)", "offline",
            "distance (m)", "person (masked)",
        ]  # fmt: skip
        assert len(rows) == 2
        assert rows[1][0] == booking.public_id and rows[1][1] == "hill" and rows[1][4] == "0"
        assert rows[1][6] == "138****5678"
        assert "13812345678" not in r.text and str(HOME[0]) not in r.text

    async def test_planting_logs_with_their_review_and_the_people_masked(self, client, settings) -> None:
        planted = await planting_campaign(settings)
        approved = await submitted(settings, planted, count=4)
        waiting = await submitted(settings, planted, count=2, species="tree.cupressus")
        await planting.approve(settings, planted.organiser, approved.public_id)
        r = await client.get("/api/v1/campaigns/spring/exports/logs.csv", headers=planted.organiser_headers)
        assert r.status_code == 200 and 'filename="campaign-spring-logs.csv"' in r.headers["content-disposition"]
        rows = _rows(r.content)
        assert rows[0][:5] == ["记录编号", "植树日期", "树种", "株数", "状态"]
        by_id = {row[0]: row for row in rows[1:]}
        assert set(by_id) == {approved.public_id, waiting.public_id}
        done, pending = by_id[approved.public_id], by_id[waiting.public_id]
        assert done[3:5] == ["4", "已通过"] and done[7] != "" and pending[3:5] == ["2", "待审核"] and pending[7] == ""
        assert done[2] == service.species_name("tree.cupressus", "zh")
        assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", row[9]) for row in rows[1:])  # phones masked, as check-ins
        event = await AuditEvent.get(action="campaign.exported")
        assert event.after == {"export": "logs", "rows": 2, "format": "csv"}
        theirs = (await signed_in(settings, Role.ORGANISER, org=await foundation()))[1]
        assert (await client.get("/api/v1/campaigns/spring/exports/logs.csv", headers=theirs)).status_code == 403

    async def test_every_export_is_audited_with_who_and_what(self, client, settings) -> None:
        org, *_ = await _campaign_with_a_check_in(settings)
        organiser, mine = await signed_in(settings, Role.ORGANISER, org=org)
        await client.get("/api/v1/campaigns/spring/exports/bookings.csv", headers=mine)
        await client.get("/api/v1/campaigns/spring/exports/checkins.csv", headers=mine)
        events = await AuditEvent.filter(action="campaign.exported").order_by("id")
        assert [(e.actor, e.entity_id, e.after) for e in events] == [
            (f"user:{organiser.public_id}", "spring", {"export": "bookings", "rows": 3, "format": "csv"}),
            (f"user:{organiser.public_id}", "spring", {"export": "checkins", "rows": 1, "format": "csv"}),
        ]

    async def test_an_unknown_export_is_a_404_naming_the_choices(self, client, settings) -> None:
        org = await foundation()
        await make_campaign(org)
        _, mine = await signed_in(settings, Role.ORGANISER, org=org)
        r = await client.get("/api/v1/campaigns/spring/exports/people.csv", headers=mine)
        assert r.status_code == 404 and "bookings, checkins, logs" in r.text
