"""The SDK face of the Router: LiteLLM-style keyword calls (`acompletion(model=, messages=, **params)`)
turned into a `Call` (the typed request, and a CallContext from the routing keywords) for
`Router.route`, plus their sync twins, which run on the router's own loop thread. This is an SDK
edge: answers leave with LiteLLM's `_hidden_params` view of their Served record, which
`Router.route` (the gateway's path) never builds."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext, StreamTimeouts
from llmrelay.calls.operation import (
    CHAT,
    EMBEDDING,
    IMAGE_GENERATION,
    MODERATION,
    RERANK,
    SPEECH,
    TEXT_COMPLETION,
)
from llmrelay.core.controls import call_with_fallbacks, take_controls
from llmrelay.core.litellm_view import with_hidden_params
from llmrelay.core.requests import build_request
from llmrelay.core.responses_api import ResponsesStream, SyncResponsesStream, run_responses
from llmrelay.core.streaming import ChatStream, SyncChatStream
from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.loop_thread import LoopThread
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.image import ImageGenerationRequest, ImageResponse
from llmrelay.types.moderation import ModerationRequest, ModerationResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse
from llmrelay.types.responses import Response
from llmrelay.types.speech import SpeechRequest, SpeechResponse

# keyword arguments of acompletion & co. that steer the router rather than the model
_ROUTING_KWARGS = ("timeout", "stream_timeout", "stream_timeouts", "num_retries", "max_retries", "tags",
                   "drop_params")  # fmt: skip


class KeywordCalls(ABC):
    """The keyword API of a Router (mixed into it): each call becomes a `Call` for `route`."""

    _loop_thread: LoopThread

    @abstractmethod
    async def route(self, call: Call[Any]) -> Any:
        """Route one call (Router.route)."""

    async def acompletion(
        self, model: str, messages: list[Any], *, stream: bool = False, **params: Any
    ) -> ChatResponse | ChatStream:
        """A routed chat completion. LiteLLM's per-call `fallbacks` (model groups, tried in order
        after the group and its configured fallbacks fail), `context_window_fallback_dict` and
        `mock_testing_fallbacks` act as in LiteLLM (core/controls.py)."""
        controls = take_controls(params, tags_are_metadata=False)
        if controls.stream_timeout is not None:
            params.setdefault("stream_timeout", controls.stream_timeout)  # a routing keyword here
        if controls.mock_timeout:
            controls.refuse_fallbacks("a Router (use mock_response on a deployment)")
        if not controls.wants_fallbacks():
            return await self._acompletion(model, messages, stream, params)
        return await call_with_fallbacks(
            lambda name, keywords: self._acompletion(name, messages, stream, dict(keywords)),
            model,
            params,
            controls,
        )

    async def _acompletion(
        self, model: str, messages: list[Any], stream: bool, params: dict[str, Any]
    ) -> ChatResponse | ChatStream:
        routing = _take_routing(params)
        params.update(model=model, messages=messages, stream=stream or None)
        request = build_request(ChatRequest, params)
        result: ChatResponse | ChatStream = await self.route(
            Call(CHAT, request, _context(routing, request.metadata))
        )
        return with_hidden_params(result)

    def completion(self, model: str, messages: list[Any], **kwargs: Any) -> ChatResponse | SyncChatStream:
        result = self._loop_thread.run(self.acompletion(model, messages, **kwargs))
        if isinstance(result, ChatStream):
            return SyncChatStream(result, self._loop_thread)
        return result

    async def aresponses(
        self, model: str, input: Any, *, stream: bool = False, **params: Any
    ) -> Response | ResponsesStream:
        """OpenAI's Responses API over a model group (see Client.aresponses); routing keywords as
        for acompletion."""
        return await run_responses(self.acompletion, model, input, stream, params)

    def responses(self, model: str, input: Any, **kwargs: Any) -> Response | SyncResponsesStream:
        result = self._loop_thread.run(self.aresponses(model, input, **kwargs))
        if isinstance(result, ResponsesStream):
            return SyncResponsesStream(result, self._loop_thread)
        return result

    async def aembedding(self, model: str, input: Any, **params: Any) -> EmbeddingResponse:
        routing = _take_routing(params, "embedding")
        metadata = params.pop("metadata", None)
        params.update(model=model, input=input)
        request = build_request(EmbeddingRequest, params)
        result: EmbeddingResponse = await self.route(Call(EMBEDDING, request, _context(routing, metadata)))
        return with_hidden_params(result)

    def embedding(self, model: str, input: Any, **kwargs: Any) -> EmbeddingResponse:
        return self._loop_thread.run(self.aembedding(model, input, **kwargs))

    async def arerank(self, model: str, query: str, documents: list[Any], **params: Any) -> RerankResponse:
        routing = _take_routing(params, "rerank")
        metadata = params.pop("metadata", None)
        params.update(model=model, query=query, documents=documents)
        request = build_request(RerankRequest, params)
        result: RerankResponse = await self.route(Call(RERANK, request, _context(routing, metadata)))
        return with_hidden_params(result)

    def rerank(self, model: str, query: str, documents: list[Any], **kwargs: Any) -> RerankResponse:
        return self._loop_thread.run(self.arerank(model, query, documents, **kwargs))

    async def amoderation(self, input: Any, model: str | None = None, **params: Any) -> ModerationResponse:
        """Without `model`, the router's first moderation group answers."""
        routing = _take_routing(params, "moderation")
        metadata = params.pop("metadata", None)
        params.update(model=model, input=input)
        request = build_request(ModerationRequest, params)
        result: ModerationResponse = await self.route(Call(MODERATION, request, _context(routing, metadata)))
        return with_hidden_params(result)

    def moderation(self, input: Any, model: str | None = None, **kwargs: Any) -> ModerationResponse:
        return self._loop_thread.run(self.amoderation(input, model, **kwargs))

    async def aimage_generation(self, prompt: str, model: str | None = None, **params: Any) -> ImageResponse:
        """Without `model`, the router's first image-generation group answers."""
        routing = _take_routing(params, "image_generation")
        metadata = params.pop("metadata", None)
        params.update(model=model, prompt=prompt)
        request = build_request(ImageGenerationRequest, params)
        result: ImageResponse = await self.route(Call(IMAGE_GENERATION, request, _context(routing, metadata)))
        return with_hidden_params(result)

    def image_generation(self, prompt: str, model: str | None = None, **kwargs: Any) -> ImageResponse:
        return self._loop_thread.run(self.aimage_generation(prompt, model, **kwargs))

    async def aspeech(self, model: str, input: str, voice: str, **params: Any) -> SpeechResponse:
        """Text to speech through the model group: the audio (`.content`, `.stream_to_file`)."""
        routing = _take_routing(params, "speech")
        metadata = params.pop("metadata", None)
        params.update(model=model, input=input, voice=voice)
        request = build_request(SpeechRequest, params)
        result: SpeechResponse = await self.route(Call(SPEECH, request, _context(routing, metadata)))
        return with_hidden_params(result)

    def speech(self, model: str, input: str, voice: str, **kwargs: Any) -> SpeechResponse:
        return self._loop_thread.run(self.aspeech(model, input, voice, **kwargs))

    async def atext_completion(
        self, model: str, prompt: Any, *, stream: bool = False, **params: Any
    ) -> TextCompletionResponse | TextStream:
        routing = _take_routing(params, "text_completion")
        metadata = params.pop("metadata", None)
        params.update(model=model, prompt=prompt, stream=stream or None)
        request = build_request(TextCompletionRequest, params)
        result: TextCompletionResponse | TextStream = await self.route(
            Call(TEXT_COMPLETION, request, _context(routing, metadata))
        )
        return with_hidden_params(result)

    def text_completion(
        self, model: str, prompt: Any, **kwargs: Any
    ) -> TextCompletionResponse | SyncTextStream:
        result = self._loop_thread.run(self.atext_completion(model, prompt, **kwargs))
        if isinstance(result, TextStream):
            return SyncTextStream(result, self._loop_thread)
        return result


