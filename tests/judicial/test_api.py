"""碳汇+司法 over HTTP: the court's API, the defendant's payment link (API and page) through the market and
the sandbox, the public case JSON and voucher, clear refusals in zh/en, and role separation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from app.core.auth import SESSION_COOKIE, Role
from models.audit import AuditEvent
from models.judicial import RestorationCase
from tests.helpers import signed_in
from tests.market.helpers import listed
from tests.tourism.test_api import a_registered_spot, cookie_for, pay_through_sandbox

EN = {"Accept-Language": "en"}


def case_body(**change: object) -> dict:  # type: ignore[type-arg]
    body = {
        "case_number": "（2026）川0112刑初123号",
        "cause": "滥伐林木罪",
        "damage_county_code": "510112",
        "defendant_name": "张三",
        "deadline": (datetime.now(UTC) + timedelta(days=60)).date().isoformat(),
        "kg_owed": 50,
        "tend_years": 3,
    }
    return {**body, **change}


async def a_court_case(client: httpx.AsyncClient, settings, **change: object) -> tuple[dict, dict]:  # type: ignore[type-arg, no-untyped-def]
    _, headers = await signed_in(settings, Role.COURT)
    made = await client.post("/api/v1/judicial/cases", json=case_body(**change), headers=headers)
    assert made.status_code == 201, made.text
    return made.json(), headers


async def pay_code_of(made: dict) -> str:  # type: ignore[type-arg]
    return str(made["pay_url"]).rsplit("/", 1)[1]


async def pay_kg(client: httpx.AsyncClient, pay_code: str, kg: int, headers: dict[str, str]) -> httpx.Response:
    return await client.post(f"/api/v1/judicial/pay/{pay_code}/orders", json={"kg": kg}, headers=headers)


class TestCourtApi:
    async def test_a_court_creates_a_case_and_sees_the_name_and_payment_link(self, client, settings) -> None:
        made, headers = await a_court_case(client, settings)
        assert made["defendant_name"] == "张三" and made["case"]["defendant"] == "张*"
        assert made["pay_url"].startswith(f"{settings.base_url}/judicial/pay/")
        assert made["case"]["page_url"] == f"{settings.base_url}/judicial/cases/{made['case']['code']}"
        assert made["case"]["voucher_url"] is None and made["case"]["status"] == "open"
        mine = (await client.get("/api/v1/judicial/cases", headers=headers)).json()
        assert [c["case"]["code"] for c in mine] == [made["case"]["code"]]

    async def test_bad_input_is_a_400_naming_the_field_in_the_readers_language(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.COURT)
        r = await client.post("/api/v1/judicial/cases", json=case_body(kg_owed=0), headers={**headers, **EN})
        assert r.status_code == 400 and r.json()["code"] == "judicial.owes_nothing"
        assert r.json()["detail"][0]["field"] == "kg_owed" and "kg of sink" in r.json()["message"]
        r = await client.post("/api/v1/judicial/cases", json=case_body(deadline="not a date"), headers=headers)
        assert r.status_code == 400
        await client.post("/api/v1/judicial/cases", json=case_body(), headers=headers)
        twice = await client.post("/api/v1/judicial/cases", json=case_body(), headers=headers)
        assert twice.status_code == 409 and "已登记过案号" in twice.json()["message"]


class TestPublicCase:
    async def test_the_public_case_masks_the_defendant_and_never_shows_the_payment_code(self, client, settings) -> None:
        made, _ = await a_court_case(client, settings)
        code, pay_code = made["case"]["code"], await pay_code_of(made)
        public = await client.get(f"/api/v1/judicial/cases/{code}")
        assert public.status_code == 200 and public.json()["defendant"] == "张*"
        page = await client.get(f"/judicial/cases/{code}")
        for shown in (public.text, page.text):
            assert "张三" not in shown and pay_code not in shown
        assert "（2026）川0112刑初123号" in page.text and "张*" in page.text
        english = await client.get(f"/judicial/cases/{code}?lang=en")
        assert "Ecological restoration case" in english.text and "Being fulfilled" in english.text

    async def test_an_unknown_case_code_is_a_404_that_says_so(self, client, settings) -> None:
        for path in ("/api/v1/judicial/cases/NOSUCHCASE", "/api/v1/judicial/cases/NOSUCHCASE/voucher"):
            r = await client.get(path)
            assert r.status_code == 404 and r.json()["code"] == "judicial.case_not_found"
            assert r.json()["message"] == "找不到该案件编码：请核对链接或编码"
        r = await client.get("/api/v1/judicial/cases/NOSUCHCASE", headers=EN)
        assert r.json()["message"] == "No restoration case has this code: check the link or the code"
        for path in ("/judicial/cases/NOSUCHCASE", "/judicial/pay/NOSUCHCODE", "/judicial/cases/NOSUCHCASE/voucher"):
            page = await client.get(path)
            assert page.status_code == 404 and "找不到该案件编码" in page.text


class TestDefendantPays:
    async def test_partial_payments_through_the_market_add_up_to_a_voucher(self, client, settings) -> None:
        await listed(settings, kg=500)
        made, court = await a_court_case(client, settings)
        code, pay_code = made["case"]["code"], await pay_code_of(made)
        _, defendant = await signed_in(settings)
        for kg in (30, 20):
            ordered = await pay_kg(client, pay_code, kg, defendant)
            assert ordered.status_code == 201, ordered.text
            assert ordered.json()["kg"] == kg
            done = await pay_through_sandbox(client, ordered.json()["order"], defendant)
            assert done["status"] == "fulfilled"
        voucher = await client.get(f"/api/v1/judicial/cases/{code}/voucher")
        assert voucher.status_code == 200, voucher.text
        body = voucher.json()
        assert body["case"]["kg_paid"] == 50 and body["case"]["status"] == "fulfilled"
        assert sum(c["kg"] for c in body["certificates"]) == 50 and len(body["certificates"]) == 2
        assert all(c["serials"] and c["issuances"][0]["parcels"] for c in body["certificates"])
        assert body["qr_svg"].startswith("<svg") and body["url"].endswith(f"/judicial/cases/{code}/voucher")
        page = await client.get(f"/judicial/cases/{code}/voucher")
        assert page.status_code == 200 and "生态修复履行凭证" in page.text
        assert body["certificates"][0]["serials"][0]["serial"] in page.text
        closed = await client.post(f"/api/v1/judicial/cases/{code}/close", headers=court)
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        audited = await AuditEvent.filter(entity_id=code).values_list("action", flat=True)
        assert "judicial.case.closed" in audited and "judicial.case.fulfilled" in audited

    async def test_paying_more_than_owed_is_a_409_that_says_how_much_is_left(self, client, settings) -> None:
        await listed(settings, kg=500)
        made, _ = await a_court_case(client, settings)
        _, defendant = await signed_in(settings)
        r = await pay_kg(client, await pay_code_of(made), 60, {**defendant, **EN})
        assert r.status_code == 409 and r.json()["code"] == "judicial.overpay"
        assert r.json()["detail"][0]["field"] == "kg"
        assert r.json()["message"].startswith("60 kg is more than the 50 kg still owed")

    async def test_the_voucher_of_an_unfulfilled_case_is_a_409_that_says_what_is_left(self, client, settings) -> None:
        made, _ = await a_court_case(client, settings)
        code = made["case"]["code"]
        r = await client.get(f"/api/v1/judicial/cases/{code}/voucher")
        assert r.status_code == 409 and r.json()["code"] == "judicial.not_fulfilled.kg"
        assert "尚未履行完毕（还差 50 千克碳汇），暂无履行凭证" in r.json()["message"]
        page = await client.get(f"/judicial/cases/{code}/voucher")
        assert page.status_code == 409 and "暂无履行凭证" in page.text

    async def test_the_payment_page_orders_and_hands_over_to_the_market(self, client, settings) -> None:
        await listed(settings, kg=500)
        made, _ = await a_court_case(client, settings)
        pay_code = await pay_code_of(made)
        anonymous = await client.get(f"/judicial/pay/{pay_code}")
        assert anonymous.status_code == 200 and "登录后支付" in anonymous.text and "张*" in anonymous.text
        user, _ = await signed_in(settings)
        csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
        headers = {"Cookie": f"{SESSION_COOKIE}={await cookie_for(user)}; csrftoken={csrf}", "x-csrftoken": csrf}
        too_much = await client.post(f"/judicial/pay/{pay_code}", data={"kg": "80"}, headers=headers)
        assert too_much.status_code == 409 and "超过尚需购买的 50 千克" in too_much.text
        ordered = await client.post(f"/judicial/pay/{pay_code}", data={"kg": "50"}, headers=headers)
        assert ordered.status_code == 303 and "/market/orders/" in ordered.headers["location"]
        case = await RestorationCase.get(code=made["case"]["code"])
        assert case.defendant_id == user.id  # type: ignore[attr-defined]


class TestRoleSeparation:
    async def test_a_scenic_operator_cannot_see_court_cases(self, client, settings) -> None:
        made, _ = await a_court_case(client, settings)
        _, operator = await signed_in(settings, Role.SCENIC_OPERATOR)
        for path in ("/api/v1/judicial/cases", f"/api/v1/judicial/cases/{made['case']['code']}/court"):
            r = await client.get(path, headers=operator)
            assert r.status_code == 403, r.text
        r = await client.post(f"/api/v1/judicial/cases/{made['case']['code']}/close", headers=operator)
        assert r.status_code == 403

    async def test_a_court_cannot_redeem_tourism_benefits(self, client, settings) -> None:
        spot, _ = await a_registered_spot(client, settings)
        _, court = await signed_in(settings, Role.COURT)
        r = await client.post(
            f"/api/v1/tourism/spots/{spot['code']}/redemptions", json={"certificate": "ABCD" * 4}, headers=court
        )
        assert r.status_code == 403
        assert (await client.get("/api/v1/tourism/dashboard", headers=court)).status_code == 403

    async def test_another_court_cannot_see_or_close_the_case(self, client, settings) -> None:
        made, _ = await a_court_case(client, settings)
        _, other = await signed_in(settings, Role.COURT)
        r = await client.get(f"/api/v1/judicial/cases/{made['case']['code']}/court", headers=other)
        assert r.status_code == 404
        assert re.search("找不到", r.json()["message"])


class TestCourtPage:
    async def test_the_court_registers_a_case_on_its_page_and_bad_input_is_said_beside_the_form(
        self, client, settings
    ) -> None:
        court, _ = await signed_in(settings, Role.COURT)
        csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
        headers = {"Cookie": f"{SESSION_COOKIE}={await cookie_for(court)}; csrftoken={csrf}", "x-csrftoken": csrf}
        form = {k: str(v) for k, v in case_body().items()}
        bad = await client.post("/judicial/court/cases", data={**form, "kg_owed": "十"}, headers=headers)
        assert bad.status_code == 400 and "应购碳汇量须为" in bad.text and 'value="滥伐林木罪"' in bad.text
        made = await client.post("/judicial/court/cases", data=form, headers=headers)
        assert made.status_code in (200, 201), made.text
        assert "已登记案件：（2026）川0112刑初123号" in made.text and "/judicial/pay/" in made.text
        listed_page = await client.get("/judicial/court", headers=headers)
        assert "张三" in listed_page.text  # the court sees the name; the public page never does


class TestCourtExport:
    async def test_the_court_exports_its_cases_as_csv_with_a_bom_masked_and_audited(self, client, settings) -> None:
        import csv
        import io

        made, headers = await a_court_case(client, settings)
        await a_court_case(client, settings, case_number="（2026）川0112刑初200号")  # another court's
        r = await client.get("/api/v1/judicial/cases.csv", headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["案号", "案件编码", "法院"] and "全部来自损害地" in rows[0]
        assert len(rows) == 2
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["案号"] == "（2026）川0112刑初123号" and row["案件编码"] == made["case"]["code"]
        assert row["被告（脱敏）"] == "张*" and "张三" not in r.text
        assert row["应购碳汇(kg)"] == "50" and row["已支付并注销(kg)"] == "0" and row["全部来自损害地"] == "是"
        assert row["管护年限"] == "3" and row["管护起始"] == "" and row["已过期限未履行"] == "否"
        assert made["pay_url"].rsplit("/", 1)[1] not in r.text  # never the payment link
        exported = await AuditEvent.filter(action="judicial.cases.exported").values_list("after", flat=True)
        assert [e["rows"] for e in exported] == [1]  # type: ignore[index]
        en = await client.get("/api/v1/judicial/cases.csv", headers={**headers, **EN})
        assert en.text.lstrip("\ufeff").startswith("case_number,case_code,court")

    async def test_only_court_staff_export(self, client, settings) -> None:
        _, operator = await signed_in(settings, Role.SCENIC_OPERATOR)
        assert (await client.get("/api/v1/judicial/cases.csv", headers=operator)).status_code == 403
        assert (await client.get("/api/v1/judicial/cases.csv")).status_code == 401


class TestTendingOverHttp:
    async def test_the_defendant_reports_a_year_and_the_court_sees_each_years_state(self, client, settings) -> None:
        from app.planting import service as planting
        from models.judicial import CaseTending
        from tests.evidence.photos import phone_jpeg
        from tests.planting.builders import planting_campaign, submitted

        planted = await planting_campaign(settings)
        made, court = await a_court_case(
            client, settings, kg_owed=0, trees_owed=3, tend_years=2, campaign=planted.campaign.slug
        )
        code, pay_code = made["case"]["code"], await pay_code_of(made)
        defendant, headers = await signed_in(settings)
        assert (await client.post(f"/api/v1/judicial/pay/{pay_code}/planting", headers=headers)).status_code == 200
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        seen = (await client.get(f"/api/v1/judicial/cases/{code}/court", headers=court)).json()
        assert seen["case"]["trees_counted"] == 3 and seen["tending_from"] is not None
        assert [(y["year"], y["state"]) for y in seen["tending"]] == [(1, "upcoming"), (2, "upcoming")]

        def upload(year: int, data: bytes, who: dict[str, str], lang: str = "zh") -> httpx.Response:
            return client.post(  # type: ignore[return-value]
                f"/api/v1/judicial/pay/{pay_code}/tending/{year}",
                files={"photo": ("trees.jpg", data, "image/jpeg")},
                data={"note": "浇水"},
                headers={**who, "Accept-Language": lang},
            )

        early = await upload(1, phone_jpeg(3), headers, "en")
        assert early.status_code == 409 and "year 1 is taken from" in early.json()["message"]
        await CaseTending.filter(year=1).update(opens_on=datetime.now(UTC).date() - timedelta(days=1))
        _, stranger = await signed_in(settings)
        assert (await upload(1, phone_jpeg(3), stranger)).status_code == 403
        assert (await upload(9, phone_jpeg(3), headers)).status_code == 404
        bad = await upload(1, b"not a photo", headers)
        assert bad.status_code in (400, 413, 415) and (await CaseTending.get(year=1)).reported_at is None
        done = await upload(1, phone_jpeg(3), headers)
        assert done.status_code == 201, done.text
        again = await upload(1, phone_jpeg(4), headers)
        assert again.status_code == 409 and "已提交过" in again.json()["message"]
        seen = (await client.get(f"/api/v1/judicial/cases/{code}/court", headers=court)).json()
        first = seen["tending"][0]
        assert first["state"] == "submitted" and first["note"] == "浇水" and len(first["photos"]) == 1


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


async def reported_over_http(client: httpx.AsyncClient, settings):  # type: ignore[no-untyped-def]
    """A court's case with trees planted, year 1 open and nothing reported: (planted, code, pay_code, court
    headers, court user, defendant, defendant headers)."""
    from app.planting import service as planting
    from models.judicial import CaseTending
    from tests.planting.builders import planting_campaign, submitted

    planted = await planting_campaign(settings)
    court_user, court = await signed_in(settings, Role.COURT)
    body = case_body(kg_owed=0, trees_owed=3, tend_years=2, campaign=planted.campaign.slug)
    made = (await client.post("/api/v1/judicial/cases", json=body, headers=court)).json()
    code, pay_code = made["case"]["code"], await pay_code_of(made)
    defendant, headers = await signed_in(settings)
    assert (await client.post(f"/api/v1/judicial/pay/{pay_code}/planting", headers=headers)).status_code == 200
    log = await submitted(settings, planted, count=3, user=defendant)
    await planting.approve(settings, planted.organiser, log.public_id)
    await CaseTending.filter(year=1).update(opens_on=datetime.now(UTC).date() - timedelta(days=1))
    return planted, code, pay_code, court, court_user, defendant, headers


class TestTendingReviewOverHttp:
    async def test_the_court_rejects_with_a_reason_then_accepts_once(self, client, settings) -> None:
        from models.judicial import CaseTending
        from tests.evidence.photos import phone_jpeg

        _planted, code, pay_code, court, _court_user, _defendant, headers = await reported_over_http(client, settings)

        async def upload(n: int) -> httpx.Response:
            return await client.post(
                f"/api/v1/judicial/pay/{pay_code}/tending/1",
                files={"photo": ("trees.jpg", phone_jpeg(n), "image/jpeg")},
                headers=headers,
            )

        def review(decision: str, reason: str = "", who: dict[str, str] = court, lang: str = "zh") -> httpx.Response:
            return client.post(  # type: ignore[return-value]
                f"/api/v1/judicial/cases/{code}/tending/1/review",
                json={"decision": decision, "reason": reason},
                headers={**who, "Accept-Language": lang},
            )

        nothing = await review("accept")
        assert nothing.status_code == 409 and "还没有待审核" in nothing.json()["message"]
        assert (await upload(21)).status_code == 201
        no_reason = await review("reject", "", lang="en")
        assert no_reason.status_code == 400 and "needs a reason" in no_reason.json()["message"]
        assert (await CaseTending.get(year=1)).reported_at is not None  # nothing changed
        rejected = await review("reject", "照片里看不到树苗")
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["state"] == "due" and rejected.json()["rejection_reason"] == "照片里看不到树苗"
        assert (await review("reject", "再退一次")).status_code == 409
        assert (await upload(22)).status_code == 201
        accepted = await review("accept")
        assert accepted.status_code == 200 and accepted.json()["state"] == "done"
        final = await review("reject", "改主意", lang="en")
        assert final.status_code == 409 and "accepted and is final" in final.json()["message"]
        seen = (await client.get(f"/api/v1/judicial/cases/{code}/court", headers=court)).json()
        assert [y["state"] for y in seen["tending"]] == ["done", "upcoming"]
        actions = await AuditEvent.filter(entity_id=code, action__startswith="judicial.tending.").values_list(
            "action", flat=True
        )
        assert sorted(actions) == [
            "judicial.tending.accepted",
            "judicial.tending.rejected",
            "judicial.tending.reported",
            "judicial.tending.reported",
            "judicial.tending.started",
        ]

    async def test_the_campaigns_organiser_reviews_but_another_court_or_an_operator_cannot(
        self, client, settings
    ) -> None:
        from tests.evidence.photos import phone_jpeg

        planted, code, pay_code, _court, _court_user, _defendant, headers = await reported_over_http(client, settings)
        await client.post(
            f"/api/v1/judicial/pay/{pay_code}/tending/1",
            files={"photo": ("trees.jpg", phone_jpeg(23), "image/jpeg")},
            headers=headers,
        )
        url = f"/api/v1/judicial/cases/{code}/tending/1/review"
        _, other_court = await signed_in(settings, Role.COURT)
        assert (await client.post(url, json={"decision": "accept"}, headers=other_court)).status_code == 404
        _, operator = await signed_in(settings, Role.SCENIC_OPERATOR)
        assert (await client.post(url, json={"decision": "accept"}, headers=operator)).status_code == 403
        assert (await client.post(url, json={"decision": "accept"}, headers=headers)).status_code == 403
        by_organiser = await client.post(url, json={"decision": "accept"}, headers=planted.organiser_headers)
        assert by_organiser.status_code == 200 and by_organiser.json()["state"] == "done"


class TestTendingPages:
    async def test_the_defendant_files_the_report_on_the_payment_page_and_the_court_reviews_it_on_its_page(
        self, client, settings
    ) -> None:
        from models.judicial import CaseTending
        from tests.evidence.photos import phone_jpeg

        _planted, _code, pay_code, _court, court_user, defendant, _headers = await reported_over_http(client, settings)
        anonymous = await client.get(f"/judicial/pay/{pay_code}")
        assert "管护报告" in anonymous.text and 'name="photo"' not in anonymous.text  # sign in first
        client.cookies.set(SESSION_COOKIE, await cookie_for(defendant))
        page = await client.get(f"/judicial/pay/{pay_code}")
        assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
        assert f"/judicial/pay/{pay_code}/tending/1" in page.text and "/tending/2" not in page.text
        no_photo = await client.post(
            f"/judicial/pay/{pay_code}/tending/1?lang=en",
            data={"_csrf_token": csrf(page.text), "note": "watered"},
            files={"photo": ("", b"", "application/octet-stream")},
        )
        assert no_photo.status_code == 400 and "needs a photo" in no_photo.text and "watered" in no_photo.text
        assert (await CaseTending.get(year=1)).reported_at is None
        sent = await client.post(
            f"/judicial/pay/{pay_code}/tending/1",
            data={"_csrf_token": csrf(page.text), "note": "浇水除草"},
            files={"photo": ("trees.jpg", phone_jpeg(24), "image/jpeg")},
        )
        assert sent.status_code == 303, sent.text
        shown = await client.get(sent.headers["location"])
        assert "已收到第 1 年管护报告" in shown.text and "已提交，待审核" in shown.text
        assert f"/judicial/pay/{pay_code}/tending/1" not in shown.text  # no second form for the year
        assert (await CaseTending.get(year=1)).note == "浇水除草"
        client.cookies.set(SESSION_COOKIE, await cookie_for(court_user))
        court_page = await client.get("/judicial/court")
        assert "浇水除草" in court_page.text and "/tending/1/review" in court_page.text
        rejected = await client.post(
            f"/judicial/court/cases/{_code}/tending/1/review",
            data={"_csrf_token": csrf(court_page.text), "decision": "reject", "reason": "看不到树"},
        )
        assert rejected.status_code == 200 and "已退回第 1 年管护报告" in rejected.text
        assert (await CaseTending.get(year=1)).reported_at is None
        client.cookies.set(SESSION_COOKIE, await cookie_for(defendant))
        again = await client.get(f"/judicial/pay/{pay_code}")
        assert "上次报告被退回：看不到树" in again.text and f"/judicial/pay/{pay_code}/tending/1" in again.text


class TestCourtPageTending:
    async def test_the_court_page_shows_each_tending_year_and_the_export_link(self, client, settings) -> None:
        from app.planting import service as planting
        from models.judicial import CaseTending
        from tests.planting.builders import planting_campaign, submitted

        planted = await planting_campaign(settings)
        court_user, court = await signed_in(settings, Role.COURT)
        body = case_body(kg_owed=0, trees_owed=3, tend_years=2, campaign=planted.campaign.slug)
        made = (await client.post("/api/v1/judicial/cases", json=body, headers=court)).json()
        defendant, headers = await signed_in(settings)
        await client.post(f"/api/v1/judicial/pay/{await pay_code_of(made)}/planting", headers=headers)
        log = await submitted(settings, planted, count=3, user=defendant)
        await planting.approve(settings, planted.organiser, log.public_id)
        # Year 1 passed unreported: overdue, judged by date when the page is read.
        await CaseTending.filter(year=1).update(
            opens_on=datetime.now(UTC).date() - timedelta(days=90), due_on=datetime.now(UTC).date() - timedelta(days=2)
        )
        page = await client.get(
            "/judicial/court", headers={"Cookie": f"{SESSION_COOKIE}={await cookie_for(court_user)}"}
        )
        assert page.status_code == 200
        assert "/api/v1/judicial/cases.csv" in page.text
        assert re.search(r"tending-overdue\">第 1 年（[0-9-]+ 前）：逾期未交", page.text), page.text
        assert 'tending-upcoming">第 2 年' in page.text
