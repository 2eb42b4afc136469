"""Gateway response headers and OpenAI-dialect answers (bodies, errors, stream events)."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.core.streaming import ChatStream
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, ChatResponse, hidden_params
from llmrelay.wire.sse import DONE


def gateway_headers(params: dict[str, Any], *, with_cost: bool = True) -> list[tuple[str, str]]:
    """What served the call, from the answer's hidden params (set by the engine and the router).
    Spelled out field by field rather than looped over a table: it runs for every answer, and the
    loop's own steps cost more than the lookups."""
    get = params.get
    headers: list[tuple[str, str]] = []
    add = headers.append
    if (value := get("model")) is not None:
        add(("x-llmrelay-model", str(value)))
    if (value := get("provider")) is not None:
        add(("x-llmrelay-provider", str(value)))
    if (value := get("deployment_id")) is not None:
        add(("x-llmrelay-deployment", str(value)))
    if (value := get("model_group")) is not None:
        add(("x-llmrelay-model-group", str(value)))
    if (value := get("fallback_from")) is not None:
        add(("x-llmrelay-fallback", str(value)))
    if (value := get("attempts")) is not None:
        add(("x-llmrelay-attempts", str(value)))
    if (value := get("cache_key")) is not None:
        add(("x-litellm-cache-key", str(value)))
    if with_cost and (value := get("cost_micros")) is not None:
        add(("x-llmrelay-cost", f"{value / 1_000_000:.6f}"))
    return headers


def result_headers(result: msgspec.Struct) -> list[tuple[str, str]]:
    return gateway_headers(hidden_params(result))


def openai_error_body(error: LLMError) -> bytes:
    return JSON_ENCODER.encode(error.to_openai_body())


class HeaderedAnswerer:
    """What every dialect's answerer shares: a stream's head carries the routing headers (no cost:
    it is known only at the end)."""

    __slots__ = ()

    def stream_headers(self, stream: ChatStream | None) -> list[tuple[str, str]]:
        if stream is None:
            return []
        return gateway_headers(stream.hidden_params, with_cost=False)


class OpenAIChatAnswerer(HeaderedAnswerer):
    """Non-streamed answers and errors of /v1/chat/completions."""

    def respond(self, req: Request, result: ChatResponse) -> None:
        req.send_json(200, JSON_ENCODER.encode(result), result_headers(result))

    def respond_error(self, req: Request, error: LLMError) -> None:
        req.send_error(error, openai_error_body(error))


class OpenAIStreamEncoder:
    """chat.completion.chunk events, `data: [DONE]` at the end; an error as `data: {"error": ...}`."""

    __slots__ = ()

    def chunk(self, chunk: ChatChunk) -> bytes:
        return b"data: " + JSON_ENCODER.encode(chunk) + b"\n\n"

    def error(self, error: LLMError) -> bytes:
        return b"data: " + openai_error_body(error) + b"\n\n"

    def end(self) -> bytes:
        return DONE
