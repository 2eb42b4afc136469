"""A durable local spool of spend records: append-only segment files, fsync'd, replayed on start.

Layout: `<dir>/spend-<seq>.spool`, one active segment taking appends, older ones sealed and waiting to
be written to the database. Each record is a frame: 4-byte length, 4-byte CRC-32, msgspec JSON. A
crash can leave a torn frame at the end of the segment being written; reading stops there, and since
the append that wrote it never returned, no caller was told that record was safe.

A frame whose checksum holds but whose content does not decode as a record (written by another
version, or damaged in a way the checksum missed), and a damaged stretch in the middle of a segment
(a frame whose checksum fails, a length that no longer fits), are reported by `read_segment` as
unreadable, so the caller can set them aside (spend/quarantine.py) instead of failing on them at every
start; reading resumes at the next intact frame, so one damaged frame never costs the records after
it.

One process owns a spool directory at a time (an exclusive flock on `<dir>/.lock`). Methods block on
disk I/O: the writer calls them from its threads (the group committer appends, spend/commit.py; a
worker thread seals and drains), never on the event loop. The active segment's state is guarded by a
lock, so an append and a seal from two threads never interleave.

Spend records say who called what and what it cost: the directory is created 0700 and every file in
it 0600 (an existing directory is narrowed to 0700 when opened).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import msgspec

from llmrelay.private_files import make_private_directory, open_private
from llmrelay.storage.records import SpendLogRecord

_HEADER = struct.Struct(">II")  # payload length, crc32(payload)
_MAX_FRAME = 1 << 20
_PREFIX, _SUFFIX = "spend-", ".spool"

# makes a file's written bytes durable (os.fsync by default; tests inject a counting one)
Sync = Callable[[int], None]


@dataclass
class SegmentContents:
    records: list[SpendLogRecord] = field(default_factory=list)
    unreadable: list[bytes] = field(default_factory=list)  # whole frames that did not decode


class SpoolLocked(RuntimeError):
    """Another process owns this spool directory."""


class Spool:
    def __init__(self, directory: Path, *, fsync: bool = True, sync: Sync = os.fsync):
        self.directory = directory
        make_private_directory(directory)
        self._fsync = fsync
        self._sync = sync
        self._guard = threading.Lock()  # the active segment: appends and seals from two threads
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(SpendLogRecord)
        lock_fd = open_private(directory / ".lock", os.O_RDWR)
        self._lock = open(lock_fd, "a+b")  # noqa: SIM115 - held for the spool's lifetime
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise SpoolLocked(f"spool directory {directory} is in use by another process") from None
        existing = self.segments()
        self._next_seq = (_seq(existing[-1]) + 1) if existing else 1
        # the lowest segment number that is, or may become, the active one: one int, read without
        # the lock (sealed() runs on the event loop while an append may hold the lock for its sync)
        self._open_from = self._next_seq
        self._active: IO[bytes] | None = None
        self._active_path: Path | None = None

    # ---- appending (the active segment) ----

    def frame(self, record: SpendLogRecord) -> bytes:
        """`record` as one frame, ready for `append_frames` (pure CPU: callers encode on their own
        thread, so the committer's thread only writes)."""
        payload = self._encoder.encode(record)
        return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload

    def append(self, records: list[SpendLogRecord]) -> None:
        """Write records and make them durable before returning."""
        self.append_frames(b"".join(self.frame(record) for record in records))

    def append_frames(self, frames: bytes) -> None:
        """Write whole frames (from `frame`) with one write and one sync; durable on return."""
        if not frames:
            return
        with self._guard:
            out = self._active if self._active is not None else self._open_segment()
            try:
                out.write(frames)
                out.flush()
                if self._fsync:
                    self._sync(out.fileno())
            except OSError:
                # the segment may now end in a torn frame; frames appended after it would be
                # unreadable, so this segment takes no more appends
                self._abandon_active()
                raise

    def seal(self) -> Path | None:
        """Close the active segment so it can be drained; the next append starts a new one."""
        with self._guard:
            if self._active is None:
                return None
            path, self._active_path = self._active_path, None
            self._active.close()
            self._active = None
            self._open_from = self._next_seq
            return path

    def _abandon_active(self) -> None:
        active, self._active, self._active_path = self._active, None, None
        self._open_from = self._next_seq
        if active is not None:
            with contextlib.suppress(OSError):  # already failing; the segment is sealed either way
                active.close()

    def _open_segment(self) -> IO[bytes]:
        path = self.directory / f"{_PREFIX}{self._next_seq:012d}{_SUFFIX}"
        self._next_seq += 1
        fd = open_private(path, os.O_WRONLY | os.O_EXCL)
        self._active = open(fd, "wb")  # noqa: SIM115 - stays open across appends
        self._active_path = path
        if self._fsync:
            _fsync_directory(self.directory)  # the new file's name must survive a crash too
        return self._active

    # ---- draining (sealed segments) ----

    def segments(self) -> list[Path]:
        """Every segment file, oldest first (including the active one)."""
        return sorted(self.directory.glob(f"{_PREFIX}*{_SUFFIX}"), key=_seq)

    def sealed(self) -> list[Path]:
        """Segments that take no more appends. Lock-free: the bound is read before the listing, so a
        segment opened meanwhile is never taken for a sealed one."""
        open_from = self._open_from
        return [path for path in self.segments() if _seq(path) < open_from]

    def read(self, path: Path) -> list[SpendLogRecord]:
        """The segment's records; frames that do not decode are left out (`read_segment` reports
        them)."""
        return self.read_segment(path).records

    def read_segment(self, path: Path) -> SegmentContents:
        contents = SegmentContents()
        for payload, intact in _frames(path.read_bytes()):
            if not intact:
                contents.unreadable.append(payload)
                continue
            try:
                contents.records.append(self._decoder.decode(payload))
            except msgspec.DecodeError:  # ValidationError included: valid JSON, not a record
                contents.unreadable.append(payload)
        return contents

    def remove(self, path: Path) -> None:
        path.unlink()
        if self._fsync:
            _fsync_directory(self.directory)

    def pending_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.segments())

    def close(self) -> None:
        self.seal()
        self._lock.close()


