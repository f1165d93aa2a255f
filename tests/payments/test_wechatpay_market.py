"""WeChat Pay end to end through the market: the app configured with PAYMENT_PROVIDER=wechatpay talks to
the fake WeChat Pay server over loopback HTTP, and the fake's signed, encrypted notifications reach our
real notify route as the exact bytes and headers WeChat would send.

A buyer signed in from the mini-program (so with an openid) orders kg → the pay API answers the
`wx.requestPayment` object → TRANSACTION.SUCCESS → the order is fulfilled, its serials retired, the
certificate code stored, and both ledgers verify clean. Then the ways a notification must not be
trusted, a payment after expiry (refunded, settled by REFUND.SUCCESS) and WeChat Pay being down while we
refund (retried by housekeeping).

Why a replay answers 204 like the first delivery: WeChat Pay keeps re-sending a notification (15s, 15s,
30s, 3m … over 24h) until it gets HTTP 200 or 204, and the protocol says the same notification may
arrive more than once and the merchant must check whether it was already handled and, if so, "直接返回
成功" (answer success). A 4xx to a duplicate would make WeChat keep retrying something we already did.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from app.core import housekeeping
from app.credits.verify import verify as credits_verify
from app.ledger import service as ledger
from app.main import create_app
from app.settings import Settings
from models.accounts import User
from models.credits import Retirement
from models.ledger import LedgerAccount
from models.market import Order
from models.payments import PaymentAttempt, PaymentNotification
from tests.conftest import running
from tests.market.helpers import lapse
from tests.market.test_api import a_listing
from tests.payments.fake_wechatpay import FakeWeChatPay, PlatformKey, private_pem, serving, session_keys

BASE = "https://microsink.example"
NOTIFY_PATH = "/api/v1/payments/notify/wechatpay"


@dataclass
class Shop:
    """The app in WeChat Pay mode, its HTTP client, the fake WeChat Pay, and one listing on sale."""

    client: httpx.AsyncClient
    fake: FakeWeChatPay
    settings: Settings
    app: Any
    listing: dict[str, Any]

    async def buyer(self, code: str = "mini-program-buyer") -> tuple[User, dict[str, str]]:
        """A citizen signed in from the mini-program (wx.login code → code2Session): they have an openid."""
        signed = await self.client.post("/api/v1/auth/wechat", json={"code": code})
        assert signed.status_code == 200, signed.text
        user = await User.get(public_id=signed.json()["user"]["public_id"])
        assert user.wechat_openid
        return user, {"Authorization": f"Bearer {signed.json()['access_token']}"}

    async def order(self, headers: dict[str, str], kg: int = 20) -> dict[str, Any]:
        placed = await self.client.post(
            "/api/v1/market/orders",
            json={"listing": self.listing["id"], "kg": kg, "purpose": "trip", "beneficiary": "成都市民张三"},
            headers=headers,
        )
        assert placed.status_code == 201, placed.text
        return placed.json()  # type: ignore[no-any-return]

    async def pay(self, headers: dict[str, str], order: dict[str, Any]) -> dict[str, Any]:
        started = await self.client.post(f"/api/v1/market/orders/{order['id']}/pay", headers=headers)
        assert started.status_code == 200, started.text
        return started.json()  # type: ignore[no-any-return]

    async def notify(self, headers: dict[str, str], body: bytes) -> httpx.Response:
        """WeChat's POST to our notify_url: the exact bytes it signed, its headers as it spells them."""
        return await self.client.post(
            NOTIFY_PATH, content=body, headers={**headers, "Content-Type": "application/json"}
        )


