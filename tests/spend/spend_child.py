"""A process that records spend as fast as it can, for the crash test (killed with SIGKILL).

Prints "issue <i>" before handing call i to the writer and "ack <i>" once record() returned, i.e.
once the spend is durable. Call i costs 1000 + i micro-USD. A fourth argument "unlogged" writes
receipts instead of spend log rows (general_settings.disable_spend_logs)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from llmrelay.spend import SpendWriter
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import SpendLogRecord

CONCURRENCY = 8


def cost(i: int) -> int:
    return 1000 + i


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(database_url: str, spool_dir: str, key_hash: str, keep_logs: bool) -> None:
    spend = Storage(Database(database_url)).spend

    async def apply(rows: list[SpendLogRecord]) -> int:
        return await spend.apply(rows, keep_logs=keep_logs)

    writer = SpendWriter(apply, Path(spool_dir), flush_interval=0.02, max_batch=50)
    await writer.start()
    counter = iter(range(10**9))

    async def worker() -> None:
        for i in counter:
            now = datetime.now(UTC)
            record = SpendLogRecord(
                request_id=f"req-{i}", call_type="completion", start_time=now, end_time=now,
                model="gpt-4o", cost_micros=cost(i), key_hash=key_hash, prompt_tokens=3, completion_tokens=4,
                total_tokens=7,
            )  # fmt: skip
            say(f"issue {i}")
            await writer.record(record)
            say(f"ack {i}")

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], keep_logs=sys.argv[4:] != ["unlogged"]))
