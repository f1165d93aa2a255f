"""Every upload endpoint against hostile files: refused or neutralised, never written outside the store.

Two tables. UPLOADS: each endpoint that takes a file, with how to get a fresh target to upload to.
HOSTILE_FILES: a file name, its bytes, the content type the client claims, and the status it must get.
Every pair runs. Whatever the answer, afterwards:
- the store holds only files named by their SHA-256, at `root/ab/cd/<key>`: the client chooses no key,
  not by the file name and not by extra form fields (`key`, `content_key`: refused or ignored);
- nothing appeared outside the store's root, and no file carries the client's name;
- an accepted file was re-encoded: none of its hostile bytes are in what is stored or served;
- the answer does not echo the client's file name.

Adding an endpoint or a file is one row.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from app.settings import Settings
from tests.evidence.photos import encode, phone_jpeg, scene
from tests.planting.builders import checked_in, planting_campaign
from tests.registry.shapes import project_with, smallholder, square

_n = itertools.count(1)
KEY_PATH = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")
MARKERS = (b"<?php", b"<script", b"<svg", b"onload", b"<html")
MAX_BYTES = 256 * 1024  # photo_max_bytes for this module: a "huge" file stays cheap to build
MAX_PIXELS = 4_000_000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(photo_max_bytes=MAX_BYTES, photo_max_pixels=MAX_PIXELS)


@dataclass
class Target:
    url: str
    headers: dict[str, str]


async def parcel_photo(client: httpx.AsyncClient, settings: Settings) -> Target:
    _, headers = await smallholder(settings)
    _, (parcel,) = await project_with(client, headers, square(104.3 + next(_n) * 0.01, 30.55, 200))
    return Target(f"/api/v1/registry/parcels/{parcel}/photos", headers)


async def planting_log_photo(client: httpx.AsyncClient, settings: Settings) -> Target:
    from app.planting import service as planting
    from app.planting.schemas import LogIn
    from tests.helpers import signed_in

    planted = await planting_campaign(settings, slug=f"upload-{next(_n)}")
    user, headers = await signed_in(settings)
    _, booking = await checked_in(settings, planted, user)
    log = await planting.submit(settings, user, booking.public_id, LogIn(species="tree.cupressus", count=2))
    return Target(f"/api/v1/planting/logs/{log.public_id}/photos", headers)


UPLOADS: dict[str, Callable[[httpx.AsyncClient, Settings], Awaitable[Target]]] = {
    "POST /api/v1/registry/parcels/{id}/photos": parcel_photo,
    "POST /api/v1/planting/logs/{id}/photos": planting_log_photo,
}


def _jpeg(seed: int) -> bytes:
    return phone_jpeg(seed)


def _polyglot(seed: int) -> bytes:
    """A real JPEG carrying a script and PHP in a comment segment and after its end marker."""
    return encode(scene(seed), "JPEG", comment=b"<script>alert(1)</script>") + b"<?php system($_GET['c']); ?>"


def _php(seed: int) -> bytes:
    return b"<?php system($_GET['c']); ?>\n"


def _svg(seed: int) -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'


def _html(seed: int) -> bytes:
    return b"<html><body><script>alert(document.cookie)</script></body></html>"


def _huge(seed: int) -> bytes:
    """A real JPEG padded past the byte limit."""
    return encode(scene(seed), "JPEG") + b"\0" * MAX_BYTES


def _pixel_bomb(seed: int) -> bytes:
    """A small PNG whose header claims more pixels than the limit (a decompression bomb, in miniature)."""
    out = io.BytesIO()
    Image.new("1", (2500, 2000)).save(out, "PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[int], bytes]
    content_type: str
    status: int


ESCAPE_NAME = "/tmp/microsink-upload-escape.jpg"
CHOSEN_KEYS = {"key": "../../chosen-key", "content_key": "0" * 64}
HOSTILE_FILES: dict[str, Hostile] = {
    "traversal name, real photo": Hostile("../../../../etc/passwd", _jpeg, "image/jpeg", 201),
    "traversal name with backslashes": Hostile("..\\..\\..\\windows\\win.ini", _jpeg, "image/jpeg", 201),
    "absolute path name": Hostile(ESCAPE_NAME, _jpeg, "image/jpeg", 201),
    "NUL byte in the name": Hostile("photo.jpg\x00.php", _jpeg, "image/jpeg", 201),
    "PHP named .jpg": Hostile("shell.jpg", _php, "image/jpeg", 400),
    "PHP named .php": Hostile("shell.php", _php, "application/x-php", 400),
    "SVG with script": Hostile("logo.svg", _svg, "image/svg+xml", 400),
    "SVG named .jpg": Hostile("logo.jpg", _svg, "image/jpeg", 400),
    "HTML named .png": Hostile("page.png", _html, "image/png", 400),
    "JPEG/PHP/script polyglot": Hostile("poly.php.jpg", _polyglot, "image/jpeg", 201),
    "file over the byte limit": Hostile("big.jpg", _huge, "image/jpeg", 413),
    "pixel bomb": Hostile("bomb.png", _pixel_bomb, "image/png", 413),
    "empty file": Hostile("empty.jpg", lambda seed: b"", "image/jpeg", 400),
}


def _exists(path: str) -> bool:
    return Path(path).exists()


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("endpoint", list(UPLOADS))
async def test_hostile_uploads_are_refused_or_neutralised_and_stay_in_the_store(
    client: httpx.AsyncClient, settings: Settings, endpoint: str, subtests: pytest.Subtests
) -> None:
    # One target per endpoint takes every file in turn (the accepted ones stay under the per-target cap),
    # so the table costs one app and one target per endpoint, not one per row.
    target = await UPLOADS[endpoint](client, settings)
    root = Path(settings.upload_dir)
    for hostile, case in HOSTILE_FILES.items():
        with subtests.test(msg=hostile):
            await _check_one(client, target, root, endpoint, hostile, case)
    with subtests.test(msg="form fields naming a storage key"):
        photo = {"photo": ("IMG_0002.jpg", _jpeg(next(_n) + 5000), "image/jpeg")}
        r = await client.post(target.url, files=photo, data=CHOSEN_KEYS, headers=target.headers)
        assert r.status_code in (201, 400), r.text
        names = {p.relative_to(root).as_posix() for p in _files_under(root)}
        assert all(KEY_PATH.fullmatch(n) for n in names) and CHOSEN_KEYS["content_key"] not in str(names)


async def _check_one(
    client: httpx.AsyncClient, target: Target, root: Path, endpoint: str, hostile: str, case: Hostile
) -> None:
    outside = root.parent
    before_outside = {p for p in _files_under(outside) if root not in p.parents}
    data = case.make(next(_n) + 1000)

    r = await client.post(target.url, files={"photo": (case.name, data, case.content_type)}, headers=target.headers)

    assert r.status_code == case.status, f"{endpoint} with {hostile}: {r.status_code} {r.text[:300]}"
    for path in _files_under(root):
        assert KEY_PATH.fullmatch(path.relative_to(root).as_posix()), f"a file the client named: {path}"
        assert path.name != CHOSEN_KEYS["content_key"]
        stored = path.read_bytes()
        assert not any(m in stored for m in MARKERS), f"hostile bytes kept in {path}"
    after_outside = {p for p in _files_under(outside) if root not in p.parents}
    # The database file (and its journal) may change; no new file may appear beside the store.
    new = {p for p in after_outside - before_outside if not p.name.startswith("test.sqlite3")}
    assert not new, f"files written outside the store: {new}"
    assert not _exists(ESCAPE_NAME), f"{ESCAPE_NAME} was written"
    base = Path(case.name.replace("\\", "/").replace("\x00", "")).name
    assert base not in r.text, "the answer echoes the client's file name"
    if r.status_code == 201:
        served = await client.get(r.json()["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert not any(m in served.content for m in MARKERS)
    else:
        assert r.json()["detail"][0]["field"] == "photo", r.text  # the refusal names the field
