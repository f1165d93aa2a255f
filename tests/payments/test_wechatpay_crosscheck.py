"""Cross-checks with an independent implementation, the `wechatpayv3` 2.0.4 SDK (STACK.md §7):
the fake accepts what the SDK signs and the SDK trusts what the fake signs (so the fake speaks the
protocol, not just our dialect of it), the SDK and our adapter read the same notifications the
same way, notifications signed with the SDK's utilities pass our adapter, and paySign agrees."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import aes_decrypt, load_private_key, load_public_key, rsa_sign, rsa_verify

from app.payments.protocol import NotificationRejected, RefundRequest
from tests.payments.fake_wechatpay import (
    NOTIFY,
    Keys,
    PlatformKey,
    World,
    payment_request,
    private_pem,
    public_pem,
    wechat_world,
)

ORDER = "MS20261206XCHECK01"


@pytest.fixture
async def w() -> AsyncIterator[World]:
    async with wechat_world() as world:
        yield world


def sdk(w: World, merchant_pem: bytes | None = None, cert_dir: Path | None = None) -> WeChatPay:
    """The SDK as a merchant would configure it, pointed at the fake (its gateway is hard-coded).

    Public key mode by default; with `cert_dir`, certificate mode from the platform certificate
    saved there (without one the SDK would call the real /v3/certificates in its constructor)."""
    platform: dict[str, Any] = {"public_key": w.keys.public_key.pem.decode(), "public_key_id": w.keys.public_key.serial}
    if cert_dir is not None:
        (cert_dir / f"{w.keys.certificate.serial}.pem").write_bytes(w.keys.certificate.pem)
        platform = {"cert_dir": str(cert_dir)}
    wx = _make(w, merchant_pem, platform)
    wx._core._gate_way = w.url
    return wx


def _make(w: World, merchant_pem: bytes | None, platform: dict[str, Any]) -> WeChatPay:
    return WeChatPay(
        wechatpay_type=WeChatPayType.MINIPROG,
        mchid=w.keys.mchid,
        private_key=(merchant_pem or private_pem(w.keys.merchant)).decode(),
        cert_serial_no=w.keys.merchant_serial,
        appid=w.keys.appid,
        apiv3_key=w.keys.apiv3_key,
        notify_url=NOTIFY,
        timeout=(5, 5),
        **platform,
    )


class TestTheFakeSpeaksTheProtocol:
    async def test_the_sdks_signed_requests_are_accepted_and_it_trusts_the_fakes_answers(self, w: World) -> None:
        wx = sdk(w)
        code, message = wx.pay(
            description="顺昌毛竹林 10 kg",
            out_trade_no=ORDER,
            amount={"total": 100, "currency": "CNY"},
            payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        )
        assert code == 200 and json.loads(message)["prepay_id"] == w.fake.orders[ORDER].prepay_id
        code, message = wx.query(out_trade_no=ORDER)  # a GET with a query string, signed with it
        assert code == 200 and json.loads(message)["trade_state"] == "NOTPAY"
        assert wx.close(out_trade_no=ORDER)[0] == 204
        assert [status for _, _, status in w.fake.seen] == [200, 200, 204]

    async def test_a_request_signed_with_another_key_gets_sign_error(self, w: World) -> None:
        wx = sdk(w, merchant_pem=private_pem(Keys.generate().merchant))
        code, message = wx.query(out_trade_no=ORDER)
        assert code == 401 and json.loads(message)["code"] == "SIGN_ERROR"

    async def test_the_sdk_refuses_a_tampered_answer_from_the_fake(self, w: World) -> None:
        w.fake.tamper_next = True
        with pytest.raises(Exception, match="failed to verify the signature"):
            sdk(w).pay(description="d", out_trade_no=ORDER, amount={"total": 1}, payer={"openid": "o"})

    async def test_the_sdk_in_certificate_mode_downloads_and_decrypts_the_platform_certificate(
        self, w: World, tmp_path: Path
    ) -> None:
        w.fake.platform = [w.keys.certificate]
        wx = sdk(w, cert_dir=tmp_path)
        wx._core._certificates.clear()
        wx._core._update_certificates()  # GET /v3/certificates, AES-GCM with the APIv3 key
        assert [f"{c.serial_number:X}" for c in wx._core._certificates] == [w.keys.certificate.serial]
        assert wx.query(out_trade_no="MS-NONE-0001")[0] == 404

    async def test_the_sdk_refunds_what_our_adapter_created(self, w: World) -> None:
        await w.provider.create(payment_request(out_trade_no=ORDER, amount_fen=300))
        w.fake.pay(ORDER)
        code, message = sdk(w).refund(
            out_refund_no="MS-REFUND-X1", amount={"refund": 100, "total": 300, "currency": "CNY"}, out_trade_no=ORDER
        )
        assert code == 200 and json.loads(message)["status"] == "PROCESSING"


class TestNotificationsAgree:
    async def test_the_sdk_and_our_adapter_read_a_payment_the_same_way(self, w: World) -> None:
        await w.provider.create(payment_request(out_trade_no=ORDER, amount_fen=1234))
        headers, body = w.fake.pay(ORDER)
        theirs = sdk(w).callback(headers, body)
        ours = w.provider.parse_notification({k.lower(): v for k, v in headers.items()}, body, _now())
        assert theirs is not None and theirs["event_type"] == "TRANSACTION.SUCCESS"
        assert dict(ours.raw) == theirs["resource"]
        assert (ours.out_trade_no, ours.amount_fen, ours.provider_transaction_id) == (
            theirs["resource"]["out_trade_no"],
            theirs["resource"]["amount"]["total"],
            theirs["resource"]["transaction_id"],
        )
        assert ours.notification_id == theirs["id"]

    async def test_the_sdk_and_our_adapter_read_a_refund_the_same_way(self, w: World) -> None:
        await w.provider.create(payment_request(out_trade_no=ORDER, amount_fen=1234))
        w.fake.pay(ORDER)
        await w.provider.refund(RefundRequest(ORDER, "MS-REFUND-X2", 234, 1234, "r", NOTIFY))
        headers, body = w.fake.settle_refund("MS-REFUND-X2")
        theirs = sdk(w).callback(headers, body)
        ours = w.provider.parse_notification({k.lower(): v for k, v in headers.items()}, body, _now())
        assert theirs is not None and dict(ours.raw) == theirs["resource"]
        assert (ours.kind, ours.refund_fen, ours.out_refund_no) == ("refund_succeeded", 234, "MS-REFUND-X2")

    async def test_both_refuse_a_tampered_or_forged_notification(self, w: World) -> None:
        await w.provider.create(payment_request(out_trade_no=ORDER))
        headers, body = w.fake.pay(ORDER)
        forged_headers = w.fake.sign_notification(body, platform=w.keys.stranger) | {
            "Wechatpay-Serial": w.keys.public_key.serial
        }
        for h, b in ((headers, body.replace(b"SUCCESS", b"SUCCESs", 1)), (forged_headers, body)):
            assert sdk(w).callback(h, b) is None
            with pytest.raises(NotificationRejected):
                w.provider.parse_notification({k.lower(): v for k, v in h.items()}, b, _now())

    async def test_both_read_a_certificate_signed_notification_during_a_switch(self, w: World, tmp_path: Path) -> None:
        theirs_sdk = sdk(w, cert_dir=tmp_path)
        ours = w.adapter(w.keys.public_key, w.keys.certificate)
        w.fake.orders.clear()
        resource = {
            "appid": w.keys.appid,
            "mchid": w.keys.mchid,
            "out_trade_no": ORDER,
            "transaction_id": "4200000000000000000000000001",
            "trade_type": "JSAPI",
            "trade_state": "SUCCESS",
            "success_time": "2026-12-06T08:00:00+08:00",
            "payer": {"openid": "o"},
            "amount": {"total": 100, "payer_total": 100, "currency": "CNY", "payer_currency": "CNY"},
        }
        headers, body = w.fake.notification("TRANSACTION.SUCCESS", resource, platform=w.keys.certificate)
        theirs = theirs_sdk.callback(headers, body)
        assert theirs is not None and theirs["resource"] == resource
        assert ours.parse_notification({k.lower(): v for k, v in headers.items()}, body, _now()).raw == resource


class TestNotificationsBuiltWithTheSdk:
    def _sdk_notification(
        self, platform: PlatformKey, apiv3_key: str, resource: dict[str, Any]
    ) -> tuple[dict[str, str], bytes]:
        """A notification signed by the SDK's own rsa_sign; sealed with AES-GCM (the SDK has no
        encrypt, so its aes_decrypt must open it)."""
        nonce = uuid.uuid4().hex[:12]
        ciphertext = base64.b64encode(
            AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), json.dumps(resource).encode(), b"transaction")
        ).decode()
        assert json.loads(aes_decrypt(nonce, ciphertext, "transaction", apiv3_key)) == resource
        body = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "create_time": "2026-12-06T08:00:01+08:00",
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": ciphertext,
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        )
        timestamp, sign_nonce = str(int(time.time())), uuid.uuid4().hex
        key = load_private_key(private_pem(platform.key).decode())
        headers = {
            "wechatpay-signature": rsa_sign(key, f"{timestamp}\n{sign_nonce}\n{body}\n"),
            "wechatpay-timestamp": timestamp,
            "wechatpay-nonce": sign_nonce,
            "wechatpay-serial": platform.serial,
            "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
        }
        return headers, body.encode()

    async def test_our_adapter_accepts_them(self, w: World) -> None:
        resource = {
            "appid": w.keys.appid,
            "mchid": w.keys.mchid,
            "out_trade_no": ORDER,
            "transaction_id": "4200000000000000000000000002",
            "trade_type": "JSAPI",
            "trade_state": "SUCCESS",
            "success_time": "2026-12-06T08:00:00+08:00",
            "payer": {"openid": "o"},
            "amount": {"total": 990, "payer_total": 990, "currency": "CNY", "payer_currency": "CNY"},
        }
        headers, body = self._sdk_notification(w.keys.public_key, w.keys.apiv3_key, resource)
        notice = w.provider.parse_notification(headers, body, _now())
        assert (notice.kind, notice.out_trade_no, notice.amount_fen) == ("paid", ORDER, 990)
        assert sdk(w).callback(headers, body)["resource"] == resource


class TestPaySign:
    async def test_our_pay_sign_is_the_sdks_and_verifies_with_its_rsa_check(self, w: World) -> None:
        c = (await w.provider.create(payment_request(out_trade_no=ORDER))).client
        assert sdk(w).sign([c["appId"], c["timeStamp"], c["nonceStr"], c["package"]]) == c["paySign"]
        merchant_public = load_public_key(public_pem(w.keys.merchant).decode())
        # rsa_verify checks "a\nb\nc\n"; paySign covers four lines, so the last two travel as one
        assert rsa_verify(c["appId"], c["timeStamp"], f"{c['nonceStr']}\n{c['package']}", c["paySign"], merchant_public)
        assert not rsa_verify(
            c["appId"], c["timeStamp"], f"{c['nonceStr']}\nprepay_id=other", c["paySign"], merchant_public
        )


def _now() -> datetime:
    return datetime.now(UTC)
