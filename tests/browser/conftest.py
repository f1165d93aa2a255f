"""Browser fixtures: the app served by uvicorn on a free loopback port, and Debian's Chromium.

Playwright drives the system `chromium` package (STACK.md §9): `playwright install` is never run,
so a machine without Debian's chromium skips these tests with the command that installs it.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from tests.live_server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"  # git-ignored
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app (test settings, migrated database) served by uvicorn in a thread; yields its base URL."""
    yield from serve_in_thread(settings)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Debian Chromium through Playwright, or a skip that says how to install it."""
    if not HAVE_CHROMIUM:
        pytest.skip("Debian chromium is not installed: run `make deps` (apt-get install chromium fonts-noto-cjk)")
    async_api = pytest.importorskip("playwright.async_api", reason="the playwright package is not installed")
    playwright = await async_api.async_playwright().start()
    try:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
    finally:
        await playwright.stop()


@pytest.fixture
async def phone(browser: Any) -> AsyncIterator[Any]:
    """A page in a zh-CN phone-sized context (390×844), as a mini-app web-view would open it."""
    context = await browser.new_context(locale="zh-CN", viewport=PHONE)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
