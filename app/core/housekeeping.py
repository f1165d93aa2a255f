"""Periodic tidy-ups that no correctness depends on (expiry is always enforced in SQL where it matters).

Domains register `async def job() -> int` (rows tidied) with `register`; the app runs them every
`interval_s` when background workers are on. Several workers may run them at once: each job must be a
plain conditional DELETE/UPDATE that is harmless to repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import structlog

from app.core.idempotency import purge_expired

log = structlog.get_logger("microsink.housekeeping")
Job = Callable[[], Awaitable[int]]
_JOBS: dict[str, Job] = {"idempotency.purge_expired": purge_expired}


def register(name: str, job: Job) -> None:
    _JOBS[name] = job


async def run_once() -> dict[str, int]:
    tidied: dict[str, int] = {}
    for name, job in list(_JOBS.items()):
        try:
            tidied[name] = await job()
        except Exception:  # one failing job must not stop the others; it is logged and retried next round
            log.exception("housekeeping_failed", job=name)
    return tidied


async def _loop(interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        tidied = await run_once()
        if any(tidied.values()):
            log.info("housekeeping", **tidied)


@asynccontextmanager
async def housekeeping_running(interval_s: float, enabled: bool) -> AsyncIterator[None]:
    if not enabled:
        yield
        return
    task = asyncio.create_task(_loop(interval_s), name="housekeeping")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
