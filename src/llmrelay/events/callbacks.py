"""Callbacks registered per client, run on the client's background loop — never on the caller's
request path, and a callback that raises is logged, never propagated."""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
from typing import Any

from llmrelay.events.record import CallRecord

log = logging.getLogger("llmrelay.callbacks")

HOOKS = ("on_success", "on_failure", "on_stream_complete")


class Callback:
    """Base class for callbacks; override any hook, as a plain or an `async def` method.

    - on_success(record): a non-streamed call answered;
    - on_failure(record): a call failed (record.error says why);
    - on_stream_complete(record): a stream finished (usage, cost and time to first token filled).
    """

    def on_success(self, record: CallRecord) -> Any:
        return None

    def on_failure(self, record: CallRecord) -> Any:
        return None

    def on_stream_complete(self, record: CallRecord) -> Any:
        return None


class CallbackDispatcher:
    """A bounded queue drained by one task on the owner's background loop.

    `emit` may be called from any thread or loop: it only schedules a put. When the queue is full the
    record is dropped and counted (`dropped`), so a slow sink can never stall calls.

    `callbacks` is the owner's live list (callbacks added later are heard). Each entry is a Callback
    (or any object with some of its hooks), or a plain function `fn(record)` called for every hook."""

    def __init__(self, callbacks: list[Any], loop: asyncio.AbstractEventLoop, maxsize: int = 10_000):
        self._callbacks = callbacks
        self._loop = loop
        self._queue: asyncio.Queue[tuple[str, CallRecord] | None] = asyncio.Queue(maxsize)
        self._task: asyncio.Task[None] | None = None
        self._maxsize = maxsize
        # records handed over from any thread (deque appends and pops are thread-safe)
        self._inbox: collections.deque[tuple[str, CallRecord]] = collections.deque()
        self._wakeup_pending = False
        self.dropped = 0

    @property
    def callbacks(self) -> list[Any]:
        return self._callbacks

    def add(self, callback: Any) -> None:
        self._callbacks.append(callback)

    def emit(self, hook: str, record: CallRecord) -> None:
        if not self._callbacks:
            return
        # one wake-up of the owner loop per batch, not per record: waking another thread costs a
        # syscall and a GIL hand-over, which under load would cost more than the callbacks
        if len(self._inbox) >= self._maxsize:
            self._count_drop()
            return
        self._inbox.append((hook, record))
        if not self._wakeup_pending:
            self._wakeup_pending = True
            self._loop.call_soon_threadsafe(self._take_inbox)

    def _take_inbox(self) -> None:
        # cleared before draining: a record appended after this line schedules its own wake-up
        self._wakeup_pending = False
        inbox = self._inbox
        while inbox:
            self._put(*inbox.popleft())

    def _put(self, hook: str, record: CallRecord) -> None:
        if self._task is None:
            self._task = self._loop.create_task(self._drain())
        try:
            self._queue.put_nowait((hook, record))
        except asyncio.QueueFull:
            self._count_drop()

    def _count_drop(self) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.warning("callback queue full: %d records dropped so far", self.dropped)

    async def _drain(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if item is None:
                    return
                hook, record = item
                for cb in list(self._callbacks):
                    await self._run(cb, hook, record)
            finally:
                self._queue.task_done()

    async def _run(self, callback: Any, hook: str, record: CallRecord) -> None:
        fn = getattr(callback, hook, None)
        if fn is None:
            if not inspect.isroutine(callback):
                return
            fn = callback
        try:
            result = fn(record)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("callback %s.%s raised; the call is unaffected", type(callback).__name__, hook)

    async def join(self) -> None:
        """Wait until every queued record has been handed to the callbacks (runs on the owner loop)."""
        await self._queue.join()

    async def stop(self) -> None:
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None
