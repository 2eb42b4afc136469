"""Alembic, driven from code: `upgrade_engine` on gateway start, `upgrade(url)` for `llmrelay db
upgrade`. The scripts live in llmrelay/storage/migrations and ship inside the package.

A gateway worker first asks whether the database is already at the newest revision (`at_head`: the
revision files read as text, one query): then Alembic is never imported. Alembic brings Mako and
Pygments with it, ≈ 11 MB that a serving worker would keep for nothing (docs/adr/0012)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: "llmrelay" as an int, so two instances starting together migrate once
_PG_LOCK_KEY = 0x6C6C6D72656C6179


def _config(connection: Connection) -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade_sync(connection: Connection, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    command.upgrade(_config(connection), revision)  # type: ignore[arg-type]


def _current_sync(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


# the two lines each revision file states itself by, in the form the files are written in
_REVISION_LINE = re.compile(r'^revision = "(\w+)"$', re.M)
_DOWN_LINE = re.compile(r'^down_revision = (?:None|"(\w+)")$', re.M)


def head_from_files(directory: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The newest revision, read from the revision files as text; None when any file does not state
    its revision and parent in the plain one-line form (a merge, say): then Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in directory.glob("*.py"):
        if path.name == "__init__.py":
            continue
        content = path.read_text(encoding="utf-8")
        revision = _REVISION_LINE.findall(content)
        down = _DOWN_LINE.findall(content)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def at_head(engine: AsyncEngine) -> bool:
    """The database's revision is the newest one (no version table yet: not at head)."""
    head = head_from_files()
    if head is None:
        return False
    try:
        async with engine.connect() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except sa_exc.DBAPIError:
        # no version table (a new database): the migration that follows creates it, or says why not
        return False
    return current == head


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current_sync)


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def upgrade(database_url: str, revision: str = "head") -> str | None:
    """Blocking entry point for the CLI (`llmrelay db upgrade`): migrate and return the revision.
    Must not be called from inside a running event loop."""
    from llmrelay.storage.database import Database

    async def run() -> str | None:
        db = Database(database_url)
        try:
            await upgrade_engine(db.engine, revision)
            return await current_revision(db.engine)
        finally:
            await db.close()

    return asyncio.run(run())
