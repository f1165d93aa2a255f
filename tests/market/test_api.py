"""The market over HTTP: a public catalogue, clear zh/en refusals, the buyer's and the seller's figures."""

from __future__ import annotations

from app.core.auth import SESSION_COOKIE, Role
from tests.credits.helpers import approved_project, issue_units, principal_of
from tests.helpers import signed_in
from tests.tourism.test_api import cookie_for


async def a_listing(client, settings) -> tuple[dict, dict]:  # type: ignore[type-arg, no-untyped-def]
    owner, owner_headers = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=100, buffer=25)
    made = await client.post(
        "/api/v1/market/listings",
        json={"issuance": issuance.public_id, "price_fen": 100, "price_unit_kg": 10},
        headers=owner_headers,
    )
    assert made.status_code == 201, made.text
    return made.json(), owner_headers


class TestCatalogue:
    async def test_anyone_sees_the_listings_without_signing_in(self, client, settings) -> None:
        listing, _ = await a_listing(client, settings)
        assert (listing["remaining_kg"], listing["price_fen"], listing["price_unit_kg"]) == (100, 100, 10)
        assert listing["basis"] in {"ex_ante", "ex_post"} and listing["county_code"] == "510112"
        shown = (await client.get("/api/v1/market/listings")).json()
        assert [x["id"] for x in shown] == [listing["id"]]
        assert listing["seller"].endswith("*")
        page = await client.get("/market")
        assert page.status_code == 200 and "1.00 元 / 10 千克" in page.text
        detail = await client.get(f"/market/listings/{listing['id']}?lang=en")
        assert detail.status_code == 200 and "Sign in to order" in detail.text

    async def test_a_citizen_cannot_list(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        refused = await client.post("/api/v1/market/listings", json={"issuance": "x", "price_fen": 1}, headers=headers)
        assert refused.status_code == 403


class TestOrderRefusals:
    async def test_bad_quantities_are_named_in_the_readers_language(self, client, settings) -> None:
        listing, _ = await a_listing(client, settings)
        _, headers = await signed_in(settings)
        body = {"listing": listing["id"], "purpose": "trip", "beneficiary": "张三"}
        zero = await client.post("/api/v1/market/orders", json={**body, "kg": 0}, headers=headers)
        assert zero.status_code == 400 and zero.json()["detail"][0]["field"] == "kg"
        odd = await client.post("/api/v1/market/orders", json={**body, "kg": 15}, headers=headers)
        assert odd.status_code == 400 and "10 千克的整数倍" in odd.json()["message"]
        too_many = await client.post(
            "/api/v1/market/orders", json={**body, "kg": 200}, headers={**headers, "Accept-Language": "en"}
        )
        assert too_many.status_code == 409
        assert too_many.json()["message"] == "Not enough left: you asked for 200 kg, only 100 kg are available"

    async def test_a_withdrawn_listing_mid_checkout_is_a_clear_409(self, client, settings) -> None:
        listing, owner_headers = await a_listing(client, settings)
        _, headers = await signed_in(settings)
        withdrawn = await client.post(f"/api/v1/market/listings/{listing['id']}/withdraw", headers=owner_headers)
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        late = await client.post(
            "/api/v1/market/orders",
            json={"listing": listing["id"], "kg": 10, "purpose": "trip", "beneficiary": "张三"},
            headers=headers,
        )
        assert late.status_code == 409 and late.json()["code"] == "market.listing_withdrawn"

    async def test_someone_elses_order_is_not_found(self, client, settings) -> None:
        listing, _ = await a_listing(client, settings)
        _, buyer = await signed_in(settings)
        _, other = await signed_in(settings)
        order = await client.post(
            "/api/v1/market/orders",
            json={
                "listing": listing["id"],
                "kg": 10,
                "purpose": "gift",
                "gift_recipient": "李四",
                "beneficiary": "李四",
            },
            headers=buyer,
        )
        assert order.status_code == 201, order.text
        assert (await client.get(f"/api/v1/market/orders/{order.json()['id']}", headers=other)).status_code == 404
        assert (await client.post(f"/api/v1/market/orders/{order.json()['id']}/pay", headers=other)).status_code == 404


class TestFigures:
    async def test_buyer_and_seller_see_gross_fee_and_net(self, client, settings) -> None:
        listing, owner_headers = await a_listing(client, settings)
        _, headers = await signed_in(settings)
        order = (
            await client.post(
                "/api/v1/market/orders",
                json={"listing": listing["id"], "kg": 30, "purpose": "event", "beneficiary": "蓉城马拉松"},
                headers=headers,
            )
        ).json()
        started = (await client.post(f"/api/v1/market/orders/{order['id']}/pay", headers=headers)).json()
        provider = client._transport.app.state.payments  # type: ignore[attr-defined]
        signed = await provider.pay(started["out_trade_no"])
        assert (
            await client.post("/api/v1/payments/notify/sandbox", content=signed.body, headers=signed.headers)
        ).status_code == 204
        done = (await client.get(f"/api/v1/market/orders/{order['id']}", headers=headers)).json()
        assert (done["total_fen"], done["fee_fen"], done["seller_fen"]) == (300, 60, 240)
        sales = (await client.get("/api/v1/market/sales", headers=owner_headers)).json()
        assert [(s["order"], s["gross_fen"], s["fee_fen"], s["net_fen"]) for s in sales] == [
            (order["id"], 300, 60, 240)
        ]
        assert (await client.get("/api/v1/market/listings")).json()[0]["remaining_kg"] == 70


class TestRegistryIncome:
    async def test_my_registry_page_data_adds_up_the_sales(self, client, settings) -> None:
        listing, owner_headers = await a_listing(client, settings)
        assert (await client.get("/api/v1/registry/mine", headers=owner_headers)).json()["income"] is None
        _, headers = await signed_in(settings)
        provider = client._transport.app.state.payments  # type: ignore[attr-defined]
        for kg in (10, 20):
            order = (
                await client.post(
                    "/api/v1/market/orders",
                    json={"listing": listing["id"], "kg": kg, "purpose": "personal", "beneficiary": "王五"},
                    headers=headers,
                )
            ).json()
            started = (await client.post(f"/api/v1/market/orders/{order['id']}/pay", headers=headers)).json()
            signed = await provider.pay(started["out_trade_no"])
            await client.post("/api/v1/payments/notify/sandbox", content=signed.body, headers=signed.headers)
        income = (await client.get("/api/v1/registry/mine", headers=owner_headers)).json()["income"]
        assert income == {"sales": 2, "kg_sold": 30, "gross_fen": 300, "fee_fen": 60, "net_fen": 240}


class TestSplitOrder:
    async def test_best_splits_over_listings_keeps_the_old_fields_and_the_certificate_shows_every_part(
        self, client, settings
    ) -> None:
        first, first_owner = await a_listing(client, settings)  # 100 kg at 1.00 元 / 10 kg, the older
        second, second_owner = await a_listing(client, settings)  # the same price: the older goes first
        _, headers = await signed_in(settings)
        body = {"listing": "best", "purpose": "trip", "beneficiary": "张三", "beneficiary_shown": "full"}
        too_many = await client.post(
            "/api/v1/market/orders", json={**body, "kg": 250}, headers={**headers, "Accept-Language": "en"}
        )
        assert too_many.status_code == 409 and too_many.json()["code"] == "market.not_enough_on_sale"
        assert "Only 200 kg are on sale" in too_many.json()["message"] and "nothing was reserved" in too_many.text
        zh = await client.post("/api/v1/market/orders", json={**body, "kg": 250}, headers=headers)
        assert "合计仅剩 200 千克" in zh.json()["message"]
        placed = await client.post("/api/v1/market/orders", json={**body, "kg": 150}, headers=headers)
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert (order["listing"], order["kg"], order["total_fen"], order["price_fen"], order["price_unit_kg"]) == (
            first["id"],
            150,
            1500,
            1500,
            150,
        )
        assert [(x["listing"], x["kg"], x["total_fen"]) for x in order["lines"]] == [
            (first["id"], 100, 1000),
            (second["id"], 50, 500),
        ]
        started = (await client.post(f"/api/v1/market/orders/{order['id']}/pay", headers=headers)).json()
        assert started["amount_fen"] == 1500
        provider = client._transport.app.state.payments  # type: ignore[attr-defined]
        signed = await provider.pay(started["out_trade_no"])
        assert (
            await client.post("/api/v1/payments/notify/sandbox", content=signed.body, headers=signed.headers)
        ).status_code == 204
        done = (await client.get(f"/api/v1/market/orders/{order['id']}", headers=headers)).json()
        assert (done["status"], done["fee_fen"], done["seller_fen"]) == ("fulfilled", 300, 1200)
        assert [(x["fee_fen"], x["seller_fen"]) for x in done["lines"]] == [(200, 800), (100, 400)]
        for owner, gross in ((first_owner, 1000), (second_owner, 500)):
            sales = (await client.get("/api/v1/market/sales", headers=owner)).json()
            assert [(s["order"], s["gross_fen"]) for s in sales] == [(order["id"], gross)]
        cert = (await client.get(f"/api/v1/certificates/{done['certificate_code']}")).json()
        assert cert["kg"] == 150
        assert sorted((i["id"], i["kg"]) for i in cert["issuances"]) == sorted(
            [(first["issuance"], 100), (second["issuance"], 50)]
        )
        assert {s["issuance"] for s in cert["serials"]} == {first["issuance"], second["issuance"]}
        assert sum(s["quantity"] for s in cert["serials"]) == 150
        page = await client.get(f"/certificates/{done['certificate_code']}?lang=zh")
        assert page.status_code == 200
        for item in cert["serials"]:
            assert item["serial"] in page.text
        for issuance in cert["issuances"]:
            assert all(p["id"] in page.text for p in issuance["parcels"]) and issuance["parcels"]

    async def test_the_offer_shows_the_split_and_the_order_page_shows_each_part(self, client, settings) -> None:
        first, _ = await a_listing(client, settings)
        second, _ = await a_listing(client, settings)
        offer = await client.get("/api/v1/market/offer?kg=145")
        assert offer.status_code == 200, offer.text
        assert offer.json() == {
            "listing": "best",
            "kg": 150,
            "total_fen": 1500,
            "parts": [
                {"listing": first["id"], "kg": 100, "price_fen": 100, "price_unit_kg": 10, "total_fen": 1000,
                 "project_name": first["project_name"], "seller": first["seller"]},
                {"listing": second["id"], "kg": 50, "price_fen": 100, "price_unit_kg": 10, "total_fen": 500,
                 "project_name": second["project_name"], "seller": second["seller"]},
            ],
        }  # fmt: skip
        assert first["project_name"] and first["seller"].endswith("*")  # named as the catalogue names them
        one = (await client.get("/api/v1/market/offer?kg=5")).json()
        assert (one["listing"], one["kg"], one["total_fen"], len(one["parts"])) == (first["id"], 10, 100, 1)
        assert (await client.get("/api/v1/market/offer?kg=201")).status_code == 409
        buyer, headers = await signed_in(settings)
        order = (
            await client.post(
                "/api/v1/market/orders",
                json={"listing": "best", "kg": 150, "purpose": "trip", "beneficiary": "张三"},
                headers=headers,
            )
        ).json()
        assert order["total_fen"] == offer.json()["total_fen"]
        cookie = {"Cookie": f"{SESSION_COOKIE}={await cookie_for(buyer)}"}
        page = await client.get(f"/market/orders/{order['id']}?lang=en", headers=cookie)
        assert page.status_code == 200 and "From 2 listings" in page.text
        assert first["id"][:8] in page.text and second["id"][:8] in page.text
