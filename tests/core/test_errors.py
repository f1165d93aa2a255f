"""One error shape, Chinese by default, English on request, no stack traces."""


class TestErrorShape:
    async def test_unknown_path_is_404_in_chinese_by_default(self, client) -> None:
        r = await client.get("/api/v1/nothing-here")
        assert r.status_code == 404
        assert r.json() == {"code": "error.not_found", "message": "找不到您请求的内容", "detail": None}

    async def test_accept_language_english_gives_english(self, client) -> None:
        r = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
        assert r.json()["message"] == "Not found"

    async def test_chinese_preferred_over_english_by_q_value(self, client) -> None:
        r = await client.get("/api/v1/nothing-here", headers={"Accept-Language": "en;q=0.3, zh-CN;q=0.9"})
        assert r.json()["message"] == "找不到您请求的内容"
