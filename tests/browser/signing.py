"""Signing in on the phone the way a person does: the number on the sign-in form, the code from the
development SMS outbox, the code on the form. tests/browser/test_sign_in.py tests that flow itself."""

from __future__ import annotations

from typing import Any


async def sign_in_on_the_form(phone: Any, base: str, number: str) -> None:
    """From a sign-in page already open in `phone`: send a code to `number`, read it off `base`'s
    /dev/sms-outbox in a second tab, enter it. The caller waits for the page the sign-in leads to."""
    from playwright.async_api import expect

    await phone.fill('input[name="phone"]', number)
    await phone.locator('form[action^="/sign-in/send"] button[type="submit"]').first.click()
    await expect(phone.locator('input[name="code"]')).to_be_visible()
    outbox = await phone.context.new_page()
    await outbox.goto(base + "/dev/sms-outbox")
    code = (await outbox.locator(".sms-code").first.inner_text()).strip()
    await outbox.close()
    await phone.fill('input[name="code"]', code)
    await phone.locator('form[action^="/sign-in/verify"] button[type="submit"]').click()
