"""大型活动碳中和 on a phone: scan the attendee QR → travel form → order → sandbox pay → the certificate and
the public event page count the attendee's kg once; a neutral event's page says so."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.events import service as events
from app.payments.sandbox import SandboxProvider
from app.settings import Settings
from tests.browser.seeding import seed
from tests.browser.signing import sign_in_on_the_form
from tests.events.helpers import an_event, an_organiser, on_sale
from tests.market.helpers import pay

pytestmark = pytest.mark.browser
PHONE_NUMBER = "13800138077"


async def _seed(settings: Settings) -> tuple[str, str]:
    """Credits on sale; an event the organiser has offset 100 of its 124 kg; a second one fully neutral."""
    await on_sale(settings, kg=2_000)
    provider = SandboxProvider(settings)
    organiser, _ = await an_organiser(settings)
    open_event = await an_event(settings, organiser)
    part = await events.buy_remainder(settings, organiser, open_event.code, kg=100)
    await pay(settings, provider, organiser.user, part)
    done_event = await an_event(settings, organiser, name_zh="蓉城绿色音乐节", name_en="Rongcheng Green Music Festival")
    whole = await events.buy_remainder(settings, organiser, done_event.code)
    await pay(settings, provider, organiser.user, whole)
    return open_event.code, done_event.code


@pytest.fixture
def codes(settings: Settings) -> tuple[str, str]:
    return seed(settings, lambda: _seed(settings))


async def _fits(phone: Any) -> None:
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


class TestAttendeeOnAPhone:
    async def test_scan_enter_travel_order_pay_and_the_event_counts_it_once(
        self, codes: tuple[str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        code, _ = codes
        await phone.goto(live_server + f"/events/{code}/attend")  # what the poster's QR code opens
        await expect(phone.locator("h1")).to_have_text("抵消您参加活动的出行")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-attend-zh.png"), full_page=True)

        await phone.select_option('select[name="mode"]', "rail")
        await phone.fill('input[name="distance_km"]', "100")
        await phone.locator("form.travel button[type=submit]").click()
        await phone.wait_for_url("**/footprint/trip/result?**")
        await expect(phone.locator(".kg")).to_have_text("7.092")
        await phone.locator("a.buy").click()
        await phone.wait_for_url(f"**/events/{code}/offset?**")
        await expect(phone.locator(".travel-line")).to_contain_text("100 千米，1 人，往返")
        await expect(phone.locator(".offer-kg")).to_contain_text("8")

        await phone.locator("a.button", has_text="登录后下单").click()
        await sign_in_on_the_form(phone, live_server, PHONE_NUMBER)
        await phone.wait_for_url(f"**/events/{code}/offset?**")

        await phone.fill('input[name="beneficiary"]', "参会者李四")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-offset-zh.png"), full_page=True)
        await phone.locator('form[action*="/offset"] button[type="submit"]').click()
        await phone.wait_for_url("**/market/orders/**")
        await phone.locator('form[action$="/pay?lang=zh"] button').click()
        await phone.wait_for_url("**/payments/sandbox/**")
        await phone.get_by_role("button", name="支付").click()
        await phone.wait_for_url("**/market/orders/**")
        await expect(phone.locator(".status")).to_contain_text("已完成")
        await phone.locator(".certificate a").click()
        await phone.wait_for_url("**/certificates/**")
        await expect(phone.locator(".certificate")).to_contain_text(f"成都森林马拉松 · {code}")
        await expect(phone.locator(".certificate")).to_contain_text("参会者出行抵消")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-certificate-zh.png"), full_page=True)
        certificate = phone.url.split("/certificates/")[1].split("?")[0]

        await phone.goto(live_server + f"/events/{code}")
        await expect(phone.locator(".retired")).to_have_text("108 千克")
        await expect(phone.locator(".attendee-kg")).to_have_text("8 千克")
        await expect(phone.locator(".organiser-kg")).to_have_text("100 千克")
        await expect(phone.locator(".verdict")).to_contain_text("尚未碳中和：还差 16 千克")
        await expect(phone.locator("li.counted")).to_have_count(2)
        await expect(phone.locator(f'li.counted a[href^="/certificates/{certificate}"]')).to_have_count(1)
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-page-zh.png"), full_page=True)

        # The same certificate offered on the attendee page: refused, and the total does not move.
        await phone.goto(live_server + f"/events/{code}/attend")
        await phone.fill('input[name="certificate"]', certificate)
        await phone.locator("form.offer button[type=submit]").click()
        await expect(phone.locator(".error")).to_contain_text("已计入活动「成都森林马拉松」，不会重复计算")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-offered-twice-zh.png"), full_page=True)
        await phone.goto(live_server + f"/events/{code}")
        await expect(phone.locator(".retired")).to_have_text("108 千克")


class TestPublicEventPage:
    async def test_a_neutral_event_says_so_in_zh_and_en(
        self, codes: tuple[str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        _, code = codes
        await phone.goto(live_server + f"/events/{code}")
        await expect(phone.locator(".verdict")).to_contain_text("已实现碳中和")
        await expect(phone.locator(".retired")).to_have_text("124 千克")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-neutral-zh.png"), full_page=True)
        await phone.goto(live_server + f"/events/{code}?lang=en")
        await expect(phone.locator(".verdict")).to_contain_text("Carbon neutral")
        await expect(phone.locator("h1")).to_have_text("Rongcheng Green Music Festival")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-neutral-en.png"), full_page=True)
        missing = await phone.goto(live_server + "/events/ZZZZ9999")
        assert missing is not None and missing.status == 404
        await expect(phone.locator("body")).to_contain_text("找不到活动编码 ZZZZ9999")
        await phone.screenshot(path=str(screenshots / "events-unknown-zh.png"), full_page=True)


ORGANISER_PHONE = "13800138066"


async def _seed_organiser(settings: Settings) -> None:
    from app.core.auth import Role
    from tests.helpers import signed_in

    await signed_in(settings, Role.EVENT_ORGANISER, phone=ORGANISER_PHONE)


@pytest.fixture
def organiser_phone(settings: Settings) -> str:
    seed(settings, lambda: _seed_organiser(settings))
    return ORGANISER_PHONE


class TestOrganiserOnAPhone:
    async def test_register_an_event_from_the_form(
        self, organiser_phone: str, live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        await phone.goto(live_server + "/sign-in?next=/events/organiser")
        await sign_in_on_the_form(phone, live_server, organiser_phone)
        await phone.wait_for_url("**/events/organiser**")
        for name, value in {
            "name_zh": "成都森林马拉松",
            "venue_zh": "成都市温江区",
            "county_code": "510115",
            "starts_on": "2027-04-18",
            "attendees": "10",
            "venue_kwh_per_day": "100",
            "g1_count": "11",  # more travellers than attendees: the server says so
            "g1_km": "100",
        }.items():
            await phone.fill(f'input[name="{name}"]', value)
        await phone.select_option('select[name="g1_mode"]', "rail")
        await phone.locator("form.register button[type=submit]").click()
        await expect(phone.locator(".error")).to_be_visible()
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-organiser-error-zh.png"), full_page=True)
        await phone.fill('input[name="g1_count"]', "10")
        await phone.locator("form.register button[type=submit]").click()
        await phone.wait_for_url("**/events/*?lang=zh")
        await expect(phone.locator(".estimate")).to_contain_text("123.98")
        await expect(phone.locator("button.remainder")).to_contain_text("124 千克")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-organiser-new-zh.png"), full_page=True)


EDITOR_PHONE = "13800138055"


async def _seed_editor(settings: Settings) -> tuple[str, str]:
    """An organiser signing in by phone with two events: one with nothing linked, one with an attendee's order."""
    from app.core.auth import Role
    from tests.events.helpers import RAIL_100
    from tests.events.test_service import _principal
    from tests.helpers import signed_in
    from tests.market.helpers import a_buyer

    user, _ = await signed_in(settings, Role.EVENT_ORGANISER, phone=EDITOR_PHONE)
    organiser = await _principal(settings, user)
    await on_sale(settings)
    locked = await an_event(settings, organiser, name_zh="蓉城绿色音乐节", name_en="Rongcheng Green Music Festival")
    await events.offset_travel(settings, await a_buyer(), locked, events.travel(RAIL_100), "参会者")  # unpaid
    unlocked = await an_event(settings, organiser)
    return unlocked.code, locked.code


