"""End users' routing fields (default_model, allowed_model_region, metadata) in storage, on SQLite and
PostgreSQL, and migration 0003 both ways on a database that already holds end users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from llmrelay.storage import Database, Storage
from llmrelay.storage.migrate import _config, current_revision, head_revision, upgrade_engine
from llmrelay.storage.records import EndUserUpdate, NewEndUser
from llmrelay.testing.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
    scratch_name,
    sqlite_url,
)

ROUTING = {"default_model", "allowed_model_region", "metadata"}


async def test_routing_fields_round_trip(storage: Storage) -> None:
    budgets = storage.budgets
    metadata = {"tier": "gold", "limits": [1, 2], "nested": {"opt_out": True}}
    made = await budgets.create_end_user(
        NewEndUser(end_user_id="eu-1", default_model="gpt-4o", allowed_model_region="eu", metadata=metadata)
    )
    assert (made.default_model, made.allowed_model_region, made.metadata) == ("gpt-4o", "eu", metadata)
    plain = await budgets.create_end_user(NewEndUser(end_user_id="plain"))
    assert (plain.default_model, plain.allowed_model_region, plain.metadata) == (None, None, None)

    found = await budgets.get_end_user("eu-1")
    assert found is not None and found.metadata == metadata and found.allowed_model_region == "eu"

    # only what an update names changes; None clears
    changed = await budgets.update_end_user("eu-1", EndUserUpdate(allowed_model_region="us"))
    assert changed is not None
    assert (changed.default_model, changed.allowed_model_region) == ("gpt-4o", "us")
    assert changed.metadata == metadata
    cleared = await budgets.update_end_user("eu-1", EndUserUpdate(default_model=None, metadata={}))
    assert cleared is not None and (cleared.default_model, cleared.metadata) == (None, {})

    listed = {r.end_user_id: r for r in await budgets.list_end_users()}
    assert listed["eu-1"].allowed_model_region == "us" and listed["plain"].allowed_model_region is None


# ---- migration 0003 up and down


def _downgrade_sync(connection: Connection, revision: str) -> None:
    from alembic import command

    command.downgrade(_config(connection), revision)  # type: ignore[arg-type]


def _end_user_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("end_users")}


@pytest.fixture(params=["sqlite", "postgresql"])
async def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of its own (migrations run both ways on it, unlike the shared test databases)."""
    if request.param == "sqlite":
        database = Database(sqlite_url(tmp_path))
        try:
            yield database
        finally:
            await database.close()
        return
    admin, name = postgres_admin_url(), scratch_name()
    database = Database(await create_postgres_database(admin, name))
    try:
        yield database
    finally:
        await database.close()
        await drop_postgres_database(admin, name)


async def test_migration_0003_up_and_down_keeps_end_users(fresh_db: Database) -> None:
    await upgrade_engine(fresh_db.engine, "0002")
    async with fresh_db.begin() as conn:
        assert not ROUTING & await conn.run_sync(_end_user_columns)
        await conn.execute(
            text(
                "INSERT INTO end_users (end_user_id, alias, spend_micros, blocked, created_at, updated_at)"
                " VALUES ('old', 'Old', 7, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )

    await upgrade_engine(fresh_db.engine)
    assert await current_revision(fresh_db.engine) == head_revision()
    storage = Storage(fresh_db)
    old = await storage.budgets.get_end_user("old")
    assert old is not None and (old.alias, old.spend_micros) == ("Old", 7)
    assert (old.default_model, old.allowed_model_region, old.metadata) == (None, None, None)
    await storage.budgets.update_end_user("old", EndUserUpdate(allowed_model_region="eu", metadata={"a": 1}))

    async with fresh_db.begin() as conn:
        await conn.run_sync(_downgrade_sync, "0002")
    assert await current_revision(fresh_db.engine) == "0002"
    async with fresh_db.connect() as conn:
        assert not ROUTING & await conn.run_sync(_end_user_columns)
        kept: Any = (await conn.execute(text("SELECT alias, spend_micros FROM end_users"))).one()
    assert tuple(kept) == ("Old", 7)

    await upgrade_engine(fresh_db.engine)  # and up again
    async with fresh_db.connect() as conn:
        assert await conn.run_sync(_end_user_columns) >= ROUTING
