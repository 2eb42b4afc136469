"""`ResponseCacheMiddleware`: the call chain's step that answers repeated calls from a ResponseCache.

It sits after the key gate (`chain([gate, cache], router.route)`): a cached answer still passes auth,
budgets and rate limits, and is billed at its cost — nothing. One path for every cached call type;
an operation without a cache kind below passes straight on. A stream is stored once it has been read
to its end (`ChatStream.on_complete`); a cached answer asked for as a stream is replayed as one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from llmrelay.cache.controls import parse_controls
from llmrelay.cache.replay import stream_of_response
from llmrelay.cache.response_cache import CachePlan, ResponseCache
from llmrelay.calls.call import Call, Next
from llmrelay.calls.served import served_of
from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream
from llmrelay.types.response import Usage

# an operation's cache kind (the first part of its keys, and what `supported_call_types` names)
KINDS = {"chat": "chat", "text_completion": "text", "embedding": "embedding"}
# how a cached answer of a streaming operation is handed to a caller who asked for a stream
_REPLAYS: dict[str, Callable[[Any, Any], Awaitable[Any]]] = {
    "chat": stream_of_response,
    "text_completion": TextStream.of_response,
}

# the router's record of a cache hit for its callbacks (Router.report_cache_hit)
HitReporter = Callable[[Call[Any], Any, Usage | None], None]


class ResponseCacheMiddleware:
    def __init__(self, cache: ResponseCache, report_hit: HitReporter | None = None) -> None:
        self.cache = cache
        # a router without that hook (a test's fake) is simply not told
        self.report_hit = report_hit

    async def __call__(self, call: Call[Any], next_: Next) -> Any:
        operation, request = call.operation, call.request
        kind = KINDS.get(operation.name)
        if kind is None:
            return await next_(call)
        cache = self.cache
        plan = cache.plan(kind, request, parse_controls(request.cache))
        if plan is None:
            return await next_(call)
        cached = await cache.lookup(plan, operation.response_type)
        if cached is not None:
            if self.report_hit is not None:
                self.report_hit(call, cached, operation.usage(cached))
            return await _REPLAYS[operation.name](cached, request) if call.stream else cached
        result = await next_(call)
        self._keep_at_end(plan, result)
        return result

    def _keep_at_end(self, plan: CachePlan, result: Any) -> None:
        cache = self.cache
        if isinstance(result, TextStream):
            text = result
            result.chat_stream.on_complete(lambda _: cache.keep(plan, text.response(), served_of(text)))
        elif isinstance(result, ChatStream):
            result.on_complete(lambda stream: cache.keep(plan, stream.response(), served_of(stream)))
        else:
            cache.keep(plan, result, served_of(result))

    # a gateway service (proxy/state.py): started with the worker, stopped at its exit
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        """Wait for the writes under way, then close the store."""
        await self.cache.aclose()
