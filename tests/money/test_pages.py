"""The seller's income page at 390×844 without JavaScript: balance, payee masked, a payout in yuan."""

from __future__ import annotations

import re

from app.core.auth import SESSION_COOKIE
from app.money.routes import fen_of
from models.accounts import User
from models.money import Payout
from tests.money.helpers import CARD, all_clean
from tests.money.test_api import a_sale
from tests.notifications.test_api import cookie_for


def token_of(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_yuan_is_read_from_its_digits() -> None:
    assert [fen_of(x) for x in ("5", "5.5", "5.05", " 12.34 ", "0.01")] == [500, 550, 505, 1234, 1]
    assert [fen_of(x) for x in ("5.555", "-1", "1e3", "", "五")] == [None] * 5


async def test_a_seller_sets_a_payee_and_withdraws_from_the_page(client, settings) -> None:
    listing, _ = await a_sale(settings)
    seller = await User.get(id=listing.created_by_id)  # type: ignore[attr-defined]
    client.cookies.set(SESSION_COOKIE, await cookie_for(seller))
    shown = await client.get("/money")
    assert shown.status_code == 200 and "8.00 元" in shown.text and "尚未填写" in shown.text
    saved = await client.post(
        "/money/payee",
        data={
            "_csrf_token": token_of(shown.text),
            "holder": listing.seller_holder,
            "kind": "bank",
            "account": CARD,
            "name": "张三",
        },
    )
    assert saved.status_code == 200 and "银行卡 ****3445" in saved.text and CARD not in saved.text
    too_much = await client.post(
        "/money/payouts", data={"_csrf_token": token_of(saved.text), "holder": listing.seller_holder, "amount": "9"}
    )
    assert too_much.status_code == 409 and "可提 800 分" in too_much.text
    paid = await client.post(
        "/money/payouts",
        data={"_csrf_token": token_of(too_much.text), "holder": listing.seller_holder, "amount": "5.5"},
    )
    assert paid.status_code == 200 and "已到账" in paid.text and "2.50 元" in paid.text
    assert [p.amount_fen for p in await Payout.all()] == [550]
    english = await client.get("/money?lang=en")
    assert "Available" in english.text and "¥2.50" in english.text
    await all_clean()
