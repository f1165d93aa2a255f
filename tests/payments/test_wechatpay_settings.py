"""WeChat Pay settings: read from the environment, refused when incomplete, never shown."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.payments.wechatpay import WeChatPayProvider
from app.settings import Settings, SettingsError
from tests.payments.fake_wechatpay import (
    FakeWeChatPay,
    Keys,
    payment_request,
    serving,
    session_keys,
    wechatpay_environment,
)

PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "x" * 40,
    "DATA_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "WECHAT_LOGIN_BASE_URL": "https://api.weixin.qq.com",
    "WECHAT_MESSAGE_BASE_URL": "https://api.weixin.qq.com",
    "SMS_PROVIDER": "tencent",
    "CITY_ACCOUNT_PROVIDER": "off",
}


@pytest.fixture
def files(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A merchant's WeChat Pay environment with its key files written out, as an operator sets it."""
    yield wechatpay_environment(tmp_path)


class TestFromSettings:
    async def test_a_provider_from_the_environment_pays_against_the_fake(self, files: dict[str, str]) -> None:
        fake = FakeWeChatPay(session_keys())
        with serving(fake) as url:
            settings = Settings.from_env(files | {"WECHATPAY_BASE_URL": url})
            provider = WeChatPayProvider.from_settings(settings)
            start = await provider.create(payment_request())
            await provider.aclose()
        assert start.provider_reference == fake.orders[payment_request().out_trade_no].prepay_id
        assert provider.preferred_serial == session_keys().public_key.serial  # the first listed

    def test_the_platform_keys_are_serial_file_pairs(self, files: dict[str, str]) -> None:
        settings = Settings.from_env(files)
        assert [serial for serial, _ in settings.wechatpay_platform_keys] == [
            session_keys().public_key.serial,
            session_keys().certificate.serial,
        ]
        with pytest.raises(SettingsError, match="serial=file"):
            Settings.from_env(files | {"WECHATPAY_PLATFORM_KEYS": "just-a-path.pem"})

    def test_the_default_is_the_real_api_host(self, files: dict[str, str]) -> None:
        assert Settings.from_env(files).wechatpay_base_url == "https://api.mch.weixin.qq.com"

    def test_a_certificate_filed_under_another_serial_is_refused(self, files: dict[str, str], tmp_path: Path) -> None:
        pem = tmp_path / "platform_cert.pem"
        settings = Settings.from_env(files | {"WECHATPAY_PLATFORM_KEYS": f"ABCDEF0123={pem}"})
        with pytest.raises(SettingsError, match="serial"):
            WeChatPayProvider.from_settings(settings)

    def test_a_private_key_file_that_is_not_a_key_is_refused(self, files: dict[str, str], tmp_path: Path) -> None:
        settings = Settings.from_env(files | {"WECHATPAY_PRIVATE_KEY_FILE": str(tmp_path / "pub_key.pem")})
        with pytest.raises(SettingsError, match="WECHATPAY_PRIVATE_KEY_FILE"):
            WeChatPayProvider.from_settings(settings)


class TestRefusals:
    @pytest.mark.parametrize(
        "var",
        [
            "WECHATPAY_MCHID",
            "WECHATPAY_PRIVATE_KEY_FILE",
            "WECHATPAY_CERT_SERIAL",
            "WECHATPAY_APIV3_KEY",
            "WECHATPAY_PLATFORM_KEYS",
            "WECHAT_APPID",
        ],
    )
    def test_wechatpay_without_each_setting_does_not_start(self, files: dict[str, str], var: str) -> None:
        incomplete = {k: v for k, v in files.items() if k != var}
        with pytest.raises(SettingsError, match=var):
            Settings.from_env(incomplete)
        with pytest.raises(SettingsError, match=var):
            Settings.from_env(PRODUCTION | incomplete)

    def test_an_apiv3_key_that_is_not_32_characters_is_refused(self, files: dict[str, str]) -> None:
        with pytest.raises(SettingsError, match="32 characters"):
            Settings.from_env(files | {"WECHATPAY_APIV3_KEY": "short"})

    def test_a_key_file_that_is_not_there_is_refused(self, files: dict[str, str]) -> None:
        with pytest.raises(SettingsError, match="no file"):
            Settings.from_env(files | {"WECHATPAY_PRIVATE_KEY_FILE": "/nonexistent/apiclient_key.pem"})

    def test_production_talks_to_wechat_pay_over_https_only(self, files: dict[str, str]) -> None:
        assert Settings.from_env(PRODUCTION | files).payment_provider == "wechatpay"
        with pytest.raises(SettingsError, match="HTTPS"):
            Settings.from_env(PRODUCTION | files | {"WECHATPAY_BASE_URL": "http://127.0.0.1:9"})

    def test_our_notify_url_must_be_https_or_wechat_refuses_every_prepay(self, files: dict[str, str]) -> None:
        # Met end to end: with the default http:// BASE_URL every jsapi call came back PARAM_ERROR (409).
        with pytest.raises(SettingsError, match="https:// BASE_URL"):
            Settings.from_env(files | {"BASE_URL": "http://127.0.0.1:8000"})

    def test_the_sandbox_needs_none_of_it(self) -> None:
        assert Settings.from_env({}).payment_provider == "sandbox"


class TestSecrets:
    def test_neither_the_apiv3_key_nor_the_private_key_shows_in_a_repr(self, files: dict[str, str]) -> None:
        settings = Settings.from_env(files)
        provider = WeChatPayProvider.from_settings(settings)
        keys: Keys = session_keys()
        for text in (repr(settings), repr(provider)):
            assert keys.apiv3_key not in text
            assert "PRIVATE KEY" not in text
