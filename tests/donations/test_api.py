"""The donations API and pages over HTTP: refusals in zh/en, the sandbox round trip, points with an
Idempotency-Key, the organiser's list and CSV, and the campaign page's totals."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from app.core.auth import SESSION_COOKIE
from models.campaigns import Campaign
from models.donations import DonationReceipt
from models.payments import PaymentAttempt
from tests.campaigns.builders import make_campaign
from tests.campaigns.test_api import cookie_for
from tests.donations.helpers import all_clean, budget_balance, give_points, organiser_of
from tests.helpers import signed_in

VALID_USCC = "91350100M000100Y43"


async def sandbox_pay(client, attempt_client: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Press 支付 on the sandbox confirm page the payment pointed to."""
    url = attempt_client["confirm_url"].split("://", 1)[1].split("/", 1)[1]
    path, _, query = ("/" + url).partition("?")
    token = query.split("t=", 1)[1]
    confirm = await client.get(f"{path}?{query}")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', confirm.text).group(1)  # type: ignore[union-attr]
    r = await client.post(f"{path}/pay", data={"t": token, "_csrf_token": csrf})
    assert r.status_code == 303, r.text


class TestRefusals:
    async def test_a_campaign_without_donate_mode_is_a_409_in_zh_and_en(self, client, settings) -> None:
        campaign, _, _ = await make_campaign()
        await Campaign.filter(id=campaign.id).update(modes=["plant"], donation_fen_per_tree=None)
        _, auth = await signed_in(settings)
        zh = await client.post("/api/v1/campaigns/spring/donations", json={"trees": 1}, headers=auth)
        assert zh.status_code == 409 and zh.json()["code"] == "donations.not_accepted"
        assert "不接受" in zh.json()["message"]
        en = await client.post(
            "/api/v1/campaigns/spring/donations", json={"trees": 1}, headers={**auth, "Accept-Language": "en"}
        )
        assert en.status_code == 409 and "does not take donations" in en.json()["message"]

    async def test_a_closed_campaign_is_a_409_in_zh_and_en(self, client, settings) -> None:
        campaign, _, _ = await make_campaign()
        await Campaign.filter(id=campaign.id).update(
            ends_on=campaign.starts_on, starts_on=campaign.starts_on - timedelta(days=3)
        )
        _, auth = await signed_in(settings)
        zh = await client.post("/api/v1/campaigns/spring/donations", json={"trees": 1}, headers=auth)
        assert zh.status_code == 409 and "不在进行中" in zh.json()["message"]
        en = await client.post(
            "/api/v1/campaigns/spring/donations", json={"trees": 1}, headers={**auth, "Accept-Language": "en"}
        )
        assert en.status_code == 409 and "not running" in en.json()["message"]

    async def test_zero_trees_and_unknown_campaigns_are_refused(self, client, settings) -> None:
        await make_campaign()
        _, auth = await signed_in(settings)
        assert (
            await client.post("/api/v1/campaigns/spring/donations", json={"trees": 0}, headers=auth)
        ).status_code == 400
        assert (
            await client.post("/api/v1/campaigns/nope/donations", json={"trees": 1}, headers=auth)
        ).status_code == 404
        assert (await client.post("/api/v1/campaigns/spring/donations", json={"trees": 1})).status_code == 401


class TestRoundTrip:
    async def test_donate_pay_in_the_sandbox_ask_for_a_receipt_and_the_organiser_exports_it(
        self, client, settings
    ) -> None:
        campaign, _, _ = await make_campaign()
        _, auth = await signed_in(settings)
        made = await client.post("/api/v1/campaigns/spring/donations", json={"trees": 2}, headers=auth)
        assert made.status_code == 201 and made.json()["amount_fen"] == 6000
        donation = made.json()["id"]
        early = await client.put(
            f"/api/v1/donations/{donation}/receipt",
            json={"kind": "personal", "title": "张三", "email": "z@example.com"},
            headers=auth,
        )
        assert early.status_code == 409 and early.json()["code"] == "donations.receipt_needs_payment"
        payment = await client.post(f"/api/v1/donations/{donation}/pay", headers=auth)
        assert payment.status_code == 200 and payment.json()["amount_fen"] == 6000
        await sandbox_pay(client, payment.json()["client"])
        one = (await client.get(f"/api/v1/donations/{donation}", headers=auth)).json()
        assert one["status"] == "paid" and one["receipt"] is None
        bad = await client.put(
            f"/api/v1/donations/{donation}/receipt",
            json={"kind": "organisation", "title": "某公司", "email": "f@example.com", "tax_id": "91350100M000100Y44"},
            headers={**auth, "Accept-Language": "en"},
        )
        assert bad.status_code == 400 and "unified social credit code" in bad.json()["message"]
        ok = await client.put(
            f"/api/v1/donations/{donation}/receipt",
            json={"kind": "organisation", "title": "某公司", "email": "f@example.com", "tax_id": VALID_USCC},
            headers=auth,
        )
        assert ok.status_code == 200 and ok.json()["status"] == "requested"
        totals = (await client.get("/api/v1/campaigns/spring/donation-totals")).json()
        assert (totals["trees_donated"], totals["fen_raised"]) == (2, 6000)

        _, organiser_auth = await organiser_of(settings, campaign)
        listed = (await client.get("/api/v1/campaigns/spring/donations", headers=organiser_auth)).json()
        assert [(x["id"], x["receipt"]) for x in listed] == [(donation, "requested")]
        assert (await client.get("/api/v1/campaigns/spring/donations", headers=auth)).status_code == 403
        export = await client.post("/api/v1/campaigns/spring/donation-receipts/export", headers=organiser_auth)
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        assert export.content.startswith(b"\xef\xbb\xbf") and export.headers["x-newly-exported"] == "1"
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows[1][0] == donation and rows[1][6:8] == ["某公司", VALID_USCC]
        final = await client.put(
            f"/api/v1/donations/{donation}/receipt",
            json={"kind": "personal", "title": "张三", "email": "z@example.com"},
            headers=auth,
        )
        assert final.status_code == 409 and final.json()["code"] == "donations.receipt_exported"
        assert (await DonationReceipt.get()).title == "某公司"
        await all_clean()


