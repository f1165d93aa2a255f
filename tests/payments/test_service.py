"""The payments service and its notify route: refuse what does not match, record once, answer 4xx/2xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import structlog.testing
from prometheus_client import REGISTRY

from app.core.errors import AppError
from app.credits import inventory
from app.ledger import service as ledger
from app.market import service as market
from app.money.verify import verify as money_verify
from app.payments import service as payments
from app.payments.protocol import ProviderRefused, ProviderUnavailable, RefundRequest, RefundResult
from app.payments.sandbox import SandboxProvider
from app.points import service as points
from app.settings import Settings, SettingsError
from models.audit import AuditEvent
from models.credits import Retirement
from models.ledger import LedgerAccount, Transfer
from models.market import Order
from models.payments import PaymentAttempt, PaymentNotification, SandboxTrade
from tests.helpers import signed_in
from tests.market.helpers import a_buyer, ask, give_points, lapse, late_notification, listed
from tests.payments.fake_wechatpay import wechatpay_environment


def rejected(reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "microsink_payment_notifications_rejected_total", {"provider": "sandbox", "reason": reason}
        )
        or 0.0
    )


@pytest.fixture
def provider(settings) -> SandboxProvider:  # type: ignore[no-untyped-def]
    return SandboxProvider(settings)


async def open_attempt(settings, provider):  # type: ignore[no-untyped-def]
    _, _, listing = await listed(settings)
    buyer = await a_buyer()
    order = await market.place_order(settings, buyer, ask(listing, 10))
    return order, await market.pay(settings, provider, buyer, order.public_id)


class TestProviderSelection:
    def test_the_sandbox_is_the_embedded_default(self, settings) -> None:
        assert payments.provider_for(settings).name == "sandbox"

    def test_production_refuses_the_sandbox_payment_provider(self, tmp_path) -> None:
        import base64
        import os

        env = {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "x" * 40,
            "DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "WECHAT_LOGIN_BASE_URL": "http://127.0.0.1:9",
            "SMS_PROVIDER": "tencent",
            "WECHAT_MESSAGE_BASE_URL": "http://127.0.0.1:9",
            "CITY_ACCOUNT_PROVIDER": "off",
        }
        with pytest.raises(SettingsError, match="sandbox payment provider"):
            Settings.from_env(env)
        assert Settings.from_env({**env, **wechatpay_environment(tmp_path)}).payment_provider == "wechatpay"

    def test_an_unknown_provider_is_refused(self) -> None:
        with pytest.raises(SettingsError, match="PAYMENT_PROVIDER"):
            Settings.from_env({"PAYMENT_PROVIDER": "cash"})


class TestStart:
    async def test_wechat_pay_without_an_openid_is_a_clear_409_and_writes_no_attempt(self, db, settings) -> None:
        """Signed in by SMS or on an H5 page there is no openid: JSAPI cannot take the payment."""
        from app.core.errors import AppError
        from app.core.i18n import t
        from tests.payments.fake_wechatpay import adapter, session_keys

        wechat = adapter(session_keys(), "http://127.0.0.1:9")  # nothing listens: it must not be asked
        try:
            _, _, listing = await listed(settings)
            buyer = await a_buyer()
            assert not buyer.wechat_openid
            order = await market.place_order(settings, buyer, ask(listing))
            with pytest.raises(AppError) as refused:
                await market.pay(settings, wechat, buyer, order.public_id)
        finally:
            await wechat.aclose()
        assert (refused.value.status_code, refused.value.key) == (409, "payments.open_in_mini_program")
        assert "请在微信小程序中打开" in t(refused.value.key, "zh")
        assert await PaymentAttempt.filter(subject=order.public_id).count() == 0

    async def test_a_new_attempt_is_audited_once_and_resuming_it_writes_nothing(self, db, settings, provider) -> None:
        order, attempt = await open_attempt(settings, provider)
        buyer_id = (await Order.get(id=order.id)).buyer_id  # type: ignore[attr-defined]
        from models.accounts import User

        again = await market.pay(settings, provider, await User.get(id=buyer_id), order.public_id)
        assert again.id == attempt.id
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.created").count() == 1

    async def test_a_cancel_closes_the_open_attempt_with_an_audit_record(self, db, settings, provider) -> None:
        from models.accounts import User

        order, attempt = await open_attempt(settings, provider)
        buyer = await User.get(id=(await Order.get(id=order.id)).buyer_id)  # type: ignore[attr-defined]
        await market.cancel(provider, buyer, order.public_id)
        assert (await PaymentAttempt.get(id=attempt.id)).status == "closed"
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.closed").count() == 1


class TestNotificationChecks:
    @pytest.mark.parametrize(
        ("change", "reason"),
        [({"amount_fen": 1}, "amount_mismatch"), ({"appid": "wx-other"}, "wrong_appid")],
    )
    async def test_a_notice_that_does_not_match_the_attempt_is_a_4xx_and_changes_nothing(
        self, db, settings, provider, change, reason
    ) -> None:
        order, attempt = await open_attempt(settings, provider)
        await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).update(status="paid")
        odd = provider.notification_for(await SandboxTrade.get(out_trade_no=attempt.out_trade_no), **change)
        before = rejected(reason)
        status, body, _ = await payments.receive(settings, provider, odd.headers, odd.body)
        assert status == 400 and reason.encode() in body
        assert rejected(reason) == before + 1
        assert await PaymentNotification.all().count() == 0
        assert (await PaymentAttempt.get(id=attempt.id)).status == "pending"
        assert (await Order.get(id=order.id)).status == "pending"

    async def test_a_notice_for_a_trade_we_never_made_is_refused(self, db, settings, provider) -> None:
        await SandboxTrade.create(
            out_trade_no="MSNOTOURS",
            transaction_id="T1",
            amount_fen=1,
            description="d",
            notify_url="u",
            expires_at=market.now(),
            status="paid",
        )
        signed = provider.notification_for(await SandboxTrade.get(out_trade_no="MSNOTOURS"))
        assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 400


class TestNotifyRoute:
    async def test_forged_replayed_and_genuine_notifications_over_http(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        _, _, listing = await listed(settings)
        placed = await client.post(
            "/api/v1/market/orders",
            json={"listing": listing.public_id, "kg": 10, "purpose": "trip", "beneficiary": "张三"},
            headers=headers,
        )
        assert placed.status_code == 201, placed.text
        order = placed.json()
        started = await client.post(f"/api/v1/market/orders/{order['id']}/pay", headers=headers)
        assert started.status_code == 200 and "confirm_url" in started.json()["client"]
        provider = client._transport.app.state.payments  # type: ignore[attr-defined]
        signed = await provider.pay(started.json()["out_trade_no"])
        url = "/api/v1/payments/notify/sandbox"
        forged = await client.post(url, content=signed.body, headers={**signed.headers, "sandbox-signature": "0" * 64})
        assert forged.status_code == 400
        for _ in range(3):
            answer = await client.post(url, content=signed.body, headers=signed.headers)
            assert answer.status_code == 204
        done = (await client.get(f"/api/v1/market/orders/{order['id']}", headers=headers)).json()
        assert done["status"] == "fulfilled" and done["certificate_url"] == f"/certificates/{done['certificate_code']}"
        assert (await client.post("/api/v1/payments/notify/wechatpay", content=b"{}")).status_code == 404


class SlowRefunds(SandboxProvider):
    """The sandbox as a provider whose refunds first fail, then are accepted but finish later."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.answers = ["down", "processing"]

    async def refund(self, request):  # type: ignore[no-untyped-def]
        answer = self.answers.pop(0) if self.answers else "succeeded"
        if answer == "down":
            raise ProviderUnavailable("timeout")
        result = await super().refund(request)
        return RefundResult(result.out_refund_no, answer, result.provider_refund_id)  # type: ignore[arg-type]


