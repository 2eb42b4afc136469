"""Replicate answers read without a network: finished predictions (token counts reported or
estimated), failed ones, error bodies, and the SSE stream's errors, cuts and cancels (a whole recorded
stream, split at random, is tests/conformance's)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from llmrelay.cost.tokens import count_text
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.providers.replicate.stream import ReplicateStreamDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyViolationError,
    ContextWindowExceededError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import hidden_params

MODEL = "meta/meta-llama-3-8b-instruct"
REQUEST = msgspec.convert(
    {"model": f"replicate/{MODEL}", "messages": [{"role": "user", "content": "Tell me about otters"}],
     "max_tokens": 8},
    ChatRequest,
)  # fmt: skip
adapter = ProviderRegistry().get("replicate")


def answer(**prediction: Any) -> HttpResponse:
    body = {"id": "p1", "model": MODEL, "status": "succeeded", **prediction}
    return HttpResponse(status=201, body=msgspec.json.encode(body))


def test_output_pieces_are_joined_and_reported_usage_is_used() -> None:
    metrics = {"input_token_count": 12, "output_token_count": 4, "predict_time": 0.2}
    result = adapter.parse_chat(answer(output=["Otters", " are", " playful", "."], metrics=metrics), REQUEST)
    assert result.choices[0].message.content == "Otters are playful."
    assert result.choices[0].finish_reason == "stop" and result.model == MODEL and result.id == "p1"
    usage = result.usage
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (12, 4)
    assert hidden_params(result)["usage_estimated"] is False


def test_usage_is_estimated_when_not_reported() -> None:
    result = adapter.parse_chat(answer(output="Otters are playful.", metrics={"predict_time": 1.0}), REQUEST)
    assert result.usage is not None
    assert result.usage.prompt_tokens == count_text("Tell me about otters", MODEL)
    assert result.usage.completion_tokens == count_text("Otters are playful.", MODEL)
    assert hidden_params(result)["usage_estimated"] is True


def test_output_at_the_cap_finishes_for_length() -> None:
    metrics = {"input_token_count": 3, "output_token_count": 8}
    result = adapter.parse_chat(answer(output=["a"] * 8, metrics=metrics), REQUEST)
    assert result.choices[0].finish_reason == "length"


@pytest.mark.parametrize(
    ("status", "error", "cls"),
    [
        ("failed", "CUDA error: out of memory", InternalServerError),
        ("failed", "Prompt (9000 tokens) exceeds the maximum context length", ContextWindowExceededError),
        ("failed", "The input was flagged by the safety checker", ContentPolicyViolationError),
        ("canceled", None, InternalServerError),
    ],
)  # fmt: skip
def test_unsuccessful_predictions(status: str, error: str | None, cls: type[Exception]) -> None:
    with pytest.raises(cls) as info:
        adapter.parse_chat(answer(status=status, error=error, output=None), REQUEST)
    assert status in str(info.value)


def test_malformed_prediction() -> None:
    with pytest.raises(InternalServerError, match="malformed prediction"):
        adapter.parse_chat(HttpResponse(status=201, body=b'{"status": 3}'), REQUEST)


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (401, {"title": "Unauthenticated", "detail": "You did not pass a valid token", "status": 401},
         AuthenticationError, "Unauthenticated: You did not pass a valid token"),
        (404, {"title": "Not found", "detail": "The requested resource could not be found", "status": 404},
         NotFoundError, "could not be found"),
        (422, {"title": "Input validation failed", "detail": "- input.max_tokens: Must be >= 1"},
         BadRequestError, "Input validation failed: - input.max_tokens: Must be >= 1"),
        (429, {"detail": "Request was throttled. Expected available in 3 seconds.", "status": 429},
         RateLimitError, "throttled"),
        (502, b"<html>Bad gateway</html>", InternalServerError, "Bad gateway"),
    ],
)  # fmt: skip
def test_error_bodies(status: int, body: Any, cls: type[Exception], message: str) -> None:
    raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
    error = adapter.classify_error(status, {"retry-after": "3"}, raw)
    assert isinstance(error, cls) and message in str(error) and error.provider == "replicate"
    if status == 429:
        assert error.retry_after == 3


# ---- the stream
def event(name: str, event_id: int, data: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {name}\nid: {event_id}\n{lines}\n".encode()


def new_decoder() -> ReplicateStreamDecoder:
    return ReplicateStreamDecoder(MODEL, "Tell me about otters", 100, prediction_id="chatcmpl-1", created=1)


# a whole recorded stream (the pieces joined, role first, finish "stop", the estimated usage alone on
# the last chunk) is tests/conformance/recorded/replicate/stream.sse, pinned by its golden file


# (a stream ending in an error event: checked for every adapter in
# tests/conformance/test_conformance_stream_errors.py)


def test_stream_error_event_in_plain_text_and_context_window() -> None:
    with pytest.raises(ContextWindowExceededError):
        new_decoder().feed(event("error", 0, "Prompt exceeds the maximum context length"))


def test_stream_cut_before_done() -> None:
    decoder = new_decoder()
    decoder.feed(event("output", 0, "Otters"))
    with pytest.raises(APIConnectionError, match="cut"):
        decoder.end()


def test_canceled_stream() -> None:
    with pytest.raises(InternalServerError, match="canceled"):
        new_decoder().feed(event("output", 0, "Otters") + event("done", 1, '{"reason": "canceled"}'))
