"""碳汇+旅游 over HTTP: operators' API in zh/en, the visitor's QR-to-certificate flow, redemption, figures."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from PIL import Image

from app.core.auth import SESSION_COOKIE, Role, hash_secret
from models.accounts import AuthSession, User
from models.audit import AuditEvent
from tests.certificates.test_api import decoded_with_zbar
from tests.helpers import signed_in
from tests.market.helpers import listed
from tests.tourism.helpers import spot_body


async def a_registered_spot(client, settings) -> tuple[dict, dict]:  # type: ignore[type-arg, no-untyped-def]
    _, headers = await signed_in(settings, Role.SCENIC_OPERATOR)
    made = await client.post("/api/v1/tourism/spots", json=spot_body(), headers=headers)
    assert made.status_code == 201, made.text
    return made.json(), headers


async def cookie_for(user: User) -> str:
    secret = secrets.token_urlsafe(16)
    await AuthSession.create(
        public_id=secrets.token_hex(16),
        user=user,
        kind="cookie",
        secret_hash=hash_secret(secret),
        sign_in_method="sms",
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )
    return secret


async def pay_through_sandbox(client: httpx.AsyncClient, order_id: str, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    started = (await client.post(f"/api/v1/market/orders/{order_id}/pay", headers=headers)).json()
    provider = client._transport.app.state.payments  # type: ignore[attr-defined]
    signed = await provider.pay(started["out_trade_no"])
    notified = await client.post("/api/v1/payments/notify/sandbox", content=signed.body, headers=signed.headers)
    assert notified.status_code == 204
    return (await client.get(f"/api/v1/market/orders/{order_id}", headers=headers)).json()  # type: ignore[no-any-return]


async def visit(client: httpx.AsyncClient, settings, spot: dict) -> tuple[str, dict]:  # type: ignore[type-arg, no-untyped-def]
    """A visitor scans, follows the rail preset from 成都, orders on the page and pays: (certificate, order)."""
    user, api = await signed_in(settings)
    cookie = await cookie_for(user)
    page = await client.get(f"/tourism/spots/{spot['code']}")
    link = re.search(r'href="(/footprint/trip\?[^"]*mode=rail[^"]*)"', page.text)
    assert link, page.text
    form_url = link.group(1).replace("&amp;", "&")
    form = await client.get(form_url)
    assert form.status_code == 200
    assert 'value="360"' in form.text and f'name="spot" value="{spot["code"]}"' in form.text
    query = parse_qs(urlsplit(form_url).query)
    result = await client.get(
        "/footprint/trip/result",
        params={**{k: v[0] for k, v in query.items()}, "people": "2", "return_trip": "on", "submitted": "1"},
    )
    buy = re.search(r'class="button buy" href="([^"]*)"', result.text)
    assert buy and buy.group(1).startswith(f"/tourism/spots/{spot['code']}/offset?"), result.text
    offset_url = buy.group(1).replace("&amp;", "&")
    csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}; csrftoken={csrf}", "x-csrftoken": csrf}
    offer = await client.get(offset_url, headers=headers)
    assert offer.status_code == 200 and "成都 → 九寨沟" in offer.text and "2 人" in offer.text
    ordered = await client.post(
        offset_url, data={"beneficiary": "游客张三", "beneficiary_shown": "full"}, headers=headers
    )
    assert ordered.status_code == 303, ordered.text
    order_id = ordered.headers["location"].split("/market/orders/")[1].split("?")[0]
    done = await pay_through_sandbox(client, order_id, api)
    assert done["status"] == "fulfilled" and done["purpose"] == "trip"
    return done["certificate_code"], done


class TestOperatorApi:
    async def test_registers_and_lists_a_spot_with_its_public_page(self, client, settings) -> None:
        spot, headers = await a_registered_spot(client, settings)
        assert spot["page_url"] == f"{settings.base_url}/tourism/spots/{spot['code']}"
        assert spot["origins"][0] == {
            "key": "o1",
            "name_zh": "成都",
            "name_en": "Chengdu",
            "road_km": 430,
            "rail_km": 360,
            "air_km": 300,
        }
        assert [s["code"] for s in (await client.get("/api/v1/tourism/spots", headers=headers)).json()] == [
            spot["code"]
        ]
        public = await client.get(f"/api/v1/tourism/spots/{spot['code'].lower()}")
        assert public.status_code == 200 and public.json()["benefit_zh"] == "门票优惠 10 元"

    async def test_bad_input_is_named_in_the_readers_language(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.SCENIC_OPERATOR)
        bad = spot_body(origins=[{"name_zh": "成都", "road_km": 0}])
        zh = await client.post("/api/v1/tourism/spots", json=bad, headers=headers)
        assert zh.status_code == 400 and zh.json()["detail"][0]["field"] == "origins[0]"
        assert zh.json()["message"].startswith("第 1 个出发地：公路、铁路、航空距离须为 1 到 20000")
        en = await client.post("/api/v1/tourism/spots", json=bad, headers={**headers, "Accept-Language": "en"})
        assert en.json()["message"].startswith("Origin 1: road, rail and air distances must be whole km")
        county = await client.post(
            "/api/v1/tourism/spots", json=spot_body(county_code="999999"), headers={**headers, "Accept-Language": "en"}
        )
        assert county.status_code == 400 and "is not a county code" in county.json()["message"]
        benefit = await client.post("/api/v1/tourism/spots", json=spot_body(benefit_zh=""), headers=headers)
        assert benefit.status_code == 400 and "门票优惠 10 元" in benefit.json()["message"]

    async def test_a_citizen_cannot_register_and_another_operator_cannot_edit(self, client, settings) -> None:
        _, citizen = await signed_in(settings)
        assert (await client.post("/api/v1/tourism/spots", json=spot_body(), headers=citizen)).status_code == 403
        spot, _ = await a_registered_spot(client, settings)
        _, rival = await signed_in(settings, Role.SCENIC_OPERATOR)
        refused = await client.patch(f"/api/v1/tourism/spots/{spot['code']}", json={"active": False}, headers=rival)
        assert refused.status_code == 403 and refused.json()["code"] == "tourism.not_your_spot"

    async def test_a_court_cannot_redeem_or_see_the_figures(self, client, settings) -> None:
        spot, _ = await a_registered_spot(client, settings)
        _, court = await signed_in(settings, Role.COURT)
        url = f"/api/v1/tourism/spots/{spot['code']}/redemptions"
        assert (await client.post(url, json={"certificate": "x"}, headers=court)).status_code == 403
        assert (await client.get("/api/v1/tourism/dashboard", headers=court)).status_code == 403

    async def test_an_edit_changes_the_spot_and_is_audited(self, client, settings) -> None:
        spot, headers = await a_registered_spot(client, settings)
        edited = await client.patch(
            f"/api/v1/tourism/spots/{spot['code']}", json={"benefit_zh": "门票八折"}, headers=headers
        )
        assert edited.status_code == 200 and edited.json()["benefit_zh"] == "门票八折"
        assert await AuditEvent.filter(action="tourism.spot.updated", entity_id=spot["code"]).count() == 1

    async def test_unknown_spot_codes_are_404_everywhere(self, client, settings) -> None:
        _, headers = await signed_in(settings, Role.SCENIC_OPERATOR)
        for path in ("/api/v1/tourism/spots/NOPE2345", "/tourism/spots/NOPE2345", "/tourism/spots/NOPE2345/poster.png"):
            assert (await client.get(path)).status_code == 404, path
        redeem = await client.post(
            "/api/v1/tourism/spots/NOPE2345/redemptions", json={"certificate": "x"}, headers=headers
        )
        assert redeem.status_code == 404 and redeem.json()["message"] == "找不到该景区编码"


class TestPoster:
    async def test_the_png_poster_decodes_to_the_spot_url(self, client, settings, tmp_path) -> None:
        spot, _ = await a_registered_spot(client, settings)
        png = await client.get(f"/tourism/spots/{spot['code']}/poster.png")
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert (png.headers["cache-control"], png.headers["vary"]) == ("public, max-age=300", "Accept-Language, Cookie")
        assert "content-disposition" not in png.headers
        assert Image.open(io.BytesIO(png.content)).size == (1080, 1440)
        decoded = decoded_with_zbar(png.content, tmp_path)
        assert decoded == spot["page_url"]

    async def test_the_pdf_poster_is_a_pdf(self, client, settings) -> None:
        spot, _ = await a_registered_spot(client, settings)
        pdf = await client.get(f"/tourism/spots/{spot['code']}/poster.pdf?lang=en")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'inline; filename="spot-{spot["code"]}.pdf"'
        assert pdf.headers["cache-control"] == "public, max-age=300"
        assert pdf.content.startswith(b"%PDF")
        title = f"{spot['name_en'] or spot['name_zh']} {spot['code']}"  # the PDF's title: the spot and its code
        assert any(f in pdf.content for f in (b"(" + title.encode(), b"(\xfe\xff" + title.encode("utf-16-be")))


class TestVisitorFlow:
    async def test_scan_footprint_order_pay_and_the_certificate_shows_the_spot_and_trip(self, client, settings) -> None:
        await listed(settings, kg=500, unit_kg=10)
        spot, _ = await a_registered_spot(client, settings)
        code, order = await visit(client, settings, spot)
        assert order["purpose_note"].startswith(f"九寨沟（{spot['code']}）")
        page = await client.get(f"/certificates/{code}")
        assert page.status_code == 200
        assert f"九寨沟 · {spot['code']}" in page.text
        assert "成都 → 九寨沟，火车/高铁 360 千米，2 人，往返" in page.text
        assert "门票优惠 10 元（未核销）" in page.text
        en = await client.get(f"/certificates/{code}?lang=en")
        assert f"Jiuzhaigou · {spot['code']}" in en.text and "Chengdu → Jiuzhaigou, Train 360 km" in en.text


class TestRedemptionAndDashboard:
    async def test_once_then_409_with_time_and_place_then_figures_and_csv(self, client, settings) -> None:
        await listed(settings, kg=500, unit_kg=10)
        spot, headers = await a_registered_spot(client, settings)
        code, order = await visit(client, settings, spot)
        url = f"/api/v1/tourism/spots/{spot['code']}/redemptions"
        first = await client.post(url, json={"certificate": code}, headers=headers)
        assert first.status_code == 201 and first.json()["kg"] == order["kg"]
        again = await client.post(url, json={"certificate": code}, headers={**headers, "Accept-Language": "en"})
        assert again.status_code == 409 and again.json()["code"] == "tourism.already_redeemed"
        assert f"already granted at 九寨沟（{spot['code']}） on " in again.json()["message"]
        assert again.json()["detail"]["first_redeemed_at"].startswith(first.json()["granted_at"][:16])
        _, rival = await signed_in(settings, Role.SCENIC_OPERATOR)
        refused = await client.post(url, json={"certificate": code}, headers=rival)
        assert refused.status_code == 403 and "不属于您所在的运营方" in refused.json()["message"]
        assert "门票优惠 10 元（已于 " in (await client.get(f"/certificates/{code}")).text

        board = (await client.get("/api/v1/tourism/dashboard", headers=headers)).json()
        expected = {"visitors": 1, "kg_offset": order["kg"], "benefits_granted": 1}
        assert board["total"] == expected
        assert board["spots"] == [{"spot": spot["code"], "name_zh": "九寨沟", "figures": expected}]
        assert [d["figures"] for d in board["days"]] == [expected]

        exported = await client.get("/api/v1/tourism/dashboard.csv", headers=headers)
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert exported.headers["content-disposition"] == 'attachment; filename="microsink-tourism.csv"'
        assert exported.headers["cache-control"] == "no-store"
        assert exported.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0] == ["day", "spot_code", "spot_name", "visitors", "kg_offset", "benefits_granted"]
        assert rows[1][1:] == [spot["code"], "九寨沟", "1", str(order["kg"]), "1"]
        assert rows[1][0] == board["days"][0]["day"]
        assert (await client.get("/api/v1/tourism/dashboard", headers=rival)).json()["total"]["visitors"] == 0


class TestOperatorPage:
    async def test_the_dashboard_page_grants_a_benefit_and_says_why_it_refuses(self, client, settings) -> None:
        await listed(settings, kg=500, unit_kg=10)
        spot, _ = await a_registered_spot(client, settings)
        code, order = await visit(client, settings, spot)
        staff = await User.get(memberships__role="scenic_operator")
        csrf = (await client.get("/")).cookies.get("csrftoken") or client.cookies.get("csrftoken") or ""
        headers = {"Cookie": f"{SESSION_COOKIE}={await cookie_for(staff)}; csrftoken={csrf}", "x-csrftoken": csrf}
        page = await client.get("/tourism/operator", headers=headers)
        assert page.status_code == 200 and f"/tourism/spots/{spot['code']}/poster.png" in page.text
        form = {"spot": spot["code"], "certificate": code}
        done = await client.post("/tourism/operator/redeem", data=form, headers=headers)
        assert done.status_code == 200 and f"已核销：门票优惠 10 元（证书 {code}，{order['kg']} 千克）" in done.text
        again = await client.post("/tourism/operator/redeem?lang=en", data=form, headers=headers)
        assert again.status_code == 409 and "already granted at 九寨沟" in again.text
        exported = await client.get("/tourism/operator.csv", headers=headers)
        assert exported.status_code == 200 and exported.content.startswith(b"\xef\xbb\xbf")
