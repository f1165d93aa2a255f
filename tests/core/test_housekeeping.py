"""Housekeeping removes what has expired and nothing else."""

from datetime import UTC, datetime, timedelta

from app.core import housekeeping
from models.core import IdempotencyRecord


class TestHousekeeping:
    async def test_purges_only_expired_idempotency_keys(self, db) -> None:
        now = datetime.now(UTC)
        await IdempotencyRecord.create(scope="s", key="old", request_hash="h", expires_at=now - timedelta(seconds=1))
        await IdempotencyRecord.create(scope="s", key="new", request_hash="h", expires_at=now + timedelta(hours=1))
        tidied = await housekeeping.run_once()
        assert tidied["idempotency.purge_expired"] == 1
        assert await IdempotencyRecord.all().values_list("key", flat=True) == ["new"]

    async def test_a_failing_job_does_not_stop_the_others(self, db) -> None:
        async def broken() -> int:
            raise RuntimeError("boom")

        housekeeping.register("test.broken", broken)
        try:
            tidied = await housekeeping.run_once()
        finally:
            housekeeping._JOBS.pop("test.broken")
        assert "idempotency.purge_expired" in tidied and "test.broken" not in tidied
