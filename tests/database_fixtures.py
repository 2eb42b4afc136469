"""Database fixtures for the storage, auth, spend and keys tests: each test runs on SQLite and on the
real PostgreSQL (one database made for the session, dropped after it), with its tables cleared first.
Loaded for every folder by tests/conftest.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from llmrelay.storage import Database, Storage, upgrade
from llmrelay.testing.databases import (
    clear_tables,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
    scratch_name,
    sqlite_url,
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin, name = postgres_admin_url(), scratch_name()
    url = asyncio.run(create_postgres_database(admin, name))
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(drop_postgres_database(admin, name))


@pytest.fixture(scope="session")
def sqlite_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite_url(Path(tmp_path_factory.mktemp("sqlite")))
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_db_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await clear_tables(database)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def storage(db: Database) -> Storage:
    return Storage(db)