class TestPointsOverHttp:
    async def test_the_idempotency_key_is_required_replays_and_conflicts(self, client, settings) -> None:
        campaign, _, _ = await make_campaign()
        user, auth = await signed_in(settings)
        await give_points(user, 300)
        url = "/api/v1/campaigns/spring/points-donations"
        missing = await client.post(url, json={"points": 100}, headers=auth)
        assert missing.status_code == 400 and missing.json()["code"] == "donations.key_needed"
        first = await client.post(url, json={"points": 100}, headers={**auth, "Idempotency-Key": "a1"})
        assert first.status_code == 201 and first.json()["replayed"] is False
        again = await client.post(url, json={"points": 100}, headers={**auth, "Idempotency-Key": "a1"})
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
        other = await client.post(url, json={"points": 150}, headers={**auth, "Idempotency-Key": "a1"})
        assert other.status_code == 409
        short = await client.post(url, json={"points": 500}, headers={**auth, "Idempotency-Key": "a2"})
        assert short.status_code == 409 and short.json()["code"] == "donations.not_enough_points"
        assert await budget_balance(campaign) == 100
        totals = (await client.get("/api/v1/campaigns/spring/donation-totals")).json()
        assert (totals["points_donated"], totals["points_donations"]) == (100, 1)
        await all_clean()


class TestPages:
    async def test_campaign_page_donate_form_sandbox_result_without_javascript(self, client, settings) -> None:
        await make_campaign()
        anonymous = await client.get("/campaigns/spring")
        assert "捐资认种（捐资尽责）" in anonymous.text and "登录后捐赠" in anonymous.text
        assert "积分捐赠" in anonymous.text
        assert anonymous.text.count("<script") == 1  # only the live-progress enhancement; the form needs none
        user, _ = await signed_in(settings)
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        page = await client.get("/campaigns/spring")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        refused = await client.post("/campaigns/spring/donate?lang=en", data={"_csrf_token": token, "trees": "0"})
        assert refused.status_code == 400 and "Trees must be a whole number" in refused.text
        r = await client.post("/campaigns/spring/donate", data={"_csrf_token": token, "trees": "2"})
        assert r.status_code == 303 and r.headers["location"].startswith("/payments/sandbox/")
        attempt = await PaymentAttempt.get()
        await sandbox_pay(client, attempt.client)
        result = await client.get(f"/donations/{attempt.subject}")
        assert "已支付" in result.text and "义务植树尽责 2 棵" in result.text and "申请捐赠票据" in result.text
        saved = await client.post(
            f"/donations/{attempt.subject}/receipt",
            data={"_csrf_token": token, "kind": "personal", "title": "张三", "email": "z@example.com"},
        )
        assert saved.status_code == 303
        again = await client.get("/campaigns/spring")
        assert "已有 1 笔捐资，共认种 2 棵" in again.text and "60.00 元" in again.text

    async def test_points_form_replays_when_resubmitted(self, client, settings) -> None:
        campaign, _, _ = await make_campaign()
        user, _ = await signed_in(settings)
        await give_points(user, 100)
        client.cookies.set(SESSION_COOKIE, await cookie_for(user))
        page = await client.get("/campaigns/spring")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        key = re.search(r'name="key" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        for _ in range(2):
            r = await client.post(
                "/campaigns/spring/donate-points", data={"_csrf_token": token, "key": key, "points": "40"}
            )
            assert r.status_code == 303
        assert await budget_balance(campaign) == 40
        done = await client.get(r.headers["location"])
        assert "已捐出 40 积分" in done.text and "40 分（1 笔）" in done.text

    async def test_organiser_page_lists_donations_and_exports_csv(self, client, settings) -> None:
        campaign, _, _ = await make_campaign()
        principal, _ = await organiser_of(settings, campaign)
        client.cookies.set(SESSION_COOKIE, await cookie_for(principal.user))
        page = await client.get("/campaigns/spring/donations")
        assert page.status_code == 200 and "导出票据申请（CSV）" in page.text and "还没有已支付的捐赠" in page.text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        export = await client.post("/campaigns/spring/donations/receipts.csv", data={"_csrf_token": token})
        assert export.status_code == 200 and export.content.startswith(b"\xef\xbb\xbfdonation,")
        assert "捐赠记录（组织方）" in (await client.get("/campaigns/spring")).text
