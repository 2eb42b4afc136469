"""Spend with logs turned off (general_settings.disable_spend_logs): `apply(..., keep_logs=False)`
counts exactly what a logged batch counts, stores a receipt per call instead of its log row, and a
replay — in either mode — counts nothing twice. Also: the database pool limit reaches the engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_storage_spend import T0, log, seed, spends

from llmrelay.storage import Database, Storage
from llmrelay.storage.records import DailySpendFilter, SpendLogFilter
from llmrelay.storage.repos.spend import RECEIPT_STATUS
from llmrelay.storage.schema import spend_logs


async def stored_rows(db: Database) -> list[tuple[str, str, str, int, str | None]]:
    columns = spend_logs.c
    query = select(columns.request_id, columns.status, columns.model, columns.cost_micros, columns.key_hash)
    async with db.connect() as conn:
        return [tuple(row) for row in (await conn.execute(query.order_by(columns.request_id))).all()]  # type: ignore[misc]


async def test_unlogged_batch_counts_exactly_and_leaves_only_receipts(db: Database, storage: Storage) -> None:
    await seed(storage)
    batch = [log("r1", 100), log("r2", 250), log("r1", 100)]
    assert await storage.spend.apply(batch, keep_logs=False) == 2
    assert await spends(storage) == (350, 350, 350, 350, 350)
    daily = await storage.spend.daily(DailySpendFilter(), group_by="key_hash")
    assert [(d.requests, d.cost_micros, d.prompt_tokens) for d in daily] == [(2, 350, 20)]

    # nothing about the calls is stored: a receipt holds the request id and the time only
    assert await stored_rows(db) == [("r1", RECEIPT_STATUS, "", 0, None), ("r2", RECEIPT_STATUS, "", 0, None)]
    assert await storage.spend.logs(SpendLogFilter()) == []
    assert await storage.spend.logs(SpendLogFilter(start=T0 - timedelta(days=1))) == []
    assert await storage.spend.get_log("r1") is None


@pytest.mark.parametrize("replay_keeps_logs", [False, True])
async def test_a_replay_in_either_mode_counts_nothing_twice(
    storage: Storage, replay_keeps_logs: bool
) -> None:
    await seed(storage)
    await storage.spend.apply([log("r1", 100), log("r2", 250)], keep_logs=False)
    # the spool is replayed (after a crash) by a process with either setting
    assert await storage.spend.apply([log("r2", 250), log("r3", 1)], keep_logs=replay_keeps_logs) == 1
    assert await spends(storage) == (351, 351, 351, 351, 351)
    visible = [row.request_id for row in await storage.spend.logs(SpendLogFilter())]
    assert visible == (["r3"] if replay_keeps_logs else [])


async def test_logged_rows_are_not_counted_again_by_an_unlogged_replay(storage: Storage) -> None:
    await seed(storage)
    await storage.spend.apply([log("r1", 100)])
    assert await storage.spend.apply([log("r1", 100)], keep_logs=False) == 0
    assert await spends(storage) == (100, 100, 100, 100, 100)
    found = await storage.spend.get_log("r1")
    assert found is not None and found.cost_micros == 100


async def test_retention_purges_receipts_like_logs(db: Database, storage: Storage) -> None:
    await seed(storage)
    old, recent = T0 - timedelta(days=40), T0
    await storage.spend.apply([log("old", 5, at=old), log("new", 7, at=recent)], keep_logs=False)
    assert await storage.spend.purge_logs(T0 - timedelta(days=30)) == 1
    assert [row[0] for row in await stored_rows(db)] == ["new"]
    assert await spends(storage) == (12, 12, 12, 12, 12)


def max_connections(db: Database) -> int:
    pool = db.engine.pool
    # QueuePool keeps max_overflow private; size() + it is the most connections the pool opens
    return pool.size() + pool._max_overflow  # type: ignore[attr-defined,no-any-return]


def test_pool_size_and_overflow_reach_the_postgres_engine(postgres_url: str) -> None:
    assert max_connections(Database(postgres_url)) == 20  # the default: 10 + as many again
    limited = Database(postgres_url, pool_size=3, max_overflow=0)
    assert limited.engine.pool.size() == 3
    assert max_connections(limited) == 3


def test_sqlite_keeps_its_own_pool(sqlite_db_url: str) -> None:
    default, limited = Database(sqlite_db_url), Database(sqlite_db_url, pool_size=3, max_overflow=0)
    assert type(limited.engine.pool) is type(default.engine.pool)
    assert limited.engine.pool.size() == default.engine.pool.size()


def test_pool_arguments_are_checked(sqlite_db_url: str) -> None:
    with pytest.raises(ValueError, match="pool_size must be at least 1"):
        Database(sqlite_db_url, pool_size=0)
    with pytest.raises(ValueError, match="max_overflow at least 0"):
        Database(sqlite_db_url, max_overflow=-1)
