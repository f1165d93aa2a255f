"""The sandbox provider keeps the protocol's rules: signed notifications that refuse forgery, tampering
and staleness; trades paid once and never after they expire; query, close and refund."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.payments.protocol import NotificationRejected, PaymentRequest, ProviderRefused, RefundRequest
from app.payments.sandbox import APPID, MCHID, SandboxProvider
from models.payments import SandboxTrade


def request(no: str = "MS0001", amount: int = 1_000, minutes: int = 15) -> PaymentRequest:
    return PaymentRequest(no, amount, "碳汇 10 千克", datetime.now(UTC) + timedelta(minutes=minutes), "http://x/n")


@pytest.fixture
def sandbox(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


class TestNotifications:
    async def test_a_signed_notification_is_verified_and_read(self, db, sandbox) -> None:
        await sandbox.create(request())
        signed = await sandbox.pay("MS0001")
        notice = sandbox.parse_notification(signed.headers, signed.body, datetime.now(UTC))
        assert (notice.kind, notice.out_trade_no, notice.amount_fen) == ("paid", "MS0001", 1_000)
        assert (notice.appid, notice.mchid, notice.replay_key) == (APPID, MCHID, signed.headers["sandbox-signature"])

    async def test_a_forged_signature_is_rejected(self, db, sandbox, settings) -> None:
        await sandbox.create(request())
        signed = await sandbox.pay("MS0001")
        forger = SandboxProvider(settings.with_(secret_key="someone-else's-key"))
        forged = forger.sign(signed.body)
        with pytest.raises(NotificationRejected) as rejected:
            sandbox.parse_notification(forged, signed.body, datetime.now(UTC))
        assert rejected.value.reason == "bad_signature"

    async def test_a_tampered_body_is_rejected(self, db, sandbox) -> None:
        await sandbox.create(request())
        signed = await sandbox.pay("MS0001")
        tampered = signed.body.replace(b'"amount_fen":1000', b'"amount_fen":1')
        assert tampered != signed.body
        with pytest.raises(NotificationRejected) as rejected:
            sandbox.parse_notification(signed.headers, tampered, datetime.now(UTC))
        assert rejected.value.reason == "bad_signature"

    async def test_a_stale_notification_is_rejected(self, db, sandbox) -> None:
        await sandbox.create(request())
        trade = await SandboxTrade.get(out_trade_no="MS0001")
        old = sandbox.notification_for(trade, now=datetime.now(UTC) - timedelta(minutes=6))
        with pytest.raises(NotificationRejected) as rejected:
            sandbox.parse_notification(old.headers, old.body, datetime.now(UTC))
        assert rejected.value.reason == "stale_timestamp"

    async def test_missing_headers_and_foreign_merchants_are_rejected(self, db, sandbox) -> None:
        await sandbox.create(request())
        trade = await SandboxTrade.get(out_trade_no="MS0001")
        signed = sandbox.notification_for(trade)
        with pytest.raises(NotificationRejected, match="missing_headers"):
            sandbox.parse_notification({}, signed.body, datetime.now(UTC))
        for change, reason in (({"appid": "wx-other"}, "wrong_appid"), ({"mchid": "999"}, "wrong_mchid")):
            other = sandbox.notification_for(trade, **change)  # type: ignore[arg-type]
            with pytest.raises(NotificationRejected) as rejected:
                sandbox.parse_notification(other.headers, other.body, datetime.now(UTC))
            assert rejected.value.reason == reason

    async def test_a_signed_body_that_is_not_a_notification_is_malformed(self, db, sandbox) -> None:
        body = json.dumps({"hello": "world"}).encode()
        with pytest.raises(NotificationRejected) as rejected:
            sandbox.parse_notification(sandbox.sign(body), body, datetime.now(UTC))
        assert rejected.value.reason == "malformed"


class TestTrades:
    async def test_a_trade_is_paid_once_and_never_after_it_expires(self, db, sandbox) -> None:
        await sandbox.create(request("MS0002", minutes=15))
        first, second = await sandbox.pay("MS0002"), await sandbox.pay("MS0002")
        assert json.loads(first.body)["id"] == json.loads(second.body)["id"]  # the same payment, told twice
        await sandbox.create(request("MS0003", minutes=15))
        await SandboxTrade.filter(out_trade_no="MS0003").update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        with pytest.raises(ProviderRefused):
            await sandbox.pay("MS0003")
        assert (await sandbox.query("MS0003")).state == "closed"

    async def test_query_close_and_refund(self, db, sandbox) -> None:
        await sandbox.create(request("MS0004"))
        assert (await sandbox.query("MS0004")).state == "pending"
        await sandbox.close("MS0004")
        assert (await sandbox.query("MS0004")).state == "closed"
        with pytest.raises(ProviderRefused):
            await sandbox.pay("MS0004")
        await sandbox.create(request("MS0005"))
        await sandbox.pay("MS0005")
        status = await sandbox.query("MS0005")
        assert (status.state, status.amount_fen) == ("paid", 1_000) and status.provider_transaction_id
        with pytest.raises(ProviderRefused):
            await sandbox.close("MS0005")
        refund = RefundRequest("MS0005", "RMS0005", 1_000, 1_000, "test", "")
        assert (await sandbox.refund(refund)).state == "succeeded"
        assert (await sandbox.refund(refund)).state == "succeeded"  # the same out_refund_no: a replay
        with pytest.raises(ProviderRefused):
            await sandbox.refund(RefundRequest("MS0005", "RMS0005-2", 1_000, 1_000, "test", ""))
        assert (await sandbox.query("MS0005")).state == "refunded"

    async def test_creating_twice_with_one_out_trade_no_is_safe_but_not_for_another_amount(self, db, sandbox) -> None:
        first = await sandbox.create(request("MS0006"))
        assert (await sandbox.create(request("MS0006"))).client == first.client
        with pytest.raises(ProviderRefused):
            await sandbox.create(request("MS0006", amount=5))


class TestConfirmPage:
    async def test_the_page_opens_only_with_the_token_bound_to_its_trade(self, client, settings) -> None:
        sandbox = client._transport.app.state.payments  # type: ignore[attr-defined]
        await sandbox.create(request("MS0007"))
        from app.payments import service as payments
        from models.payments import PaymentAttempt

        await PaymentAttempt.create(
            out_trade_no="MS0007",
            provider="sandbox",
            purpose="market.order",
            subject="o7",
            amount_fen=1_000,
            description="d",
            expires_at=datetime.now(UTC) + timedelta(minutes=15),
        )
        good = await client.get(sandbox.confirm_path("MS0007"), headers={"Accept": "text/html"})
        assert good.status_code == 200 and "10.00 元" in good.text and "支付" in good.text
        assert payments.return_path(await PaymentAttempt.get(out_trade_no="MS0007")) == "/market/orders/o7"
        forged = await client.get("/payments/sandbox/MS0007?t=" + "0" * 32, headers={"Accept": "text/html"})
        assert forged.status_code == 404
