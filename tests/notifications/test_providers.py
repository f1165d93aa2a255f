"""The WeChat subscription-message and Tencent Cloud SMS adapters against local fakes that verify the protocol."""

from __future__ import annotations

import time

import httpx
import pytest

from app.notifications.sms import SmsProvider, SmsSendError, sms_provider_for
from app.notifications.tencent_sms import TencentSms
from app.notifications.wechat_message import WechatSendError, WechatSubscribeMessenger
from tests.notifications.fakes import FakeTencentSms, FakeWechat, serve


class TestWechatSubscribeMessenger:
    async def test_fetches_a_token_once_and_sends_with_it(self) -> None:
        fake = FakeWechat()
        async with serve(fake.app()) as base:
            wx = WechatSubscribeMessenger(base, fake.appid, fake.secret)
            first = await wx.send(
                "openid-1", "tpl-1", "pages/me/index", {"thing1": "新设备", "time2": "2026-11-25 09:00"}
            )
            second = await wx.send("openid-2", "tpl-1", "pages/me/index", {"thing1": "另一台"})
            await wx.aclose()
        assert fake.token_requests == 1
        assert [m["touser"] for m in fake.sent] == ["openid-1", "openid-2"]
        assert fake.sent[0]["data"] == {"thing1": {"value": "新设备"}, "time2": {"value": "2026-11-25 09:00"}}
        assert fake.sent[0]["page"] == "pages/me/index" and fake.sent[0]["template_id"] == "tpl-1"
        assert first == str(fake.sent[0]["msgid"]) and second == str(fake.sent[1]["msgid"])

    @pytest.mark.parametrize("errcode_trigger", ["expired", "invalid"])
    async def test_a_rejected_token_is_refreshed_and_the_send_retried_once(self, errcode_trigger: str) -> None:
        fake = FakeWechat()
        async with serve(fake.app()) as base:
            wx = WechatSubscribeMessenger(base, fake.appid, fake.secret)
            await wx.send("openid-1", "tpl-1", "", {"thing1": "a"})
            if errcode_trigger == "expired":
                fake.expire_tokens()  # 42001
            else:
                fake.tokens.clear()  # 40001
            await wx.send("openid-1", "tpl-1", "", {"thing1": "b"})
            await wx.aclose()
        assert fake.token_requests == 2
        assert [m["data"]["thing1"]["value"] for m in fake.sent] == ["a", "b"]

    async def test_messengers_sharing_a_store_share_one_token(self) -> None:
        from litestar.stores.memory import MemoryStore

        fake, store = FakeWechat(), MemoryStore()
        async with serve(fake.app()) as base:
            one = WechatSubscribeMessenger(base, fake.appid, fake.secret, store=store)
            two = WechatSubscribeMessenger(base, fake.appid, fake.secret, store=store)
            await one.send("openid-1", "tpl-1", "", {"thing1": "a"})
            await two.send("openid-2", "tpl-1", "", {"thing1": "b"})
            await one.aclose()
            await two.aclose()
        assert fake.token_requests == 1 and len(fake.sent) == 2

    async def test_a_refused_subscription_fails_permanently(self) -> None:
        fake = FakeWechat()
        fake.refused_openids.add("openid-no")
        async with serve(fake.app()) as base:
            wx = WechatSubscribeMessenger(base, fake.appid, fake.secret)
            with pytest.raises(WechatSendError) as caught:
                await wx.send("openid-no", "tpl-1", "", {"thing1": "a"})
            await wx.aclose()
        assert caught.value.errcode == 43101 and caught.value.retryable is False
        assert fake.sent == []

    async def test_busy_is_retryable_and_a_wrong_secret_never_sends(self) -> None:
        fake = FakeWechat()
        fake.busy_next = 1
        async with serve(fake.app()) as base:
            wx = WechatSubscribeMessenger(base, fake.appid, fake.secret)
            with pytest.raises(WechatSendError) as busy:
                await wx.send("openid-1", "tpl-1", "", {"thing1": "a"})
            wrong = WechatSubscribeMessenger(base, fake.appid, "not-the-secret")
            with pytest.raises(WechatSendError) as bad_secret:
                await wrong.send("openid-1", "tpl-1", "", {"thing1": "a"})
            await wx.aclose()
            await wrong.aclose()
        assert busy.value.retryable is True and busy.value.errcode == -1
        assert "40125" in str(bad_secret.value)
        assert fake.sent == []

    async def test_unreachable_server_is_a_retryable_error(self) -> None:
        wx = WechatSubscribeMessenger("http://127.0.0.1:1", "a", "b", timeout_s=1)
        with pytest.raises(WechatSendError) as caught:
            await wx.send("openid-1", "tpl-1", "", {"thing1": "a"})
        await wx.aclose()
        assert caught.value.retryable is True


