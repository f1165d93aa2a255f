"""The public methodology API and the /calculator pages, over HTTP, without signing in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar

from app.main import create_app
from app.settings import Settings
from tests.conftest import running

A1 = {"area_mu": 10, "species": "cunninghamia", "stand_age": 3, "elevation_m": 600, "non_forest_years_before": 3}
ESTIMATE = "/api/v1/methodologies/{}/estimate"


class TestListAndShow:
    async def test_it_lists_the_five_methodologies_with_their_versions(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/methodologies")
        assert r.status_code == 200
        body = r.json()
        assert [m["id"] for m in body] == ["SC-LCP-AFF", "SC-LCP-MGT", "SC-LCP-BAM", "SC-LCP-GRS", "SC-LCP-WET"]
        version = body[0]["versions"][0]
        assert version["version"] == "0.1.0" and version["parameter_set_version"] == "0.1.1" and version["current"]
        assert len(version["parameter_set_sha256"]) == 64
        assert body[0]["name"] == "造林"

    async def test_it_shows_a_methodology_with_each_parameter_and_its_source(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/methodologies/SC-LCP-GRS", params={"lang": "en"})
        assert r.status_code == 200
        body = r.json()
        assert body["name"] == "Grassland" and body["estimate_path"] == ESTIMATE.format("SC-LCP-GRS")
        params = {p["key"]: p for p in body["parameters"]}
        assert params["grassland.empirical_soil_rate_cap"]["value"] == "0.68"
        assert "Deng" in params["grassland.empirical_soil_rate_cap"]["source"]
        assert params["grassland.f_mg_moderately_degraded"]["verification"] == "recalled"

    async def test_an_unknown_methodology_or_version_is_404(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/methodologies/SC-LCP-NOPE")).status_code == 404
        r = await client.get("/api/v1/methodologies/SC-LCP-AFF", params={"version": "9.9.9"})
        assert r.status_code == 404 and r.json()["code"] == "methodology.version_not_found"


class TestEstimateApi:
    async def test_it_estimates_with_every_parameter_and_source(self, client: httpx.AsyncClient) -> None:
        r = await client.post(ESTIMATE.format("SC-LCP-AFF"), json=A1)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["kg_per_year"] == 599 and body["estimate"]["kg_per_year"] == 599
        e = body["estimate"]
        assert (e["methodology_id"], e["methodology_version"], e["basis"]) == ("SC-LCP-AFF", "0.1.0", "ex_ante")
        assert len(e["parameter_set_sha256"]) == 64
        sources = {p["key"]: p["source"] for p in e["parameters"]}
        assert "AR-CM-001-V01" in sources["tree.cunninghamia.bef"]
        assert body["basis_label"] == "事前估算（预期）"
        assert "核证" in body["caveat"]

    async def test_a_version_can_be_asked_for(self, client: httpx.AsyncClient) -> None:
        ok = await client.post(ESTIMATE.format("SC-LCP-AFF"), params={"version": "0.1.0"}, json=A1)
        assert ok.status_code == 200 and ok.json()["estimate"]["methodology_version"] == "0.1.0"
        missing = await client.post(ESTIMATE.format("SC-LCP-AFF"), params={"version": "0.9.0"}, json=A1)
        assert missing.status_code == 404

    async def test_a_limit_is_refused_in_the_requests_language(self, client: httpx.AsyncClient) -> None:
        body = {**A1, "area_mu": 1600}
        zh = await client.post(ESTIMATE.format("SC-LCP-AFF"), json=body)
        assert zh.status_code == 400
        assert zh.json()["code"] == "methodology.limit.max_listing_area"
        assert "1500" in zh.json()["message"] and "1600" in zh.json()["message"] and "亩" in zh.json()["message"]
        assert zh.json()["detail"]["field"] == "area_mu"
        en = await client.post(ESTIMATE.format("SC-LCP-AFF"), json=body, headers={"Accept-Language": "en"})
        assert en.json()["message"].startswith("Area above the micro-sink limit of 1500")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({k: v for k, v in A1.items() if k != "stand_age"}, "stand_age"),
            ({**A1, "colour": "green"}, "colour"),
            ({**A1, "area_mu": "NaN"}, "area_mu"),
            ({**A1, "stand_age": -1}, "stand_age"),
        ],
    )
    async def test_malformed_inputs_are_400_naming_the_field(
        self, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        r = await client.post(ESTIMATE.format("SC-LCP-AFF"), json=body)
        assert r.status_code == 400
        assert field in r.text

    async def test_a_number_awaiting_review_is_not_shown(self, client: httpx.AsyncClient) -> None:
        body = {
            "area_mu": 50,
            "species": "quercus",
            "stand_age": 20,
            "canopy_cover": 0.6,
            "measurements": [{"year": 2024, "volume_m3_per_ha": 50}, {"year": 2026, "volume_m3_per_ha": 120}],
        }
        r = await client.post(ESTIMATE.format("SC-LCP-MGT"), json=body)
        assert r.status_code == 200
        assert r.json()["kg_per_year"] is None and r.json()["estimate"]["held_for_review"]

    async def test_every_methodology_has_an_estimate_route(self, client: httpx.AsyncClient) -> None:
        bodies = {
            "SC-LCP-MGT": {"area_mu": 50, "species": "pinus_massoniana", "stand_age": 12, "canopy_cover": 0.6},
            "SC-LCP-BAM": {"area_mu": 20, "species": "moso", "planting": "new", "stand_age": 4},
            "SC-LCP-GRS": {"area_mu": 500, "grassland": "alpine_meadow", "years_since_change": 0},
            "SC-LCP-WET": {"area_mu": 50, "activity": "intact_protection"},
        }
        expected = {"SC-LCP-MGT": 3117, "SC-LCP-BAM": 11407, "SC-LCP-GRS": 20319, "SC-LCP-WET": 0}
        for mid, body in bodies.items():
            r = await client.post(ESTIMATE.format(mid), json=body)
            assert r.status_code == 200, (mid, r.text)
            assert r.json()["kg_per_year"] == expected[mid]


async def test_the_app_wide_rate_limit_covers_the_estimate(settings: Settings) -> None:
    app: Litestar = create_app(settings.with_(api_rate_limit_per_minute=3))
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            codes = [(await c.post(ESTIMATE.format("SC-LCP-AFF"), json=A1)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def _query(**values: Any) -> str:
    return urlencode(values)


class TestCalculatorPages:
    async def test_the_index_offers_every_sink_type(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/calculator")
        assert r.status_code == 200 and "碳汇计算器" in r.text
        for mid in ("SC-LCP-AFF", "SC-LCP-MGT", "SC-LCP-BAM", "SC-LCP-GRS", "SC-LCP-WET"):
            assert f'href="/calculator/{mid}?lang=zh"' in r.text
        assert "Sink calculator" in (await client.get("/calculator?lang=en")).text

    async def test_each_form_works_without_javascript(self, client: httpx.AsyncClient) -> None:
        for mid in ("SC-LCP-AFF", "SC-LCP-MGT", "SC-LCP-BAM", "SC-LCP-GRS", "SC-LCP-WET"):
            r = await client.get(f"/calculator/{mid}")
            assert r.status_code == 200
            assert f'<form class="stack" method="get" action="/calculator/{mid}/estimate">' in r.text
            assert "<script" not in r.text

    async def test_the_result_shows_kg_in_zh_cn_format_with_sources_basis_and_caveat(
        self, client: httpx.AsyncClient
    ) -> None:
        q = _query(area_mu=100, species="quercus", stand_age=30, canopy_cover="0.7", m1_year=2022, m1_volume=85,
                   m2_year=2026, m2_volume=97)  # fmt: skip
        r = await client.get(f"/calculator/SC-LCP-MGT/estimate?{q}")
        assert r.status_code == 200, r.text
        assert '<span class="kg">29,368</span>' in r.text
        assert "事前估算（预期）" in r.text
        assert "在核证机构批准签发之前" in r.text
        assert "tree.quercus.wood_density" in r.text and "AR-CM-001-V01" in r.text
        assert "SC-LCP-MGT@0.1.0" in r.text

    async def test_the_result_in_english(self, client: httpx.AsyncClient) -> None:
        q = _query(lang="en", area_mu=20, species="moso", planting="new", stand_age=4)
        r = await client.get(f"/calculator/SC-LCP-BAM/estimate?{q}")
        assert '<span class="kg">11,407</span>' in r.text and "Ex-ante (expected)" in r.text
        assert "estimate until a verifier approves" in r.text

    async def test_a_refused_input_returns_the_form_with_the_limit_named(self, client: httpx.AsyncClient) -> None:
        q = _query(area_mu=20000, grassland="alpine_meadow", years_since_change=0, station_grading="moderate")
        r = await client.get(f"/calculator/SC-LCP-GRS/estimate?{q}")
        assert r.status_code == 400
        assert "15000" in r.text and "20000" in r.text and "validity.max_listing_area_grassland" in r.text
        assert 'value="20000"' in r.text  # what was typed stays in the form
        assert '<option value="moderate" selected>' in r.text

    async def test_a_non_number_in_the_form_is_a_400_page(self, client: httpx.AsyncClient) -> None:
        r = await client.get(f"/calculator/SC-LCP-AFF/estimate?{_query(area_mu='ten', species='picea')}")
        assert r.status_code == 400 and 'class="error"' in r.text

    async def test_an_unknown_sink_type_is_404(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/calculator/SC-LCP-NOPE")).status_code == 404
        assert (await client.get("/calculator/SC-LCP-NOPE/estimate?area_mu=1")).status_code == 404