class RecordingSandbox(SandboxProvider):
    """The sandbox, remembering every refund request it was sent."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.refunds: list[RefundRequest] = []

    async def refund(self, request: RefundRequest) -> RefundResult:
        self.refunds.append(request)
        return await super().refund(request)


class TestRefunds:
    async def test_a_refund_asks_the_provider_to_post_its_outcome_to_our_notify_route(self, db, settings) -> None:
        """WeChat refuses an empty notify_url, and without ours sends no REFUND.* notice at all."""
        provider = RecordingSandbox(settings)
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        assert [r.notify_url for r in provider.refunds] == [payments.notify_url(settings, provider.name)]
        assert provider.refunds[0].notify_url.endswith("/api/v1/payments/notify/sandbox")

    async def test_a_refund_the_provider_could_not_take_is_retried_and_settled_by_its_notice_once(
        self, db, settings
    ) -> None:
        provider = SlowRefunds(settings)
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refund_due"  # the provider was down
        assert await payments.retry_refunds(settings, provider) == 0  # accepted, still processing
        attempt = await PaymentAttempt.get(id=attempt.id)
        assert (attempt.status, attempt.out_refund_no) == ("refund_due", "R" + attempt.out_trade_no)
        trade = await SandboxTrade.get(out_trade_no=attempt.out_trade_no)
        done = provider.notification_for(trade, event="REFUND.SUCCESS")
        for _ in range(3):
            assert (await payments.receive(settings, provider, done.headers, done.body))[0] == 204
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refunded"
        clearing = await LedgerAccount.get(ledger="fen", code="clearing", owner="platform")
        assert clearing.balance == 0
        assert await Transfer.filter(reason="payment.refunded").count() == 1
        assert (await ledger.verify(full=True)).ok

    async def test_a_refund_the_provider_reports_failed_ends_refund_failed_and_is_not_asked_again(
        self, db, settings
    ) -> None:
        """REFUND.ABNORMAL/CLOSED: the same out_refund_no gets the same answer for ever; an operator must act."""

        class FailingRefunds(SandboxProvider):
            asked = 0

            async def refund(self, request: RefundRequest) -> RefundResult:
                FailingRefunds.asked += 1
                return RefundResult(request.out_refund_no, "failed", "R1")

        provider = FailingRefunds(settings)
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        for _ in range(5):
            assert await payments.retry_refunds(settings, provider) == 0
        assert FailingRefunds.asked == 1
        attempt = await PaymentAttempt.get(id=attempt.id)
        assert (attempt.status, attempt.out_refund_no) == ("refund_failed", "R" + attempt.out_trade_no)
        assert [a.id for a in await payments.failed_refunds()] == [attempt.id]
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.refund_failed").count() == 1
        clearing = await LedgerAccount.get(ledger="fen", code="clearing", owner="platform")
        assert clearing.balance == attempt.amount_fen  # still owed to the payer, by hand
        assert (await ledger.verify(full=True)).ok
        assert (await money_verify()).problems == []  # money owed back by hand is expected in clearing

    async def test_an_operator_settles_a_failed_refund_by_hand_once(self, db, settings) -> None:
        class FailingRefunds(SandboxProvider):
            async def refund(self, request: RefundRequest) -> RefundResult:
                return RefundResult(request.out_refund_no, "failed", "R1")

        provider = FailingRefunds(settings)
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        with pytest.raises(AppError) as bad:
            await payments.settle_by_hand("user:ops", attempt.out_trade_no, "carrier_pigeon", "X1")
        assert bad.value.key == "payments.bad_by_hand_way" and bad.value.status_code == 400
        with pytest.raises(AppError) as bad:
            await payments.settle_by_hand("user:ops", attempt.out_trade_no, "bank_transfer", "  ")
        assert bad.value.key == "payments.bad_by_hand_reference"
        done = await payments.settle_by_hand("user:ops", attempt.out_trade_no, "bank_transfer", "ICBC-20261206-001")
        assert done.status == "refunded_by_hand" and done.refunded_at is not None
        with pytest.raises(AppError) as twice:
            await payments.settle_by_hand("user:ops", attempt.out_trade_no, "bank_transfer", "ICBC-20261206-001")
        assert twice.value.key == "payments.not_refund_failed" and twice.value.status_code == 409
        clearing = await LedgerAccount.get(ledger="fen", code="clearing", owner="platform")
        by_hand = await LedgerAccount.get(ledger="fen", code="refunded_by_hand", owner="platform")
        assert (clearing.balance, by_hand.balance) == (0, attempt.amount_fen)
        assert await Transfer.filter(reason="payment.refunded", reference=attempt.out_trade_no).count() == 1
        event = await AuditEvent.get(entity_id=attempt.out_trade_no, action="payment.refunded_by_hand")
        assert event.actor == "user:ops" and event.after["reference"] == "ICBC-20261206-001"
        assert await payments.failed_refunds() == []
        assert (await ledger.verify(full=True)).ok and (await money_verify()).problems == []
        with pytest.raises(AppError) as unknown:
            await payments.settle_by_hand("user:ops", "NOPE", "cash", "r")
        assert unknown.value.status_code == 404

    async def test_a_refund_closed_notice_ends_refund_failed_once(self, db, settings) -> None:
        provider = SlowRefunds(settings)
        provider.answers = ["processing"]
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
        trade = await SandboxTrade.get(out_trade_no=attempt.out_trade_no)
        closed = provider.notification_for(trade, event="REFUND.CLOSED")
        for _ in range(2):
            assert (await payments.receive(settings, provider, closed.headers, closed.body))[0] == 204
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refund_failed"
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.refund_failed").count() == 1
        assert await payments.retry_refunds(settings, provider) == 0
        # A later SUCCESS notice for it is recorded but cannot book the money a second time.
        done = provider.notification_for(trade, event="REFUND.SUCCESS")
        assert (await payments.receive(settings, provider, done.headers, done.body))[0] == 204
        assert await Transfer.filter(reason="payment.refunded").count() == 0

    async def test_a_refund_notice_for_another_refund_number_is_refused(self, db, settings) -> None:
        provider = SlowRefunds(settings)
        provider.answers = ["processing"]
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        await payments.receive(settings, provider, late.headers, late.body)
        await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).update(out_refund_no="RSOMEONEELSE")
        trade = await SandboxTrade.get(out_trade_no=attempt.out_trade_no)
        odd = provider.notification_for(trade, event="REFUND.SUCCESS")
        before = rejected("unknown_refund")
        assert (await payments.receive(settings, provider, odd.headers, odd.body))[0] == 400
        assert rejected("unknown_refund") == before + 1
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refund_due"

    async def test_platform_admins_see_the_refunds_that_failed_and_others_do_not(self, client, settings) -> None:
        from app.core.auth import Role

        provider = SlowRefunds(settings)
        provider.answers = ["processing"]
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        await payments.receive(settings, provider, late.headers, late.body)
        trade = await SandboxTrade.get(out_trade_no=attempt.out_trade_no)
        abnormal = provider.notification_for(trade, event="REFUND.ABNORMAL")
        assert (await payments.receive(settings, provider, abnormal.headers, abnormal.body))[0] == 204
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        _, citizen = await signed_in(settings)
        url = "/api/v1/admin/payments/refunds-failed"
        assert (await client.get(url, headers=citizen)).status_code == 403
        listed_ = await client.get(url, headers=admin)
        assert listed_.status_code == 200, listed_.text
        [row] = listed_.json()
        assert (row["out_trade_no"], row["amount_fen"], row["refund_reason"]) == (
            attempt.out_trade_no,
            attempt.amount_fen,
            "expired",
        )
        settle = f"{url}/{attempt.out_trade_no}/settle"
        body = {"way": "bank_transfer", "reference": "ICBC-001", "note": "打款至原卡开户行"}
        assert (await client.post(settle, json=body, headers=citizen)).status_code == 403
        refused = await client.post(settle, json={**body, "way": "pigeon"}, headers={**admin, "Accept-Language": "en"})
        assert refused.status_code == 400 and "must be one of: bank_transfer" in refused.json()["message"]
        done = await client.post(settle, json=body, headers=admin)
        assert done.status_code == 200 and done.json()["status"] == "refunded_by_hand", done.text
        again = await client.post(settle, json=body, headers=admin)
        assert again.status_code == 409 and "refunded_by_hand" in again.json()["message"]
        assert (await client.get(url, headers=admin)).json() == []

    async def test_a_crash_after_the_provider_refunded_is_settled_once_by_the_retry(
        self, db, settings, monkeypatch
    ) -> None:
        """The process dies after the provider took the refund and before we booked it: the housekeeping
        retry asks again with the same out_refund_no and books it exactly once."""
        provider = RecordingSandbox(settings)
        order, attempt = await open_attempt(settings, provider)
        await lapse(order)
        late = await late_notification(provider, attempt)
        real = payments._settle_refund

        async def crash(*a, **k):  # type: ignore[no-untyped-def]
            raise SystemExit("killed")

        monkeypatch.setattr(payments, "_settle_refund", crash)
        with pytest.raises(SystemExit):
            await payments.receive(settings, provider, late.headers, late.body)
        monkeypatch.setattr(payments, "_settle_refund", real)
        assert (await SandboxTrade.get(out_trade_no=attempt.out_trade_no)).status == "refunded"
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refund_due"
        assert await payments.retry_refunds(settings, provider) == 1
        assert await payments.retry_refunds(settings, provider) == 0
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refunded"
        assert {r.out_refund_no for r in provider.refunds} == {"R" + attempt.out_trade_no}
        assert await Transfer.filter(reason="payment.refunded").count() == 1
        assert (await ledger.verify(full=True)).ok


def later() -> datetime:
    """A housekeeping round run once RECONCILE_AFTER has passed."""
    return datetime.now(UTC) + payments.RECONCILE_AFTER + timedelta(seconds=1)


class TestReconciliation:
    async def test_a_payment_whose_notification_failed_is_reconciled_and_refunded_once(
        self, db, settings, provider, monkeypatch
    ) -> None:
        """The notify transaction failed (a deadlock, a crash, WeChat's retries used up): the payer's money
        must not stay at the provider with the attempt pending for ever."""
        order, attempt = await open_attempt(settings, provider)
        real = payments._FULFILLERS[market.PURPOSE]

        async def broken(settings, subject, attempt):  # type: ignore[no-untyped-def]
            raise RuntimeError("transient: deadlock detected")

        monkeypatch.setitem(payments._FULFILLERS, market.PURPOSE, broken)
        signed = await provider.pay(attempt.out_trade_no)  # the provider now holds the money
        with pytest.raises(RuntimeError):
            await payments.receive(settings, provider, signed.headers, signed.body)
        monkeypatch.setitem(payments._FULFILLERS, market.PURPOSE, real)
        assert (await PaymentAttempt.get(id=attempt.id)).status == "pending"
        await lapse(order)
        assert await payments.reconcile_pending(settings, provider) == 0  # too early to ask
        assert await payments.reconcile_pending(settings, provider, at=later()) == 1
        assert await payments.reconcile_pending(settings, provider, at=later()) == 0
        attempt = await PaymentAttempt.get(id=attempt.id)
        assert (attempt.status, attempt.refund_reason) == ("refunded", "expired")
        assert (await SandboxTrade.get(out_trade_no=attempt.out_trade_no)).status == "refunded"
        # WeChat's own retry of the notice, arriving after all, changes nothing.
        assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        assert await Transfer.filter(reason="payment.received").count() == 1
        assert await Transfer.filter(reason="payment.refunded").count() == 1
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.refund_due").count() == 1
        assert (await ledger.verify(full=True)).ok

    async def test_a_payment_whose_notice_never_came_fulfils_its_order_once(self, db, settings, provider) -> None:
        order, attempt = await open_attempt(settings, provider)
        signed = await provider.pay(attempt.out_trade_no)  # paid; the notice is lost
        assert await payments.reconcile_pending(settings, provider, at=later()) == 1
        assert (await PaymentAttempt.get(id=attempt.id)).status == "paid"
        assert (await Order.get(id=order.id)).status == "fulfilled"
        assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        assert await Transfer.filter(reason="payment.received").count() == 1
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.paid").count() == 1
        assert (await ledger.verify(full=True)).ok

    async def _refunded_elsewhere(self, settings, provider, *, points: int = 0):  # type: ignore[no-untyped-def]
        """An order (optionally part paid in points) whose payment was made and refunded at the provider
        while its notice was lost: we never recorded it paid."""
        _, issuance, listing = await listed(settings)
        buyer = await a_buyer()
        if points:
            await give_points(buyer, points)
        order = await market.place_order(settings, buyer, ask(listing, 10, points=points))
        attempt = await market.pay(settings, provider, buyer, order.public_id)
        await provider.pay(attempt.out_trade_no)  # paid; the notice is lost …
        await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).update(status="refunded")  # … refunded outside
        return buyer, issuance, order, attempt

    async def test_a_payment_refunded_elsewhere_ends_once_and_gives_the_order_back_once(
        self, db, settings, provider
    ) -> None:
        """Before: it stayed pending, logged at error level every round, with no way to settle it."""
        buyer, issuance, order, attempt = await self._refunded_elsewhere(settings, provider, points=5)
        assert await inventory.sellable_kg(issuance.public_id) == 90
        assert (await points.balance_of(buyer)).available == 0
        with structlog.testing.capture_logs() as logs:
            assert await payments.reconcile_pending(settings, provider, at=later()) == 1
            assert await payments.reconcile_pending(settings, provider, at=later()) == 0  # settled once
        assert [e["event"] for e in logs].count("payment_reconcile_refunded_elsewhere") == 1
        attempt = await PaymentAttempt.get(id=attempt.id)
        trade = await SandboxTrade.get(out_trade_no=attempt.out_trade_no)
        assert (attempt.status, attempt.provider_transaction_id) == ("refunded_elsewhere", trade.transaction_id)
        [event] = await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.refunded_elsewhere")
        assert event.after["provider_transaction_id"] == trade.transaction_id
        assert (event.after["provider_amount_fen"], event.after["subject_ended"]) == (attempt.amount_fen, True)
        # The order is not fulfilled; its kg and points came back once, as a cancel or an expiry gives them.
        assert (await Order.get(id=order.id)).status == "cancelled"
        assert await AuditEvent.filter(entity_id=order.public_id, action__startswith="market.order.").count() == 2
        assert await inventory.sellable_kg(issuance.public_id) == 100
        assert (await points.balance_of(buyer)).available == 5
        await lapse(order)
        assert await market.expire_overdue_orders() == 0  # the sweep finds nothing more to give back
        assert await inventory.sellable_kg(issuance.public_id) == 100
        assert await Transfer.filter(ledger="fen").count() == 0  # no money ever entered our ledger for it
        assert (await ledger.verify(full=True)).ok and (await money_verify()).problems == []
        with pytest.raises(AppError):  # nothing left to pay
            await market.pay(settings, provider, buyer, order.public_id)

    async def test_an_order_past_its_moment_is_expired_and_one_already_swept_is_left_alone(
        self, db, settings, provider
    ) -> None:
        _, issuance, order, attempt = await self._refunded_elsewhere(settings, provider)
        _, other_issuance, swept, other = await self._refunded_elsewhere(settings, provider)
        await lapse(order)
        await lapse(swept)
        assert await payments.reconcile_pending(settings, provider, at=later() - timedelta(days=1)) == 0
        # Only `swept` is swept first (its order, then the round).
        await Order.filter(id=order.id).update(expires_at=datetime.now(UTC) + timedelta(hours=1))
        assert await market.expire_overdue_orders() == 1
        await Order.filter(id=order.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert await payments.reconcile_pending(settings, provider, at=later()) == 2
        assert (await Order.get(id=order.id)).status == "expired"
        assert (await Order.get(id=swept.id)).status == "expired"
        assert await AuditEvent.filter(entity_id=swept.public_id, action="market.order.expired").count() == 1
        ended = {
            e.entity_id: e.after["subject_ended"] for e in await AuditEvent.filter(action="payment.refunded_elsewhere")
        }
        assert ended == {attempt.out_trade_no: True, other.out_trade_no: False}
        assert await inventory.sellable_kg(issuance.public_id) == 100
        assert await inventory.sellable_kg(other_issuance.public_id) == 100
        assert (await money_verify()).problems == []

    async def test_a_paid_notice_arriving_after_it_was_refunded_elsewhere_fulfils_nothing(
        self, db, settings, provider
    ) -> None:
        _, issuance, order, attempt = await self._refunded_elsewhere(settings, provider)
        assert await payments.reconcile_pending(settings, provider, at=later()) == 1
        trade = await SandboxTrade.get(out_trade_no=attempt.out_trade_no)
        late = provider.notification_for(trade)  # WeChat's retry of the lost TRANSACTION.SUCCESS
        with structlog.testing.capture_logs() as logs:
            assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204
            assert (await payments.receive(settings, provider, late.headers, late.body))[0] == 204  # replayed
        assert [e["event"] for e in logs].count("payment_notice_after_refunded_elsewhere") == 1
        assert (await PaymentAttempt.get(id=attempt.id)).status == "refunded_elsewhere"
        assert (await Order.get(id=order.id)).status == "cancelled"
        assert await Retirement.filter().count() == 0
        assert await PaymentNotification.filter(out_trade_no=attempt.out_trade_no).count() == 1
        assert await Transfer.filter(ledger="fen").count() == 0
        assert await inventory.sellable_kg(issuance.public_id) == 100
        assert (await ledger.verify(full=True)).ok and (await money_verify()).problems == []

    async def test_a_notice_that_lands_while_the_round_asks_wins_and_the_round_changes_nothing(
        self, db, settings, provider
    ) -> None:
        """The round read the attempt pending; the notice fulfilled it before the round wrote: one wins."""
        order, stale = await open_attempt(settings, provider)
        signed = await provider.pay(stale.out_trade_no)
        assert (await payments.receive(settings, provider, signed.headers, signed.body))[0] == 204
        answer = await provider.query(stale.out_trade_no)
        assert await payments._settle_refunded_elsewhere(provider, stale, answer) == 0
        assert (await PaymentAttempt.get(id=stale.id)).status == "paid"
        assert (await Order.get(id=order.id)).status == "fulfilled"
        assert not await AuditEvent.filter(action="payment.refunded_elsewhere").exists()

    async def test_platform_admins_see_the_payments_refunded_elsewhere(self, client, settings, provider) -> None:
        from app.core.auth import Role

        _, _, order, attempt = await self._refunded_elsewhere(settings, provider)
        assert await payments.reconcile_pending(settings, provider, at=later()) == 1
        _, admin = await signed_in(settings, Role.PLATFORM_ADMIN)
        _, citizen = await signed_in(settings)
        url = "/api/v1/admin/payments/refunded-elsewhere"
        assert (await client.get(url, headers=citizen)).status_code == 403
        listed_ = await client.get(url, headers=admin)
        assert listed_.status_code == 200, listed_.text
        [row] = listed_.json()
        trade = await SandboxTrade.get(out_trade_no=attempt.out_trade_no)
        assert (row["out_trade_no"], row["subject"], row["amount_fen"], row["provider_transaction_id"]) == (
            attempt.out_trade_no,
            order.public_id,
            attempt.amount_fen,
            trade.transaction_id,
        )

    async def test_an_unpaid_attempt_past_its_moment_is_closed_and_a_fresh_one_left_alone(
        self, db, settings, provider
    ) -> None:
        order, attempt = await open_attempt(settings, provider)
        _, fresh = await open_attempt(settings, provider)
        await lapse(order)
        await PaymentAttempt.filter(id=attempt.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert await payments.reconcile_pending(settings, provider) == 0
        assert await payments.reconcile_pending(settings, provider, at=later() - timedelta(minutes=1)) == 0
        await PaymentAttempt.filter(id=attempt.id).update(created_at=datetime.now(UTC) - timedelta(minutes=30))
        assert await payments.reconcile_pending(settings, provider) == 1
        assert (await PaymentAttempt.get(id=attempt.id)).status == "closed"
        assert (await PaymentAttempt.get(id=fresh.id)).status == "pending"
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.closed").count() == 1
        assert (await SandboxTrade.get(out_trade_no=attempt.out_trade_no)).status in {"created", "closed"}
        with pytest.raises(ProviderRefused):
            await provider.pay(attempt.out_trade_no)

    async def test_an_attempt_the_provider_never_created_is_closed_once_its_moment_passed(
        self, db, settings, provider
    ) -> None:
        """A worker killed between writing the attempt and creating the provider's trade (bench/faults.py),
        or the provider down at that moment: the provider answers ORDER_NOT_EXIST for ever."""
        order, attempt = await open_attempt(settings, provider)
        await SandboxTrade.filter(out_trade_no=attempt.out_trade_no).delete()
        assert await payments.reconcile_pending(settings, provider, at=later()) == 0  # still payable: left alone
        assert (await PaymentAttempt.get(id=attempt.id)).status == "pending"
        await lapse(order)
        await PaymentAttempt.filter(id=attempt.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        assert await payments.reconcile_pending(settings, provider, at=later()) == 1
        assert (await PaymentAttempt.get(id=attempt.id)).status == "closed"
        assert await AuditEvent.filter(entity_id=attempt.out_trade_no, action="payment.closed").count() == 1

    async def test_attempts_the_provider_cannot_answer_for_never_starve_a_paid_one(
        self, db, settings, provider
    ) -> None:
        """Before: each round asked about the 100 oldest pending attempts only, so 100 that never settle
        (no trade at the provider yet, refunded elsewhere, a provider error) hid every later paid one."""
        order, stuck = await open_attempt(settings, provider)
        await SandboxTrade.filter(out_trade_no=stuck.out_trade_no).delete()
        await PaymentAttempt.bulk_create(
            [
                PaymentAttempt(
                    out_trade_no=f"MS{n:030d}",
                    provider="sandbox",
                    purpose=market.PURPOSE,
                    subject=order.public_id,
                    amount_fen=stuck.amount_fen,
                    description="stuck",
                    appid=stuck.appid,
                    mchid=stuck.mchid,
                    expires_at=stuck.expires_at,
                )
                for n in range(120)
            ]
        )
        paid_order, paid = await open_attempt(settings, provider)
        await provider.pay(paid.out_trade_no)  # paid; the notice is lost
        for _ in range(3):  # 122 pending, 100 a round: within two rounds every one was asked about
            await payments.reconcile_pending(settings, provider, at=later())
        assert (await PaymentAttempt.get(id=paid.id)).status == "paid"
        assert (await Order.get(id=paid_order.id)).status == "fulfilled"

    async def test_reconciliation_runs_with_housekeeping(self, client) -> None:
        from app.core import housekeeping

        assert {"payments.reconcile_pending", "payments.retry_refunds"} <= set(housekeeping._JOBS)
