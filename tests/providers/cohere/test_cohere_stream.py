"""The Cohere v2 stream decoder on transcripts of the documented event sequence (tests/fixtures/cohere/
streams): text, tool plan + tool calls, thinking (split at random in tests/conformance); usage from
message-end; cut streams and in-stream errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmrelay.providers.cohere import CohereProvider
from llmrelay.providers.cohere.stream import CohereStreamDecoder
from llmrelay.testing.stream_splits import decoding_with
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.response import ChatChunk

STREAMS = Path(__file__).parents[2] / "fixtures" / "cohere" / "streams"


def transcript(name: str) -> bytes:
    return (STREAMS / f"{name}.sse").read_bytes()


def new_decoder() -> CohereStreamDecoder:
    return CohereStreamDecoder("cohere", "command-a-03-2025", created=1700000000)


decode = decoding_with(new_decoder)


def event(name: str, payload: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()


def test_adapter_builds_this_decoder() -> None:
    request = ChatRequest(model="cohere/command-a-03-2025", messages=[Message(role="user", content="x")])
    assert isinstance(CohereProvider().chat_stream_decoder(request), CohereStreamDecoder)


# text.sse decodes as tests/conformance/golden/cohere/stream.json says (role once, the text, finish
# "stop", one id, the billed usage alone on the last chunk)


def test_tool_calls_stream_with_plan() -> None:
    chunks = decode([transcript("tool_call")])
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "I will look up the weather."
    deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or ()]
    starts = [d for d in deltas if d.id]
    assert [(d.index, d.id, d.type, d.function and d.function.name) for d in starts] == [
        (0, "get_weather_nsz5zm3w56q3", "function", "get_weather"),
        (1, "get_time_k1c9a2", "function", "get_time"),
    ]
    arguments = {0: "", 1: ""}
    for d in deltas:
        arguments[d.index] += (d.function.arguments if d.function else None) or ""
    assert json.loads(arguments[0]) == {"location": "Toronto"} and json.loads(arguments[1]) == {}
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 37


def test_thinking_stream_is_reasoning_content() -> None:
    chunks = decode([transcript("thinking")])
    reasoning = "".join(c.choices[0].delta.reasoning_content or "" for c in chunks if c.choices)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert reasoning == "The user asks for a sum." and text == "4"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["length"]
    usage = chunks[-1].usage
    assert usage is not None and usage.cached_tokens == 3


def test_crlf_framing_decodes_alike() -> None:
    data = transcript("text")
    assert decode([data.replace(b"\n", b"\r\n")]) == decode([data])


@pytest.mark.parametrize("cut_at", [0.3, 0.6, 0.95])
def test_stream_cut_before_message_end_is_a_connection_error(cut_at: float) -> None:
    data = transcript("text")
    decoder = new_decoder()
    decoder.feed(data[: int(len(data) * cut_at)])
    with pytest.raises(errors.APIConnectionError, match=r"before message-end|middle of an event"):
        decoder.end()


# (a stream ending in a message-end error: checked for every adapter in
# tests/conformance/test_conformance_stream_errors.py)


def test_too_many_tokens_in_stream_is_a_context_window_error() -> None:
    data = event(
        "message-end", {"type": "message-end", "delta": {"error": "too many tokens: prompt too long"}}
    )
    with pytest.raises(errors.ContextWindowExceededError):
        new_decoder().feed(data)


def test_malformed_event_is_a_server_error() -> None:
    with pytest.raises(errors.InternalServerError, match="malformed stream event"):
        new_decoder().feed(b"event: content-delta\ndata: {not json\n\n")


def test_tool_call_delta_without_start_is_malformed() -> None:
    data = event(
        "tool-call-delta",
        {
            "type": "tool-call-delta",
            "index": 0,
            "delta": {"message": {"tool_calls": {"function": {"arguments": "{"}}}},
        },
    )
    with pytest.raises(errors.InternalServerError, match="before any tool-call-start"):
        new_decoder().feed(data)


def test_unknown_and_citation_events_are_skipped() -> None:
    data = transcript("text").replace(
        b"event: content-end",
        event(
            "citation-start", {"type": "citation-start", "index": 0, "delta": {"message": {"citations": {}}}}
        )
        + event("debug", {"type": "debug", "prompt": "x"})
        + b"event: content-end",
        1,
    )
    assert decode([data]) == decode([transcript("text")])


def test_message_end_without_usage_gives_no_usage_chunk() -> None:
    data = event("message-start", {"type": "message-start", "id": "m1"}) + event(
        "message-end", {"type": "message-end", "delta": {"finish_reason": "COMPLETE"}}
    )
    chunks: list[ChatChunk] = decode([data])
    assert len(chunks) == 1 and chunks[0].choices[0].finish_reason == "stop" and chunks[0].usage is None
    assert chunks[0].choices[0].delta.role == "assistant"
