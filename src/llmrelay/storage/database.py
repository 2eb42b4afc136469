"""The async engine and its per-dialect setup; one `Database` per process, owned by the gateway."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import msgspec
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from llmrelay.private_files import create_private_file
from llmrelay.storage.data_version import DataVersion
from llmrelay.storage.url import redact, to_async_driver

# rows per INSERT statement on SQLite (see Database: what bounds the driver's statement cache)
SQLITE_INSERT_PAGE_ROWS = 32


class Database:
    """Owns an `AsyncEngine`. `schema` (PostgreSQL only) puts every table in that schema by setting
    the connection's search_path, which is how tests isolate themselves.

    PostgreSQL holds up to `pool_size` connections open and opens up to `max_overflow` more under load
    (default: as many again); `max_overflow=0` makes `pool_size` a hard limit. SQLite ignores both:
    one local file and no server connections to ration, so SQLAlchemy's own pool is kept."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int | None = None,
        schema: str | None = None,
        echo: bool = False,
    ):
        if pool_size < 1 or (max_overflow is not None and max_overflow < 0):
            raise ValueError("pool_size must be at least 1 and max_overflow at least 0")
        self.url = to_async_driver(url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        kwargs: dict[str, Any] = {
            "echo": echo,
            "pool_pre_ping": True,
            # JSON columns (models, metadata, tags) through msgspec: several times faster than json
            "json_serializer": _json_text,
            "json_deserializer": msgspec.json.decode,
        }
        if self.dialect == "postgresql":
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size if max_overflow is None else max_overflow
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        elif schema:
            raise ValueError("schema is a PostgreSQL option")
        self._data_version: DataVersion | None = None
        if self.dialect == "sqlite":
            _create_sqlite_file(self.url)
            # a local file has no server to drop a pooled connection: the ping before each checkout
            # (four round trips to the driver's thread, counted) buys nothing
            kwargs["pool_pre_ping"] = False
            # An INSERT of many rows with RETURNING (the spend drain's) is rendered as one statement
            # per page of rows, a different SQL text for every page size, and the driver keeps up to
            # 128 prepared statements per connection: with pages of up to 1,000 rows that cache grew
            # by ~2 KB per request served, to hundreds of MB (the soak in docs/adr/0012). Small pages
            # bound it: at most PAGE shapes of at most PAGE rows each.
            kwargs["insertmanyvalues_page_size"] = SQLITE_INSERT_PAGE_ROWS
            path = _sqlite_file(self.url)
            self._data_version = DataVersion(path) if path is not None else None
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def begin(self) -> Any:
        """`async with db.begin() as conn:` — one transaction, committed on success."""
        return self.engine.begin()

    def connect(self) -> Any:
        return self.engine.connect()

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (called by the gateway on start); a database
        already there is left alone without importing Alembic (storage/migrate.py)."""
        from llmrelay.storage.migrate import at_head, upgrade_engine

        if await at_head(self.engine):
            return
        await upgrade_engine(self.engine)

    async def data_version(self) -> int | None:
        """A number that changes whenever another connection commits (SQLite's data version, read
        in a worker thread; storage/data_version.py), or None where there is none (PostgreSQL, an
        in-memory SQLite database): then every change must be looked for."""
        probe = self._data_version
        if probe is None:
            return None
        return await asyncio.to_thread(probe.read)

    async def close(self) -> None:
        if self._data_version is not None:
            await asyncio.to_thread(self._data_version.close)
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({redact(self.url)})"


def _create_sqlite_file(url: str) -> None:
    """Create a new SQLite database file 0600 before SQLite would create it 0644 (its -wal and -shm
    files take the database file's mode). In-memory databases and existing files are left alone."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return
    if os.path.isdir(os.path.dirname(path) or "."):  # else SQLite says what is missing, as before
        create_private_file(path)


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL, or None for an in-memory or URI-named database."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; busy_timeout waits for that writer instead of
    # failing at once; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


__all__ = ["AsyncConnection", "Database"]
