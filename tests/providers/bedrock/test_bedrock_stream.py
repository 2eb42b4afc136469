"""ConverseStream decoding: binary event-stream frames → canonical chunks (the same however split:
tests/conformance, with this transcript recorded there); exception events, cut streams and corrupt
frames → the right errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmrelay.providers.bedrock.stream import BedrockStreamDecoder
from llmrelay.testing.bedrock_wire import event, exception, frame
from llmrelay.testing.stream_splits import decoding_with, split_at
from llmrelay.types import errors
from llmrelay.types.response import ChatChunk

MODEL = "bedrock/anthropic.claude-3-7-sonnet-20250219-v1:0"


def ev(name: str, payload: dict[str, Any]) -> bytes:
    return event(name, json.dumps(payload).encode())


def delta(index: int, value: dict[str, Any]) -> bytes:
    return ev("contentBlockDelta", {"delta": value, "contentBlockIndex": index})


TRANSCRIPT = b"".join(
    [
        ev("messageStart", {"role": "assistant"}),
        delta(0, {"reasoningContent": {"text": "Thinking é"}}),
        delta(0, {"reasoningContent": {"text": " about it"}}),
        delta(0, {"reasoningContent": {"signature": "sig-abc"}}),
        ev("contentBlockStop", {"contentBlockIndex": 0}),
        delta(1, {"text": "Checking "}),
        delta(1, {"text": "the weather ☀"}),
        ev("contentBlockStop", {"contentBlockIndex": 1}),
        ev(
            "contentBlockStart",
            {"start": {"toolUse": {"toolUseId": "tooluse_a", "name": "get_weather"}}, "contentBlockIndex": 2},
        ),
        delta(2, {"toolUse": {"input": '{"city": '}}),
        delta(2, {"toolUse": {"input": '"Paris"}'}}),
        ev("contentBlockStop", {"contentBlockIndex": 2}),
        ev(
            "contentBlockStart",
            {"start": {"toolUse": {"toolUseId": "tooluse_b", "name": "get_time"}}, "contentBlockIndex": 3},
        ),
        delta(3, {"toolUse": {"input": "{}"}}),
        ev("contentBlockStop", {"contentBlockIndex": 3}),
        ev("messageStop", {"stopReason": "tool_use"}),
        ev(
            "metadata",
            {
                "usage": {
                    "inputTokens": 12,
                    "outputTokens": 30,
                    "totalTokens": 47,
                    "cacheReadInputTokens": 5,
                },
                "metrics": {"latencyMs": 400},
            },
        ),
    ]
)


def decoder() -> BedrockStreamDecoder:
    return BedrockStreamDecoder(MODEL, created=1700000000, chunk_id="chatcmpl-test")


decode = decoding_with(decoder)


def test_transcript_decodes_to_openai_chunks() -> None:
    chunks: list[ChatChunk] = decode([TRANSCRIPT])
    assert all(c.id == "chatcmpl-test" and c.model == MODEL for c in chunks)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert deltas[0].role == "assistant"
    assert "".join(d.reasoning_content or "" for d in deltas) == "Thinking é about it"
    assert [b for d in deltas for b in d.thinking_blocks or ()] == [
        {"type": "thinking", "thinking": "", "signature": "sig-abc"}
    ]
    assert "".join(d.content or "" for d in deltas) == "Checking the weather ☀"
    calls: dict[int, dict[str, str]] = {}
    for d in deltas:
        for call in d.tool_calls or ():
            entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += call.id or ""
            assert call.function is not None
            entry["name"] += call.function.name or ""
            entry["arguments"] += call.function.arguments or ""
    assert calls == {
        0: {"id": "tooluse_a", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        1: {"id": "tooluse_b", "name": "get_time", "arguments": "{}"},
    }
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens, last.usage.cached_tokens) == (17, 30, 5)


# (throttlingException: tests/conformance/test_conformance_stream_errors.py, for every adapter)
@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("validationException", errors.BadRequestError),
        ("serviceUnavailableException", errors.ServiceUnavailableError),
        ("internalServerException", errors.InternalServerError),
        ("modelStreamErrorException", errors.InternalServerError),
    ],
)
def test_exception_events_raise_their_error(name: str, cls: type[errors.LLMError]) -> None:
    data = (
        ev("messageStart", {"role": "assistant"})
        + delta(0, {"text": "Hi"})
        + exception(name, json.dumps({"message": "went wrong", "originalStatusCode": 500}).encode())
    )
    d = decoder()
    with pytest.raises(cls, match="went wrong") as caught:
        for piece in split_at(data, [7, 40, 99]):
            d.feed(piece)
    assert type(caught.value) is cls
    assert caught.value.provider == "bedrock"


def test_a_throttle_mid_stream_is_retryable() -> None:
    data = exception(
        "throttlingException", b'{"message": "Too many tokens, please wait before trying again."}'
    )
    with pytest.raises(errors.RateLimitError) as caught:
        decoder().feed(data)
    assert caught.value.status_code == 429


def test_stream_cut_between_events_or_inside_one() -> None:
    head = ev("messageStart", {"role": "assistant"}) + delta(0, {"text": "Hi"})
    d = decoder()
    d.feed(head)
    with pytest.raises(errors.APIConnectionError, match="before messageStop"):
        d.end()
    d = decoder()
    d.feed(head + ev("messageStop", {"stopReason": "end_turn"})[:10])
    with pytest.raises(errors.APIConnectionError, match="middle of an event"):
        d.end()


def test_a_stream_without_metadata_still_ends_cleanly() -> None:
    data = ev("messageStart", {"role": "assistant"}) + ev("messageStop", {"stopReason": "max_tokens"})
    chunks = decode([data])
    assert chunks[-1].choices[0].finish_reason == "length"
    assert all(c.usage is None for c in chunks)


def test_corrupt_frames_are_server_errors() -> None:
    good = delta(0, {"text": "x"})
    bad_crc = good[:-4] + bytes(4)
    with pytest.raises(errors.InternalServerError, match="ChecksumMismatch"):
        decoder().feed(bad_crc)
    with pytest.raises(errors.InternalServerError, match="malformed Bedrock contentBlockDelta"):
        decoder().feed(event("contentBlockDelta", b"{not json"))


def test_unknown_events_are_skipped_and_error_messages_raise() -> None:
    data = ev("messageStart", {"role": "assistant"}) + ev("somethingNew", {"x": 1})
    assert len(decode([data + ev("messageStop", {"stopReason": "end_turn"})])) == 2
    error = frame({":message-type": "error", ":error-code": "InternalFailure", ":error-message": "oops"}, b"")
    with pytest.raises(errors.InternalServerError, match="oops"):
        decoder().feed(error)


def test_tool_input_for_an_unknown_block_is_an_error() -> None:
    with pytest.raises(errors.InternalServerError, match="never started"):
        decoder().feed(delta(5, {"toolUse": {"input": "{}"}}))
