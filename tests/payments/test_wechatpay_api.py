"""The adapter's calls to WeChat Pay API v3 (prepay, query, close, refund) against the local fake:
signed requests, verified answers, and errors mapped to ProviderUnavailable / ProviderRefused."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.payments.protocol import ProviderRefused, ProviderUnavailable, RefundRequest
from app.payments.wechatpay import UntrustedResponse, WeChatPayProvider
from tests.payments.fake_wechatpay import (
    NOTIFY,
    FakeWeChatPay,
    Keys,
    World,
    adapter,
    serving,
    session_keys,
    wechat_world,
)
from tests.payments.fake_wechatpay import payment_request as request


@pytest.fixture
async def w() -> AsyncIterator[World]:
    async with wechat_world() as world:
        yield world


def verifies(public_key: rsa.RSAPublicKey, signature: str, message: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


class TestPrepay:
    async def test_creates_a_jsapi_order_with_the_documented_fields(self, w: World) -> None:
        expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        start = await w.provider.create(request(expires_at=expires))
        sent = w.fake.orders["MS20261206ORDER0001"].request
        assert sent == {
            "appid": w.keys.appid,
            "mchid": w.keys.mchid,
            "description": "微碳汇-顺昌毛竹林 100 kg",
            "out_trade_no": "MS20261206ORDER0001",
            "time_expire": "2030-01-02T11:04:05+08:00",
            "notify_url": NOTIFY,
            "amount": {"total": 1000, "currency": "CNY"},
            "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        }
        assert start.provider == "wechatpay"
        assert start.provider_reference == w.fake.orders["MS20261206ORDER0001"].prepay_id
        assert start.client["package"] == f"prepay_id={start.provider_reference}"
        assert start.client["appId"] == w.keys.appid and start.client["signType"] == "RSA"

    async def test_pay_sign_verifies_with_the_merchant_public_key(self, w: World) -> None:
        c = (await w.provider.create(request())).client
        message = f"{c['appId']}\n{c['timeStamp']}\n{c['nonceStr']}\n{c['package']}\n"
        assert verifies(w.keys.merchant.public_key(), c["paySign"], message)
        assert not verifies(w.keys.merchant.public_key(), c["paySign"], message.replace("prepay_id=", "prepay_id=x"))

    async def test_creating_twice_with_the_same_out_trade_no_gives_the_same_prepay_id(self, w: World) -> None:
        req = request()
        first, second = await w.provider.create(req), await w.provider.create(req)
        assert first.provider_reference == second.provider_reference
        assert len(w.fake.orders) == 1

    async def test_a_long_description_is_cut_to_127_characters(self, w: World) -> None:
        await w.provider.create(request(description="碳" * 200))
        assert len(w.fake.orders["MS20261206ORDER0001"].description) == 127

    @pytest.mark.parametrize(
        "bad",
        [{"amount_fen": 0}, {"amount_fen": 9.5}, {"out_trade_no": "abc"}, {"payer_openid": None}],
        ids=["zero", "float", "short-no", "no-openid"],
    )
    async def test_refuses_a_request_wechat_would_refuse_before_sending_it(self, w: World, bad: dict) -> None:
        with pytest.raises(ValueError):
            await w.provider.create(request(**bad))
        assert w.fake.seen == []


class TestResponseSignatures:
    async def test_a_tampered_answer_is_not_trusted(self, w: World) -> None:
        w.fake.tamper_next = True
        with pytest.raises(UntrustedResponse, match="bad_signature"):
            await w.provider.create(request())

    @pytest.mark.parametrize("skew", [-400, 400])
    async def test_an_answer_signed_more_than_five_minutes_off_is_not_trusted(self, w: World, skew: int) -> None:
        w.fake.clock_skew_s = skew  # e.g. an old answer replayed by a man in the middle
        with pytest.raises(UntrustedResponse, match="stale_timestamp"):
            await w.provider.create(request())

    async def test_an_answer_signed_with_an_unconfigured_key_is_not_trusted(self, w: World) -> None:
        w.fake.platform.append(w.keys.stranger)
        w.fake.signing_serial = w.keys.stranger.serial
        with pytest.raises(UntrustedResponse, match="unknown_serial"):
            await w.provider.create(request())

    async def test_an_answer_signed_by_a_stranger_under_our_serial_is_not_trusted(self, w: World) -> None:
        # A man in the middle reuses the known serial but cannot sign with WeChat's key.
        await w.provider.create(request())
        w.fake.platform = [type(w.keys.public_key)(w.keys.public_key.serial, w.keys.stranger.key)]
        with pytest.raises(UntrustedResponse, match="bad_signature"):
            await w.provider.query("MS20261206ORDER0001")

    async def test_answers_signed_by_either_key_are_trusted_during_a_switch(self, w: World) -> None:
        both = w.adapter(w.keys.public_key, w.keys.certificate)
        w.fake.platform = [w.keys.certificate, w.keys.public_key]
        for serial in (w.keys.certificate.serial, w.keys.public_key.serial):
            w.fake.signing_serial = serial
            start = await both.create(request(out_trade_no=f"MS-SWITCH-{serial[-8:]}"))
            assert start.provider_reference


class TestRequestSignatures:
    async def test_the_fake_refuses_a_request_signed_with_another_merchant_key(self, w: World) -> None:
        other = Keys.generate()
        impostor = WeChatPayProvider(
            mchid=w.keys.mchid,
            appid=w.keys.appid,
            merchant_private_key=other.merchant,
            merchant_serial=w.keys.merchant_serial,
            apiv3_key=w.keys.apiv3_key,
            platform_keys={w.keys.public_key.serial: w.keys.public_key.key.public_key()},
            base_url=w.url,
        )
        with pytest.raises(ProviderRefused) as refused:
            await impostor.create(request())
        await impostor.aclose()
        assert refused.value.code == "SIGN_ERROR"
        assert w.fake.orders == {}


class TestQueryAndClose:
    async def test_query_follows_the_order_from_pending_to_paid(self, w: World) -> None:
        await w.provider.create(request())
        pending = await w.provider.query("MS20261206ORDER0001")
        assert (pending.state, pending.amount_fen, pending.provider_transaction_id) == ("pending", 1000, "")
        w.fake.pay("MS20261206ORDER0001")
        paid = await w.provider.query("MS20261206ORDER0001")
        order = w.fake.orders["MS20261206ORDER0001"]
        assert (paid.state, paid.amount_fen, paid.provider_transaction_id) == ("paid", 1000, order.transaction_id)
        assert paid.occurred_at is not None and paid.occurred_at.utcoffset() == timedelta(hours=8)

    async def test_query_of_an_unknown_order_is_refused_with_wechats_code(self, w: World) -> None:
        with pytest.raises(ProviderRefused) as refused:
            await w.provider.query("MS-NEVER-CREATED")
        assert refused.value.code == "ORDER_NOT_EXIST"

    async def test_close_closes_a_pending_order_and_closing_again_is_fine(self, w: World) -> None:
        await w.provider.create(request())
        await w.provider.close("MS20261206ORDER0001")
        await w.provider.close("MS20261206ORDER0001")
        assert (await w.provider.query("MS20261206ORDER0001")).state == "closed"
        with pytest.raises(ProviderRefused) as refused:
            await w.provider.create(request())
        assert refused.value.code == "ORDER_CLOSED"

    async def test_closing_a_paid_order_is_refused(self, w: World) -> None:
        await w.provider.create(request())
        w.fake.pay("MS20261206ORDER0001")
        with pytest.raises(ProviderRefused) as refused:
            await w.provider.close("MS20261206ORDER0001")
        assert refused.value.code == "ORDERPAID"


class TestRefund:
    async def test_refunds_a_paid_order_and_the_same_out_refund_no_is_one_refund(self, w: World) -> None:
        await w.provider.create(request())
        w.fake.pay("MS20261206ORDER0001")
        r = RefundRequest("MS20261206ORDER0001", "MS-REFUND-0001", 400, 1000, "订单过期后到账", NOTIFY)
        first, again = await w.provider.refund(r), await w.provider.refund(r)
        assert first.state == "processing" and first.provider_refund_id
        assert again == first
        assert [f.refund for f in w.fake.refunds.values()] == [400]
        assert (await w.provider.query("MS20261206ORDER0001")).state == "refunded"

    async def test_the_refund_notify_url_is_sent_when_given_and_left_out_when_not(self, w: World) -> None:
        await w.provider.create(request())
        w.fake.pay("MS20261206ORDER0001")
        await w.provider.refund(RefundRequest("MS20261206ORDER0001", "MS-REFUND-0001", 100, 1000, "r", NOTIFY))
        await w.provider.refund(RefundRequest("MS20261206ORDER0001", "MS-REFUND-0002", 100, 1000, "r", ""))
        # An empty string is not "no URL": WeChat would refuse it; absent, it uses the merchant platform's.
        assert [f.notify_url for f in w.fake.refunds.values()] == [NOTIFY, ""]

    async def test_refunding_more_than_is_left_is_refused(self, w: World) -> None:
        await w.provider.create(request())
        w.fake.pay("MS20261206ORDER0001")
        await w.provider.refund(RefundRequest("MS20261206ORDER0001", "MS-REFUND-0001", 700, 1000, "r", NOTIFY))
        with pytest.raises(ProviderRefused) as refused:
            await w.provider.refund(RefundRequest("MS20261206ORDER0001", "MS-REFUND-0002", 700, 1000, "r", NOTIFY))
        assert refused.value.code == "INVALID_REQUEST"

    async def test_an_empty_notify_url_is_left_out_of_the_request_not_sent_empty(self) -> None:
        """WeChat answers PARAM_ERROR to notify_url "": the adapter leaves an empty optional field out."""
        import json

        import httpx

        sent: list[dict] = []  # type: ignore[type-arg]

        def answer(request: httpx.Request) -> httpx.Response:
            sent.append(json.loads(request.content))
            return httpx.Response(200, json={})  # unsigned: the adapter refuses to trust it, which is fine here

        wechat = adapter(session_keys(), "http://wechat.invalid", transport=httpx.MockTransport(answer))
        try:
            with pytest.raises(ProviderUnavailable):
                await wechat.refund(RefundRequest("MS0123456789", "RMS0123456789", 100, 100, "test", ""))
        finally:
            await wechat.aclose()
        assert sent and "notify_url" not in sent[0]

    async def test_the_fake_refuses_an_empty_refund_notify_url_as_wechat_does(self, w: World) -> None:
        await w.provider.create(request())
        w.fake.pay("MS20261206ORDER0001")
        payload = {
            "out_trade_no": "MS20261206ORDER0001",
            "out_refund_no": "MS-REFUND-0001",
            "amount": {"refund": 100, "total": 1000, "currency": "CNY"},
            "notify_url": "",
        }
        with pytest.raises(ProviderRefused) as refused:
            await w.provider._call("POST", "/v3/refund/domestic/refunds", payload)
        assert refused.value.code == "PARAM_ERROR"
        assert not w.fake.refunds

    async def test_refunding_an_unpaid_order_is_refused(self, w: World) -> None:
        await w.provider.create(request())
        with pytest.raises(ProviderRefused):
            await w.provider.refund(RefundRequest("MS20261206ORDER0001", "MS-REFUND-0001", 100, 1000, "r", NOTIFY))


class TestUnavailable:
    async def test_a_server_that_is_down_is_unavailable(self) -> None:
        keys = session_keys()
        with serving(FakeWeChatPay(keys)) as url:
            pass  # the port is free again: nobody listens there now
        nobody = adapter(keys, url, timeout_s=2)
        with pytest.raises(ProviderUnavailable):
            await nobody.create(request())
        await nobody.aclose()

    @pytest.mark.parametrize("status,code", [(500, "SYSTEM_ERROR"), (502, "HTTP_502"), (429, "FREQUENCY_LIMITED")])
    async def test_server_errors_and_rate_limits_are_unavailable(self, w: World, status: int, code: str) -> None:
        w.fake.script = [(status, code)]
        with pytest.raises(ProviderUnavailable) as unavailable:
            await w.provider.query("MS20261206ORDER0001")
        assert not isinstance(unavailable.value, UntrustedResponse)

    async def test_business_errors_are_refusals_with_wechats_code(self, w: World) -> None:
        w.fake.script = [(403, "NOT_ENOUGH")]
        with pytest.raises(ProviderRefused) as refused:
            await w.provider.refund(RefundRequest("MS20261206ORDER0001", "MS-REFUND-0001", 100, 1000, "r", NOTIFY))
        assert refused.value.code == "NOT_ENOUGH"