@pytest.fixture
async def shop(settings: Settings, tmp_path: Path) -> AsyncIterator[Shop]:
    keys = session_keys()
    (tmp_path / "apiclient_key.pem").write_bytes(private_pem(keys.merchant))
    (tmp_path / "pub_key.pem").write_bytes(keys.public_key.pem)
    fake = FakeWeChatPay(keys)
    with serving(fake) as url:
        wx = settings.with_(
            base_url=BASE,
            payment_provider="wechatpay",
            wechat_appid=keys.appid,
            wechatpay_base_url=url,
            wechatpay_mchid=keys.mchid,
            wechatpay_private_key_file=str(tmp_path / "apiclient_key.pem"),
            wechatpay_cert_serial=keys.merchant_serial,
            wechatpay_apiv3_key=keys.apiv3_key,
            wechatpay_platform_keys=((keys.public_key.serial, str(tmp_path / "pub_key.pem")),),
        )
        wx.check()
        app = create_app(wx)
        async with running(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                listing, _ = await a_listing(client, wx)
                yield Shop(client, fake, wx, app, listing)


def rejected_count(reason: str) -> float:
    labels = {"provider": "wechatpay", "reason": reason}
    return REGISTRY.get_sample_value("microsink_payment_notifications_rejected_total", labels) or 0.0


async def assert_clean() -> None:
    assert (await credits_verify()).ok
    report = await ledger.verify(full=True)
    assert report.ok, report.problems


async def clearing() -> int:
    account = await LedgerAccount.get_or_none(ledger="fen", code="clearing", owner="platform")
    return account.balance if account else 0


async def order_row(order: dict[str, Any]) -> Order:
    return await Order.get(public_id=order["id"])


async def nothing_happened(order: dict[str, Any], out_trade_no: str) -> None:
    assert (await order_row(order)).status == "pending"
    assert not await Retirement.filter(reservation_ref=f"order:{order['id']}").exists()
    assert not await PaymentNotification.filter(out_trade_no=out_trade_no).exists()
    assert (await PaymentAttempt.get(out_trade_no=out_trade_no)).status == "pending"


class TestThePurchase:
    async def test_a_mini_program_buyer_pays_and_the_order_is_fulfilled(self, shop: Shop) -> None:
        user, headers = await shop.buyer()
        order = await shop.order(headers)
        assert order["total_fen"] == 200 and order["status"] == "pending"
        started = await shop.pay(headers, order)

        # What the mini-app passes to wx.requestPayment, signed with the merchant key.
        client = started["client"]
        assert started["provider"] == "wechatpay" and started["amount_fen"] == 200
        assert set(client) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
        assert client["appId"] == shop.settings.wechat_appid and client["signType"] == "RSA"
        message = f"{client['appId']}\n{client['timeStamp']}\n{client['nonceStr']}\n{client['package']}\n"
        session_keys().merchant.public_key().verify(
            base64.b64decode(client["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        with pytest.raises(InvalidSignature):
            session_keys().merchant.public_key().verify(
                base64.b64decode(client["paySign"]), message.replace("prepay", "x").encode(),
                padding.PKCS1v15(), hashes.SHA256(),
            )  # fmt: skip

        # WeChat got a JSAPI prepay for this payer, this amount, and our HTTPS notify_url.
        at_wechat = shop.fake.orders[started["out_trade_no"]]
        assert client["package"] == f"prepay_id={at_wechat.prepay_id}"
        assert at_wechat.openid == user.wechat_openid
        assert at_wechat.total == 200 and at_wechat.notify_url == BASE + NOTIFY_PATH
        assert (await shop.pay(headers, order))["client"] == client  # asking again resumes the same prepay

        headers_wx, body = shop.fake.pay(started["out_trade_no"])
        answer = await shop.notify(headers_wx, body)
        assert answer.status_code == 204 and answer.content == b""

        seen = (await shop.client.get(f"/api/v1/market/orders/{order['id']}", headers=headers)).json()
        assert seen["status"] == "fulfilled" and seen["certificate_code"]
        assert seen["fee_fen"] + seen["seller_fen"] == 200
        retired = await Retirement.filter(reservation_ref=f"order:{order['id']}")
        assert sum(r.certificate_code == seen["certificate_code"] for r in retired) == len(retired) >= 1
        assert retired[0].beneficiary == "成都市民张三" and retired[0].purpose == "trip"
        attempt = await PaymentAttempt.get(out_trade_no=started["out_trade_no"])
        assert attempt.status == "paid" and attempt.provider_transaction_id == at_wechat.transaction_id
        public = await shop.client.get(seen["certificate_url"])
        assert public.status_code == 200
        await assert_clean()

    async def test_a_buyer_without_an_openid_is_told_to_open_the_mini_program(self, shop: Shop) -> None:
        from tests.helpers import signed_in

        _, headers = await signed_in(shop.settings)  # signed in by SMS: no openid, JSAPI cannot pay
        order = await shop.order(headers)
        refused = await shop.client.post(
            f"/api/v1/market/orders/{order['id']}/pay", headers={**headers, "Accept-Language": "en"}
        )
        assert refused.status_code == 409 and refused.json()["code"] == "payments.open_in_mini_program"
        assert "mini-program" in refused.json()["message"]
        assert shop.fake.orders == {}

    async def test_the_phone_browser_order_page_says_to_pay_in_the_mini_program(self, shop: Shop) -> None:
        from tests.accounts.test_signin_pages import csrf_of, sign_in_by_page

        assert (await sign_in_by_page(shop.client, shop.app, "13700000001")).status_code in (200, 303)
        form = await shop.client.get(f"/market/listings/{shop.listing['id']}")
        placed = await shop.client.post(
            f"/market/listings/{shop.listing['id']}/order",
            data={"kg": "10", "purpose": "personal", "beneficiary": "张三", "_csrf_token": csrf_of(form.text)},
        )
        assert placed.status_code == 303, placed.text
        order_path = placed.headers["location"].split("?")[0]
        page = await shop.client.get(order_path)
        assert page.status_code == 200
        assert "请在微信小程序中打开" in page.text and f'action="{order_path}/pay' not in page.text
        english = await shop.client.get(f"{order_path}?lang=en")
        assert "open it in the WeChat mini-program" in english.text
        # A pay form posted anyway (an old page) comes back to the order page: no prepay, no error page.
        posted = await shop.client.post(f"{order_path}/pay", data={"_csrf_token": csrf_of(page.text)})
        assert posted.status_code == 303 and posted.headers["location"].startswith(order_path)
        assert shop.fake.orders == {}


class TestReplays:
    async def test_one_notification_replayed_a_hundred_times_fulfils_once_and_each_gets_204(self, shop: Shop) -> None:
        _, headers = await shop.buyer()
        order = await shop.order(headers)
        started = await shop.pay(headers, order)
        headers_wx, body = shop.fake.pay(started["out_trade_no"])
        answers = [(await shop.notify(headers_wx, body)).status_code for _ in range(101)]
        assert answers == [204] * 101  # WeChat stops retrying on 200/204 only
        # WeChat's own retry is the same event signed afresh: also recognised, also 204.
        retry_headers, retry_body = shop.fake.payment_notification(started["out_trade_no"])
        assert (await shop.notify(retry_headers, retry_body)).status_code == 204

        assert (await order_row(order)).status == "fulfilled"
        assert await PaymentNotification.filter(out_trade_no=started["out_trade_no"]).count() == 1
        assert await clearing() == 0  # shared out once: nothing left, nothing twice
        await assert_clean()


def _forged(fake: FakeWeChatPay, headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    """Signed by a stranger's key while naming our configured platform key's serial."""
    impostor = PlatformKey(fake.keys.public_key.serial, fake.keys.stranger.key)
    return fake.sign_notification(body, platform=impostor), body


def _tampered(fake: FakeWeChatPay, headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    return headers, body.replace(b'"summary": "', b'"summary": "x', 1)


def _stale(fake: FakeWeChatPay, headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    return fake.sign_notification(body, timestamp=int(time.time()) - 301), body


def _probe(fake: FakeWeChatPay, headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    return {**headers, "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]}, body


class TestUntrustedNotifications:
    @pytest.mark.parametrize(
        ("make", "reason"),
        [
            (_forged, "bad_signature"),
            (_tampered, "bad_signature"),
            (_stale, "stale_timestamp"),
            (_probe, "signtest_probe"),
        ],
        ids=["forged", "tampered", "stale", "signtest"],
    )
    async def test_is_refused_with_4xx_counted_and_changes_nothing(self, shop: Shop, make: Any, reason: str) -> None:
        _, headers = await shop.buyer()
        order = await shop.order(headers)
        started = await shop.pay(headers, order)
        genuine_headers, genuine_body = shop.fake.pay(started["out_trade_no"])
        before = rejected_count(reason)
        bad_headers, bad_body = make(shop.fake, genuine_headers, genuine_body)
        with capture_logs() as logged:
            answer = await shop.notify(bad_headers, bad_body)
        assert answer.status_code == 400 and answer.json() == {"code": "FAIL", "message": reason}
        assert rejected_count(reason) == before + 1
        assert {"event": "payment_notification_rejected", "reason": reason} in [
            {"event": e["event"], "reason": e.get("reason")} for e in logged
        ]
        await nothing_happened(order, started["out_trade_no"])
        # The genuine notification still goes through afterwards: the refusal consumed nothing.
        assert (await shop.notify(genuine_headers, genuine_body)).status_code == 204
        assert (await order_row(order)).status == "fulfilled"

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"amount": {"total": 1, "currency": "CNY", "payer_total": 1, "payer_currency": "CNY"}}, "amount_mismatch"),
            ({"mchid": "1900000999"}, "wrong_mchid"),
            ({"appid": "wx0000000000000000"}, "wrong_appid"),
        ],
        ids=["amount", "mchid", "appid"],
    )
    async def test_a_signed_notice_that_does_not_match_the_order_is_refused(
        self, shop: Shop, change: dict[str, Any], reason: str
    ) -> None:
        _, headers = await shop.buyer()
        order = await shop.order(headers)
        started = await shop.pay(headers, order)
        shop.fake.pay(started["out_trade_no"])
        resource = shop.fake.payment_resource(started["out_trade_no"]) | change
        before = rejected_count(reason)
        with capture_logs() as logged:
            answer = await shop.notify(*shop.fake.notification("TRANSACTION.SUCCESS", resource, summary="支付成功"))
        assert answer.status_code == 400 and answer.json()["message"] == reason
        assert rejected_count(reason) == before + 1
        assert any(e["event"] == "payment_notification_rejected" and e.get("reason") == reason for e in logged)
        await nothing_happened(order, started["out_trade_no"])

    async def test_a_thousand_forged_notifications_are_all_refused_and_fulfil_nothing(self, shop: Shop) -> None:
        _, headers = await shop.buyer()
        order = await shop.order(headers)
        started = await shop.pay(headers, order)
        genuine_headers, body = shop.fake.pay(started["out_trade_no"])
        impostor = PlatformKey(shop.fake.keys.public_key.serial, shop.fake.keys.stranger.key)
        signature = shop.fake.sign_notification(body, platform=impostor)  # one RSA signature, varied below
        before = rejected_count("bad_signature") + rejected_count("unknown_serial")
        statuses = set()
        for i in range(1000):
            if i % 2:  # a stranger's key under its own serial
                forged = {**genuine_headers, "Wechatpay-Serial": shop.fake.keys.stranger.serial}
            else:  # a stranger's signature with a fresh nonce it could not have signed
                forged = {**signature, "Wechatpay-Nonce": f"N{i:031d}"}
            statuses.add((await shop.notify(forged, body)).status_code)
        assert statuses == {400}
        assert rejected_count("bad_signature") + rejected_count("unknown_serial") == before + 1000
        await nothing_happened(order, started["out_trade_no"])


class TestLatePaymentsAndRefunds:
    async def _paid_after_expiry(self, shop: Shop, *, then_down: bool = False) -> tuple[dict[str, Any], str]:
        _, headers = await shop.buyer()
        order = await shop.order(headers)
        started = await shop.pay(headers, order)
        await lapse(await order_row(order))  # its 15 minutes passed while the payer was in WeChat
        if then_down:  # WeChat Pay's API is down when we ask for the refund
            shop.fake.script = [(500, "SYSTEM_ERROR")]
        headers_wx, body = shop.fake.pay(started["out_trade_no"])
        answer = await shop.notify(headers_wx, body)
        assert answer.status_code == 204  # accepted: the money is ours to give back, WeChat must stop
        return order, started["out_trade_no"]

    async def test_a_payment_after_expiry_is_refunded_once_and_never_fulfilled(self, shop: Shop) -> None:
        order, out_trade_no = await self._paid_after_expiry(shop)
        number = "R" + out_trade_no
        refund = shop.fake.refunds[number]  # asked at WeChat at once, with the deterministic out_refund_no
        assert (refund.out_trade_no, refund.refund, refund.total) == (out_trade_no, 200, 200)
        assert refund.notify_url == BASE + NOTIFY_PATH  # so REFUND.SUCCESS comes back to us
        attempt = await PaymentAttempt.get(out_trade_no=out_trade_no)
        assert (attempt.status, attempt.out_refund_no, attempt.refund_reason) == ("refund_due", number, "expired")

        settled_headers, settled_body = shop.fake.settle_refund(number)
        for _ in range(3):  # WeChat may deliver it more than once
            assert (await shop.notify(settled_headers, settled_body)).status_code == 204
        assert (await PaymentAttempt.get(out_trade_no=out_trade_no)).status == "refunded"
        assert await PaymentNotification.filter(out_trade_no=out_trade_no, kind="refund_succeeded").count() == 1
        assert len(shop.fake.refunds) == 1
        assert (await order_row(order)).status != "fulfilled"
        assert not await Retirement.filter(reservation_ref=f"order:{order['id']}").exists()
        assert await clearing() == 0  # in once, out once
        await assert_clean()

    async def test_wechat_pay_down_during_the_refund_is_retried_by_housekeeping(self, shop: Shop) -> None:
        order, out_trade_no = await self._paid_after_expiry(shop, then_down=True)
        assert shop.fake.refunds == {} and shop.fake.script == []  # asked once, refused by the outage
        assert (await PaymentAttempt.get(out_trade_no=out_trade_no)).status == "refund_due"

        tidied = await housekeeping.run_once()  # the next round, WeChat Pay is back
        assert "payments.retry_refunds" in tidied
        number = "R" + out_trade_no
        assert list(shop.fake.refunds) == [number]
        await housekeeping.run_once()  # asking again is the same refund (out_refund_no), never a second
        assert list(shop.fake.refunds) == [number]

        assert (await shop.notify(*shop.fake.settle_refund(number))).status_code == 204
        assert (await PaymentAttempt.get(out_trade_no=out_trade_no)).status == "refunded"
        assert (await order_row(order)).status != "fulfilled"
        await assert_clean()
