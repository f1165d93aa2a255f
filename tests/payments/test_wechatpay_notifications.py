"""WeChat Pay notifications: verified over the raw body with the key Wechatpay-Serial names,
decrypted with the APIv3 key, and anything untrustworthy refused with a reason."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from app.payments.protocol import NotificationRejected, PaymentNotice, RefundRequest
from app.payments.wechatpay import WeChatPayProvider
from tests.payments.fake_wechatpay import World, payment_request, wechat_world

ORDER = "MS20261206ORDER0002"


@pytest.fixture
async def w() -> AsyncIterator[World]:
    async with wechat_world() as world:
        world.fake.orders.clear()
        yield world


async def paid_order(w: World, amount_fen: int = 2500) -> tuple[dict[str, str], bytes]:
    await w.provider.create(payment_request(out_trade_no=ORDER, amount_fen=amount_fen))
    return w.fake.pay(ORDER)


def parse(
    provider: WeChatPayProvider, headers: dict[str, str], body: bytes, now: datetime | None = None
) -> PaymentNotice:
    lower = {k.lower(): v for k, v in headers.items()}  # the protocol hands providers lower-case keys
    return provider.parse_notification(lower, body, now or datetime.now(UTC))


def rejected(provider: WeChatPayProvider, headers: dict[str, str], body: bytes, now: datetime | None = None) -> str:
    with pytest.raises(NotificationRejected) as refused:
        parse(provider, headers, body, now)
    return refused.value.reason


class TestPaymentNotification:
    async def test_decodes_a_payment_into_a_notice_in_fen(self, w: World) -> None:
        headers, body = await paid_order(w)
        notice = parse(w.provider, headers, body)
        order = w.fake.orders[ORDER]
        assert notice.kind == "paid"
        assert (notice.out_trade_no, notice.provider_transaction_id) == (ORDER, order.transaction_id)
        assert notice.amount_fen == 2500 and type(notice.amount_fen) is int
        assert (notice.appid, notice.mchid) == (w.keys.appid, w.keys.mchid)
        assert notice.notification_id == json.loads(body)["id"]
        assert notice.occurred_at == datetime.fromisoformat(order.success_time)
        assert notice.raw["payer"] == {"openid": order.openid}

    async def test_a_retry_keeps_the_notification_id_but_is_a_new_delivery(self, w: World) -> None:
        headers, body = await paid_order(w)
        retry_headers = w.fake.sign_notification(body)  # WeChat re-signs each delivery
        first, retry = parse(w.provider, headers, body), parse(w.provider, retry_headers, body)
        assert first.notification_id == retry.notification_id
        assert first.replay_key != retry.replay_key
        assert parse(w.provider, headers, body).replay_key == first.replay_key  # the same delivery, replayed

    async def test_acknowledges_with_204_and_refuses_with_a_fail_body(self, w: World) -> None:
        assert w.provider.acknowledgement(True)[0] == 204
        status, body, media = w.provider.acknowledgement(False, "签名错误")
        assert 400 <= status < 600 and media == "application/json"
        assert json.loads(body) == {"code": "FAIL", "message": "签名错误"}


class TestRejections:
    async def test_a_forged_signature_is_rejected(self, w: World) -> None:
        _headers, body = await paid_order(w)
        forged = w.fake.sign_notification(body, platform=w.keys.stranger) | {
            "Wechatpay-Serial": w.keys.public_key.serial
        }
        assert rejected(w.provider, forged, body) == "bad_signature"

    async def test_a_tampered_body_is_rejected(self, w: World) -> None:
        headers, body = await paid_order(w)
        assert rejected(w.provider, headers, body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESS ")) == (
            "bad_signature"
        )
        assert rejected(w.provider, headers, json.dumps(json.loads(body)).encode()) == "bad_signature"  # re-encoded

    async def test_a_stale_timestamp_is_rejected_both_ways(self, w: World) -> None:
        await paid_order(w)
        for offset in (-301, +301):
            headers, body = w.fake.payment_notification(ORDER, timestamp=int(time.time()) + offset)
            assert rejected(w.provider, headers, body) == "stale_timestamp"
        headers, body = w.fake.payment_notification(ORDER, timestamp=int(time.time()) - 290)
        assert parse(w.provider, headers, body).kind == "paid"

    async def test_the_clock_passed_in_decides_staleness(self, w: World) -> None:
        headers, body = await paid_order(w)
        assert rejected(w.provider, headers, body, now=datetime.now(UTC) + timedelta(minutes=6)) == "stale_timestamp"

    async def test_a_signtest_probe_is_rejected(self, w: World) -> None:
        headers, body = await paid_order(w)
        probe = headers | {"Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"]}
        assert rejected(w.provider, probe, body) == "signtest_probe"

    async def test_an_unknown_serial_is_rejected(self, w: World) -> None:
        await paid_order(w)
        headers, body = w.fake.payment_notification(ORDER, platform=w.keys.stranger)
        assert rejected(w.provider, headers, body) == "unknown_serial"

    async def test_missing_headers_are_rejected(self, w: World) -> None:
        headers, body = await paid_order(w)
        for name in ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"):
            assert rejected(w.provider, {k: v for k, v in headers.items() if k != name}, body) == "missing_headers"

    async def test_another_appid_is_rejected(self, w: World) -> None:
        await paid_order(w)
        resource = w.fake.payment_resource(ORDER) | {"appid": "wx0000000000000000"}
        headers, body = w.fake.notification("TRANSACTION.SUCCESS", resource)
        assert rejected(w.provider, headers, body) == "wrong_appid"

    async def test_another_mchid_is_rejected(self, w: World) -> None:
        await paid_order(w)
        resource = w.fake.payment_resource(ORDER) | {"mchid": "1230000109"}
        headers, body = w.fake.notification("TRANSACTION.SUCCESS", resource)
        assert rejected(w.provider, headers, body) == "wrong_mchid"

    async def test_a_resource_sealed_with_another_apiv3_key_is_rejected(self, w: World) -> None:
        await paid_order(w)
        headers, body = w.fake.notification("TRANSACTION.SUCCESS", w.fake.payment_resource(ORDER), apiv3_key="0" * 32)
        assert rejected(w.provider, headers, body) == "decrypt_failed"

    async def test_a_flipped_ciphertext_byte_is_rejected_even_when_signed(self, w: World) -> None:
        _headers, body = await paid_order(w)
        envelope = json.loads(body)
        ct = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
        ct[3] ^= 0x01
        envelope["resource"]["ciphertext"] = base64.b64encode(bytes(ct)).decode()
        resigned = json.dumps(envelope, ensure_ascii=False).encode()
        assert rejected(w.provider, w.fake.sign_notification(resigned), resigned) == "decrypt_failed"

    async def test_other_associated_data_is_rejected(self, w: World) -> None:
        _headers, body = await paid_order(w)
        envelope = json.loads(body)
        envelope["resource"]["associated_data"] = "refund"
        resigned = json.dumps(envelope, ensure_ascii=False).encode()
        assert rejected(w.provider, w.fake.sign_notification(resigned), resigned) == "decrypt_failed"

    async def test_an_unknown_event_type_is_rejected(self, w: World) -> None:
        await paid_order(w)
        headers, body = w.fake.notification("TRANSACTION.CLOSED", w.fake.payment_resource(ORDER))
        assert rejected(w.provider, headers, body) == "unknown_event"

    async def test_a_body_that_is_not_json_is_rejected(self, w: World) -> None:
        body = b"<xml>not v3</xml>"
        assert rejected(w.provider, w.fake.sign_notification(body), body) == "malformed"

    async def test_a_float_amount_is_rejected(self, w: World) -> None:
        await paid_order(w)
        resource = w.fake.payment_resource(ORDER)
        resource["amount"]["total"] = 25.0
        headers, body = w.fake.notification("TRANSACTION.SUCCESS", resource)
        assert rejected(w.provider, headers, body) == "malformed"


class TestKeySwitch:
    async def test_both_keys_verify_while_wechat_switches_from_certificate_to_public_key(self, w: World) -> None:
        switching = w.adapter(w.keys.public_key, w.keys.certificate)
        await paid_order(w)
        old = w.fake.payment_notification(ORDER, platform=w.keys.certificate)
        new = w.fake.payment_notification(ORDER, platform=w.keys.public_key)
        assert parse(switching, *old).out_trade_no == parse(switching, *new).out_trade_no == ORDER
        # a merchant that only knows the public key refuses the certificate's serial
        assert rejected(w.provider, *old) == "unknown_serial"

    async def test_a_certificate_serial_matches_whatever_its_case(self, w: World) -> None:
        by_cert = w.adapter(w.keys.certificate)
        await paid_order(w)
        headers, body = w.fake.payment_notification(ORDER, platform=w.keys.certificate)
        headers["Wechatpay-Serial"] = headers["Wechatpay-Serial"].lower()
        assert parse(by_cert, headers, body).kind == "paid"


class TestRefundNotifications:
    @pytest.mark.parametrize(
        "status,kind", [("SUCCESS", "refund_succeeded"), ("ABNORMAL", "refund_failed"), ("CLOSED", "refund_closed")]
    )
    async def test_decodes_refund_outcomes(self, w: World, status: str, kind: str) -> None:
        await paid_order(w, amount_fen=2500)
        await w.provider.refund(
            RefundRequest(ORDER, "MS-REFUND-0100", 1000, 2500, "重复支付退款", "https://m.example/n")
        )
        headers, body = w.fake.settle_refund("MS-REFUND-0100", status)
        notice = parse(w.provider, headers, body)
        assert notice.kind == kind
        assert (notice.out_trade_no, notice.out_refund_no) == (ORDER, "MS-REFUND-0100")
        assert (notice.amount_fen, notice.refund_fen) == (2500, 1000)
        assert notice.provider_transaction_id == w.fake.orders[ORDER].transaction_id
        assert notice.appid == ""  # refund notifications carry no appid; the mchid is still checked

    async def test_a_refund_notification_for_another_mchid_is_rejected(self, w: World) -> None:
        await paid_order(w)
        await w.provider.refund(RefundRequest(ORDER, "MS-REFUND-0101", 100, 2500, "r", "https://m.example/n"))
        headers, body = w.fake.settle_refund("MS-REFUND-0101")
        envelope = json.loads(body)
        resource = w.provider.decrypt(envelope["resource"]) | {"mchid": "1230000109"}
        headers, body = w.fake.notification(
            "REFUND.SUCCESS", resource, original_type="refund", associated_data="refund"
        )
        assert rejected(w.provider, headers, body) == "wrong_mchid"

    async def test_a_refund_event_whose_status_disagrees_is_rejected(self, w: World) -> None:
        await paid_order(w)
        await w.provider.refund(RefundRequest(ORDER, "MS-REFUND-0102", 100, 2500, "r", "https://m.example/n"))
        headers, body = w.fake.settle_refund("MS-REFUND-0102", "CLOSED")
        resource = w.provider.decrypt(json.loads(body)["resource"])
        headers, body = w.fake.notification(
            "REFUND.SUCCESS", resource, original_type="refund", associated_data="refund"
        )
        assert rejected(w.provider, headers, body) == "malformed"
