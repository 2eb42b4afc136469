"""The spend writer alone: what `record()` costs a caller, with the database out of the way.

A SpendWriter on a temporary spool, its database write a no-op; `--concurrency` callers record as fast
as they can. Printed: records/s, process CPU per record (every thread: the loop's and the writer's),
and the p50 / p99 time `record()` took. `--no-fsync` times the machinery alone (queue, thread
hand-over, resolution), which a shared disk's fsync would drown; compare two versions with
`PYTHONPATH=<other src>` in interleaved runs.

    .venv/bin/python -m bench.spend_writer                        # one caller, fsync on
    .venv/bin/python -m bench.spend_writer --no-fsync --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from llmrelay.spend import SpendWriter
from llmrelay.storage.records import SpendLogRecord


async def _apply(rows: list[SpendLogRecord]) -> int:
    return len(rows)


def _record(i: int) -> SpendLogRecord:
    now = datetime.now(UTC)
    return SpendLogRecord(
        request_id=f"bench-{i}", call_type="completion", start_time=now, end_time=now, model="gpt-4o-mini",
        cost_micros=12, key_hash="k" * 64, prompt_tokens=8, completion_tokens=4, total_tokens=12,
    )  # fmt: skip


async def _run(fsync: bool, concurrency: int, count: int) -> str:
    writer = SpendWriter(_apply, Path(tempfile.mkdtemp()) / "spool", flush_interval=0.5, fsync=fsync)
    await writer.start()
    latencies: list[float] = []
    ids = itertools.count()

    async def caller(records: int) -> None:
        for _ in range(records):
            record = _record(next(ids))
            began = time.perf_counter()
            await writer.record(record)
            latencies.append(time.perf_counter() - began)

    await asyncio.gather(*(caller(50) for _ in range(concurrency)))  # warm-up
    latencies.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(caller(count // concurrency) for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await writer.stop()
    latencies.sort()
    n = len(latencies)
    return (
        f"fsync={int(fsync)} c{concurrency:<3} records/s {n / wall:8.0f}  CPU/record {cpu / n * 1e6:6.1f} µs"
        f"  p50 {latencies[n // 2] * 1e6:7.1f} µs  p99 {latencies[int(n * 0.99)] * 1e6:7.1f} µs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-fsync", action="store_true", help="time the machinery alone")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args(argv)
    print(asyncio.run(_run(not args.no_fsync, args.concurrency, args.count)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