@pytest.fixture
def editor_events(settings: Settings) -> tuple[str, str]:
    return seed(settings, lambda: _seed_editor(settings))


class TestOrganiserEditsOnAPhone:
    async def test_export_then_edit_an_open_estimate_and_see_why_a_linked_one_is_locked(
        self, editor_events: tuple[str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        unlocked, locked = editor_events
        await phone.goto(live_server + "/sign-in?next=/events/organiser")
        await sign_in_on_the_form(phone, live_server, EDITOR_PHONE)
        await phone.wait_for_url("**/events/organiser**")

        # The CSV link downloads a spreadsheet-ready file: a BOM, then the header and one line per event.
        async with phone.expect_download() as downloading:
            await phone.get_by_role("link", name="导出全部活动（CSV，Excel 可直接打开）").click()
        download = await downloading.value
        content = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert content.startswith(b"\xef\xbb\xbf"), content[:16]
        lines = content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("code,name_zh,name_en") and len(lines) == 3
        assert {unlocked, locked} == {line.split(",")[0] for line in lines[1:]}

        # Nothing linked yet: the estimate's fields are on the form; a bad county is said beside it.
        await phone.locator("li.my-event", has_text=unlocked).locator("a.edit-event").click()
        await phone.wait_for_url(f"**/events/organiser?edit={unlocked}**")
        await expect(phone.locator("form.edit")).to_be_visible()
        await expect(phone.locator('form.edit input[name="venue_kwh_per_day"]')).to_have_value("100")
        await phone.fill('form.edit input[name="county_code"]', "999999")
        await phone.fill('form.edit input[name="venue_kwh_per_day"]', "200")
        await phone.locator("form.edit button[type=submit]").click()
        await expect(phone.locator("#edit ~ .error")).to_be_visible()
        await expect(phone.locator('form.edit input[name="county_code"]')).to_have_attribute("aria-invalid", "true")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-edit-error-zh.png"), full_page=True)
        await phone.fill('form.edit input[name="county_code"]', "510115")
        await phone.fill('form.edit input[name="name_zh"]', "成都森林半程马拉松")
        await phone.locator("form.edit button[type=submit]").click()
        await phone.wait_for_url(f"**/events/organiser?lang=zh&saved={unlocked}")
        await expect(phone.locator(".saved")).to_contain_text(f"活动 {unlocked} 已保存")
        row = phone.locator("li.my-event", has_text=unlocked)
        await expect(row).to_contain_text("成都森林半程马拉松")
        await expect(row).to_contain_text("178 千克")  # 200 kWh: 106.12 + 70.92 = 177.04 → 178
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-edit-saved-zh.png"), full_page=True)

        # An order placed for the other event: the estimate is fixed and the form says why, in zh and en.
        await phone.locator("li.my-event", has_text=locked).locator("a.edit-event").click()
        await expect(phone.locator("form.edit .estimate-locked")).to_contain_text("碳排放估算已固定（124 千克）")
        await expect(phone.locator('form.edit input[name="venue_kwh_per_day"]')).to_have_count(0)
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-edit-locked-zh.png"), full_page=True)
        await phone.goto(live_server + f"/events/organiser?edit={locked}&lang=en")
        await expect(phone.locator("form.edit .estimate-locked")).to_contain_text("The estimate is fixed (124 kg)")
        await phone.uncheck('form.edit input[name="active"]')
        await phone.fill('form.edit input[name="county_code"]', "12")
        await phone.locator("form.edit button[type=submit]").click()
        await expect(phone.locator("#edit ~ .error")).to_be_visible()
        error_en = await phone.locator("#edit ~ .error").inner_text()
        assert error_en and not any("\u4e00" <= c <= "\u9fff" for c in error_en), error_en  # the reader's language
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "events-edit-locked-error-en.png"), full_page=True)
        await phone.fill('form.edit input[name="county_code"]', "510115")
        await phone.locator("form.edit button[type=submit]").click()
        await phone.wait_for_url(f"**/events/organiser?lang=en&saved={locked}")
        await expect(phone.locator("li.my-event", has_text=locked)).to_contain_text("takes no new offsets")
