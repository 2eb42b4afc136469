"""One CallRecord per logical call (however many attempts and fallbacks it took), handed to the
router's own callbacks through the shared CallbackDispatcher: on the router's loop thread, or (for a
server) on the loop that made the call."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Coroutine, Sequence
from typing import Any

from llmrelay.calls.context import CallContext
from llmrelay.events.callbacks import CallbackDispatcher
from llmrelay.events.record import CallRecord
from llmrelay.loop_thread import LoopThread
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import LLMError
from llmrelay.types.response import Usage


class CallTrace:
    """What happened during one logical call: ids, clocks, attempts, who answered."""

    __slots__ = (
        "attempts",
        "call_id",
        "call_type",
        "context",
        "fallback_from",
        "last_target",
        "model",
        "request",
        "started_mono",
        "started_wall",
        "stream",
    )

    def __init__(
        self,
        call_type: str,
        model: str,
        request: Any,
        context: CallContext,
        stream: bool,
        call_id: str | None = None,
    ) -> None:
        self.call_id = call_id or uuid.uuid4().hex
        self.call_type = call_type
        self.model = model
        self.request = request
        # the callbacks' metadata is built from it only when a record is made
        self.context = context
        self.stream = stream
        self.started_wall = time.time()
        self.started_mono = time.monotonic()
        self.attempts = 0
        self.fallback_from: str | None = None
        # the deployment of the latest attempt, so a failure record says where it failed
        self.last_target: Deployment | None = None


class CallReporter:
    """Owns the router's callbacks; nothing is dispatched (or started) until one is registered.

    With a `loop_thread`, callbacks run on that thread's loop; with None, on the loop that made the
    call, as a low-priority background task (no thread hop; what a single-loop server wants)."""

    def __init__(self, callbacks: Sequence[Any], loop_thread: LoopThread | None) -> None:
        self._callbacks = list(callbacks)
        self._loop_thread = loop_thread
        self._dispatcher: CallbackDispatcher | None = None

    @property
    def callbacks(self) -> list[Any]:
        return self._callbacks

    @property
    def active(self) -> bool:
        return bool(self._callbacks)

    @property
    def wants_contents(self) -> bool:
        """Whether some callback reads a record's response (callbacks say `wants_contents = False`
        when they never do; a relayed stream's response is then never assembled)."""
        return any(getattr(cb, "wants_contents", True) for cb in self._callbacks)

    def add(self, callback: Any) -> None:
        # the dispatcher reads this same list, so it hears callbacks added later
        self._callbacks.append(callback)

    def emit(
        self,
        hook: str,
        trace: CallTrace,
        deployment: Deployment | None,
        *,
        usage: Usage | None = None,
        cost: int = 0,
        error: LLMError | None = None,
        ttft: float | None = None,
        response: Any = None,
        cache_hit: bool = False,
    ) -> None:
        if not self._callbacks:
            return
        if self._dispatcher is None:
            loop = self._loop_thread.loop if self._loop_thread is not None else None
            self._dispatcher = CallbackDispatcher(self._callbacks, loop)
        now = time.monotonic()
        metadata = trace.context.record_metadata()
        if trace.fallback_from is not None:
            metadata = {**(metadata or {}), "fallback_from": trace.fallback_from}
        record = CallRecord(
            call_id=trace.call_id,
            call_type=trace.call_type,
            model=trace.model,
            provider=deployment.provider if deployment else ("cache" if cache_hit else None),
            deployment=(deployment.id or deployment.qualified_model) if deployment else None,
            start_time=trace.started_wall,
            end_time=trace.started_wall + (now - trace.started_mono),
            latency_s=now - trace.started_mono,
            stream=trace.stream,
            time_to_first_token_s=ttft,
            usage=usage,
            cost_micros=cost,
            error=error,
            metadata=metadata,
            model_group=deployment.model_name if deployment else trace.model,
            attempts=max(1, trace.attempts),
            request=trace.request,
            response=response,
            cache_hit=cache_hit,
        )
        self._dispatcher.emit(hook, record)

    async def flush(self) -> None:
        """Wait until the callbacks have heard every record so far (from the caller's loop)."""
        dispatcher = self._dispatcher
        if dispatcher is not None:
            await self._on_delivery_loop(dispatcher.join())

    async def close(self) -> None:
        """Deliver what is queued, then end the dispatcher's task (from the caller's loop)."""
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            await self._on_delivery_loop(dispatcher.stop())

    async def _on_delivery_loop(self, step: Coroutine[Any, Any, None]) -> None:
        thread = self._loop_thread
        if thread is None or not thread.started:
            await step
            return
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(step, thread.loop))
