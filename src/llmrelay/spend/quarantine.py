"""Keeping one bad spend record from blocking the others: isolate it, set it aside, go on.

The database write of a batch is all or nothing. When it fails because of what one record holds (a
string longer than its column, a NUL byte PostgreSQL refuses, an integer out of range) rather than
because the database is unreachable, retrying the batch would fail forever and nothing after it would
ever be counted. `apply_isolating` splits such a batch in halves until the record(s) the database
refuses stand alone; every other record is written as usual. The refused ones go to the dead-letter
file of the spool directory they came from (`dead-letter.jsonl`, JSON lines, mode 0600) with the
reason, are counted (`Quarantine.count`, exported as `llmrelay_spend_quarantined_records_total`), and
are logged once by request id and error class only (no record content).

A transient failure (connection lost, timeout) is never taken for a bad record: it propagates, and the
caller retries the whole batch later (the write is idempotent by request id, so halves already
written are not counted twice).
"""

from __future__ import annotations

import base64
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from llmrelay.private_files import open_private
from llmrelay.storage.records import SpendLogRecord

log = logging.getLogger("llmrelay.spend")

DEAD_LETTER_NAME = "dead-letter.jsonl"
_MAX_DETAIL = 300

Apply = Callable[[list[SpendLogRecord]], Awaitable[int]]

# Errors raised while binding a value (before the database sees it): an int beyond 64 bits, a naive
# datetime, a string the driver cannot encode. They say something about the record, not the database.
_BIND_ERRORS = (ValueError, TypeError, OverflowError, UnicodeError)
# SQLSTATE classes of what a row holds: 22 data exception (value too long, NUL byte, out of range),
# 23 integrity constraint violation. asyncpg's errors reach SQLAlchemy as a plain DBAPIError, so the
# SQLSTATE, not the exception class, tells them apart from a lost connection.
_DATA_SQLSTATE_CLASSES = ("22", "23")


def is_data_error(exc: BaseException) -> bool:
    """True when `exc` says the database refused what a record holds (retrying cannot help); False
    for anything that may pass on its own (connection lost, timeout, a locked table...)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return False
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if isinstance(sqlstate, str):
            return sqlstate[:2] in _DATA_SQLSTATE_CLASSES
        return isinstance(exc, (DataError, IntegrityError))
    if isinstance(exc, StatementError):
        return isinstance(exc.orig, _BIND_ERRORS)
    return isinstance(exc, _BIND_ERRORS)


def describe(exc: BaseException) -> str:
    """The error class and the driver's one-line reason (e.g. `DataError: value too long for type
    character varying(255)`), never the SQL statement or its parameters."""
    orig = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    lines = str(orig).strip().splitlines()
    detail = lines[0][:_MAX_DETAIL] if lines else ""
    name = type(exc).__name__ if orig is exc else f"{type(exc).__name__}/{type(orig).__name__}"
    return f"{name}: {detail}" if detail else name


class DeadLetter(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One line of the dead-letter file: a record the database refused, or a spool frame that could
    not be decoded (its bytes, base64)."""

    quarantined_at: datetime
    reason: str
    request_id: str | None = None
    record: SpendLogRecord | None = None
    frame_base64: str | None = None


@dataclass
class Isolated:
    """What `apply_isolating` did with a batch."""

    applied: int = 0  # records new to the database
    committed: list[list[SpendLogRecord]] = field(default_factory=list)  # chunks written, in order
    refused: list[tuple[SpendLogRecord, str]] = field(default_factory=list)  # (record, reason)


async def apply_isolating(apply: Apply, records: list[SpendLogRecord]) -> Isolated:
    """Write `records`; when the batch is refused for its data, write its halves apart, down to
    single records, and report those refused. Transient errors propagate unchanged."""
    outcome = Isolated()
    await _apply_part(apply, records, outcome)
    return outcome


async def _apply_part(apply: Apply, records: list[SpendLogRecord], outcome: Isolated) -> None:
    if not records:
        return
    try:
        outcome.applied += await apply(records)
    except Exception as exc:
        if not is_data_error(exc):
            raise
        if len(records) == 1:
            outcome.refused.append((records[0], describe(exc)))
            return
        middle = len(records) // 2
        await _apply_part(apply, records[:middle], outcome)
        await _apply_part(apply, records[middle:], outcome)
        return
    outcome.committed.append(records)


class Quarantine:
    """Sets refused records and unreadable spool frames aside in the dead-letter file of their spool
    directory, counts them, logs each once. One per process, shared by the spend writer and the
    recovery of orphaned spools. `write_*` block on disk I/O: call them from a worker thread."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.clock = clock
        self._count = 0
        self._lock = threading.Lock()
        self._encoder = msgspec.json.Encoder()

    @property
    def count(self) -> int:
        """Records (and unreadable frames) quarantined since this process started."""
        return self._count

    def write_refused(self, directory: Path, refused: list[tuple[SpendLogRecord, str]]) -> None:
        now = self.clock()
        letters = [
            DeadLetter(quarantined_at=now, reason=reason, request_id=record.request_id, record=record)
            for record, reason in refused
        ]
        self._write(directory, letters)
        for record, reason in refused:
            log.error(
                "spend record %s refused by the database (%s): moved to %s",
                record.request_id, reason.split(":", 1)[0], directory / DEAD_LETTER_NAME,
            )  # fmt: skip

    def write_unreadable(self, directory: Path, segment: Path, frames: list[bytes]) -> None:
        now = self.clock()
        reason = f"undecodable spool frame in {segment.name}"
        letters = [
            DeadLetter(quarantined_at=now, reason=reason, frame_base64=base64.b64encode(f).decode())
            for f in frames
        ]
        self._write(directory, letters)
        log.error(
            "%d undecodable spend records in spool segment %s: moved to %s",
            len(frames), segment, directory / DEAD_LETTER_NAME,
        )  # fmt: skip

    def _write(self, directory: Path, letters: list[DeadLetter]) -> None:
        if not letters:
            return
        data = b"".join(self._encoder.encode(letter) + b"\n" for letter in letters)
        with self._lock:
            append_private(directory / DEAD_LETTER_NAME, data)
            self._count += len(letters)


def append_private(path: Path, data: bytes) -> None:
    """Append `data` to `path` (created 0600, readable by this user only) and make it durable."""
    fd = open_private(path, os.O_WRONLY | os.O_APPEND)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
