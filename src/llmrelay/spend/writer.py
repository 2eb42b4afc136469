"""The spend writer: every call's spend goes to the local spool first (durable, group-committed), then
to the database in batches by a background task. The database write is idempotent by request id, so
a segment replayed after a crash, or retried after an outage, is counted exactly once. A record the
database refuses for what it holds is set aside (spend/quarantine.py) and the rest are written: one bad
record never blocks the records after it, nor a restart.

    record() ──▶ group committer (its thread: one write + sync per group, spend/commit.py) ──▶ active segment
                                                       seal every flush_interval ──▶ sealed segments
                                         (drain task: apply in chunks, then delete) ──▶ database
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from llmrelay.spend.commit import GroupCommitter
from llmrelay.spend.quarantine import Quarantine, apply_isolating
from llmrelay.spend.spool import Spool, Sync
from llmrelay.storage.records import SpendLogRecord

log = logging.getLogger("llmrelay.spend")

Apply = Callable[[list[SpendLogRecord]], Awaitable[int]]
# told about each chunk after the database committed it (e.g. to refresh cached spend), and about
# records set aside as refused (the database will never count them: spend held for them is released)
Applied = Callable[[list[SpendLogRecord]], Awaitable[None]]
T = TypeVar("T")


class SpendWriterStats:
    """Counters for health checks and metrics (plain ints, read without locks)."""

    def __init__(self) -> None:
        self.spooled = 0  # records made durable in the spool
        self.applied = 0  # records newly written to the database
        self.duplicates = 0  # records the database already had (replays)
        self.failed_drains = 0  # database writes that failed and will be retried
        self.quarantined = 0  # records (or unreadable frames) set aside in the dead-letter file
        self.last_error: str | None = None  # exception class of the last failed drain


class _SetAside:
    """What of one segment went to the dead-letter file already."""

    def __init__(self) -> None:
        self.frames = False  # its unreadable frames
        self.request_ids: set[str] = set()  # its records the database refused


class SpendWriter:
    """`apply` is `SpendRepository.apply` (or anything with its contract: idempotent by request_id,
    returns how many records were new). Start it before recording; stop it on shutdown."""

    def __init__(
        self,
        apply: Apply,
        spool_dir: Path,
        *,
        flush_interval: float = 1.0,
        max_batch: int = 1000,
        max_backoff: float = 30.0,
        fsync: bool = True,
        on_applied: Applied | None = None,
        quarantine: Quarantine | None = None,
        sync: Sync = os.fsync,
        max_backlog: int = 16 << 20,
        stall_after: float = 5.0,
        retry_after: float = 1.0,
    ):
        if not flush_interval > 0:
            raise ValueError(f"flush_interval must be greater than 0 seconds, got {flush_interval}")
        self._apply = apply
        self._on_applied = on_applied
        self._spool_dir = spool_dir
        self._fsync = fsync
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.max_backoff = max_backoff
        self.stats = SpendWriterStats()
        self.quarantine = quarantine if quarantine is not None else Quarantine()
        # per sealed segment still on disk: what was already set aside, so a drain retried after a
        # transient failure does not set it aside twice
        self._set_aside: dict[Path, _SetAside] = {}
        self._sync = sync
        self._max_backlog = max_backlog  # bytes queued for the disk before new calls are refused
        self._stall_after = stall_after  # seconds one write + sync may take before they are refused
        self._retry_after = retry_after  # seconds between retries of queued records on a failing disk
        self._spool: Spool | None = None
        self._committer: GroupCommitter | None = None
        # the drain's spool operations one at a time (the committer's appends are guarded in the spool)
        self._spool_lock = asyncio.Lock()
        self._drain_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._stop = asyncio.Event()

    async def start(self) -> None:
        """Open the spool (taking its lock) and start the committer and the drain task. Segments
        left by a previous run are drained first, by the same path as new ones."""
        self._spool = await asyncio.to_thread(Spool, self._spool_dir, fsync=self._fsync, sync=self._sync)
        self._committer = GroupCommitter(
            self._spool,
            asyncio.get_running_loop(),
            on_durable=self._durable,
            max_backlog=self._max_backlog,
            stall_after=self._stall_after,
            retry_after=self._retry_after,
        )
        self._stopping = False
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._drain_loop(), name="spend-drain")]

    # ---- the request side ----

    async def record(self, entry: SpendLogRecord) -> None:
        """Return once `entry` is durable on local disk (it will reach the database even if this
        process dies now). Concurrent callers share one write + sync. Raises the disk's error (an
        OSError) if the write or the sync failed: the record is then not known to be durable."""
        committer = self._running()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        committer.submit(self._spool_frame(entry), waiter)
        await waiter

    def record_nowait(self, entry: SpendLogRecord) -> None:
        """Queue `entry` without waiting for the disk; it is durable within one spool write (kept and
        retried while the disk fails)."""
        self._running().submit(self._spool_frame(entry), None)

    def accepting(self) -> bool:
        """False while the disk is not keeping up (too much queued, or a write + sync stalled): new
        calls should be refused rather than queue more."""
        committer = self._committer
        return committer is None or committer.accepting()

    def _running(self) -> GroupCommitter:
        if self._committer is None or self._stopping:
            raise RuntimeError("spend writer is not running")
        return self._committer

    def _spool_frame(self, entry: SpendLogRecord) -> bytes:
        spool = self._spool
        assert spool is not None
        return spool.frame(entry)

    def _durable(self, records: int) -> None:
        self.stats.spooled += records

    async def _committed(self) -> None:
        """Wait until everything recorded so far is durable (or its write failed)."""
        committer = self._committer
        if committer is None or self._stopping:
            return  # stop() waits for the committer's thread itself, then drains what it wrote
        if not committer.busy():
            return
        barrier: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        committer.submit(b"", barrier)
        await barrier

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking spool operation in a worker thread, one at a time. If the caller is
        cancelled, the lock is held until the thread finishes, so two never touch the files at once."""
        async with self._spool_lock:
            work = asyncio.ensure_future(asyncio.to_thread(fn, *args))
            try:
                return await asyncio.shield(work)
            except asyncio.CancelledError:
                await asyncio.wait([work])
                raise

    # ---- background: drain ----

    async def _drain_loop(self) -> None:
        backoff = self.flush_interval
        replay = True  # first what a previous run left; what this one records waits a flush interval
        while not self._stop.is_set():
            try:
                await (self._drain(wait_for_disk=False, seal=False) if replay else self.flush())
                replay = False
                backoff = self.flush_interval
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                # the database is unreachable or refused the batch: the segment stays on disk and is
                # retried; the spool grows meanwhile. No record content goes into the log.
                self._count_failure(exc)
                log.warning(
                    "spend write to database failed (%s); retrying in %.1fs", type(exc).__name__, backoff
                )
            except Exception as exc:
                self._count_failure(exc)
                log.exception("unexpected error writing spend; retrying in %.1fs", backoff)
            else:
                await self._sleep_unless_stopping(self.flush_interval)
                continue
            backoff = min(self.max_backoff, backoff * 2)
            await self._sleep_unless_stopping(backoff)

    def _count_failure(self, exc: Exception) -> None:
        self.stats.failed_drains += 1
        self.stats.last_error = type(exc).__name__

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def flush(self) -> int:
        """Write everything spooled so far to the database now; returns how many records were new.
        Raises if the database write fails (what was not written stays spooled)."""
        return await self._drain(wait_for_disk=True, seal=True)

    async def _drain(self, *, wait_for_disk: bool, seal: bool) -> int:
        async with self._drain_lock:
            if wait_for_disk:
                await self._committed()
            spool = self._spool
            assert spool is not None
            if seal:
                await self._in_thread(spool.seal)
            applied = 0
            for segment in spool.sealed():
                applied += await self._drain_segment(spool, segment)
            return applied

    async def _drain_segment(self, spool: Spool, segment: Path) -> int:
        contents = await self._in_thread(spool.read_segment, segment)
        aside = self._set_aside.setdefault(segment, _SetAside())
        if contents.unreadable and not aside.frames:
            await self._in_thread(
                self.quarantine.write_unreadable, spool.directory, segment, contents.unreadable
            )
            aside.frames = True
            self.stats.quarantined += len(contents.unreadable)
        records = [r for r in contents.records if r.request_id not in aside.request_ids]
        applied = 0
        for start in range(0, len(records), self.max_batch):
            chunk = records[start : start + self.max_batch]
            outcome = await apply_isolating(self._apply, chunk)
            if outcome.refused:
                await self._in_thread(self.quarantine.write_refused, spool.directory, outcome.refused)
                aside.request_ids.update(record.request_id for record, _ in outcome.refused)
                self.stats.quarantined += len(outcome.refused)
            applied += outcome.applied
            self.stats.applied += outcome.applied
            self.stats.duplicates += sum(map(len, outcome.committed)) - outcome.applied
            if self._on_applied is not None:
                for committed in outcome.committed:
                    await self._on_applied(committed)
                if outcome.refused:
                    await self._on_applied([record for record, _ in outcome.refused])
        # only after every chunk is committed; a crash before this line replays harmlessly
        await self._in_thread(spool.remove, segment)
        del self._set_aside[segment]
        return applied

    def pending_segments(self) -> int:
        return len(self._spool.segments()) if self._spool is not None else 0

    async def stop(self, *, timeout: float = 10.0) -> None:
        """Stop accepting records, spool what is queued, give the database one last chance (up to
        `timeout` seconds), release the spool. What the database did not take stays spooled and is
        written after the next start."""
        if self._spool is None or self._committer is None:
            return
        self._stopping = True
        self._stop.set()
        committer = self._committer
        # the committer writes what is queued, then ends; a disk stuck past `timeout` is left to it
        finished = await asyncio.to_thread(committer.stop, timeout)
        if not finished:
            told = committer.fail_unfinished()
            log.error("spend spool write still on the disk after %.1fs; %d callers told", timeout, told)
        try:
            await asyncio.wait_for(asyncio.gather(*self._tasks), timeout)
            if finished:
                await asyncio.wait_for(self._final_flush(), timeout)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("final spend flush did not finish (%s); records stay spooled", type(exc).__name__)
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
            self._committer = None
            spool, self._spool = self._spool, None
            if finished:  # else the stuck thread holds the segment; the process's exit releases it
                async with self._spool_lock:
                    await asyncio.to_thread(spool.close)

    async def _final_flush(self) -> None:
        """flush() without the committer (stopped by now: everything queued is on disk)."""
        await self._drain(wait_for_disk=False, seal=True)
