"""The OpenAI-compatible routes: chat completions, completions, embeddings, models, and LiteLLM's
rerank (Cohere's shape), moderations, images (generations, variations, edits), speech, and
transcriptions and translations."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from llmrelay.calls.call import Call
from llmrelay.calls.context import CallContext, TraceContext
from llmrelay.calls.finisher import finish_stream
from llmrelay.calls.operation import (
    CHAT,
    EMBEDDING,
    IMAGE_EDIT,
    IMAGE_GENERATION,
    IMAGE_VARIATION,
    MODERATION,
    OPERATIONS,
    RERANK,
    SPEECH,
    TEXT_COMPLETION,
    TRANSCRIPTION,
    TRANSLATION,
    Operation,
)
from llmrelay.calls.principal import Principal
from llmrelay.core.controls import call_with_fallbacks
from llmrelay.core.streaming import ChatStream
from llmrelay.core.text_stream import TextStream, text_chunk_of_chat
from llmrelay.proxy.answers import OpenAIChatAnswerer, OpenAIStreamEncoder, openai_error_body, result_headers
from llmrelay.proxy.body_controls import take_body_controls, take_drop_params
from llmrelay.proxy.decode import BodyDecoder
from llmrelay.proxy.hold_end import closed_early
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.proxy.multipart import FormDecoder
from llmrelay.proxy.relay import answer_chat
from llmrelay.proxy.route_table import Handler, RouteSpec, call_route, takes_files
from llmrelay.proxy.state import GatewayState
from llmrelay.types.audio import TEXT_CONTENT_TYPES, TranscriptionResponse
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse
from llmrelay.types.errors import LLMError, NotFoundError
from llmrelay.types.response import ChatChunk, ChatResponse
from llmrelay.wire.sse import DONE

R = TypeVar("R")


def call_context(
    req: Request,
    principal: Principal,
    client_metadata: dict[str, Any] | None,
    drop_params: bool | None = None,
) -> CallContext:
    """What the chain (gate, cache, router) and the callbacks learn about the call besides its body
    (never the key itself). `drop_params`: the body's own (take_drop_params), None for the gateway's."""
    # W3C trace context: the OpenTelemetry sink makes the call's span a child of the caller's (the
    # header wins over a `traceparent` the client put in the body's metadata)
    traceparent = req.header("traceparent")
    trace = TraceContext(traceparent, req.header("tracestate") or None) if traceparent else None
    return CallContext(
        principal=principal,
        request_id=req.request_id,
        endpoint=req.path,
        tags=request_tags(client_metadata) if client_metadata else _NO_TAGS,
        trace=trace,
        client_metadata=client_metadata,
        drop_params=drop_params,
    )


_NO_TAGS: frozenset[str] = frozenset()


def request_tags(metadata: dict[str, Any] | None) -> frozenset[str]:
    tags = metadata.get("tags") if metadata else None
    return frozenset(str(t) for t in tags) if isinstance(tags, list) else _NO_TAGS


class OpenAIRoutes:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self._answerer = OpenAIChatAnswerer()
        # the call types' routes: what the app serves and documents (proxy/route_table.py)
        whole = self._answers_whole
        self.routes: tuple[RouteSpec, ...] = (
            call_route("/v1/chat/completions", CHAT, self.chat_completions,
                       "Chat completion (OpenAI dialect), any configured model"),
            call_route("/v1/completions", TEXT_COMPLETION, self.completions, "Legacy text completion"),
            call_route("/v1/embeddings", EMBEDDING, whole(EMBEDDING), "Embeddings"),
            call_route("/v1/rerank", RERANK, whole(RERANK),
                       "Rerank documents by relevance to a query (Cohere's shape)"),
            call_route("/v1/moderations", MODERATION, whole(MODERATION),
                       "Moderation; without `model`, the first moderation group"),
            call_route("/v1/images/generations", IMAGE_GENERATION, whole(IMAGE_GENERATION),
                       "Image generation"),
            # the answer: the audio, of the `response_format` asked
            call_route("/v1/audio/speech", SPEECH, self.speech, "Text to speech", content_type="audio/*"),
            call_route("/v1/images/variations", IMAGE_VARIATION, whole(IMAGE_VARIATION),
                       "Variations of an image (multipart/form-data; dall-e-2)"),
            call_route("/v1/images/edits", IMAGE_EDIT, whole(IMAGE_EDIT),
                       "Edit images from a prompt (multipart/form-data: `image` or `image[]`, `mask`)"),
            # the answer: JSON, or the transcript as text for `text`, `srt` and `vtt`
            call_route("/v1/audio/transcriptions", TRANSCRIPTION, self.transcript(TRANSCRIPTION),
                       "Speech to text (multipart/form-data: the audio `file`, at most 25 MB)"),
            call_route("/v1/audio/translations", TRANSLATION, self.transcript(TRANSLATION),
                       "Speech in any language to English text (multipart/form-data, at most 25 MB)"),
        )  # fmt: skip
        # one body decoder per call type (msgspec decoders are built once); each enforces its
        # request type's limits as 400s naming the field
        self._decoders: dict[str, Decode] = {
            op.name: _decoder(op.request_type) for op in OPERATIONS if op not in (CHAT, TEXT_COMPLETION)
        }

    async def chat_completions(self, req: Request, principal: Principal) -> None:
        state = self.state
        request = state.chat_decoder.decode(await req.body(state.body_limit))
        await self.serve_chat(req, principal, request)

    async def serve_chat(self, req: Request, principal: Principal, request: ChatRequest) -> None:
        state = self.state
        # LiteLLM's controls come in the body's unknown fields: nothing to take without any (taken
        # first: their callback metadata joins request.metadata)
        drop_params = take_drop_params(request) if request.extra_body else None
        controls = take_body_controls(request) if request.extra_body else None
        context = call_context(req, principal, request.metadata, drop_params)
        if controls is not None and controls.wants_fallbacks():

            def route(model: str, _: dict[str, Any]) -> Awaitable[ChatResponse | ChatStream]:
                # per-call fallbacks name model groups only (body_controls refuses other fields)
                attempt = request if model == request.model else msgspec.structs.replace(request, model=model)
                return state.call(Call(CHAT, attempt, context))

            call = state.within_deadline(call_with_fallbacks(route, request.model, {}, controls))
        else:
            call = state.within_deadline(state.call(Call(CHAT, request, context)))
        if not request.stream:
            result = await call
            if isinstance(result, ChatResponse):
                self._answerer.respond(req, result)
                return
            await answer_chat(req, _settled(result), self._answerer, OpenAIStreamEncoder, state.keepalive)
            return
        # an OpenAI-speaking upstream's stream goes out as its own bytes (see core/sse_relay.py)
        await answer_chat(req, call, self._answerer, OpenAIStreamEncoder, state.keepalive, "openai")

    async def completions(self, req: Request, principal: Principal) -> None:
        state = self.state
        request = state.text_decoder.decode(await req.body(state.body_limit))
        call = state.within_deadline(
            state.call(
                Call(TEXT_COMPLETION, request, call_context(req, principal, None, take_drop_params(request)))
            )
        )
        if request.stream:
            # relayed like a chat stream (keep-alives, errors, disconnects), in text-completion chunks
            stream = _chat_stream_of(call, request)
            await answer_chat(req, stream, self._answerer, OpenAITextStreamEncoder, state.keepalive)
            return
        result = await call
        if isinstance(result, TextStream):  # a router that streamed unasked: hand it out whole
            result = await _drained(result)
        req.send_json(200, JSON_ENCODER.encode(result), result_headers(result))

    async def speech(self, req: Request, principal: Principal) -> None:
        """Text-to-speech: the answer is the audio's bytes, sent with their content type."""
        result = await self._route(req, principal, SPEECH)
        req.send_body(200, ("content-type", result.content_type), result.content, result_headers(result))

    def transcript(self, operation: Operation[Any, TranscriptionResponse]) -> Handler:
        """Speech to text: JSON for the JSON formats, else the transcript as text of its format."""

        async def answer(req: Request, principal: Principal) -> None:
            request, result = await self._call(req, principal, operation)
            content_type = TEXT_CONTENT_TYPES.get(request.response_format or "json")
            if content_type is None:
                req.send_json(200, JSON_ENCODER.encode(result), result_headers(result))
            else:
                req.send_body(
                    200, ("content-type", content_type), result.text.encode(), result_headers(result)
                )

        return answer

    def _answers_whole(self, operation: Operation[Any, Any]) -> Handler:
        """The handler of a call type answered in one piece, as JSON."""

        async def answer(req: Request, principal: Principal) -> None:
            result = await self._route(req, principal, operation)
            req.send_json(200, JSON_ENCODER.encode(result), result_headers(result))

        return answer

    async def _route(self, req: Request, principal: Principal, operation: Operation[Any, R]) -> R:
        """The body decoded into the row's request type, the call routed through the chain."""
        return (await self._call(req, principal, operation))[1]

    async def _call(self, req: Request, principal: Principal, operation: Operation[Any, R]) -> tuple[Any, R]:
        """The request decoded from the body, and its call's answer."""
        state = self.state
        body = await req.body(state.body_limit)
        request = self._decoders[operation.name](body, req.header("content-type"))
        call = Call(operation, request, call_context(req, principal, None, take_drop_params(request)))
        return request, await state.within_deadline(state.call(call))

    async def list_models(self, req: Request, principal: Principal) -> None:
        data = [_model_card(name) for name in self._visible_models(principal)]
        req.send_json(200, JSON_ENCODER.encode({"object": "list", "data": data}))

    async def get_model(self, req: Request, principal: Principal, model_id: str) -> None:
        if model_id not in self._visible_models(principal):
            error = NotFoundError(f"model {model_id!r} not found", code="model_not_found", param="model")
            req.send_error(error, openai_error_body(error))
            return
        req.send_json(200, JSON_ENCODER.encode(_model_card(model_id)))

    def _visible_models(self, principal: Principal) -> list[str]:
        router = self.state.router
        names = router.model_names()
        allowed = principal.models
        if allowed is None:
            return names
        # an alias is visible to a key allowed the group it stands for (as it may call it)
        return [n for n in names if n in allowed or router.alias_target(n) in allowed]


