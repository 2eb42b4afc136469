"""The SQLite driver keeps up to 128 prepared statements per connection. A spend batch of N rows
was one INSERT of N rows, a new SQL text for every N, so the cache filled with statements of up to
1,000 rows and the gateway's memory grew by ~2 KB per request (docs/adr/0012, the soak). Batches of
every size from 1 to 160 rows must leave SQLite's own memory nearly where it was."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import sqlite3
from pathlib import Path

import pytest
from test_storage_spend import log

from llmrelay.storage import Database, Storage, upgrade
from llmrelay.testing.databases import sqlite_url


def sqlite_library() -> ctypes.CDLL:
    """The SQLite library Python's driver runs on, when it is the shared one (its counters are
    the process's); skipped when the driver carries its own copy."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("no shared SQLite library to read the driver's memory from")
    library = ctypes.CDLL(name)
    library.sqlite3_libversion.restype = ctypes.c_char_p
    library.sqlite3_memory_used.restype = ctypes.c_int64
    if library.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        pytest.skip("Python's SQLite driver is not built on the shared library")
    return library


def test_batches_of_every_size_leave_sqlite_memory_bounded(tmp_path: Path) -> None:
    library = sqlite_library()
    url = sqlite_url(tmp_path)
    upgrade(url)  # runs its own event loop: before the test's
    grown = asyncio.run(apply_every_size(library, url))
    # pages of at most 32 rows: ~1-3 MB of statements and page cache; one statement per size: ~40 MB
    assert grown < 8 * 1024 * 1024, f"SQLite's memory grew by {grown / 1e6:.1f} MB"


async def apply_every_size(library: ctypes.CDLL, url: str) -> int:
    db = Database(url)
    storage = Storage(db)
    try:
        await storage.spend.apply([log("warm-0", 1)])
        before = library.sqlite3_memory_used()
        serial = 0
        for size in range(1, 161):
            batch = [log(f"r-{serial + i}", 1) for i in range(size)]
            serial += size
            assert await storage.spend.apply(batch) == size
        grown: int = library.sqlite3_memory_used() - before
    finally:
        await db.close()
    return grown
