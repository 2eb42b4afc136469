"""The writer's flush_interval (general_settings.proxy_batch_write_at) is the wait between database
writes: spooled spend stays in the spool until the interval has passed. The wait is faked, so the test
decides when the interval is over instead of sleeping through it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llmrelay.spend import SpendWriter
from llmrelay.storage.records import SpendLogRecord


class FakeWait:
    """Stands in for the writer's wait between drains: records each requested length and returns when
    the test calls `elapse()` (or at once after `release()`)."""

    def __init__(self) -> None:
        self.requested: list[float] = []
        self.waiting = asyncio.Event()
        self._elapsed = asyncio.Event()
        self._released = False

    async def __call__(self, seconds: float) -> None:
        self.requested.append(seconds)
        if self._released:
            await asyncio.sleep(0)
            return
        self.waiting.set()
        await self._elapsed.wait()
        self._elapsed.clear()

    async def next_wait(self) -> None:
        await asyncio.wait_for(self.waiting.wait(), 5)
        self.waiting.clear()

    def elapse(self) -> None:
        self._elapsed.set()

    def release(self) -> None:
        self._released = True
        self._elapsed.set()


def record(i: int) -> SpendLogRecord:
    now = datetime.now(UTC)
    return SpendLogRecord(request_id=f"r{i}", call_type="completion", start_time=now, end_time=now, model="m")


async def test_spend_is_written_once_per_flush_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[list[str]] = []

    async def apply(rows: list[SpendLogRecord]) -> int:
        written.append([row.request_id for row in rows])
        return len(rows)

    writer = SpendWriter(apply, tmp_path / "spool", flush_interval=10.0)
    wait = FakeWait()
    monkeypatch.setattr(writer, "_sleep_unless_stopping", wait)
    await writer.start()
    try:
        await wait.next_wait()  # the first drain (nothing spooled) is done; the writer waits
        await writer.record(record(1))
        await writer.record(record(2))
        assert written == []  # durable in the spool, not in the database before the interval ends
        wait.elapse()
        await wait.next_wait()
        assert written == [["r1", "r2"]]
        assert wait.requested == [10.0, 10.0]
    finally:
        wait.release()
        await writer.stop()


@pytest.mark.parametrize("interval", [0, -1.0, float("nan")])
def test_flush_interval_must_be_positive(tmp_path: Path, interval: float) -> None:
    async def apply(rows: list[SpendLogRecord]) -> int:
        return len(rows)

    with pytest.raises(ValueError, match="flush_interval must be greater than 0"):
        SpendWriter(apply, tmp_path / "spool", flush_interval=interval)