class TestTencentSms:
    def _client(self, base: str, fake: FakeTencentSms, **overrides: str) -> TencentSms:
        args = {"secret_id": fake.secret_id, "secret_key": fake.secret_key, "app_id": fake.app_id} | overrides
        return TencentSms(base, args["secret_id"], args["secret_key"], args["app_id"], "微碳汇")

    async def test_sends_a_signed_request_the_fake_accepts(self) -> None:
        fake = FakeTencentSms()
        async with serve(fake.app()) as base:
            sms = self._client(base, fake)
            assert isinstance(sms, SmsProvider)
            serial = await sms.send("13800001111", "2001", ["123456", "5"], session_context="outbox:42")
            await sms.aclose()
        assert fake.rejected == []
        assert serial.startswith("2640:")
        request = fake.requests[0]
        assert request["PhoneNumberSet"] == ["+8613800001111"]
        assert (request["SmsSdkAppId"], request["SignName"], request["TemplateId"]) == (fake.app_id, "微碳汇", "2001")
        assert request["TemplateParamSet"] == ["123456", "5"]
        assert request["SessionContext"] == "outbox:42"

    async def test_a_wrong_secret_key_is_rejected_by_the_signature_check(self) -> None:
        fake = FakeTencentSms()
        async with serve(fake.app()) as base:
            sms = self._client(base, fake, secret_key="wrong-key")
            with pytest.raises(SmsSendError) as caught:
                await sms.send("13800001111", "2001", ["1"])
            await sms.aclose()
        assert fake.rejected == ["AuthFailure.SignatureFailure"]
        assert "AuthFailure.SignatureFailure" in caught.value.reason
        assert fake.requests == []

    async def test_a_tampered_body_fails_the_signature(self) -> None:
        fake = FakeTencentSms()
        async with serve(fake.app()) as base:
            sms = self._client(base, fake)
            payload = b'{"PhoneNumberSet":["+8613800001111"]}'
            headers = sms.signed_request(payload, int(time.time()))
            async with httpx.AsyncClient() as http:
                r = await http.post(base + "/", content=payload.replace(b"1111", b"2222"), headers=headers)
            await sms.aclose()
        assert r.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"

    async def test_an_old_timestamp_is_refused(self) -> None:
        fake = FakeTencentSms()
        async with serve(fake.app()) as base:
            sms = TencentSms(base, fake.secret_id, fake.secret_key, fake.app_id, "微碳汇", clock=lambda: 1_700_000_000)
            with pytest.raises(SmsSendError):
                await sms.send("13800001111", "2001", ["1"])
            await sms.aclose()
        assert fake.rejected == ["AuthFailure.SignatureExpire"]

    async def test_blacklisted_number_is_permanent_and_an_internal_error_is_retryable(self) -> None:
        fake = FakeTencentSms()
        fake.blacklisted.add("+8613800002222")
        fake.fail_next = 1
        async with serve(fake.app()) as base:
            sms = self._client(base, fake)
            with pytest.raises(SmsSendError) as internal:
                await sms.send("13800001111", "2001", ["1"])
            with pytest.raises(SmsSendError) as blacklisted:
                await sms.send("13800002222", "2001", ["1"])
            await sms.aclose()
        assert internal.value.retryable is True
        assert blacklisted.value.retryable is False

    async def test_sms_provider_tencent_is_selected_by_settings(self, settings) -> None:
        provider = sms_provider_for(
            settings.with_(
                sms_provider="tencent",
                sms_base_url="http://127.0.0.1:9",
                sms_secret_id="id",
                sms_secret_key="k",
                sms_app_id="1",
            )
        )
        assert isinstance(provider, TencentSms)
