"""Organisations buy in bulk in their own name and ask for one invoice per paid order, exported for finance."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools

import pytest

from app.accounts import service as accounts
from app.core.auth import Role, load_principal
from app.core.errors import AppError, Conflict, Forbidden, NotFound
from app.market import service as market
from app.money import invoices
from app.payments.sandbox import SandboxProvider
from models.accounts import AuthSession
from models.audit import AuditEvent
from models.credits import Retirement
from models.money import InvoiceOrder, InvoiceRequest, OrgOrder
from tests.conftest import postgres_only
from tests.helpers import signed_in
from tests.market.helpers import listed, pay
from tests.money.helpers import all_clean

USCC = "91350100M000100Y43"  # a well-formed code: check character Y... 3 by GB 32100-2015
_companies = itertools.count(1)


async def organiser(settings, org=None):  # type: ignore[no-untyped-def]
    org = org or await accounts.create_organisation("company", f"成都绿色科技有限公司{next(_companies)}", None, "test")
    user, headers = await signed_in(settings, Role.ORGANISER, org=org)
    session = await AuthSession.filter(user_id=user.id).order_by("-id").first().select_related("user")  # type: ignore[union-attr]
    principal = await load_principal(session)  # type: ignore[arg-type]
    return principal, org, headers


async def paid_org_order(settings, principal, org, listing, kg=30):  # type: ignore[no-untyped-def]
    order = await invoices.place_org_order(settings, principal, org.public_id, listing.public_id, kg)
    await pay(settings, SandboxProvider(settings), principal.user, order)
    return await market.Order.get(id=order.id)


class TestUscc:
    @pytest.mark.parametrize("code", [USCC, "91110000802100433B", "11100000000013127D"])
    def test_valid_codes_pass(self, code: str) -> None:
        assert invoices.uscc_valid(code)

    @pytest.mark.parametrize(
        "code",
        [
            "91350100M000100Y44",
            "91350100M000100Y4",
            "91350100M000100Y433",
            "91350100I000100Y43",
            "",
            "9135010OM000100Y4",
        ],
    )
    def test_a_wrong_check_character_length_or_letter_fails(self, code: str) -> None:
        assert not invoices.uscc_valid(code)


class TestOrgOrders:
    async def test_an_organiser_orders_in_the_organisations_name(self, db, settings) -> None:
        principal, org, _ = await organiser(settings)
        _, _, listing = await listed(settings)
        order = await paid_org_order(settings, principal, org, listing, kg=50)
        assert (order.purpose, order.beneficiary, order.status) == ("organisation", org.name, "fulfilled")
        assert await OrgOrder.filter(order_id=order.id, organisation_id=org.id).exists()
        retired = await Retirement.filter(certificate_code=order.certificate_code).first()
        assert retired is not None and retired.beneficiary == org.name
        assert [(o.public_id, inv) for o, inv in await invoices.org_orders(principal, org.public_id)] == [
            (order.public_id, None)
        ]
        await all_clean()

    async def test_only_the_organisations_organisers_may(self, db, settings) -> None:
        _, org, _ = await organiser(settings)
        outsider, _, _ = await organiser(settings)
        _, _, listing = await listed(settings)
        with pytest.raises(Forbidden):
            await invoices.place_org_order(settings, outsider, org.public_id, listing.public_id, 10)
        with pytest.raises(NotFound):
            await invoices.place_org_order(settings, outsider, "nosuchorg", listing.public_id, 10)
        assert not await OrgOrder.exists()

    async def test_a_refused_order_leaves_no_org_order_behind(self, db, settings) -> None:
        principal, org, _ = await organiser(settings)
        _, _, listing = await listed(settings, kg=100)
        with pytest.raises(Conflict):
            await invoices.place_org_order(settings, principal, org.public_id, listing.public_id, 1000)
        assert not await OrgOrder.exists() and not await market.Order.exists()


class TestInvoiceRequests:
    async def test_an_invoice_covers_paid_orders_once_with_their_total(self, db, settings) -> None:
        principal, org, _ = await organiser(settings)
        _, _, listing = await listed(settings, kg=200)
        first = await paid_org_order(settings, principal, org, listing, kg=30)
        second = await paid_org_order(settings, principal, org, listing, kg=50)
        invoice = await invoices.request_invoice(
            principal, org.public_id, org.name, USCC.lower(), "finance@example.cn", [first.public_id, second.public_id]
        )
        assert (invoice.amount_fen, invoice.order_count, invoice.tax_id) == (800, 2, USCC)
        with pytest.raises(Conflict) as twice:
            await invoices.request_invoice(principal, org.public_id, org.name, USCC, "f@example.cn", [first.public_id])
        assert twice.value.key == "money.order_invoiced"
        assert await InvoiceOrder.all().count() == 2 and await InvoiceRequest.all().count() == 1
        assert await AuditEvent.filter(action="money.invoice.requested", entity_id=invoice.public_id).exists()

    async def test_bad_requests_are_refused(self, db, settings) -> None:
        principal, org, _ = await organiser(settings)
        other, other_org, _ = await organiser(settings)
        _, _, listing = await listed(settings, kg=200)
        paid = await paid_org_order(settings, principal, org, listing)
        unpaid = await invoices.place_org_order(settings, principal, org.public_id, listing.public_id, 10)
        foreign = await paid_org_order(settings, other, other_org, listing)
        cases = [
            (("", USCC, "f@example.cn", [paid.public_id]), "money.bad_invoice_title"),
            ((org.name, "91350100M000100Y44", "f@example.cn", [paid.public_id]), "money.bad_tax_id"),
            ((org.name, USCC, "not-an-email", [paid.public_id]), "money.bad_email"),
            ((org.name, USCC, "f@example.cn", []), "money.bad_invoice_orders"),
            ((org.name, USCC, "f@example.cn", [unpaid.public_id]), "money.order_not_paid"),
            ((org.name, USCC, "f@example.cn", [foreign.public_id]), "money.order_not_found"),
        ]
        for (title, tax_id, email, orders), key in cases:
            with pytest.raises(AppError) as refused:
                await invoices.request_invoice(principal, org.public_id, title, tax_id, email, orders)
            assert refused.value.key == key
        assert not await InvoiceOrder.exists()

    async def test_the_finance_export_is_utf8_csv_with_optional_bom(self, db, settings) -> None:
        principal, org, _ = await organiser(settings)
        _, _, listing = await listed(settings, kg=200)
        order = await paid_org_order(settings, principal, org, listing, kg=30)
        await invoices.request_invoice(
            principal, org.public_id, "=HYPERLINK(1)", USCC, "f@example.cn", [order.public_id]
        )
        plain = b"".join([c async for c in invoices.csv_chunks()])
        with_bom = b"".join([c async for c in invoices.csv_chunks(bom=True)])
        assert with_bom == b"\xef\xbb\xbf" + plain
        rows = list(csv.DictReader(io.StringIO(plain.decode("utf-8"))))
        assert len(rows) == 1
        row = rows[0]
        assert (row["organisation"], row["tax_id"], row["amount_fen"], row["amount_yuan"]) == (
            org.name,
            USCC,
            "300",
            "3.00",
        )
        assert row["title"] == "'=HYPERLINK(1)" and row["orders"] == order.public_id


@postgres_only
async def test_concurrent_invoice_requests_for_one_order_invoice_it_once(db, settings) -> None:
    principal, org, _ = await organiser(settings)
    _, _, listing = await listed(settings, kg=100)
    order = await paid_org_order(settings, principal, org, listing)

    async def ask() -> str:
        try:
            await invoices.request_invoice(principal, org.public_id, org.name, USCC, "f@example.cn", [order.public_id])
            return "made"
        except Conflict as refused:
            return refused.key

    outcomes = await asyncio.gather(*(ask() for _ in range(8)))
    assert outcomes.count("made") == 1 and outcomes.count("money.order_invoiced") == 7
    assert await InvoiceRequest.all().count() == 1 and await InvoiceOrder.all().count() == 1
