"""Callbacks registered per client or router, run off the caller's request path; a callback that
raises is logged, never propagated."""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
from asyncio.events import _get_running_loop
from collections.abc import Awaitable
from typing import Any

from llmrelay.events.record import CallRecord
from llmrelay.loop_thread import LoopThread

log = logging.getLogger("llmrelay.callbacks")

HOOKS = ("on_success", "on_failure", "on_stream_complete")

# records handed to the callbacks between two yields to the loop, in caller-loop mode: a burst of
# records never holds requests back for longer than this many callback runs
_RECORDS_PER_SLICE = 32


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
    """A bounded inbox of records drained in batches by one task.

    Where that task runs is the constructor's choice:
    - `loop` given (a background thread's loop, as the SDK Client uses): `emit` may be called from
      any thread; the owner loop is woken once per batch, not per record (waking another thread costs
      a syscall and a GIL hand-over);
    - `loop=None` (caller-loop mode, for a server with one serving loop per process): the task runs
      on the loop that emits, as a low-priority background task — it waits `batch_delay` after a
      record arrives so records are handled in batches, and yields to the loop every few records.
      Only callbacks that declare `loop_safe = True` (quick, never block: the built-in sinks) run
      there, with no thread hop at all; any other callback could block the loop, so records for
      those are handed on, a batch at a time, to a thread-mode dispatcher on a thread of its own
      (started only when such a callback is registered).

    Either way a full inbox drops the record and counts it (`dropped`): a slow sink never stalls a
    call. `callbacks` is the owner's live list (callbacks added later are heard). Each entry is a
    Callback (or any object with some of its hooks), or a plain function `fn(record)` called for
    every hook."""

    def __init__(
        self,
        callbacks: list[Any],
        loop: asyncio.AbstractEventLoop | None = None,
        maxsize: int = 10_000,
        *,
        batch_delay: float = 0.005,
    ) -> None:
        self._callbacks = callbacks
        self._caller_loop = loop is None
        self._loop = loop
        self._maxsize = maxsize
        self._batch_delay = batch_delay if loop is None else 0.0
        # deque appends and pops are thread-safe: producers on other threads only append
        self._inbox: collections.deque[tuple[str, CallRecord]] = collections.deque()
        self._wakeup_pending = False
        self._task: asyncio.Task[None] | None = None
        # the drain task's wait for records, and callers of join() waiting for it to be idle
        self._waiter: asyncio.Future[None] | None = None
        self._joiners: list[asyncio.Future[None]] = []
        self._busy = False
        self._closing = False
        # caller-loop mode: callbacks that are not loop-safe, run by a dispatcher on a thread
        self._offloaded: list[Any] = []
        self._offload: CallbackDispatcher | None = None
        self._offload_thread: LoopThread | None = None
        self.dropped = 0

    @property
    def callbacks(self) -> list[Any]:
        return self._callbacks

    def add(self, callback: Any) -> None:
        self._callbacks.append(callback)

    def emit(self, hook: str, record: CallRecord) -> None:
        if not self._callbacks:
            return
        if len(self._inbox) >= self._maxsize:
            self._count_drop()
            return
        self._inbox.append((hook, record))
        if self._caller_loop:
            running = _get_running_loop()
            loop = self._loop
            if loop is running and loop is not None:
                # the common case, once per call: emitted on the delivering loop. Nothing to do while
                # the drain task runs or waits out its batch delay: it will see the record
                if self._task is None or self._waiter is not None:
                    self._wake()
                return
            if loop is None or loop.is_closed():
                if running is None:
                    raise RuntimeError("caller-loop callbacks are emitted from a running event loop")
                # first record, or the previous serving loop has gone: deliver on this one
                self._loop = loop = running
                self._task = None
            if loop is running:
                self._wake()
                return
        if not self._wakeup_pending:
            self._wakeup_pending = True
            assert self._loop is not None
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        """On the delivering loop: start the drain task, or wake it if it waits for records."""
        # cleared before waking: a record appended after this line schedules its own wake-up
        self._wakeup_pending = False
        if self._task is None:
            assert self._loop is not None
            self._task = self._loop.create_task(self._drain())
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _count_drop(self) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.warning("callback queue full: %d records dropped so far", self.dropped)

    async def _drain(self) -> None:
        inbox = self._inbox
        loop = asyncio.get_running_loop()
        if self._batch_delay:
            await asyncio.sleep(self._batch_delay)
        while True:
            if not inbox:
                self._busy = False
                self._release_joiners()
                if self._closing:
                    return
                self._waiter = loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
                if self._batch_delay:
                    # low priority: let records gather and the requests in flight go first
                    await asyncio.sleep(self._batch_delay)
                continue
            self._busy = True
            callbacks = list(self._callbacks)
            offload = None
            if self._caller_loop:
                callbacks = [cb for cb in callbacks if getattr(cb, "loop_safe", False)]
                offload = self._offload_for(len(callbacks) < len(self._callbacks))
            # each hook's functions, looked up once per slice rather than once per record
            hooks: dict[str, list[tuple[Any, Any]]] = {}
            for _ in range(min(len(inbox), _RECORDS_PER_SLICE)):
                hook, record = inbox.popleft()
                fns = hooks.get(hook)
                if fns is None:
                    fns = hooks[hook] = _hook_functions(callbacks, hook)
                for cb, fn in fns:
                    try:
                        result = fn(record)
                    except Exception:
                        log.exception(
                            "callback %s.%s raised; the call is unaffected", type(cb).__name__, hook
                        )
                        continue
                    if result is not None and inspect.isawaitable(result):
                        await self._finish(cb, hook, result)
                if offload is not None:
                    offload.emit(hook, record)
            if self._caller_loop and inbox:
                # more to deliver: let the requests in flight go first. (With the inbox empty the
                # task waits for records next, which yields anyway: no extra pass of the loop.)
                await asyncio.sleep(0)

    def _offload_for(self, needed: bool) -> CallbackDispatcher | None:
        """The thread-mode dispatcher for callbacks that may block, started on first need."""
        if not needed:
            return None
        # refreshed in place: the offload dispatcher reads this list on its own thread
        self._offloaded[:] = [cb for cb in self._callbacks if not getattr(cb, "loop_safe", False)]
        if self._offload is None:
            self._offload_thread = LoopThread("llmrelay-callbacks")
            self._offload = CallbackDispatcher(self._offloaded, self._offload_thread.loop, self._maxsize)
        return self._offload

    def _release_joiners(self) -> None:
        joiners, self._joiners = self._joiners, []
        for fut in joiners:
            if not fut.done():
                fut.set_result(None)

    @staticmethod
    async def _finish(callback: Any, hook: str, pending: Awaitable[Any]) -> None:
        try:
            await pending
        except Exception:
            log.exception("callback %s.%s raised; the call is unaffected", type(callback).__name__, hook)

    async def join(self) -> None:
        """Wait until every record emitted so far has been handed to the callbacks (call it on the
        delivering loop)."""
        while self._inbox or self._busy or self._wakeup_pending:
            if self._task is None and not self._wakeup_pending:
                self._wake()
            fut = asyncio.get_running_loop().create_future()
            self._joiners.append(fut)
            await fut
        if self._offload is not None and self._offload_thread is not None:
            await _on_thread(self._offload_thread, self._offload.join())

    async def stop(self) -> None:
        """Deliver what is queued, then end the drain task (call it on the delivering loop)."""
        task = self._task
        if task is not None:
            self._closing = True
            try:
                self._wake()
                await task
            finally:
                self._closing = False
                self._task = None
        offload, thread = self._offload, self._offload_thread
        if offload is not None and thread is not None:
            self._offload = self._offload_thread = None
            await _on_thread(thread, offload.stop())
            thread.stop()


def _hook_functions(callbacks: list[Any], hook: str) -> list[tuple[Any, Any]]:
    """(callback, what to call with a record) for each callback that has `hook`: its method, or the
    callback itself when it is a plain function. A plain function's call is over when it returns (no
    coroutine per record and callback); an async hook's result is awaited."""
    fns = []
    for callback in callbacks:
        fn = getattr(callback, hook, None)
        if fn is None and inspect.isroutine(callback):
            fn = callback
        if fn is not None:
            fns.append((callback, fn))
    return fns


async def _on_thread(thread: LoopThread, step: Any) -> None:
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(step, thread.loop))
