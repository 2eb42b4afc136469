"""`CachingRouter`: a ModelRouter that answers repeated calls from a ResponseCache.

It sits inside the key gate (GatedRouter(CachingRouter(Router))): a cached answer still passes auth,
budgets and rate limits, and is billed at its cost — nothing. A stream is stored once it has been read
to its end (`ChatStream.on_complete`); a cached answer asked for as a stream is replayed as one."""

from __future__ import annotations

from typing import Any

from llmrelay.cache.controls import parse_controls
from llmrelay.cache.replay import stream_of_response
from llmrelay.cache.response_cache import ResponseCache
from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream
from llmrelay.proxy.protocol import ModelRouter, RouterWrapper
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.response import ChatResponse, hidden_params


class CachingRouter(RouterWrapper):
    def __init__(self, inner: ModelRouter, cache: ResponseCache) -> None:
        super().__init__(inner)
        self.cache = cache

    async def route_chat(
        self, request: ChatRequest, *, metadata: dict[str, Any] | None = None, tags: list[str] | None = None
    ) -> ChatResponse | ChatStream:
        cache = self.cache
        plan = cache.plan("chat", request, parse_controls(request.cache))
        if plan is None:
            return await self.inner.route_chat(request, metadata=metadata, tags=tags)
        cached = await cache.lookup(plan, ChatResponse)
        if cached is not None:
            self._report_hit("completion", request, metadata, cached, cached.usage)
            return await stream_of_response(cached, request) if request.stream else cached
        result = await self.inner.route_chat(request, metadata=metadata, tags=tags)
        if isinstance(result, ChatResponse):
            cache.keep(plan, result, hidden_params(result))
        else:
            result.on_complete(lambda stream: cache.keep(plan, stream.response(), stream.hidden_params))
        return result

    async def route_text_completion(
        self, request: TextCompletionRequest, *, metadata: dict[str, Any] | None = None
    ) -> TextCompletionResponse | TextStream:
        cache = self.cache
        plan = cache.plan("text", request, parse_controls(request.cache))
        if plan is None:
            return await self.inner.route_text_completion(request, metadata=metadata)
        cached = await cache.lookup(plan, TextCompletionResponse)
        if cached is not None:
            self._report_hit("text_completion", request, metadata, cached, cached.usage)
            return await TextStream.of_response(cached, request) if request.stream else cached
        result = await self.inner.route_text_completion(request, metadata=metadata)
        if isinstance(result, TextStream):
            text = result
            result.chat_stream.on_complete(
                lambda stream: cache.keep(plan, text.response(), stream.hidden_params)
            )
        else:
            cache.keep(plan, result, hidden_params(result))
        return result

    async def route_embedding(
        self, request: EmbeddingRequest, *, metadata: dict[str, Any] | None = None
    ) -> EmbeddingResponse:
        cache = self.cache
        plan = cache.plan("embedding", request, parse_controls(request.cache))
        if plan is None:
            return await self.inner.route_embedding(request, metadata=metadata)
        cached: EmbeddingResponse | None = await cache.lookup(plan, EmbeddingResponse)
        if cached is not None:
            self._report_hit("embedding", request, metadata, cached, cached.usage.as_usage())
            return cached
        result = await self.inner.route_embedding(request, metadata=metadata)
        cache.keep(plan, result, hidden_params(result))
        return result

    def _report_hit(
        self, call_type: str, request: Any, metadata: dict[str, Any] | None, answer: Any, usage: Any
    ) -> None:
        # the Router records hits for its callbacks (metrics, logs); a router without that hook
        # (a test's fake) is simply not told
        report = getattr(self.inner, "report_cache_hit", None)
        if report is not None:
            report(
                call_type, request, metadata, answer, usage, stream=bool(getattr(request, "stream", False))
            )

    async def aclose(self) -> None:
        await self.cache.aclose()
        await super().aclose()
