"""SIGKILL a process in the middle of recording spend, restart, and compare: every acknowledged call
is recorded, none twice, and the counters equal the sum of the recorded calls — with spend logs, and
with receipts instead (general_settings.disable_spend_logs)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from llmrelay.spend import SpendWriter
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import NewKey, SpendLogFilter, SpendLogRecord
from llmrelay.storage.repos.spend import RECEIPT_STATUS
from llmrelay.storage.schema import daily_spend, spend_logs

CHILD = Path(__file__).with_name("spend_child.py")
CONCURRENCY = 8  # spend_child.CONCURRENCY


def cost(i: int) -> int:
    return 1000 + i


def run_child_until_killed(
    database_url: str, spool: Path, key_hash: str, acks_before_kill: int, keep_logs: bool = True
) -> tuple[set[int], set[int]]:
    child = subprocess.Popen(
        [sys.executable, str(CHILD), database_url, str(spool), key_hash]
        + ([] if keep_logs else ["unlogged"]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    issued: set[int] = set()
    acked: set[int] = set()
    deadline = time.monotonic() + 60
    try:
        assert child.stdout is not None
        for line in child.stdout:
            verb, number = line.split()
            (issued if verb == "issue" else acked).add(int(number))
            if len(acked) >= acks_before_kill:
                break
            assert time.monotonic() < deadline, "child too slow"
        else:
            raise AssertionError(
                f"child exited early: {child.wait()} {child.stderr.read() if child.stderr else ''}"
            )
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        # lines already in the pipe were written before the kill: they count
        for line in child.stdout:
            verb, number = line.split()
            (issued if verb == "issue" else acked).add(int(number))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    return issued, acked


@pytest.mark.parametrize(("seed", "keep_logs"), [(1, True), (2, True), (3, False)])
async def test_sigkill_mid_run_loses_nothing_and_doubles_nothing(
    db: Database, storage: Storage, database_url: str, tmp_path: Path, seed: int, keep_logs: bool
) -> None:
    key_hash = "c" * 64
    await storage.keys.create(NewKey(key_hash=key_hash, key_name="sk-...cccc"))
    spool = tmp_path / "spool"
    acks = random.Random(seed).randint(150, 600)
    issued, acked = run_child_until_killed(database_url, spool, key_hash, acks, keep_logs)

    async def apply(rows: list[SpendLogRecord]) -> int:
        return await storage.spend.apply(rows, keep_logs=keep_logs)

    # restart: a new writer on the same spool drains what the dead process left
    writer = SpendWriter(apply, spool, flush_interval=0.05)
    await writer.start()
    await writer.flush()
    await writer.stop()
    assert writer.pending_segments() == 0

    async with db.connect() as conn:
        columns = spend_logs.c
        rows = (await conn.execute(select(columns.request_id, columns.cost_micros, columns.status))).all()
        daily_total = (await conn.execute(select(func.sum(daily_spend.c.cost_micros)))).scalar_one()
    recorded = {int(request_id.removeprefix("req-")) for request_id, _, _ in rows}
    assert len(rows) == len(recorded)
    if keep_logs:
        assert all(cost_micros == cost(int(rid.removeprefix("req-"))) for rid, cost_micros, _ in rows)
    else:  # only receipts: the counters below are the proof that each call was counted once
        assert {status for _, _, status in rows} == {RECEIPT_STATUS}
        assert await storage.spend.logs(SpendLogFilter()) == []

    assert acked <= recorded, f"lost acknowledged calls: {sorted(acked - recorded)[:10]}"
    assert recorded <= issued
    # only calls in flight at the kill (issued, durable, not yet acknowledged) may be extra
    assert len(recorded - acked) <= CONCURRENCY
    key = await storage.keys.get(key_hash)
    assert key is not None
    assert key.spend_micros == sum(cost(i) for i in recorded) == daily_total
