"""Gateway response headers and OpenAI-dialect answers (bodies, errors, stream events)."""

from __future__ import annotations

from llmrelay.calls.served import NOT_SERVED, Served, served_of
from llmrelay.core.streaming import ChatStream
from llmrelay.proxy.http import JSON_ENCODER, Request
from llmrelay.types.errors import LLMError
from llmrelay.types.response import ChatChunk, ChatResponse
from llmrelay.wire.sse import DONE


def gateway_headers(served: Served, *, with_cost: bool = True) -> list[tuple[str, str]]:
    """What served the call (set by the engine, the router and the response cache); nothing for an
    answer no record came with. Spelled out field by field rather than looped over a table: it runs
    for every answer, and the loop's own steps cost more than the lookups."""
    if served is NOT_SERVED:
        return []
    headers: list[tuple[str, str]] = []
    add = headers.append
    if served.model is not None:
        add(("x-llmrelay-model", served.model))
    if served.provider is not None:
        add(("x-llmrelay-provider", served.provider))
    if served.deployment_id is not None:
        add(("x-llmrelay-deployment", served.deployment_id))
    if served.model_group is not None:
        add(("x-llmrelay-model-group", served.model_group))
    if served.fallback_from is not None:
        add(("x-llmrelay-fallback", served.fallback_from))
    if not served.cache_hit:  # a cached answer took no attempt
        add(("x-llmrelay-attempts", str(served.attempts)))
    if served.cache_key is not None:
        add(("x-litellm-cache-key", served.cache_key))
    if with_cost:
        add(("x-llmrelay-cost", f"{served.cost_micros / 1_000_000:.6f}"))
    return headers


def result_headers(result: object) -> list[tuple[str, str]]:
    return gateway_headers(served_of(result))


def openai_error_body(error: LLMError) -> bytes:
    return JSON_ENCODER.encode(error.to_openai_body())


class HeaderedAnswerer:
    """What every dialect's answerer shares: a stream's head carries the routing headers (no cost:
    it is known only at the end)."""

    __slots__ = ()

    def stream_headers(self, stream: ChatStream | None) -> list[tuple[str, str]]:
        if stream is None:
            return []
        return gateway_headers(served_of(stream), with_cost=False)


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
