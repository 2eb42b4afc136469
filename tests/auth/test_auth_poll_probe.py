"""The change-log poll asks the database first whether anyone committed since the last poll (SQLite's
data version, storage/data_version.py): on SQLite an idle poll costs one cheap read instead of the
query, and every commit by another connection is still found; on PostgreSQL every round queries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.exc import OperationalError

from llmrelay.auth import KeyAuthService, display_name, generate_key, hash_key
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import AuthChange, NewKey


@pytest.fixture
async def service(storage: Storage) -> AsyncIterator[KeyAuthService]:
    svc = KeyAuthService(storage, master_key="sk-master-for-tests", poll_interval=3600.0)
    await svc.start()
    await svc.sync.stop()  # no poll loop: this test runs each round itself
    yield svc


class CountedSince:
    """Counts the change-log queries; `fail_next` makes the next one fail as a lost database would."""

    def __init__(self, storage: Storage) -> None:
        self.calls = 0
        self.fail_next = False
        self._since = storage.changes.since

    async def __call__(self, version: int, limit: int = 1000) -> list[AuthChange]:
        self.calls += 1
        if self.fail_next:
            self.fail_next = False
            raise OperationalError("SELECT", {}, Exception("database is gone"))
        return await self._since(version, limit)


async def _new_key(storage: Storage) -> str:
    key_hash = hash_key(generate_key())
    await storage.keys.create(NewKey(key_hash=key_hash, key_name=display_name("sk-x")))
    return key_hash


async def test_an_idle_poll_skips_the_query_on_sqlite_and_every_commit_is_found(
    service: KeyAuthService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = service.sync
    counted = CountedSince(sync.storage)
    monkeypatch.setattr(sync.storage.changes, "since", counted)
    await sync.poll_if_changed()  # the first round always queries
    assert counted.calls == 1
    for _ in range(3):
        assert await sync.poll_if_changed() == 0
    idle_queries = counted.calls - 1
    assert idle_queries == (0 if db.is_sqlite else 3)

    # a key made through a storage this instance does not listen to: only the poll can learn of it
    other = Storage(db)
    before = counted.calls
    made = await _new_key(other)
    assert sync.cache.get(made) is None
    assert await sync.poll_if_changed() == 1
    assert counted.calls == before + 1
    assert sync.cache.get(made) is not None


async def test_a_failed_poll_is_retried_next_round(
    service: KeyAuthService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = service.sync
    counted = CountedSince(sync.storage)
    monkeypatch.setattr(sync.storage.changes, "since", counted)
    await sync.poll_if_changed()
    made = await _new_key(Storage(db))
    counted.fail_next = True
    with pytest.raises(OperationalError):
        await sync.poll_if_changed()
    # nothing committed since, but the change the failed round missed is still looked for
    assert await sync.poll_if_changed() == 1
    assert sync.cache.get(made) is not None


async def test_a_commit_by_another_database_moves_the_data_version(sqlite_db_url: str) -> None:
    """As another worker or process sharing the file commits: the number moves, and only then."""
    first, second = Database(sqlite_db_url), Database(sqlite_db_url)
    try:
        seen = await first.data_version()
        assert seen is not None
        assert await first.data_version() == seen
        await _new_key(Storage(second))
        assert await first.data_version() != seen
    finally:
        await first.close()
        await second.close()


async def test_no_data_version_where_sqlite_has_no_file() -> None:
    db = Database("sqlite:///:memory:")
    try:
        assert await db.data_version() is None
    finally:
        await db.close()
