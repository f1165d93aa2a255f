"""碳汇+司法 on a phone: the public case page (defendant masked), the defendant's payment link, and the
生态修复履行凭证 a court checks by scanning its QR code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.judicial import service as judicial
from app.payments.sandbox import SandboxProvider
from app.settings import Settings
from tests.browser.seeding import seed
from tests.browser.signing import sign_in_on_the_form
from tests.judicial.helpers import a_case, paid
from tests.market.helpers import a_buyer, listed

pytestmark = pytest.mark.browser
COURT_PHONE = "13800138077"
DEFENDANT_PHONE = "13800138078"
TENDING_COURT_PHONE = "13800138079"


async def _seed(settings: Settings) -> tuple[str, str, str]:
    """A listed issuance; a fulfilled case (paid in two parts) of one court and an open case elsewhere."""
    from app.planting import service as planting
    from tests.planting.builders import planting_campaign, submitted

    await listed(settings, kg=5_000)
    planted = await planting_campaign(settings)
    from app.core.auth import Role
    from tests.helpers import signed_in

    user, _ = await signed_in(settings, Role.COURT, phone=COURT_PHONE)  # the court's staff member signs in below
    court = await _principal(user)
    done = await a_case(
        settings, court, kg_owed=50, trees_owed=3, tend_years=3, campaign=planted.campaign.slug, site="hill"
    )
    provider = SandboxProvider(settings)
    defendant = await a_buyer()
    await paid(settings, provider, defendant, done, 30)
    await paid(settings, provider, defendant, done, 20)
    log = await submitted(settings, planted, count=3, user=defendant)
    await planting.approve(settings, planted.organiser, log.public_id)  # counts the trees, starts 3 years' tending
    open_case = await a_case(
        settings, court, case_number="（2026）川3225刑初7号", damage_county_code="513225", kg_owed=120
    )
    await paid(settings, provider, await a_buyer(), open_case, 40)  # from outside the county: 损益分离
    return done.code, open_case.code, open_case.pay_code


async def _principal(user: Any) -> Any:
    from app.core.auth import load_principal
    from models.accounts import AuthSession

    session = await AuthSession.filter(user_id=user.id).select_related("user").order_by("-id").first()
    return await load_principal(session)  # type: ignore[arg-type]


@pytest.fixture
def cases(settings: Settings) -> tuple[str, str, str]:
    return seed(settings, lambda: _seed(settings))


async def _fits(phone: Any) -> None:
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width} px"


class TestPublicCaseOnAPhone:
    async def test_the_case_page_and_its_voucher(
        self, cases: tuple[str, str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        done, _, _ = cases
        await phone.goto(live_server + f"/judicial/cases/{done}")
        await expect(phone.locator(".case-number")).to_have_text("（2026）川0112刑初123号")
        await expect(phone.locator(".defendant")).to_have_text("张*")
        await expect(phone.locator(".kg-progress")).to_have_text("50 / 50 千克")
        await expect(phone.locator(".trees-progress")).to_have_text("3 / 3 株")
        await expect(phone.locator(".case-facts")).not_to_contain_text("· hill")
        assert "张三" not in await phone.content()
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-case-zh.png"), full_page=True)

        await phone.locator("a.voucher-link").click()
        await phone.wait_for_url(f"**/judicial/cases/{done}/voucher**")
        await expect(phone.locator("h1")).to_have_text("生态修复履行凭证")
        await expect(phone.locator(".serials .serial")).to_have_count(2)
        await expect(phone.locator(".same-county")).to_be_visible()
        await expect(phone.locator(".closed-at")).to_have_text("待法院确认结案")
        await expect(phone.locator(".planted")).to_contain_text("植树 3 株")
        await expect(phone.locator("figure.qr svg")).to_be_visible()
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-voucher-zh.png"), full_page=True)

    async def test_an_open_case_shows_its_progress_the_separation_and_no_voucher(
        self, cases: tuple[str, str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        _, open_case, pay_code = cases
        await phone.goto(live_server + f"/judicial/cases/{open_case}")
        await expect(phone.locator(".kg-progress")).to_have_text("40 / 120 千克")
        await expect(phone.locator(".separated")).to_contain_text("损益分离")
        await expect(phone.locator(".no-voucher")).to_be_visible()
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-case-open-zh.png"), full_page=True)

        response = await phone.goto(live_server + f"/judicial/cases/{open_case}/voucher")
        assert response is not None and response.status == 409
        await expect(phone.locator("body")).to_contain_text("暂无履行凭证")
        await phone.screenshot(path=str(screenshots / "judicial-voucher-refused-zh.png"), full_page=True)

        await phone.goto(live_server + f"/judicial/pay/{pay_code}")
        await expect(phone.locator(".kg-left")).to_contain_text("80")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-pay-zh.png"), full_page=True)

    async def test_the_court_lists_its_cases_and_confirms_closure(
        self, cases: tuple[str, str, str], live_server: str, phone: Any, screenshots: Path
    ) -> None:
        from playwright.async_api import expect

        done, _, _ = cases
        await phone.goto(live_server + "/sign-in?next=/judicial/court")
        await sign_in_on_the_form(phone, live_server, COURT_PHONE)
        await phone.wait_for_url("**/judicial/court**")
        await expect(phone.locator("section.case")).to_have_count(2)
        await expect(phone.locator("section.case").first).to_contain_text("张三")  # the court sees the name
        await expect(phone.locator("ul.tending li")).to_have_count(3)  # one line per tending year
        await expect(phone.locator("ul.tending li").first).to_contain_text("未到期")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-court-zh.png"), full_page=True)
        await phone.locator(f'form[action^="/judicial/court/cases/{done}/close"] button').click()
        await expect(phone.locator(".notice")).to_contain_text("已确认结案")
        await phone.goto(live_server + f"/judicial/cases/{done}/voucher")
        await expect(phone.locator(".closed-at")).not_to_have_text("待法院确认结案")
        await expect(phone.locator(".case-status")).to_have_text("已结案")

    async def test_an_unknown_case_code_says_so(self, live_server: str, phone: Any) -> None:
        response = await phone.goto(live_server + "/judicial/cases/NOSUCHCASE")
        assert response is not None and response.status == 404
        from playwright.async_api import expect

        await expect(phone.locator("body")).to_contain_text("找不到该案件编码")
        assert judicial.CODE_LENGTH == 10


async def _seed_tending(settings: Settings) -> tuple[str, str]:
    """A court's case whose 3 trees are planted by a defendant who signs in by phone; year 1 of its
    tending is open for the report."""
    from datetime import timedelta

    from app.core.auth import Role
    from app.judicial import tending
    from app.planting import service as planting
    from models.judicial import CaseTending
    from tests.helpers import signed_in
    from tests.planting.builders import planting_campaign, submitted

    planted = await planting_campaign(settings)
    court_user, _ = await signed_in(settings, Role.COURT, phone=TENDING_COURT_PHONE)
    case = await a_case(
        settings, await _principal(court_user), kg_owed=0, trees_owed=3, tend_years=2, campaign=planted.campaign.slug
    )
    defendant, _ = await signed_in(settings, phone=DEFENDANT_PHONE)
    await judicial.plant_for(case.pay_code, defendant)
    log = await submitted(settings, planted, count=3, user=defendant)
    await planting.approve(settings, planted.organiser, log.public_id)
    await CaseTending.filter(case_id=case.id, year=1).update(opens_on=tending.today() - timedelta(days=1))
    return case.code, case.pay_code


@pytest.fixture
def tending_case(settings: Settings) -> tuple[str, str]:
    return seed(settings, lambda: _seed_tending(settings))


class TestTendingReportOnAPhone:
    async def test_the_defendant_sends_a_years_photo_and_the_court_sends_it_back(
        self, tending_case: tuple[str, str], live_server: str, phone: Any, screenshots: Path, tmp_path: Path
    ) -> None:
        from playwright.async_api import expect

        from tests.evidence.photos import phone_jpeg

        code, pay_code = tending_case
        await phone.goto(live_server + f"/judicial/pay/{pay_code}")
        await expect(phone.locator("section.tending-report h2")).to_have_text("管护报告")
        await expect(phone.locator('input[name="photo"]')).to_have_count(0)  # sign in first
        await phone.locator("section.tending-report a.button").click()
        await sign_in_on_the_form(phone, live_server, DEFENDANT_PHONE)
        await phone.wait_for_url(f"**/judicial/pay/{pay_code}**")
        year_one = phone.locator("#tending-1")
        await expect(year_one).to_contain_text("待提交")
        await expect(phone.locator("#tending-2")).to_contain_text("未到期")
        await expect(phone.locator('#tending-2 input[name="photo"]')).to_have_count(0)
        photo = tmp_path / "tending.jpg"
        photo.write_bytes(phone_jpeg(31))
        await phone.set_input_files('#tending-1 input[name="photo"]', str(photo))
        await phone.fill('#tending-1 textarea[name="note"]', "已浇水、除草，3 株均成活")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-tending-form-zh.png"), full_page=True)
        await phone.locator("#tending-1 button[type=submit]").click()
        await expect(phone.locator("section.tending-report .notice")).to_contain_text("已收到第 1 年管护报告")
        await expect(year_one).to_contain_text("已提交，待审核")
        await expect(phone.locator('#tending-1 input[name="photo"]')).to_have_count(0)
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-tending-sent-zh.png"), full_page=True)
        await phone.goto(live_server + f"/judicial/pay/{pay_code}?lang=en")
        await expect(phone.locator("#tending-1")).to_contain_text("Sent, awaiting review")
        await expect(phone.locator("#tending-2")).to_contain_text("Not yet due")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-tending-sent-en.png"), full_page=True)
        await phone.goto(live_server + f"/judicial/pay/{pay_code}?lang=zh")

        await phone.context.clear_cookies()  # the court's staff on the same phone
        await phone.goto(live_server + "/sign-in?next=/judicial/court")
        await sign_in_on_the_form(phone, live_server, TENDING_COURT_PHONE)
        await phone.wait_for_url("**/judicial/court**")
        review = phone.locator(f'form[action^="/judicial/court/cases/{code}/tending/1/review"]')
        await expect(phone.locator("li.tending-submitted")).to_contain_text("已浇水、除草")
        await review.locator('input[name="reason"]').fill("照片看不到树苗，请近距离补拍")
        await _fits(phone)
        await phone.screenshot(path=str(screenshots / "judicial-tending-review-zh.png"), full_page=True)
        await review.locator('button[value="reject"]').click()
        await expect(phone.locator(".notice")).to_contain_text("已退回第 1 年管护报告")
        await expect(phone.locator("ul.tending li").first).to_contain_text("待提交")
        await expect(phone.locator("ul.tending li").first).to_contain_text("照片看不到树苗")
