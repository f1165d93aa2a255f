"""Ordering on a phone's browser when the platform takes WeChat Pay: the order page says to open the
mini-program instead of offering a pay button a browser cannot use (JSAPI runs only inside WeChat)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from tests.browser.seeding import seed
from tests.browser.signing import sign_in_on_the_form
from tests.browser.test_market import PHONE_NUMBER, _fits, _seed
from tests.payments.fake_wechatpay import private_pem, session_keys

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test settings with WeChat Pay configured (no call reaches WeChat: the page never starts a prepay)."""
    keys = session_keys()
    (tmp_path / "apiclient_key.pem").write_bytes(private_pem(keys.merchant))
    (tmp_path / "pub_key.pem").write_bytes(keys.public_key.pem)
    wx = settings.with_(
        base_url="https://microsink.example",
        payment_provider="wechatpay",
        wechat_appid=keys.appid,
        wechatpay_base_url="http://127.0.0.1:9",  # nothing listens: a prepay attempt would be a 503
        wechatpay_mchid=keys.mchid,
        wechatpay_private_key_file=str(tmp_path / "apiclient_key.pem"),
        wechatpay_cert_serial=keys.merchant_serial,
        wechatpay_apiv3_key=keys.apiv3_key,
        wechatpay_platform_keys=((keys.public_key.serial, str(tmp_path / "pub_key.pem")),),
    )
    wx.check()
    return wx


@pytest.fixture
def listing(settings: Settings) -> str:
    """A listed issuance, written before the live server starts (its own loop and ORM)."""
    return seed(settings, lambda: _seed(settings))


class TestWeChatPayOnAPhoneBrowser:
    async def test_the_order_page_says_to_pay_in_the_mini_program(
        self, listing: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + f"/sign-in?next=/market/listings/{listing}")
        await sign_in_on_the_form(phone, live_server, PHONE_NUMBER)
        await phone.wait_for_url(f"**/market/listings/{listing}**")

        await phone.fill('input[name="kg"]', "30")
        await phone.fill('input[name="beneficiary"]', "成都市民张三")
        await phone.locator('form[action*="/order"] button[type="submit"]').click()
        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("待支付")
        await expect(phone.locator(".notice")).to_contain_text("请在微信小程序中打开这个订单并支付")
        await expect(phone.locator('form[action*="/pay"]')).to_have_count(0)
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-order-wechatpay-zh.png"), full_page=True)
        await phone.goto(phone.url.split("?")[0] + "?lang=en")
        await expect(phone.locator(".notice")).to_contain_text("open it in the WeChat mini-program")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "market-order-wechatpay-en.png"), full_page=True)
