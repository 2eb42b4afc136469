"""Group commit for the spend spool: every record handed in while one write + sync is on the disk goes
out together in the next one, so N concurrent answers cost about one sync, and a lone answer's record
goes to the disk at the end of the event loop's pass that handed it in (no timer to gather a batch).

    event loop: frame ──▶ queue (+ the caller's future); at the end of the loop's pass: notify ──▶
    committer thread: take everything queued, one write + one sync ──▶
    event loop: every future of the batch resolved, by one call_soon_threadsafe (or all failed)

The sync runs on the committer's own thread, never on the event loop. A batch that fails (the disk
refused the write or the sync) fails every caller waiting on it — none of them is told its record is
durable; records queued without a caller (`future` None) are kept and retried after `retry_after`.

Bounded: `accepting()` turns False while the bytes queued and not yet durable reach `max_backlog`, or
while one write + sync has been on the disk for more than `stall_after` seconds (a stuck disk); the
key gate then refuses new calls (503) instead of letting the queue grow with every request. What is
still queued then comes only from calls admitted before, so the queue stays bounded by the calls in
flight.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from llmrelay.spend.spool import Spool

log = logging.getLogger("llmrelay.spend")

Waiter = asyncio.Future[None]


class CommitterStopped(RuntimeError):
    """The writer stopped while the disk still held this record's batch (its outcome is unknown)."""


class GroupCommitter:
    def __init__(
        self,
        spool: Spool,
        loop: asyncio.AbstractEventLoop,
        *,
        on_durable: Callable[[int], None],
        max_backlog: int = 16 << 20,
        stall_after: float = 5.0,
        retry_after: float = 1.0,
    ) -> None:
        self._spool = spool
        self._loop = loop
        self._on_durable = on_durable  # on the loop, with how many records a batch made durable
        self.max_backlog = max_backlog
        self.stall_after = stall_after
        self.retry_after = retry_after
        self._cond = threading.Condition()
        self._frames: list[bytes] = []  # guarded by _cond, as are the two below
        self._waiters: list[Waiter | None] = []
        self._on_disk: list[Waiter | None] = []  # the callers of the batch being written
        self._stopping = False
        self._kick_due = False  # a wake-up of the committer is scheduled on the loop (loop-only)
        # bytes queued and not yet durable, the batch on the disk included (read without the lock)
        self.backlog = 0
        self._busy_since: float | None = None  # when the batch on the disk went there
        self._abandoned = False  # stop() gave up waiting for the disk: nothing goes to the loop any more
        self._thread = threading.Thread(target=self._run, name="spend-commit", daemon=True)
        self._thread.start()

    # ---- the event loop's side ----

    def submit(self, frame: bytes, waiter: Waiter | None) -> None:
        """Queue one frame (empty: a barrier, resolved once everything queued before it is durable)."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("spend writer is not running")
            self._frames.append(frame)
            self._waiters.append(waiter)
            self.backlog += len(frame)
        if not self._kick_due:
            # wake the committer once the loop has run what else is ready now: the requests
            # finishing in the same loop pass join this batch instead of waiting for the next sync
            self._kick_due = True
            self._loop.call_soon(self._kick)

    def _kick(self) -> None:
        self._kick_due = False
        with self._cond:
            self._cond.notify()

    def busy(self) -> bool:
        """Whether anything is queued or on the disk."""
        with self._cond:
            return bool(self._frames) or self._busy_since is not None

    def accepting(self) -> bool:
        if self.backlog >= self.max_backlog:
            return False
        since = self._busy_since
        return since is None or time.monotonic() - since < self.stall_after

    def stop(self, timeout: float) -> bool:
        """Write what is queued, then end the thread (blocking: call from a worker thread). False if
        the disk did not finish within `timeout`; the thread is then abandoned."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abandoned = True
            return False
        return True

    def fail_unfinished(self) -> int:
        """After a stop that timed out: tell every caller still waiting (on the loop)."""
        with self._cond:
            waiters = self._on_disk + self._waiters
            self._on_disk, self._waiters, self._frames = [], [], []
        error = CommitterStopped("the spend writer stopped before the disk confirmed this record")
        told = 0
        for waiter in waiters:
            if waiter is not None and not waiter.done():
                waiter.set_exception(error)
                told += 1
        return told

    def _resolve(self, waiters: list[Waiter | None], records: int) -> None:
        self._on_durable(records)
        for waiter in waiters:
            if waiter is not None and not waiter.done():  # a cancelled caller's future is done
                waiter.set_result(None)

    @staticmethod
    def _fail(waiters: list[Waiter], error: BaseException) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(error)

    # ---- the committer thread ----

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._frames and not self._stopping:
                    self._cond.wait()
                if not self._frames:
                    return
                frames, self._frames = self._frames, []
                waiters, self._waiters = self._waiters, []
                self._on_disk = waiters
                self._busy_since = time.monotonic()  # under the lock: `busy()` never misses a batch
            self._commit(frames, waiters)

    def _commit(self, frames: list[bytes], waiters: list[Waiter | None]) -> None:
        try:
            self._spool.append_frames(b"".join(frames))
        except BaseException as exc:
            self._busy_since = None
            self._failed(frames, waiters, exc)
            if not isinstance(exc, Exception):
                raise
            return
        self._busy_since = None
        with self._cond:
            self.backlog -= sum(map(len, frames))
            self._on_disk = []
        self._to_loop(self._resolve, waiters, sum(1 for frame in frames if frame))

    def _failed(self, frames: list[bytes], waiters: list[Waiter | None], exc: BaseException) -> None:
        told = [waiter for waiter in waiters if waiter is not None]
        kept: list[bytes] = []
        if isinstance(exc, OSError) and not self._stopping:
            # disk full or failing: records nobody waits for are kept and retried; callers are told
            kept = [frame for frame, waiter in zip(frames, waiters, strict=True) if waiter is None]
            log.error(
                "spend spool write failed (%s): %d callers told, %d queued records kept for retry",
                type(exc).__name__,
                len(told),
                len(kept),
            )
        else:
            log.error(
                "spend spool write failed (%s): %d callers told, %d records not recorded",
                type(exc).__name__,
                len(told),
                len(frames) - len(told),
                exc_info=not isinstance(exc, OSError),  # a failing disk needs no traceback
            )
        with self._cond:
            self._on_disk = []
            self.backlog -= sum(map(len, frames)) - sum(map(len, kept))
            self._frames[:0] = kept
            self._waiters[:0] = [None] * len(kept)
        self._to_loop(self._fail, told, exc)
        if kept:
            self._pause(self.retry_after)

    def _pause(self, seconds: float) -> None:
        """Give a failing disk a moment before the retry (new records do not cut it short; a stop
        does)."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._stopping and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)

    def _to_loop(self, callback: Callable[..., None], *args: object) -> None:
        if self._abandoned or self._loop.is_closed():
            return  # stop() gave up on us: fail_unfinished() told the callers
        self._loop.call_soon_threadsafe(callback, *args)
