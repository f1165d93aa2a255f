"""Money over HTTP: a seller's income and payout, the notify route, an organisation's order, invoice and export."""

from __future__ import annotations

import csv
import io

from app.accounts import service as accounts
from app.core.auth import Role
from app.market import service as market
from app.payments.sandbox import SandboxProvider
from tests.credits.helpers import approved_project, issue_units, principal_of
from tests.helpers import signed_in
from tests.market.helpers import a_buyer, ask, pay
from tests.money.helpers import CARD, all_clean
from tests.money.test_invoices import USCC


async def a_sale(settings, kg: int = 100, sold: int | None = None):  # type: ignore[no-untyped-def]
    owner, headers = await principal_of(settings, Role.SMALLHOLDER)
    verifier, _ = await principal_of(settings, Role.VERIFIER)
    issuance = await issue_units(owner, verifier, await approved_project(owner, settings), kg=kg, buffer=kg // 4)
    listing = await market.create_listing(owner, issuance.public_id, 100, 10, "masked")
    buyer = await a_buyer()
    order = await market.place_order(settings, buyer, ask(listing, kg if sold is None else sold))
    await pay(settings, SandboxProvider(settings), buyer, order)
    return listing, headers


async def test_a_seller_sees_income_sets_a_payee_and_is_paid(client, settings) -> None:
    listing, headers = await a_sale(settings)
    holder = listing.seller_holder
    income = (await client.get("/api/v1/money/income", headers=headers)).json()
    assert income == [{"holder": holder, "payable_fen": 800, "in_flight_fen": 0, "paid_out_fen": 0, "payee": None}]
    no_payee = await client.post("/api/v1/money/payouts", json={"holder": holder, "amount_fen": 100}, headers=headers)
    assert no_payee.status_code == 409 and no_payee.json()["code"] == "money.no_payee"
    payee = await client.put(
        "/api/v1/money/payee", json={"holder": holder, "kind": "bank", "account": CARD, "name": "张三"}, headers=headers
    )
    assert payee.status_code == 200 and payee.json()["payee"] == "银行卡 ****3445" and CARD not in payee.text
    too_much = await client.post(
        "/api/v1/money/payouts",
        json={"holder": holder, "amount_fen": 900},
        headers={**headers, "Accept-Language": "en"},
    )
    assert too_much.status_code == 409 and "800 fen available" in too_much.json()["message"]
    made = await client.post("/api/v1/money/payouts", json={"holder": holder, "amount_fen": 500}, headers=headers)
    assert made.status_code == 201 and made.json()["status"] == "paid", made.text
    mine = (await client.get("/api/v1/money/payouts", headers=headers)).json()
    assert [p["id"] for p in mine] == [made.json()["id"]]
    income = (await client.get("/api/v1/money/income", headers=headers)).json()[0]
    assert (income["payable_fen"], income["paid_out_fen"], income["payee"]) == (300, 500, "银行卡 ****3445")
    await all_clean()


async def test_the_notify_route_refuses_a_forged_notification(client, settings) -> None:
    forged = await client.post(
        "/api/v1/money/payouts/notify/sandbox",
        content=b'{"event_type":"PAYOUT.SUCCESS","resource":{"out_payout_no":"x","reference":"y","amount_fen":1}}',
        headers={"Sandbox-Timestamp": "1", "Sandbox-Nonce": "n", "Sandbox-Signature": "00"},
    )
    assert forged.status_code == 400
    assert (await client.post("/api/v1/money/payouts/notify/wechatpay", content=b"{}")).status_code == 404


async def test_a_citizen_has_no_income_and_cannot_export(client, settings) -> None:
    _, headers = await signed_in(settings)
    assert (await client.get("/api/v1/money/income", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/money/invoices.csv", headers=headers)).status_code == 403


async def test_an_organisation_orders_pays_asks_for_an_invoice_and_finance_exports_it(client, settings) -> None:
    other, _ = await a_sale(settings, kg=200, sold=100)
    org = await accounts.create_organisation("company", "成都绿色科技有限公司", None, "test")
    user, headers = await signed_in(settings, Role.ORGANISER, org=org)
    base = f"/api/v1/money/organisations/{org.public_id}"
    placed = await client.post(f"{base}/orders", json={"listing": other.public_id, "kg": 50}, headers=headers)
    assert placed.status_code == 201, placed.text
    order = placed.json()["order"]
    assert (order["purpose"], order["beneficiary"], order["total_fen"]) == ("organisation", org.name, 500)
    await pay(settings, SandboxProvider(settings), user, await market.Order.get(public_id=order["id"]))
    asked = await client.post(
        f"{base}/invoices",
        json={"title": org.name, "tax_id": USCC, "email": "finance@example.cn", "orders": [order["id"]]},
        headers=headers,
    )
    assert asked.status_code == 201 and asked.json()["amount_fen"] == 500, asked.text
    again = await client.post(
        f"{base}/invoices",
        json={"title": org.name, "tax_id": USCC, "email": "finance@example.cn", "orders": [order["id"]]},
        headers=headers,
    )
    assert again.status_code == 409 and again.json()["code"] == "money.order_invoiced"
    listed = (await client.get(f"{base}/orders", headers=headers)).json()
    assert [(o["order"]["id"], o["invoice"]) for o in listed] == [(order["id"], asked.json()["id"])]
    _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
    export = await client.get("/api/v1/money/invoices.csv?bom=true", headers=admin)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["title"], r["tax_id"], r["amount_yuan"], r["orders"]) for r in rows] == [
        (org.name, USCC, "5.00", order["id"])
    ]
    stranger_org = await accounts.create_organisation("company", "别家公司", None, "test")
    refused = await client.post(
        f"/api/v1/money/organisations/{stranger_org.public_id}/orders",
        json={"listing": other.public_id, "kg": 10},
        headers=headers,
    )
    assert refused.status_code == 403
    await all_clean()
