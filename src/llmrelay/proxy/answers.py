"""Gateway response headers and OpenAI-dialect answers (bodies, errors, stream events)."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.core.streaming import ChatStream
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, ChatResponse, hidden_params
from llmrelay.wire.sse import DONE

_HEADER_FIELDS = (
    ("x-llmrelay-model", "model"),
    ("x-llmrelay-provider", "provider"),
    ("x-llmrelay-deployment", "deployment_id"),
    ("x-llmrelay-model-group", "model_group"),
    ("x-llmrelay-fallback", "fallback_from"),
    ("x-llmrelay-attempts", "attempts"),
    ("x-litellm-cache-key", "cache_key"),
)


def gateway_headers(params: dict[str, Any], *, with_cost: bool = True) -> list[tuple[str, str]]:
    """What served the call, from the answer's hidden params (set by the engine and the router)."""
    headers = [(name, str(params[key])) for name, key in _HEADER_FIELDS if params.get(key) is not None]
    if with_cost and params.get("cost_micros") is not None:
        headers.append(("x-llmrelay-cost", f"{params['cost_micros'] / 1_000_000:.6f}"))
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
