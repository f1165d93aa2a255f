"""Merchant coupons: bought with points from stock, redeemed once at the merchant that sold them."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from app.accounts import service as accounts
from app.core.auth import Role
from app.ledger import service as ledger
from app.points import service as points
from models.coupons import CouponOffer
from tests.conftest import postgres_only
from tests.helpers import signed_in


async def shop(client, settings, stock: int = 5, price: int = 30):  # type: ignore[no-untyped-def]
    """A merchant with staff and one offer; returns (staff headers, offer id, merchant)."""
    merchant = await accounts.create_organisation("merchant", f"青城山茶舍-{uuid4().hex[:6]}", "510181", "test")
    _, staff = await signed_in(settings, Role.MERCHANT, org=merchant)
    body = {
        "merchant": merchant.public_id,
        "title_zh": "素茶一杯",
        "title_en": "A cup of tea",
        "points_price": price,
        "stock": stock,
    }
    r = await client.post("/api/v1/coupons/offers", json=body, headers=staff)
    assert r.status_code == 201, r.text
    return staff, r.json()["id"], merchant


async def citizen_with(client, settings, pts: int):  # type: ignore[no-untyped-def]
    user, headers = await signed_in(settings)
    if pts:
        await points.earn(uuid4(), user, "planting.approved", units=pts // 10)
    return user, headers


class TestBuy:
    async def test_buying_takes_points_and_stock_and_issues_a_code(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings)
        user, headers = await citizen_with(client, settings, 100)
        r = await client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=headers)
        assert r.status_code == 201, r.text
        assert len(r.json()["code"]) == 12 and r.json()["status"] == "issued"
        assert (await points.balance_of(user)).balance == 70
        assert (await CouponOffer.get(public_id=offer)).stock == 4
        assert (await ledger.verify()).ok

    async def test_a_retried_purchase_returns_the_same_coupon(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings)
        user, headers = await citizen_with(client, settings, 100)
        body = {"id": str(uuid4()), "offer": offer}
        codes = {
            (await client.post("/api/v1/coupons/buy", json=body, headers=headers)).json()["code"] for _ in range(3)
        }
        assert len(codes) == 1
        assert (await points.balance_of(user)).balance == 70 and (await CouponOffer.get(public_id=offer)).stock == 4

    async def test_without_enough_points_nothing_changes(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings)
        user, headers = await citizen_with(client, settings, 20)
        r = await client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "ledger.insufficient"
        assert (await CouponOffer.get(public_id=offer)).stock == 5
        assert (await points.balance_of(user)).balance == 20

    async def test_sold_out_is_said_plainly(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings, stock=1)
        _, headers = await citizen_with(client, settings, 100)
        await client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=headers)
        r = await client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "coupons.sold_out"

    async def test_the_qr_is_an_svg_for_the_owner_only(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings)
        _, headers = await citizen_with(client, settings, 100)
        code = (
            await client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=headers)
        ).json()["code"]
        r = await client.get(f"/api/v1/coupons/{code}/qr.svg", headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and "<svg" in r.text
        _, stranger = await signed_in(settings)
        assert (await client.get(f"/api/v1/coupons/{code}/qr.svg", headers=stranger)).status_code == 404


class TestRedeem:
    async def test_a_coupon_is_redeemed_once_and_the_second_scan_says_when(self, client, settings) -> None:
        staff, offer, _ = await shop(client, settings)
        _, headers = await citizen_with(client, settings, 100)
        code = (
            await client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=headers)
        ).json()["code"]
        first = await client.post("/api/v1/coupons/redeem", json={"code": code.lower()}, headers=staff)
        assert first.status_code == 200 and first.json()["status"] == "redeemed"
        again = await client.post("/api/v1/coupons/redeem", json={"code": code}, headers=staff)
        assert again.status_code == 409 and again.json()["code"] == "coupons.already_redeemed"
        from datetime import datetime
        from zoneinfo import ZoneInfo

        redeemed = datetime.fromisoformat(first.json()["redeemed_at"].replace("Z", "+00:00"))
        assert redeemed.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M") in again.json()["message"]

    async def test_another_merchants_staff_cannot_redeem_it(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings)
        other_staff, _, _ = await shop(client, settings)
        _, headers = await citizen_with(client, settings, 100)
        code = (
            await client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=headers)
        ).json()["code"]
        r = await client.post("/api/v1/coupons/redeem", json={"code": code}, headers=other_staff)
        assert r.status_code == 403 and r.json()["code"] == "coupons.not_your_merchant"

    async def test_staff_cannot_create_offers_for_another_merchant(self, client, settings) -> None:
        staff, _, _ = await shop(client, settings)
        other = await accounts.create_organisation("merchant", "别家店", None, "test")
        body = {"merchant": other.public_id, "title_zh": "x", "title_en": "x", "points_price": 1, "stock": 1}
        assert (await client.post("/api/v1/coupons/offers", json=body, headers=staff)).status_code == 403


class TestUnderConcurrency:
    @postgres_only
    async def test_twenty_buyers_race_for_five_coupons(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings, stock=5)
        buyers = [await citizen_with(client, settings, 100) for _ in range(20)]
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/coupons/buy", json={"id": str(uuid4()), "offer": offer}, headers=h)
                for _, h in buyers
            )
        )
        assert sorted(r.status_code for r in answers).count(201) == 5
        assert (await CouponOffer.get(public_id=offer)).stock == 0
        assert (await ledger.verify()).ok


class TestRetries:
    async def test_a_retry_racing_its_original_for_the_last_coupon_gets_the_same_coupon(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings, stock=1)
        _, headers = await citizen_with(client, settings, 100)
        body = {"id": str(uuid4()), "offer": offer}
        answers = await asyncio.gather(
            *(client.post("/api/v1/coupons/buy", json=body, headers=headers) for _ in range(4))
        )
        assert {r.status_code for r in answers} == {201}, [r.json() for r in answers]
        assert len({r.json()["code"] for r in answers}) == 1

    async def test_the_same_purchase_id_for_another_offer_is_a_conflict(self, client, settings) -> None:
        _, offer, _ = await shop(client, settings)
        _, other_offer, _ = await shop(client, settings)
        _, headers = await citizen_with(client, settings, 100)
        key = str(uuid4())
        assert (
            await client.post("/api/v1/coupons/buy", json={"id": key, "offer": offer}, headers=headers)
        ).status_code == 201
        r = await client.post("/api/v1/coupons/buy", json={"id": key, "offer": other_offer}, headers=headers)
        assert r.status_code == 409 and r.json()["code"] == "ledger.id_reused"
