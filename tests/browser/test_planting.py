"""Planting on a phone, end to end: the campaign page, booking, the check-in (the mini-app's API call
with the site's current token), the planting log with a photo from the page form, a second photo added and the first removed and the note edited while it
waits, the organiser's
review page approving it, the person's duty page and the public certificate. Screenshots under
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.campaigns import checkin
from app.core.auth import SESSION_COOKIE
from tests.browser.seeding import seed
from tests.campaigns.builders import HOME
from tests.campaigns.test_api import cookie_for
from tests.evidence.photos import phone_jpeg
from tests.helpers import signed_in
from tests.planting.builders import planting_campaign

pytestmark = pytest.mark.browser


async def _seed(settings: Any) -> dict[str, Any]:
    from app.planting import service

    planted = await planting_campaign(settings)
    citizen, bearer = await signed_in(settings)
    citizen.display_name = "林小满"
    await citizen.save()
    await service.set_profile(settings, citizen, datetime(1992, 4, 1).date(), "f")
    return {
        "site_id": planted.slot.site_id,  # type: ignore[attr-defined]
        "citizen_cookie": await cookie_for(citizen),
        "bearer": bearer,
        "organiser_cookie": await cookie_for(planted.organiser.user),
    }


@pytest.fixture
def seeded(settings: Any) -> dict[str, Any]:
    """A campaign with a slot under way, a citizen and the campaign's organiser, written before the
    server starts (one ORM context per process)."""
    return seed(settings, lambda: _seed(settings))


async def _as(browser: Any, live_server: str, cookie: str, lang: str = "zh-CN") -> Any:
    context = await browser.new_context(locale=lang, viewport={"width": 390, "height": 844})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": live_server}])
    return await context.new_page()


async def _no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


async def _photos_loaded(page: Any) -> None:
    """Every thumbnail on the page has loaded (lazy images): a screenshot then shows the photos."""
    from playwright.async_api import expect

    images = page.locator("main img")
    for i in range(await images.count()):
        img = images.nth(i)
        await img.scroll_into_view_if_needed()
        await expect(img).to_have_js_property("complete", True)
        assert await img.evaluate("i => i.naturalWidth") > 0
    await page.evaluate("window.scrollTo(0, 0)")


class TestPlantingOnAPhone:
    async def test_book_check_in_log_with_a_photo_approve_and_the_certificate(
        self, seeded: dict[str, Any], live_server: str, browser: Any, screenshots: Path, settings: Any, tmp_path: Path
    ) -> None:
        from playwright.async_api import expect

        phone = await _as(browser, live_server, seeded["citizen_cookie"])
        await phone.goto(live_server + "/campaigns/spring")
        await phone.locator("li.slot form button").first.click()
        await expect(phone.locator(".notice")).to_contain_text("预约成功")

        # At the site, the mini-app (same person, bearer token) scans the QR and sends it with its position.
        token = checkin.token_for(settings, seeded["site_id"], checkin.step_at(datetime.now(UTC)))
        async with httpx.AsyncClient(base_url=live_server) as api:
            mine = (await api.get("/api/v1/campaigns/bookings", headers=seeded["bearer"])).json()
            booking_id = mine[0]["id"]
            done = await api.post(
                f"/api/v1/campaigns/bookings/{booking_id}/check-in",
                json={"token": token, "lon": HOME[0], "lat": HOME[1]},
                headers=seeded["bearer"],
            )
            assert done.status_code == 200, done.text

        await phone.reload()
        await expect(phone.locator("#mine .status")).to_contain_text("已签到")
        await phone.locator("#mine a.button").click()  # 填写植树记录
        await expect(phone.locator("h1")).to_contain_text("填写植树记录")
        photo = tmp_path / "planting.jpg"
        photo.write_bytes(phone_jpeg(7))
        await phone.select_option('select[name="species"]', "tree.cupressus")
        await phone.fill('input[name="count"]', "5")
        await phone.fill('textarea[name="note"]', "山坡东侧，已浇水")
        await phone.set_input_files('input[name="photo"]', str(photo))
        await _no_sideways_scroll(phone)
        await phone.screenshot(path=str(screenshots / "planting-log-form-zh.png"), full_page=True)
        await phone.locator('form[enctype="multipart/form-data"] button[type="submit"]').click()
        await expect(phone.locator(".notice")).to_contain_text("已提交，等待组织者审核")
        await expect(phone.locator("#log img")).to_have_count(1)
        await expect(phone.locator("#log .badge.submitted")).to_have_text("待审核")
        await _photos_loaded(phone)
        await phone.screenshot(path=str(screenshots / "planting-log-submitted-zh.png"), full_page=True)

        # While it waits: a second photo, then the first taken off again with its own button (no JavaScript),
        # then the note edited. Each is a change the organiser's review must see (revision 2 → 5).
        second = tmp_path / "planting-2.jpg"
        second.write_bytes(phone_jpeg(8))
        await phone.set_input_files('form[action*="/photos?"] input[name="photo"]', str(second))
        await phone.locator('form[action*="/photos?"] button[type="submit"]').click()
        await expect(phone.locator(".notice")).to_contain_text("照片已添加")
        await expect(phone.locator("ul.log-photos img")).to_have_count(2)
        await _photos_loaded(phone)
        await _no_sideways_scroll(phone)
        await phone.screenshot(path=str(screenshots / "planting-log-two-photos-zh.png"), full_page=True)
        first = await phone.locator("ul.log-photos img").first.get_attribute("src")
        remove = phone.get_by_role("button", name="删除第 1 张照片")
        box = await remove.bounding_box()
        assert box is not None and box["height"] >= 44, box  # a thumb-sized target
        await remove.click()
        await expect(phone.locator(".notice")).to_contain_text("照片已删除")
        await expect(phone.locator("ul.log-photos img")).to_have_count(1)
        assert await phone.locator("ul.log-photos img").first.get_attribute("src") != first
        async with httpx.AsyncClient(base_url=live_server) as anyone:
            assert (await anyone.get(first or "")).status_code == 404  # the removed file is no longer served
        await phone.locator("details.edit summary").click()
        await phone.fill('details.edit textarea[name="note"]', "山坡东侧，已浇水两次")
        await phone.locator("details.edit button[type='submit']").click()
        await expect(phone.locator(".notice")).to_contain_text("已保存修改")
        await expect(phone.locator("#log")).to_contain_text("已浇水两次")
        await _photos_loaded(phone)
        await _no_sideways_scroll(phone)
        await phone.screenshot(path=str(screenshots / "planting-log-edited-zh.png"), full_page=True)

        organiser = await _as(browser, live_server, seeded["organiser_cookie"])
        await organiser.goto(live_server + "/planting/review")
        await expect(organiser.locator(".review-log")).to_have_count(1)
        await expect(organiser.locator(".review-log img")).to_have_count(1)
        await expect(organiser.locator(".review-log .badge.edited")).to_contain_text("第 5 版")
        await expect(organiser.locator('.review-log form[action*="/approve"] input[name="revision"]')).to_have_value(
            "5"
        )
        await _photos_loaded(organiser)
        await _no_sideways_scroll(organiser)
        await organiser.screenshot(path=str(screenshots / "planting-review-zh.png"), full_page=True)
        await organiser.locator('.review-log form[action*="/approve"] button').click()
        await expect(organiser.locator(".results")).to_contain_text("已通过")
        await expect(organiser.locator("main")).to_contain_text("没有待审核的记录")
        await organiser.screenshot(path=str(screenshots / "planting-review-done-zh.png"), full_page=True)

        await phone.goto(live_server + "/campaigns/spring")
        await expect(phone.locator("#recent")).to_contain_text("林** 种下 5 株柏木")
        await expect(phone.locator(".progress")).to_contain_text("植树：5 / 1000")
        await phone.screenshot(path=str(screenshots / "planting-campaign-recent-zh.png"), full_page=True)

        await phone.goto(live_server + "/planting/me")
        await expect(phone.locator(".tally-line")).to_contain_text("已植树 5 株，义务 3 株 · 完成")
        await phone.screenshot(path=str(screenshots / "planting-me-zh.png"), full_page=True)
        await phone.locator('a[href^="/planting/certificates/"]').first.click()
        await expect(phone.locator("h1")).to_contain_text("义务植树尽责证书")
        await expect(phone.locator(".certificate")).to_contain_text("林**")
        await expect(phone.locator("td.duty")).to_contain_text("5 / 3 株 · 完成")
        await expect(phone.locator("figure.qr svg")).to_have_count(1)
        pdf_link = phone.locator('a[href$=".pdf?lang=zh"]')
        await expect(pdf_link).to_contain_text("下载证书 PDF")
        async with httpx.AsyncClient(base_url=live_server) as anyone:
            pdf = await anyone.get(await pdf_link.get_attribute("href") or "")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        await _no_sideways_scroll(phone)
        await phone.screenshot(path=str(screenshots / "planting-certificate-zh.png"), full_page=True)
        url = phone.url.split("?")[0]

        public = await browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
        page = await public.new_page()
        await page.goto(url + "?lang=en")
        await expect(page.locator("h1")).to_contain_text("duty certificate")
        await expect(page.locator("td.duty")).to_contain_text("5 / 3 trees · done")
        await page.screenshot(path=str(screenshots / "planting-certificate-en.png"), full_page=True)
        await public.close()
        await organiser.context.close()
        await phone.context.close()


async def _seed_rejected(settings: Any) -> dict[str, Any]:
    """A log with a photo that the organiser rejected: what the planter finds when they come back."""
    from app.planting import service
    from app.storage import storage_for
    from tests.planting.builders import submitted

    planted = await planting_campaign(settings)
    log = await submitted(settings, planted, count=4)
    user = await log.user
    await service.add_photo(settings, storage_for(settings), user, log.public_id, phone_jpeg(11))
    await service.reject(planted.organiser, log.public_id, "照片不是本次活动现场，请换一张", "Not this site")
    booking = await log.booking
    return {"cookie": await cookie_for(user), "booking": booking.public_id}


@pytest.fixture
def rejected(settings: Any) -> dict[str, Any]:
    return seed(settings, lambda: _seed_rejected(settings))


class TestCorrectingARejectedLogOnAPhone:
    async def test_remove_the_wrong_photo_add_the_right_one_and_resubmit(
        self, rejected: dict[str, Any], live_server: str, browser: Any, screenshots: Path, tmp_path: Path
    ) -> None:
        from playwright.async_api import expect

        seeded = rejected
        phone = await _as(browser, live_server, seeded["cookie"])
        await phone.goto(f"{live_server}/planting/bookings/{seeded['booking']}/log")
        await expect(phone.locator("#log .badge.rejected")).to_have_text("已驳回")
        await expect(phone.locator("#log")).to_contain_text("照片不是本次活动现场")
        await expect(phone.locator("details.edit")).to_have_attribute("open", "")
        await _photos_loaded(phone)
        await _no_sideways_scroll(phone)
        await phone.screenshot(path=str(screenshots / "planting-log-rejected-zh.png"), full_page=True)

        await phone.get_by_role("button", name="删除第 1 张照片").click()
        await expect(phone.locator(".notice")).to_contain_text("照片已删除")
        await expect(phone.locator("#log")).to_contain_text("无照片")
        await expect(phone.locator("#log .badge.rejected")).to_have_text("已驳回")  # still to be resubmitted

        right = tmp_path / "right.jpg"
        right.write_bytes(phone_jpeg(12))
        await phone.set_input_files('details.edit input[name="photo"]', str(right))
        await phone.locator("details.edit button[type='submit']").click()
        await expect(phone.locator(".notice")).to_contain_text("已重新提交")
        await expect(phone.locator("#log .badge.submitted")).to_have_text("待审核")
        await expect(phone.locator("#log .badge.resubmitted")).to_have_text("第 1 次重新提交")
        await expect(phone.locator("ul.log-photos img")).to_have_count(1)
        await _photos_loaded(phone)
        await _no_sideways_scroll(phone)
        await phone.screenshot(path=str(screenshots / "planting-log-resubmitted-zh.png"), full_page=True)
        await phone.context.close()
