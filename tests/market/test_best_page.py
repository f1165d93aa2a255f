"""The catalogue page's "best available" (最优组合): kg in, the offer out (listings, kg, price, total),
confirm → one split order at the total shown; refusals in the reader's language, nothing reserved."""

from __future__ import annotations

import re

from app.core.auth import SESSION_COOKIE
from models.credits import Reservation
from models.market import Listing, Order, OrderLine
from tests.helpers import signed_in
from tests.market.test_api import a_listing
from tests.tourism.test_api import cookie_for


async def _page_headers(client, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
    return {"Cookie": f"{SESSION_COOKIE}={await cookie_for(user)}; csrftoken={csrf}", "x-csrftoken": csrf}


class TestBestAvailablePage:
    async def test_the_catalogue_offers_it_and_the_offer_names_each_listing_and_the_total(
        self, client, settings
    ) -> None:
        first, _ = await a_listing(client, settings)
        second, _ = await a_listing(client, settings)
        catalogue = await client.get("/market")
        assert 'action="/market/best"' in catalogue.text and "最优组合购买" in catalogue.text
        offer = await client.get("/market/best?kg=145")
        assert offer.status_code == 200, offer.text
        assert "分 2 个挂牌购买" in offer.text and first["id"][:8] in offer.text and second["id"][:8] in offer.text
        # each part named as the catalogue names it: the project and the seller as they chose to be shown
        assert offer.text.count(first["project_name"]) >= 2 and f"（卖方：{first['seller']}）" in offer.text
        assert re.search(r'class="offer-kg">150 千克<', offer.text), offer.text
        assert 'class="offer-total">15.00 元<' in offer.text  # zh-CN money, as every page writes it
        assert "10.00 元" in offer.text and "5.00 元" in offer.text  # each part's price
        assert "已按挂牌的计价单位向上取整为 150 千克" in offer.text
        assert "/sign-in?" in offer.text and 'action="/market/best/order' not in offer.text  # sign in to order
        english = await client.get("/market/best?kg=145&lang=en")
        assert "From 2 listings" in english.text and "Best available" in english.text
        one = await client.get("/market/best?kg=20")
        assert "来自 1 个挂牌" in one.text and first["id"][:8] in one.text

    async def test_bad_or_too_many_kg_are_said_beside_the_form_in_the_readers_language(self, client, settings) -> None:
        await a_listing(client, settings)
        for kg in ("abc", "0", "-5", "99999999999"):
            refused = await client.get(f"/market/best?kg={kg}")
            assert refused.status_code == 400 and 'role="alert"' in refused.text, (kg, refused.text)
        assert "Quantity" in (await client.get("/market/best?kg=abc&lang=en")).text
        empty = await client.get("/market/best")  # the form alone, nothing refused yet
        assert empty.status_code == 200 and 'role="alert"' not in empty.text and 'name="kg"' in empty.text
        much = await client.get("/market/best?kg=500")
        assert much.status_code == 409 and "所有挂牌合计仅剩 100 千克可售" in much.text
        en = await client.get("/market/best?kg=500&lang=en")
        assert en.status_code == 409 and "Only 100 kg are on sale" in en.text

    async def test_confirming_places_one_split_order_and_goes_to_its_payment_page(self, client, settings) -> None:
        await a_listing(client, settings)
        await a_listing(client, settings)
        buyer, _ = await signed_in(settings)
        headers = await _page_headers(client, buyer)
        offer = await client.get("/market/best?kg=150", headers=headers)
        assert 'action="/market/best/order?lang=zh"' in offer.text and 'name="total_fen" value="1500"' in offer.text
        form = {"kg": "150", "total_fen": "1500", "purpose": "trip", "beneficiary": "成都市民张三"}
        placed = await client.post("/market/best/order", data=form, headers=headers)
        assert placed.status_code == 303, placed.text
        order = await Order.get(buyer_id=buyer.id)
        assert placed.headers["location"] == f"/market/orders/{order.public_id}?lang=zh"
        assert (order.kg, order.total_fen, order.status) == (150, 1500, "pending")
        assert await OrderLine.filter(order_id=order.id).count() == 2
        page = await client.get(placed.headers["location"], headers=headers)
        assert "去支付 15.00 元" in page.text and "分 2 个挂牌购买" in page.text

    async def test_an_offer_that_changed_before_confirming_is_refused_and_nothing_is_reserved(
        self, client, settings
    ) -> None:
        first, _ = await a_listing(client, settings)
        await a_listing(client, settings)
        buyer, _ = await signed_in(settings)
        headers = await _page_headers(client, buyer)
        await Listing.filter(public_id=first["id"]).update(price_fen=120)  # the seller's price moved meanwhile
        form = {"kg": "150", "total_fen": "1500", "purpose": "trip", "beneficiary": "成都市民张三"}
        refused = await client.post("/market/best/order?lang=en", data=form, headers=headers)
        assert refused.status_code == 409 and "The offer changed" in refused.text, refused.text
        assert 'name="total_fen" value="1600"' in refused.text  # the new offer (the cheaper one first)
        assert not await Order.exists() and not await Reservation.exists()
        bad = await client.post("/market/best/order", data={**form, "kg": "x", "total_fen": ""}, headers=headers)
        assert bad.status_code == 400 and "购买数量" in bad.text
        assert not await Order.exists()
