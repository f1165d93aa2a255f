"""The public footprint API and the /footprint pages over HTTP, without signing in."""

from __future__ import annotations

import re

import httpx
import pytest

from app.footprint.factors import catalogue

TRIP = "/api/v1/footprint/trip"


class TestApi:
    async def test_a_trip_returns_each_line_with_its_factor_source_and_the_file_it_used(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.post(
            TRIP,
            json={"mode": "rail", "origin": "chengdu", "destination": "jiuzhaigou", "people": 2, "hotel_nights": 2},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["kg"], body["offset_kg"], body["buy_url"]) == ("160.47368", 161, "/market?kg=161&purpose=trip")
        rail = body["lines"][0]["factor"]
        assert rail["key"] == "factor.rail" and rail["value"] == "0.03546" and "DESNZ" in rail["publisher"]
        assert rail["verified"] is True and rail["verification"] == "reproduction" and rail["proxy"] is True
        assert body["factor_set_version"] == "1.0.0" and body["factor_set_sha256"] == catalogue().current.sha256

    async def test_day_and_event_answer_the_worked_examples(self, client: httpx.AsyncClient) -> None:
        day = await client.post(
            "/api/v1/footprint/day",
            json={"days": 365, "electricity_kwh_per_day": "5", "commute_km_per_day": {"metro": 12}},
        )
        assert day.status_code == 200 and day.json()["kg"] == "1093.613"
        event = await client.post(
            "/api/v1/footprint/event",
            json={
                "attendees": 200,
                "days": 2,
                "venue_kwh_per_day": 3000,
                "hotel_room_nights": 150,
                "travel": [
                    {"mode": "air", "count": 50, "distance_km": 1500},
                    {"mode": "coach", "count": 150, "distance_km": 120},
                ],
            },
        )
        assert event.status_code == 200 and (event.json()["kg"], event.json()["offset_kg"]) == ("31386.96", 31387)

    async def test_the_factor_list_names_every_source_and_the_places(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/footprint/factors", params={"lang": "en"})
        assert r.status_code == 200
        body = r.json()
        assert body["sha256"] == catalogue().current.sha256
        keys = {f["key"]: f for f in body["factors"]}
        assert (
            keys["factor.grid_cn_national"]["value"] == "0.5306"
            and "生态环境部" in keys["factor.grid_cn_national"]["publisher"]
        )
        assert keys["design.ground_routing_factor"]["verified"] is False
        assert all(f["publisher"] and f["title"] and f["year"] for f in body["factors"])
        assert {"origin": "chengdu", "destination": "jiuzhaigou", "great_circle_km": 290} in body["routes"]
        assert body["limits"]["distance_km_max"] == 20000
        assert next(p for p in body["places"] if p["key"] == "jiuzhaigou")["name"] == "Jiuzhaigou County"

    async def test_a_limit_is_refused_in_the_requests_language(self, client: httpx.AsyncClient) -> None:
        body = {"mode": "rail", "distance_km": 25000}
        zh = await client.post(TRIP, json=body)
        assert zh.status_code == 400
        assert zh.json()["code"] == "footprint.limit.distance_km_max"
        assert zh.json()["message"] == "单程距离不得超过 20000 公里，输入为 25000 公里"
        assert zh.json()["detail"] == {"field": "distance_km", "limit": "20000"}
        en = await client.post(TRIP, json=body, headers={"Accept-Language": "en"})
        assert en.json()["message"] == "The one-way distance may not exceed 20000 km: 25000 km given"

    @pytest.mark.parametrize(
        "body",
        [
            {"mode": "rocket", "distance_km": 10},
            {"mode": "rail", "distance_km": "ten"},
            {"mode": "rail", "distance_km": 10, "people": 0},
            {"mode": "rail", "distance_km": 10, "surprise": True},
            {"distance_km": 10},
        ],
    )
    async def test_malformed_input_is_a_400_in_chinese_or_english(self, client: httpx.AsyncClient, body: dict) -> None:
        zh = await client.post(TRIP, json=body)
        assert zh.status_code == 400, zh.text
        assert zh.json()["message"].startswith("请求参数有误")
        en = await client.post(TRIP, json=body, params={"lang": "en"})
        assert en.status_code == 400 and en.json()["message"].startswith("Invalid request")

    async def test_an_unknown_place_or_version_is_named(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            TRIP, json={"mode": "rail", "origin": "atlantis", "destination": "jiuzhaigou"}, params={"lang": "en"}
        )
        assert r.status_code == 400 and r.json()["message"].startswith("Unknown place atlantis")
        missing = await client.post(TRIP, params={"version": "9.9.9"}, json={"mode": "rail", "distance_km": 5})
        assert missing.status_code == 404 and missing.json()["code"] == "footprint.version_not_found"


class TestPages:
    async def test_a_scenic_spot_qr_link_prefills_the_trip_form(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/footprint/trip", params={"to": "jiuzhaigou", "people": "2", "nights": "1"})
        assert r.status_code == 200
        html = r.text
        assert '<option value="jiuzhaigou" selected>九寨沟县</option>' in html
        assert re.search(r'name="people"[^>]*value="2"', html)
        assert re.search(r'name="hotel_nights"[^>]*value="1"', html)
        assert re.search(r'name="return_trip" value="1" checked', html), "a QR link keeps the return-trip default"
        assert "lang=en" in html and "to=jiuzhaigou" in html, "the language switch keeps the prefill"

    async def test_the_result_page_lists_each_factor_and_links_the_market(self, client: httpx.AsyncClient) -> None:
        q = {
            "mode": "rail",
            "origin": "chengdu",
            "destination": "jiuzhaigou",
            "people": "2",
            "hotel_nights": "2",
            "submitted": "1",
            "return_trip": "1",
            "radiative_forcing": "1",
        }
        r = await client.get("/footprint/trip/result", params=q)
        assert r.status_code == 200, r.text
        html = r.text
        assert '<span class="kg">160.47368</span>' in html
        assert 'href="/market?kg=161&amp;purpose=trip&amp;lang=zh"' in html
        assert "factor.rail" in html and "factor.hotel_cn" in html and "DESNZ" in html
        assert catalogue().current.sha256 in html
        assert "未核实" not in html or "绕行系数" in html
        assert "设计取值" in html, "the unverified routing factor is shown as such"

    async def test_an_unticked_return_box_on_a_submitted_form_means_one_way(self, client: httpx.AsyncClient) -> None:
        r = await client.get(
            "/footprint/trip/result",
            params={"mode": "air", "distance_km": "1500", "submitted": "1", "radiative_forcing": "1"},
        )
        assert '<span class="kg">191.79</span>' in r.text  # 1500 × 0.12786, one way

    async def test_a_refused_limit_comes_back_on_the_form_with_the_limit_named(self, client: httpx.AsyncClient) -> None:
        r = await client.get(
            "/footprint/day/result", params={"days": "400", "electricity_kwh_per_day": "3", "lang": "en"}
        )
        assert r.status_code == 400
        assert "At most 366 days (a year): 400 given" in r.text
        assert re.search(r'name="days"[^>]*value="400"[^>]*aria-invalid="true"', r.text)

    async def test_index_and_factor_pages_render_in_both_languages(self, client: httpx.AsyncClient) -> None:
        for lang, title in (("zh", "碳足迹计算器"), ("en", "Footprint calculator")):
            r = await client.get("/footprint", params={"lang": lang})
            assert r.status_code == 200 and title in r.text
        factors = await client.get("/footprint/factors")
        assert factors.status_code == 200 and "0.5306" in factors.text and "未核实" in factors.text
        assert (await client.get("/footprint/nope")).status_code == 404

    async def test_the_event_form_computes_from_its_travel_groups(self, client: httpx.AsyncClient) -> None:
        q = {
            "attendees": "200",
            "days": "2",
            "venue_kwh_per_day": "3000",
            "hotel_room_nights": "150",
            "submitted": "1",
            "radiative_forcing": "1",
            "g1_mode": "air",
            "g1_count": "50",
            "g1_km": "1500",
            "g2_mode": "coach",
            "g2_count": "150",
            "g2_km": "120",
            "g3_mode": "coach",
        }
        r = await client.get("/footprint/event/result", params=q)
        assert r.status_code == 200, r.text
        assert '<span class="kg">31386.96</span>' in r.text and "kg=31387&amp;purpose=event" in r.text