# a route's body (and its content type) → the call type's request
Decode = Callable[[bytes, "str | None"], Any]


def _decoder(request_type: type[Any]) -> Decode:
    """JSON, or multipart/form-data for a request that takes a file (proxy/multipart.py)."""
    if takes_files(request_type):
        return FormDecoder(request_type).decode
    decoder = BodyDecoder(request_type)
    return lambda body, _: decoder.decode(body)


async def _settled(stream: ChatStream) -> ChatStream:
    return stream


class OpenAITextStreamEncoder:
    """text_completion chunks, `data: [DONE]` at the end; an error as `data: {"error": ...}`."""

    __slots__ = ("_chat",)

    def __init__(self) -> None:
        self._chat = OpenAIStreamEncoder()

    def chunk(self, chunk: ChatChunk) -> bytes:
        text = text_chunk_of_chat(chunk)
        return b"" if text is None else b"data: " + JSON_ENCODER.encode(text) + b"\n\n"

    def error(self, error: LLMError) -> bytes:
        return self._chat.error(error)

    def end(self) -> bytes:
        return DONE


async def _chat_stream_of(
    call: Awaitable[TextCompletionResponse | TextStream], request: TextCompletionRequest
) -> ChatStream:
    """The chat stream under a text stream, which the relay sends through a text encoder; a
    router that answered whole is relayed as a stream of one chunk."""
    result = await call
    if not isinstance(result, TextStream):
        result = await TextStream.of_response(result, request)
    return result.chat_stream


async def _drained(stream: TextStream) -> TextCompletionResponse:
    # read to its end here rather than relayed: its finishers (a keyed call's spend) run here too
    error: LLMError | None = None
    try:
        async with stream:
            async for _ in stream:
                pass
    except LLMError as exc:
        error = exc
        raise
    except BaseException:
        error = closed_early()
        raise
    finally:
        await finish_stream(stream.chat_stream, error)
    return stream.response()


def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": _STARTED, "owned_by": "llmrelay"}


# shown as every model's creation time: the gateway has no better date for a configured group
_STARTED = int(time.time())
