"""Spend log rows go to the database as plain driver tuples (storage/repos/spend.py): stored exactly
as SQLAlchemy's own insert stores them, on SQLite (naive UTC text) and PostgreSQL (timestamptz)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import pytest
from sqlalchemy import insert, select

from llmrelay.storage import Storage
from llmrelay.storage.records import SpendLogFilter, SpendLogRecord
from llmrelay.storage.schema import spend_logs

EAST = timezone(timedelta(hours=5, minutes=30))
AT = datetime(2026, 3, 1, 23, 59, 0, 1234, tzinfo=EAST)  # microseconds, and not in UTC


def _row(request_id: str, at: datetime = AT) -> SpendLogRecord:
    return SpendLogRecord(
        request_id=request_id, call_type="completion", start_time=at, end_time=at + timedelta(seconds=1),
        model="gpt-4o", model_group="g", deployment="openai/gpt-4o", provider="openai", prompt_tokens=3,
        completion_tokens=4, total_tokens=7, cost_micros=11, key_hash="k" * 64, user_id="u1",
        team_id="t1", organization_id="o1", end_user="e1", status="failure", error="E: boom",
    )  # fmt: skip


async def test_rows_are_stored_as_sqlalchemys_insert_stores_them(storage: Storage) -> None:
    assert await storage.spend.apply([_row("driver")]) == 1
    async with storage.spend.db.begin() as conn:  # the same row through SQLAlchemy's compiled insert
        await conn.execute(insert(spend_logs), [msgspec.structs.asdict(_row("core"))])
    async with storage.spend.db.connect() as conn:
        stored = {row[0]: tuple(row[1:]) for row in await conn.execute(select(*spend_logs.c))}
    assert stored["driver"] == stored["core"]
    # and read back, and found by a time range, as what was written
    found = await storage.spend.logs(
        SpendLogFilter(start=AT - timedelta(microseconds=1), end=AT + timedelta(1))
    )
    by_id = {log.request_id: log for log in found}
    assert msgspec.structs.replace(by_id["driver"], request_id="core") == by_id["core"]
    assert by_id["driver"].start_time == AT and by_id["driver"].end_time == AT + timedelta(seconds=1)


async def test_a_replayed_batch_adds_nothing_and_new_rows_in_it_are_counted(storage: Storage) -> None:
    first = [_row(f"r{i}") for i in range(5)]
    assert await storage.spend.apply(first) == 5
    assert await storage.spend.apply([*first, _row("r5"), _row("r6")]) == 2
    assert len(await storage.spend.logs(SpendLogFilter(limit=100))) == 7


async def test_a_naive_time_is_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="naive"):
        await storage.spend.apply([_row("naive", AT.replace(tzinfo=None))])
