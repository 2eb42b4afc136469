"""Scratch databases for tests (ours and the gateway's): a uniquely named PostgreSQL database or
SQLite file, migrated, emptied between tests, dropped at the end."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from sqlalchemy import delete

from llmrelay.storage.database import Database
from llmrelay.storage.schema import metadata

POSTGRES_ADMIN_URL_ENV = "LLMRELAY_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def postgres_admin_url() -> str:
    return os.environ.get(POSTGRES_ADMIN_URL_ENV, DEFAULT_POSTGRES_ADMIN_URL)


def scratch_name(prefix: str = "llmrelay_t") -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


def _plain_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def _with_database(admin_url: str, name: str) -> str:
    base, _, _ = _plain_url(admin_url).rpartition("/")
    return f"{base}/{name}"


async def _admin_execute(admin_url: str, statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(_plain_url(admin_url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _checked(name: str) -> str:
    # DDL cannot take bound parameters, so the (generated) name must match a strict pattern instead
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    return name


async def create_postgres_database(admin_url: str, name: str) -> str:
    """Create database `name` and return its URL."""
    await _admin_execute(admin_url, f'CREATE DATABASE "{_checked(name)}"')
    return _with_database(admin_url, name)


async def drop_postgres_database(admin_url: str, name: str) -> None:
    await _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')


def sqlite_url(directory: Path, name: str = "llmrelay-test.db") -> str:
    return f"sqlite+aiosqlite:///{directory / name}"


async def clear_tables(db: Database) -> None:
    """Empty every table (children first) but keep the schema and the auth version counter."""
    async with db.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "auth_version":
                await conn.execute(delete(table))
