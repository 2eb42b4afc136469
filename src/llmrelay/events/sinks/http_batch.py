"""Items posted to one HTTP endpoint in batches, from a thread of its own: the delivery half of the
Langfuse and webhook sinks.

- `add` (any thread, never blocks) appends to a bounded inbox; past `max_queue` items are dropped
  and counted (`dropped`), so a slow or unreachable endpoint never grows memory without limit.
- A private event loop on a daemon thread (started on the first item) posts a batch every
  `flush_interval` seconds, or as soon as `batch_size` items wait, over one pooled aiohttp session.
- 5xx, 429 and connection failures are retried with exponential backoff (429's Retry-After is
  honoured, within `backoff_max`) up to `max_retries` times; other answers are not retried. A
  `check` callback can read a 2xx answer and name the items to retry (a 207 multi-status).
- Failures are counted (`failed`) and logged at most once a minute, naming the endpoint without its
  credentials; headers (Authorization...) are never logged.
- `close()` delivers what is queued (bounded by `close_timeout`), then stops the thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from llmrelay.events.sinks.jsonlog import mask_secrets
from llmrelay.events.sinks.throttled_log import ThrottledLog
from llmrelay.loop_thread import LoopThread

log = logging.getLogger("llmrelay.sinks")

# reads a 2xx answer (status, body) for the batch it answers; returns the items to send again
Check = Callable[[int, bytes, Sequence[Any]], Sequence[Any]]
_SNIPPET = 200


class BatchPoster:
    def __init__(
        self,
        *,
        name: str,
        url: str,
        headers: Mapping[str, str],
        encode: Callable[[Sequence[Any]], bytes],
        check: Check | None = None,
        batch_size: int = 100,
        max_queue: int = 10_000,
        max_batch_bytes: int | None = None,
        flush_interval: float = 1.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        timeout: float = 10.0,
        close_timeout: float = 10.0,
    ) -> None:
        if batch_size < 1 or max_queue < 1:
            raise ValueError(f"{name}: batch_size and max_queue must be at least 1")
        self.name = name
        self._url = url
        self._headers = dict(headers)
        self._encode = encode
        self._check = check
        self._batch_size = batch_size
        self._max_queue = max_queue
        self._max_batch_bytes = max_batch_bytes
        self._flush_interval = flush_interval
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._timeout = timeout
        self._close_timeout = close_timeout
        # where failures are said to go: never the credentials a URL may hold
        parts = urlsplit(url)
        self.where = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
        # appended on the hooks' thread, popped on the poster's; deque appends and pops are atomic
        self._inbox: deque[Any] = deque()
        self._lock = threading.Lock()
        self._thread: LoopThread | None = None
        self._runner: concurrent.futures.Future[None] | None = None
        # made here, not on the poster's loop: a wake-up sent before the loop's task first runs must
        # not be lost (an Event binds to a loop only when first awaited)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None
        self._wake_pending = False
        self._closing = False
        self._closed = False
        self._flushers: list[concurrent.futures.Future[None]] = []
        self._failures = ThrottledLog(log)
        self._drops = ThrottledLog(log)
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    # ---- producer side (any thread)
    def add(self, items: Sequence[Any]) -> bool:
        """Queue items to post together; False (and counted as dropped) when the queue is full or
        the poster is closed."""
        if self._closed or len(self._inbox) + len(items) > self._max_queue:
            self.dropped += len(items)
            self._drops.warning(
                "%s: queue full or closed, %d items dropped so far (endpoint %s)",
                self.name,
                self.dropped,
                self.where,
            )
            return False
        self._inbox.extend(items)
        if self._thread is None:
            self._start()
        elif len(self._inbox) >= self._batch_size:
            self._poke()
        return True

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            thread = LoopThread(f"llmrelay-{self.name}")
            self._runner = asyncio.run_coroutine_threadsafe(self._run(), thread.loop)
            self._thread = thread

    def _poke(self) -> None:
        """Wake the poster now (at most one wake-up in flight)."""
        thread = self._thread
        if thread is None or self._wake_pending:
            return
        self._wake_pending = True
        thread.loop.call_soon_threadsafe(self._set_wake)

    def _set_wake(self) -> None:
        self._wake.set()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far was delivered (or given up); False on timeout."""
        thread = self._thread
        if thread is None:
            return True
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._lock:
            self._flushers.append(done)
        self._wake_pending = True
        thread.loop.call_soon_threadsafe(self._set_wake)
        try:
            done.result(timeout)
        except concurrent.futures.TimeoutError:
            return False
        return True

    def close(self) -> None:
        """Deliver what is queued (at most `close_timeout` seconds), then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread, runner = self._thread, self._runner
        if thread is None or runner is None:
            return
        thread.loop.call_soon_threadsafe(self._begin_close)
        try:
            runner.result(self._close_timeout)
        except concurrent.futures.TimeoutError:
            # ended on its own loop, and waited for: a task dropped with its loop mid-request leaks
            asyncio.run_coroutine_threadsafe(self._cancel_run(), thread.loop).result(self._close_timeout)
            lost = len(self._inbox)
            self.dropped += lost
            log.warning(
                "%s: closing took longer than %.0fs; %d items not delivered to %s",
                self.name,
                self._close_timeout,
                lost,
                self.where,
            )
        thread.stop()

    async def _cancel_run(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _begin_close(self) -> None:
        self._closing = True
        self._set_wake()

    # ---- the poster's loop
    async def _run(self) -> None:
        import aiohttp

        self._task = asyncio.current_task()
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if len(self._inbox) < self._batch_size and not self._closing:
                    # the interval's end is the usual way out of this wait
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._flush_interval)
                self._wake.clear()
                self._wake_pending = False
                while self._inbox:
                    count = min(self._batch_size, len(self._inbox))
                    batch = [self._inbox.popleft() for _ in range(count)]
                    await self._deliver(session, batch)
                self._release_flushers()
                if self._closing:
                    return

    def _release_flushers(self) -> None:
        with self._lock:
            flushers, self._flushers = self._flushers, []
        for done in flushers:
            if not done.done():
                done.set_result(None)

    async def _deliver(self, session: Any, batch: list[Any]) -> None:
        """Post one batch, retrying what may succeed later; count what is given up."""
        attempt = 0
        while batch:
            body = self._encode(batch)
            if self._max_batch_bytes is not None and len(body) > self._max_batch_bytes:
                if len(batch) == 1:
                    self.failed += 1
                    self._failures.warning(
                        "%s: an item of %d bytes is over the %d-byte batch limit; dropped",
                        self.name,
                        len(body),
                        self._max_batch_bytes,
                    )
                    return
                half = len(batch) // 2
                await self._deliver(session, batch[:half])
                await self._deliver(session, batch[half:])
                return
            status, answer, retry_after = await self._post(session, body)
            if status is not None and 200 <= status < 300:
                retry = list(self._check(status, answer, batch)) if self._check is not None else []
                self.sent += len(batch) - len(retry)
                if not retry:
                    return
                batch = retry
            elif status is not None and status != 429 and status < 500:
                self.failed += len(batch)
                self._failures.warning(
                    "%s: %s refused %d items (HTTP %d: %s); not retried",
                    self.name,
                    self.where,
                    len(batch),
                    status,
                    _snippet(answer),
                )
                return
            attempt += 1
            if attempt > self._max_retries:
                self.failed += len(batch)
                what = f"HTTP {status}" if status is not None else answer.decode(errors="replace")
                self._failures.warning(
                    "%s: %d items not delivered to %s after %d attempts (%s)",
                    self.name,
                    len(batch),
                    self.where,
                    attempt,
                    what,
                )
                return
            delay = self._backoff_base * 2 ** (attempt - 1)
            if retry_after is not None:
                delay = retry_after
            await asyncio.sleep(min(delay, self._backoff_max))

    async def _post(self, session: Any, body: bytes) -> tuple[int | None, bytes, float | None]:
        """(status, answer body, Retry-After seconds); status None when no answer came (the
        answer then names the failure's kind)."""
        import aiohttp

        try:
            async with session.post(self._url, data=body, headers=self._headers) as resp:
                answer = await resp.read()
                return resp.status, answer, _retry_after(resp.headers.get("retry-after"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, type(exc).__name__.encode(), None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: the usual backoff applies


def _snippet(answer: bytes) -> str:
    return mask_secrets(answer[:_SNIPPET].decode(errors="replace"))
