"""PATCH /api/v1/me: a person changes their nickname, district and language; bad values change nothing."""

from __future__ import annotations

from models.accounts import User
from tests.helpers import signed_in


class TestUpdateProfile:
    async def test_sets_nickname_district_and_language(self, client, settings) -> None:
        _user, headers = await signed_in(settings)
        r = await client.patch(
            "/api/v1/me",
            json={"display_name": " 林小绿 ", "district_code": "510112", "language": "en"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["display_name"] == "林小绿"
        assert body["district"] == {"code": "510112", "name": "四川省成都市龙泉驿区"}
        assert body["language"] == "en"
        assert (await client.get("/api/v1/me", headers=headers)).json()["district"]["code"] == "510112"

    async def test_changes_only_the_fields_given_and_null_clears_the_district(self, client, settings) -> None:
        _user, headers = await signed_in(settings)
        await client.patch("/api/v1/me", json={"display_name": "竹林", "district_code": "510184"}, headers=headers)
        r = await client.patch("/api/v1/me", json={"district_code": None}, headers=headers)
        assert (r.json()["display_name"], r.json()["district"]) == ("竹林", None)

    async def test_refuses_a_prefecture_as_district_in_the_callers_language(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        r = await client.patch(
            "/api/v1/me?lang=en", json={"district_code": "510100", "display_name": "x"}, headers=headers
        )
        assert r.status_code == 400
        assert r.json()["code"] == "regions.not_a_county"
        assert "510100 is not a county code" in r.json()["message"]
        assert (await User.get(id=user.id)).display_name == ""  # all or nothing

    async def test_refuses_a_phone_number_as_nickname(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        r = await client.patch("/api/v1/me", json={"display_name": "138 0013 8000"}, headers=headers)
        assert r.status_code == 400
        assert "手机号码" in r.json()["message"]

    async def test_refuses_unknown_fields_and_languages(self, client, settings) -> None:
        _, headers = await signed_in(settings)
        assert (await client.patch("/api/v1/me", json={"phone": "13800138000"}, headers=headers)).status_code == 400
        r = await client.patch("/api/v1/me", json={"language": "fr"}, headers=headers)
        assert (r.status_code, r.json()["code"]) == (400, "accounts.bad_language")

    async def test_the_district_leaves_with_the_account(self, client, settings) -> None:
        user, headers = await signed_in(settings)
        await client.patch("/api/v1/me", json={"district_code": "510112"}, headers=headers)
        exported = await client.get("/api/v1/me/export", headers=headers)
        assert exported.json()["account"]["district_code"] == "510112"
        await client.post("/api/v1/me/delete-account", json={"confirm": True}, headers=headers)
        assert (await User.get(id=user.id)).district_code is None
