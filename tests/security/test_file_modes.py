"""Files that say who called what and what it cost are readable by their owner only (hardening issue,
"the SQLite file, call log and spool are created mode 0644"): the SQLite database, the call log, the
spend spool and its dead-letter file are created 0600, their directories 0700 — whatever the umask."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llmrelay.events.record import CallRecord
from llmrelay.events.sinks.jsonlog import JsonLogSink
from llmrelay.spend import SpendWriter, Spool
from llmrelay.spend.quarantine import DEAD_LETTER_NAME
from llmrelay.storage import Database, Storage
from llmrelay.storage.records import SpendLogRecord
from llmrelay.testing.databases import sqlite_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(directory: Path, pattern: str) -> dict[str, int]:
    return {path.name: mode(path) for path in directory.glob(pattern)}


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which files are created 0644 unless asked otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def rec(name: str, **fields: int) -> SpendLogRecord:
    now = datetime.now(UTC)
    return SpendLogRecord(
        request_id=name, call_type="completion", start_time=now, end_time=now, model="m", **fields
    )


async def test_a_new_sqlite_database_is_private(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path, "fresh.db"))
    try:
        await db.migrate()
        found = modes(tmp_path, "fresh.db*")  # the database, and its -wal and -shm files
        assert "fresh.db" in found and found == dict.fromkeys(found, 0o600)
    finally:
        await db.close()


async def test_an_existing_sqlite_database_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    db = Database(sqlite_url(tmp_path, "shared.db"))
    try:
        await db.migrate()
    finally:
        await db.close()
    assert mode(path) == 0o640


def test_the_call_log_is_private(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    sink = JsonLogSink(str(path), flush_seconds=0.0, flush_bytes=0)
    now = time.time()
    record = CallRecord(
        call_id="c1", call_type="completion", model="m", provider="openai", deployment="d",
        start_time=now, end_time=now, latency_s=0.0,
    )  # fmt: skip
    sink.on_success(record)
    sink.close()
    assert path.read_text().count("\n") == 1
    assert mode(path) == 0o600


def test_spool_files_and_directory_are_private(tmp_path: Path) -> None:
    directory = tmp_path / "spool" / "worker-0"
    spool = Spool(directory)
    spool.append([rec("r1")])
    spool.close()
    assert mode(directory) == 0o700
    assert {p.name: mode(p) for p in directory.iterdir()} == {p.name: 0o600 for p in directory.iterdir()}
    assert len(list(directory.glob("*.spool"))) == 1


def test_an_existing_spool_directory_is_narrowed(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    Spool(directory).close()
    assert mode(directory) == 0o700


async def test_the_dead_letter_file_is_private(storage: Storage, tmp_path: Path) -> None:
    writer = SpendWriter(storage.spend.apply, tmp_path / "spool", flush_interval=10.0)
    await writer.start()
    try:
        await writer.record(rec("bad", prompt_tokens=2**64))  # refused by both databases
        await writer.flush()
    finally:
        await writer.stop()
    assert mode(tmp_path / "spool" / DEAD_LETTER_NAME) == 0o600
