"""The database schema brought to the newest revision before the workers start, in a short-lived
child process of the parent: Alembic (with the Mako and Pygments it imports, ≈ 11 MB) is loaded
there and gone with it, so neither the parent nor the workers forked from it ever hold it. Each
worker then finds the schema at head with one query and leaves Alembic unimported
(storage/migrate.py). Should the child fail (the database unreachable, a migration refused), the
workers migrate as they always did, and report the error there, with its details."""

from __future__ import annotations

import logging
import multiprocessing
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmrelay.gate.store import KeysStore

log = logging.getLogger("llmrelay.proxy")

# seconds the child may take: a first migration of a new database takes well under one
MIGRATION_TIMEOUT = 120.0


def migrate_before_workers(store: KeysStore) -> bool:
    """True when the child brought the schema to the newest revision (or found it there). The
    database's URL is resolved in the child too: that imports SQLAlchemy, which the parent never
    needs (and would hand down to every worker's pages)."""
    # fork: the child needs nothing the parent has not imported already, and starts at once
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_migrate, args=(store,), name="llmrelay-migrate", daemon=True)
    child.start()
    child.join(MIGRATION_TIMEOUT)
    if child.is_alive():
        child.kill()
        child.join()
        log.warning("the schema migration before start took over %ss: the workers migrate", MIGRATION_TIMEOUT)
        return False
    return child.exitcode == 0


def _migrate(store: KeysStore) -> None:
    import asyncio

    from llmrelay.storage.database import Database

    database_url = store.database_url
    assert database_url is not None, "called for a gateway with virtual keys"

    async def run() -> None:
        db = Database(database_url)
        try:
            await db.migrate()
        finally:
            await db.close()

    try:
        asyncio.run(run())
    except Exception:
        log.debug("the schema migration before start failed", exc_info=True)
        sys.exit(1)
