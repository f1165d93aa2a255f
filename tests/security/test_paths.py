"""Path traversal: no URL reaches a file outside what the route serves.

The routes that read files by a name from the URL are the evidence store (`/evidence/files/{key}`),
the 科普 Markdown pages (`/kepu/{slug}`), the static files (`/static/...`) and the organiser's CSV
exports (`/api/v1/campaigns/{slug}/exports/{file}`); the rest look names up in the database. Each is
asked for files outside its root with the usual spellings (raw `../`, percent-encoded, doubled,
backslashes, NUL, absolute). The path is sent as is (httpx would otherwise remove the dot segments).
The answer must be a 4xx and must not contain a line of /etc/passwd or of this repository's files.

Adding a route is one row in ROUTES; adding a spelling is one row in ESCAPES.
"""

from __future__ import annotations

import httpx
import pytest

from app.core.auth import Role
from app.settings import Settings
from tests.helpers import signed_in

ROUTES = {
    "evidence file": "/evidence/files/{x}",
    "科普 page": "/kepu/{x}",
    "static file": "/static/{x}",
    "campaign CSV export": "/api/v1/campaigns/spring/exports/{x}",
    "campaign page": "/campaigns/{x}",
    "certificate page": "/certificates/{x}",
    "calculator page": "/calculator/{x}",
    "team page": "/teams/{x}",
    "tourism spot page": "/tourism/spots/{x}",
}
ESCAPES = [
    "../../../../../../etc/passwd",
    "..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "....//....//....//etc/passwd",
    "..\\..\\..\\..\\etc\\passwd",
    "..%5c..%5c..%5cetc%5cpasswd",
    "%2Fetc%2Fpasswd",
    "/etc/passwd",
    "forest%00.md",
    "../../../pyproject.toml",
    "..%2F..%2F..%2Fpyproject.toml",
    "../../app/settings.py",
]
LEAKS = ("root:x:0:0", "[build-system]", "class Settings", "BEGIN PRIVATE KEY")


async def _raw_get(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> httpx.Response:
    request = client.build_request("GET", "/", headers=headers)
    request.url = request.url.copy_with(raw_path=path.encode("latin-1"))
    return await client.send(request)


@pytest.mark.parametrize("route", list(ROUTES))
async def test_no_spelling_of_a_path_outside_the_root_is_served(
    client: httpx.AsyncClient, settings: Settings, route: str, subtests: pytest.Subtests
) -> None:
    _, headers = await signed_in(settings, Role.ORGANISER)
    for escape in ESCAPES:
        with subtests.test(msg=escape):
            path = ROUTES[route].format(x=escape)
            r = await _raw_get(client, path, headers)
            assert 400 <= r.status_code < 500, f"{path}: {r.status_code}"
            assert not any(leak in r.text for leak in LEAKS), f"{path} leaked a file: {r.text[:200]}"


async def test_the_routes_serve_their_own_files(client: httpx.AsyncClient) -> None:
    """The rows above test something: the same routes do serve what is theirs."""
    assert (await _raw_get(client, "/kepu/forest", {})).status_code == 200
    static = await _raw_get(client, "/static/css/base.css", {})
    assert static.status_code == 200, "static/css/base.css moved: point this check at a file that exists"