def _take_routing(params: dict[str, Any], refuse_fallbacks_for: str | None = None) -> dict[str, Any]:
    """The routing keywords of a call, taken out of `params`, after LiteLLM's controls (which
    never reach a provider: core/controls.py). Only chat completions take per-call fallbacks."""
    routing = {k: params.pop(k) for k in _ROUTING_KWARGS if k in params}
    if refuse_fallbacks_for is not None:
        take_controls(params, tags_are_metadata=False).refuse_fallbacks(refuse_fallbacks_for)
    if "timeout" in params:  # LiteLLM's request_timeout, folded by take_controls
        routing.setdefault("timeout", params.pop("timeout"))
    return routing


def _context(routing: dict[str, Any], metadata: Any) -> CallContext:
    """The call's context from its routing keywords; tags come from `tags=` and the metadata's
    `tags` list (LiteLLM's two places for them)."""
    tags = set(routing.get("tags") or ())
    if isinstance(metadata, dict) and isinstance(metadata.get("tags"), list):
        tags.update(str(t) for t in metadata["tags"])
    return CallContext(
        tags=frozenset(tags),
        client_metadata=metadata if isinstance(metadata, dict) else None,
        timeout=routing.get("timeout"),
        stream_timeouts=_stream_timeouts(routing),
        num_retries=_first_int(routing.get("num_retries"), routing.get("max_retries")),
        drop_params=routing.get("drop_params"),
    )


def _stream_timeouts(routing: dict[str, Any]) -> StreamTimeouts | None:
    timeouts: StreamTimeouts | None = routing.get("stream_timeouts")
    if timeouts is None and routing.get("stream_timeout") is not None:
        timeouts = StreamTimeouts(first_token=float(routing["stream_timeout"]))
    return timeouts


def _first_int(*values: Any) -> int | None:
    return next((int(v) for v in values if v is not None), None)
