"""Signing in on a phone-sized page, as a citizen without the mini-app would: phone → code → my page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


class TestSignInPage:
    async def test_phone_and_code_sign_in_then_sign_out(self, live_server: str, phone: Any, screenshots: Path) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/sign-in")
        await phone.fill('input[name="phone"]', "138 0013 8000")
        await phone.locator('form[action^="/sign-in/send"] button[type="submit"]').first.click()
        await expect(phone.locator('input[name="code"]')).to_be_visible()
        await phone.screenshot(path=str(screenshots / "sign-in-code-zh.png"), full_page=True)

        # The development outbox shows what the sandbox SMS provider "sent".
        outbox = await phone.context.new_page()
        await outbox.goto(live_server + "/dev/sms-outbox")
        code = (await outbox.locator(".sms-code").first.inner_text()).strip()
        assert len(code) == 6 and code.isdigit()
        await outbox.close()

        await phone.fill('input[name="code"]', code)
        await phone.locator('form[action^="/sign-in/verify"] button[type="submit"]').click()
        await phone.wait_for_url("**/me**")
        await expect(phone.locator("main")).to_contain_text("138****8000")
        assert "13800138000" not in await phone.content()  # shown masked, never in full
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways: {width} px"
        await phone.screenshot(path=str(screenshots / "me-zh.png"), full_page=True)

        await phone.get_by_role("button", name="退出登录").first.click()
        await phone.goto(live_server + "/me")
        assert "/sign-in" in phone.url

    async def test_a_wrong_code_is_explained_on_the_page(self, live_server: str, phone: Any) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/sign-in")
        await phone.fill('input[name="phone"]', "13800138001")
        await phone.locator('form[action^="/sign-in/send"] button[type="submit"]').first.click()
        await phone.fill('input[name="code"]', "000000")
        await phone.locator('form[action^="/sign-in/verify"] button[type="submit"]').click()
        await expect(phone.locator(".error")).to_contain_text("验证码")

    async def test_download_my_data_then_delete_my_account_from_the_page(
        self, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        import asyncio
        import json

        from playwright.async_api import expect

        await phone.goto(live_server + "/sign-in")
        await phone.fill('input[name="phone"]', "13800138002")
        await phone.locator('form[action^="/sign-in/send"] button[type="submit"]').first.click()
        outbox = await phone.context.new_page()
        await outbox.goto(live_server + "/dev/sms-outbox")
        code = (await outbox.locator(".sms-code").first.inner_text()).strip()
        await outbox.close()
        await phone.fill('input[name="code"]', code)
        await phone.locator('form[action^="/sign-in/verify"] button[type="submit"]').click()
        await phone.wait_for_url("**/me**")

        async with phone.expect_download() as info:
            await phone.get_by_role("link", name="下载我的全部数据（JSON）").click()
        download_path = await (await info.value).path()
        document = json.loads(await asyncio.to_thread(Path(download_path).read_text))
        assert document["account"]["phone"] == "13800138002"

        await phone.get_by_role("link", name="注销账号").click()
        await phone.get_by_role("button", name="注销账号").click()  # without ticking the box
        await expect(phone.locator(".error")).to_contain_text("不可恢复")
        await phone.screenshot(path=str(screenshots / "delete-zh.png"), full_page=True)
        await phone.check('input[name="confirm"]')
        await phone.get_by_role("button", name="注销账号").click()
        await expect(phone.locator(".notice")).to_contain_text("已注销")
        await phone.goto(live_server + "/me")
        assert "/sign-in" in phone.url
