"""Structured JSON logs: one line per request, each carrying the request id."""

import json

import httpx

from app.main import create_app
from tests.conftest import running


async def test_each_request_logs_one_json_line_with_its_request_id(settings, capsys) -> None:
    app = create_app(settings.with_(log_level="INFO"))
    async with running(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            await c.get("/healthz", headers={"X-Request-ID": "trace-me-1"})
            await c.post("/api/v1/auth/sms/send", json={"phone": "13812345678"}, headers={"X-Request-ID": "trace-me-2"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = {line["request_id"]: line for line in lines if line.get("event") == "request"}
    assert access["trace-me-1"]["path"] == "/healthz" and access["trace-me-1"]["status"] == 200
    assert access["trace-me-2"]["method"] == "POST"
    assert all("timestamp" in line and "level" in line for line in lines)
    # the access line never carries the body: no phone number in it
    assert "13812345678" not in json.dumps(access["trace-me-2"], ensure_ascii=False)
