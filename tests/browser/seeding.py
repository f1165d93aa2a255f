"""Writing a browser test's data before the live server starts: on its own event loop and ORM.

The live server runs the app, and the app's database connections, on another thread's event loop.
Data written from the test's own loop would open connections that nobody closes, and an open
aiosqlite connection keeps a non-daemon thread alive: the pytest process then never exits after
its summary (that hung CI once). So browser tests write their data through `seed`, which opens the
ORM in a thread of its own and closes it before returning.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise import Tortoise

from app.core.db import tortoise_config
from app.settings import Settings

T = TypeVar("T")


def seed(settings: Settings, fill: Callable[[], Awaitable[T]], timeout_s: float = 90) -> T:
    """Run `fill()` against the test database on a fresh loop and ORM, closed afterwards; its result."""
    out: list[T] = []

    async def run() -> None:
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        try:
            out.append(await fill())
        finally:
            await Tortoise.close_connections()

    thread = threading.Thread(target=lambda: asyncio.run(run()), name="browser-seed")
    thread.start()
    thread.join(timeout_s)
    assert out, "seeding failed (see the log above)"
    return out[0]
