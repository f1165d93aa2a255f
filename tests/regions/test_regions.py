"""GB/T 2260 regions: the bundled code list answers look-ups and county checks."""

from __future__ import annotations

import pytest

from app.core.errors import AppError
from app.regions import service as regions


class TestRegion:
    def test_knows_current_codes_and_their_parents(self) -> None:
        assert regions.region("510117").name == "郫都区"  # 郫县 became 郫都区 in 2016  # type: ignore[union-attr]
        assert regions.region("510118").name == "新津区"  # type: ignore[union-attr]
        assert regions.region("510112").parent == "510100"  # type: ignore[union-attr]

    def test_has_no_placeholder_city_district_codes(self) -> None:
        assert regions.region("510101") is None  # "市辖区" names no place

    def test_lists_sichuans_prefectures_under_the_province(self) -> None:
        prefectures = regions.children("510000")
        assert len(prefectures) == 21
        assert prefectures[0].name == "成都市"


class TestFullName:
    def test_reads_from_the_province_down(self) -> None:
        assert regions.full_name("510112") == "四川省成都市龙泉驿区"

    def test_skips_the_directly_administered_grouping(self) -> None:
        assert regions.full_name("429004") == "湖北省仙桃市"


class TestCounty:
    @pytest.mark.parametrize("code", ["510112", "513225", "441900"])  # a district, a county, a city with no counties
    def test_accepts_county_level_divisions(self, code: str) -> None:
        assert regions.county(code).is_county_level

    @pytest.mark.parametrize("code", ["510000", "510100", "510199", "999999", "5101", ""])
    def test_refuses_provinces_prefectures_and_unknown_codes(self, code: str) -> None:
        with pytest.raises(AppError) as refused:
            regions.county(code, "district_code")
        assert refused.value.key == "regions.not_a_county"
        assert refused.value.detail == [{"field": "district_code"}]