def _frames(data: bytes) -> Iterator[tuple[bytes, bool]]:
    """The segment's frames in order, each as (payload, intact). A damaged stretch in the middle
    (bit rot, a bad sector) is yielded as one non-intact piece and reading goes on at the next
    frame whose checksum holds, so the records after it are not lost. A broken tail with no intact
    frame after it is a torn final append and is left out (that append never returned) — unless all
    of its bytes are there, which is damage, and is reported."""
    offset = 0
    while offset + _HEADER.size <= len(data):
        end = _intact_frame_end(data, offset)
        if end is not None:
            yield data[offset + _HEADER.size : end], True
            offset = end
            continue
        resume = _next_intact_frame(data, offset + 1)
        if resume is None:
            length: int = _HEADER.unpack_from(data, offset)[0]
            if offset + _HEADER.size + length == len(data):
                yield data[offset:], False
            return
        yield data[offset:resume], False
        offset = resume


def _intact_frame_end(data: bytes, offset: int) -> int | None:
    """Where the frame at `offset` ends, if its length fits and its checksum holds."""
    length: int
    crc: int
    length, crc = _HEADER.unpack_from(data, offset)
    start = offset + _HEADER.size
    end = start + length
    if length <= _MAX_FRAME and end <= len(data) and zlib.crc32(data[start:end]) == crc:
        return end
    return None


def _next_intact_frame(data: bytes, offset: int) -> int | None:
    for position in range(offset, len(data) - _HEADER.size + 1):
        if _intact_frame_end(data, position) is not None:
            return position
    return None


def _seq(path: Path) -> int:
    return int(path.name[len(_PREFIX) : -len(_SUFFIX)])


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
