"""The SDK's keyword calls (`acompletion(model=, messages=, **params)`): the call types answered in
one piece declared once for the Client, the Router and the module-level functions (`OneShotCalls`),
and the Router's face (`KeywordCalls`), whose calls become a `Call` (the typed request, and a
CallContext from the routing keywords) for `Router.route`; sync twins run on the owner's loop
thread. This is an SDK edge: answers leave with LiteLLM's `_hidden_params` view of their Served
record, which `Router.route` (the gateway's path) never builds."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, TypeVar

from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext, StreamTimeouts
from llmrelay.calls.operation import (
    CHAT,
    EMBEDDING,
    IMAGE_EDIT,
    IMAGE_GENERATION,
    IMAGE_VARIATION,
    MODERATION,
    RERANK,
    SPEECH,
    TEXT_COMPLETION,
    TRANSCRIPTION,
    TRANSLATION,
    Operation,
)
from llmrelay.core.controls import call_with_fallbacks, take_controls
from llmrelay.core.litellm_view import with_hidden_params
from llmrelay.core.requests import build_request
from llmrelay.core.responses_api import ResponsesStream, SyncResponsesStream, run_responses
from llmrelay.core.responses_memory import StoredResponses
from llmrelay.core.streaming import ChatStream, SyncChatStream
from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.loop_thread import LoopThread
from llmrelay.types.audio import TranscriptionResponse
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.embedding import EmbeddingResponse
from llmrelay.types.files import as_upload
from llmrelay.types.image import ImageResponse
from llmrelay.types.moderation import ModerationResponse
from llmrelay.types.rerank import RerankResponse
from llmrelay.types.response import ChatResponse
from llmrelay.types.responses import Response
from llmrelay.types.speech import SpeechResponse

R = TypeVar("R")

# keyword arguments of acompletion & co. that steer the router rather than the model
_ROUTING_KWARGS = ("timeout", "stream_timeout", "stream_timeouts", "num_retries", "max_retries", "tags",
                   "drop_params")  # fmt: skip


class OneShotCalls(ABC):
    """The SDK's call types answered in one piece, each declared once for the SDK's three faces: a
    `Client` and a `Router` inherit these methods (each runs `_one_shot` its own way: the client
    through its one-deployment runner, the router through `route`), and the module-level
    functions (`llmrelay.speech`...) are the default client's (functions.py serves every public
    name here). A new call type of this kind is one async method and its sync twin here.

    The call options of every one: as `acompletion`'s, less drop_params, mock_response and
    stream_timeouts; `metadata` goes to callbacks only, never to the provider."""

    _loop_thread: LoopThread

    @abstractmethod
    async def _one_shot(self, operation: Operation[Any, R], params: dict[str, Any]) -> R:
        """One call of `operation`: `params` are its keywords, its positional fields included."""

    async def aembedding(self, model: str, input: str | list[Any], **params: Any) -> EmbeddingResponse:
        return await self._one_shot(EMBEDDING, {**params, "model": model, "input": input})

    def embedding(self, model: str, input: str | list[Any], **kwargs: Any) -> EmbeddingResponse:
        return self._loop_thread.run(self.aembedding(model, input, **kwargs))

    async def arerank(self, model: str, query: str, documents: list[Any], **params: Any) -> RerankResponse:
        """Rank `documents` (strings or objects, see `rank_fields`) by relevance to `query`."""
        fields = {**params, "model": model, "query": query, "documents": documents}
        return await self._one_shot(RERANK, fields)

    def rerank(self, model: str, query: str, documents: list[Any], **kwargs: Any) -> RerankResponse:
        return self._loop_thread.run(self.arerank(model, query, documents, **kwargs))

    async def amoderation(
        self, input: str | list[Any], model: str | None = None, **params: Any
    ) -> ModerationResponse:
        """OpenAI's moderations. Without `model`: a Router's first moderation group, a Client's
        OpenAI `omni-moderation-latest`."""
        return await self._one_shot(MODERATION, {**params, "model": model, "input": input})

    def moderation(
        self, input: str | list[Any], model: str | None = None, **kwargs: Any
    ) -> ModerationResponse:
        return self._loop_thread.run(self.amoderation(input, model, **kwargs))

    async def aimage_generation(self, prompt: str, model: str | None = None, **params: Any) -> ImageResponse:
        """Without `model`, a Router's first image-generation group answers (a Client needs one)."""
        return await self._one_shot(IMAGE_GENERATION, {**params, "model": model, "prompt": prompt})

    def image_generation(self, prompt: str, model: str | None = None, **kwargs: Any) -> ImageResponse:
        return self._loop_thread.run(self.aimage_generation(prompt, model, **kwargs))

    async def aspeech(self, model: str, input: str, voice: str, **params: Any) -> SpeechResponse:
        """Text to speech: the audio (`.content` bytes, `.stream_to_file(path)`). Keywords: OpenAI's
        `response_format`, `speed`, `instructions`, and the call options."""
        return await self._one_shot(SPEECH, {**params, "model": model, "input": input, "voice": voice})

    def speech(self, model: str, input: str, voice: str, **kwargs: Any) -> SpeechResponse:
        return self._loop_thread.run(self.aspeech(model, input, voice, **kwargs))

    async def aimage_variation(self, image: Any, model: str | None = None, **params: Any) -> ImageResponse:
        """Variations of `image` (bytes, a path, an open binary file or `(filename, bytes)`): OpenAI's
        `n`, `size`, `response_format`, `user`. Without `model`, a Client asks for dall-e-2."""
        fields = {**params, "model": model, "image": as_upload(image, "image")}
        return await self._one_shot(IMAGE_VARIATION, fields)

    def image_variation(self, image: Any, model: str | None = None, **kwargs: Any) -> ImageResponse:
        return self._loop_thread.run(self.aimage_variation(image, model, **kwargs))

    async def aimage_edit(
        self, image: Any, prompt: str, model: str | None = None, **params: Any
    ) -> ImageResponse:
        """Edit `image` (a file as for image_variation, or a list of them) as `prompt` says: OpenAI's
        `mask` (a file), `n`, `size`, `quality`, `response_format`, `user`. Without `model`, a
        Client asks for dall-e-2."""
        files = (
            [as_upload(i, "image") for i in image] if isinstance(image, list) else as_upload(image, "image")
        )
        fields = {**params, "model": model, "image": files, "prompt": prompt}
        if params.get("mask") is not None:
            fields["mask"] = as_upload(params["mask"], "mask")
        return await self._one_shot(IMAGE_EDIT, fields)

    def image_edit(self, image: Any, prompt: str, model: str | None = None, **kwargs: Any) -> ImageResponse:
        return self._loop_thread.run(self.aimage_edit(image, prompt, model, **kwargs))

    async def atranscription(self, model: str | None, file: Any, **params: Any) -> TranscriptionResponse:
        """Speech to text of `file` (bytes, a path, an open binary file or `(filename, bytes)`; at
        most 25 MB): OpenAI's `language`, `prompt`, `response_format` (json, text, srt,
        verbose_json, vtt: `.text` holds a text format's body), `temperature`,
        `timestamp_granularities`. With `model=None`, a Client asks for whisper-1."""
        fields = {**params, "model": model, "file": as_upload(file, "file")}
        return await self._one_shot(TRANSCRIPTION, fields)

    def transcription(self, model: str | None, file: Any, **kwargs: Any) -> TranscriptionResponse:
        return self._loop_thread.run(self.atranscription(model, file, **kwargs))

    async def atranslation(self, model: str | None, file: Any, **params: Any) -> TranscriptionResponse:
        """Speech in any language to English text: as `atranscription`, with `prompt`,
        `response_format` and `temperature`."""
        fields = {**params, "model": model, "file": as_upload(file, "file")}
        return await self._one_shot(TRANSLATION, fields)

    def translation(self, model: str | None, file: Any, **kwargs: Any) -> TranscriptionResponse:
        return self._loop_thread.run(self.atranslation(model, file, **kwargs))


class KeywordCalls(OneShotCalls, StoredResponses):
    """The keyword API of a Router (mixed into it): each call becomes a `Call` for `route`. The
    Router makes `_response_store`, the Responses its `aresponses` stored."""

    @abstractmethod
    async def route(self, call: Call[Any]) -> Any:
        """Route one call (Router.route)."""

    async def _one_shot(self, operation: Operation[Any, R], params: dict[str, Any]) -> R:
        routing = _take_routing(params, operation.call_type)
        metadata = params.pop("metadata", None)
        request = build_request(operation.request_type, params)
        result: R = await self.route(Call(operation, request, _context(routing, metadata)))
        return with_hidden_params(result)

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
        for acompletion; stored in this router's bounded memory unless store=False."""
        return await run_responses(self.acompletion, model, input, stream, params, self._response_store)

    def responses(self, model: str, input: Any, **kwargs: Any) -> Response | SyncResponsesStream:
        result = self._loop_thread.run(self.aresponses(model, input, **kwargs))
        if isinstance(result, ResponsesStream):
            return SyncResponsesStream(result, self._loop_thread)
        return result

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
