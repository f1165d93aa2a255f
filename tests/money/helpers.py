"""Shortcuts for money tests: a seller who has earned something, and a clean bill of health."""

from __future__ import annotations

from app.credits.verify import verify as credits_verify
from app.ledger import service as ledger
from app.market import service as market
from app.money import verify as money
from app.payments.sandbox import SandboxProvider
from app.settings import Settings
from models.market import Order
from tests.market.helpers import a_buyer, ask, listed, pay

CARD = "6222020200112233445"


async def seller_with_income(settings: Settings, *, kg: int = 100) -> tuple[object, str, Order]:
    """A smallholder whose `kg` (at ¥1 per 10 kg) were bought and paid: seller share 80% of the total."""
    owner, _, listing = await listed(settings, kg=kg)
    buyer = await a_buyer()
    order = await market.place_order(settings, buyer, ask(listing, kg))
    await pay(settings, SandboxProvider(settings), buyer, order)
    return owner, listing.seller_holder, await Order.get(id=order.id)


async def all_clean() -> None:
    assert (await credits_verify()).ok
    report = await ledger.verify(full=True)
    assert report.ok, report.problems
    checked = await money.verify()
    assert checked.ok, checked.problems
