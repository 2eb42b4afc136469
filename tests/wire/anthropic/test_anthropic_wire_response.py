"""Outbound Anthropic dialect: response bodies, SSE stream encoding (checked by decoding it again with
the Anthropic adapter's decoder and with the official SDK's accumulator), and error bodies/events."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.anthropic import AnthropicProvider, AnthropicStreamDecoder
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.http import HttpResponse
from llmrelay.types.response import ChatChunk, ChatResponse
from llmrelay.wire.anthropic import AnthropicStreamEncoder, encode_error_event, encode_response, error_body
from llmrelay.wire.sse import SSEParser

FIXTURES = Path(__file__).parents[2] / "fixtures" / "anthropic"
REQUEST = ChatRequest(model="claude-sonnet-4-5", messages=[])


def _chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> ChatChunk:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return msgspec.convert(
        {"id": "chatcmpl-1", "created": 1, "model": "up", "choices": choices, **extra}, ChatChunk
    )


# ---- non-streamed responses


@pytest.mark.parametrize("name", ["tool_use", "thinking", "tool_use_only", "stop_sequence"])
def test_anthropic_response_survives_a_round_trip(name: str) -> None:
    body = json.loads((FIXTURES / "responses" / f"{name}.json").read_text(encoding="utf-8"))["body"]
    canonical = AnthropicProvider().parse_chat(
        HttpResponse(status=200, body=json.dumps(body).encode()), REQUEST
    )
    encoded = encode_response(canonical)
    assert encoded["id"] == body["id"] and encoded["model"] == body["model"]
    assert encoded["content"] == body["content"]
    # stop_sequence is folded into "stop" by the canonical form, so it comes back as end_turn
    assert encoded["stop_reason"] == (
        "end_turn" if body["stop_reason"] == "stop_sequence" else body["stop_reason"]
    )
    for field, value in body["usage"].items():
        assert encoded["usage"][field] == value


def test_encode_response_from_another_provider() -> None:
    response = msgspec.convert(
        {
            "id": "chatcmpl-abc",
            "created": 1,
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "content": "Calling.",
                        "reasoning_content": "thought",
                        "tool_calls": [
                            {"id": "call_1", "function": {"name": "f", "arguments": '{"a": 1}'}},
                            {"id": "call_2", "function": {"name": "g", "arguments": "{broken"}},
                        ],
                    },
                }
            ],
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 60},
            },
        },
        ChatResponse,
    )
    assert encode_response(response, model="claude-via-gateway") == {
        "id": "msg_chatcmpl-abc",
        "type": "message",
        "role": "assistant",
        "model": "claude-via-gateway",
        "content": [
            {"type": "thinking", "thinking": "thought", "signature": ""},
            {"type": "text", "text": "Calling."},
            {"type": "tool_use", "id": "call_1", "name": "f", "input": {"a": 1}},
            {"type": "tool_use", "id": "call_2", "name": "g", "input": {"_raw_arguments": "{broken"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 40,
            "output_tokens": 20,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 60,
        },
    }


@pytest.mark.parametrize(
    ("finish", "stop"), [("stop", "end_turn"), ("length", "max_tokens"), ("content_filter", "refusal")]
)
def test_finish_reasons(finish: str, stop: str) -> None:
    response = msgspec.convert(
        {
            "id": "msg_x",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "message": {"content": "a"}, "finish_reason": finish}],
        },
        ChatResponse,
    )
    assert encode_response(response)["stop_reason"] == stop


# ---- streams


def _decode_with_adapter(data: bytes, pieces: int, seed: int) -> list[ChatChunk]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(data)), k=min(pieces, len(data) - 1)))
    decoder = AnthropicStreamDecoder("anthropic", created=1)
    out: list[ChatChunk] = []
    for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
        out.extend(decoder.feed(data[a:b]))
    out.extend(decoder.end())
    return out


def _encode(chunks: list[ChatChunk], **kwargs: Any) -> bytes:
    encoder = AnthropicStreamEncoder(**kwargs)
    return b"".join(encoder.feed(c) for c in chunks) + encoder.finish()


def _events(data: bytes) -> list[dict[str, Any]]:
    parser = SSEParser()
    events = parser.feed(data) + parser.end()
    parsed = []
    for ev in events:
        body = json.loads(ev.data)
        assert ev.event == body["type"]  # the SSE event name repeats the data's type, as Anthropic's do
        parsed.append(body)
    return parsed


def _check_grammar(events: list[dict[str, Any]]) -> None:
    """message_start, then blocks opened in index order, each closed before the next opens (deltas may
    go to an earlier block only for late tool arguments), then message_delta and message_stop."""
    types = [e["type"] for e in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    started: list[int] = []
    open_index: int | None = None
    for e in events[1:-2]:
        if e["type"] == "content_block_start":
            assert open_index is None and e["index"] == len(started)
            started.append(e["index"])
            open_index = e["index"]
        elif e["type"] == "content_block_stop":
            assert e["index"] == open_index
            open_index = None
        else:
            assert e["type"] == "content_block_delta" and e["index"] in started
    assert open_index is None


STREAMS = ["text", "tools", "thinking"]


@pytest.mark.parametrize("name", STREAMS)
@pytest.mark.parametrize("seed", range(5))
def test_encoded_stream_decodes_to_the_same_answer(name: str, seed: int) -> None:
    original = (FIXTURES / "streams" / f"{name}.sse").read_bytes()
    chunks = _decode_with_adapter(original, 40, seed)
    encoded = _encode(chunks, model="claude-sonnet-4-5")
    _check_grammar(_events(encoded))
    again = stream_chunk_builder(_decode_with_adapter(encoded, 40, seed + 100))
    before = stream_chunk_builder(chunks)
    assert again.choices == before.choices and again.id == before.id
    # Anthropic's usage always carries the cache counters, so zeros come back where there were none
    assert again.usage is not None and before.usage is not None
    assert _usage_numbers(again) == _usage_numbers(before)


def _usage_numbers(response: ChatResponse) -> tuple[int, ...]:
    u = response.usage
    assert u is not None
    return (u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens, u.cache_creation_tokens)


@pytest.mark.parametrize("name", STREAMS)
def test_encoded_stream_matches_the_original_events(name: str) -> None:
    original = (FIXTURES / "streams" / f"{name}.sse").read_bytes()
    chunks = _decode_with_adapter(original, 1, 0)
    mine = [e for e in _events(_encode(chunks)) if e["type"] != "message_start"]
    theirs = [e for e in _events(original) if e["type"] not in ("message_start", "ping")]
    # same blocks, same indexes; deltas may be grouped differently (empty input_json_delta is dropped)
    assert [e for e in mine if e["type"] == "content_block_start"] == [
        {**e, "content_block": _normalized_start(e["content_block"])}
        for e in theirs
        if e["type"] == "content_block_start"
    ]
    assert mine[-2]["delta"]["stop_reason"] == theirs[-2]["delta"]["stop_reason"]
    assert mine[-2]["usage"]["output_tokens"] == theirs[-2]["usage"]["output_tokens"]


def _normalized_start(block: dict[str, Any]) -> dict[str, Any]:
    if block["type"] == "tool_use":
        return {**block, "input": {}}
    return block


def test_interleaved_text_reasoning_and_tools_get_fresh_block_indexes() -> None:
    chunks = [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"reasoning_content": "hmm "}),
        _chunk({"reasoning_content": "ok"}),
        _chunk({"content": "Let me "}),
        _chunk(
            {
                "content": "look.",
                "tool_calls": [{"index": 0, "id": "call_a", "function": {"name": "f", "arguments": ""}}],
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"q":'}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"x"}'}}]}),
        _chunk({"tool_calls": [{"index": 1, "id": "call_b", "function": {"name": "g", "arguments": "{}"}}]}),
        _chunk({"content": "Done."}),
        _chunk({}, finish="tool_calls"),
        _chunk(None, usage={"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}),
    ]
    events = _events(_encode(chunks, model="claude-x", input_tokens=9))
    _check_grammar(events)
    starts = [(e["index"], e["content_block"]) for e in events if e["type"] == "content_block_start"]
    assert starts == [
        (0, {"type": "thinking", "thinking": "", "signature": ""}),
        (1, {"type": "text", "text": ""}),
        (2, {"type": "tool_use", "id": "call_a", "name": "f", "input": {}}),
        (3, {"type": "tool_use", "id": "call_b", "name": "g", "input": {}}),
        (4, {"type": "text", "text": ""}),
    ]
    assert events[0]["message"]["id"] == "msg_chatcmpl-1"
    assert events[0]["message"]["model"] == "claude-x"
    assert events[0]["message"]["usage"]["input_tokens"] == 9
    assert events[-2] == {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {
            "input_tokens": 10,
            "output_tokens": 7,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta" and e["index"] == 2]
    assert "".join(d["partial_json"] for d in deltas) == '{"q":"x"}'


def test_official_sdk_accumulates_the_encoded_stream() -> None:
    sdk = pytest.importorskip("anthropic.lib.streaming._messages")
    original = (FIXTURES / "streams" / "thinking.sse").read_bytes()
    tools = (FIXTURES / "streams" / "tools.sse").read_bytes()
    for data in (original, tools):
        chunks = _decode_with_adapter(data, 1, 0)
        snapshot = None
        json_bufs: dict[int, bytes] = {}
        for event in _events(_encode(chunks)):
            snapshot = sdk.accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
        assert snapshot is not None
        expected = [b for b in _events(data) if b["type"] == "content_block_start"]
        assert [b.type for b in snapshot.content] == [e["content_block"]["type"] for e in expected]
        for block in snapshot.content:
            if block.type == "tool_use" and block.name == "get_weather":
                assert block.input == {"city": "Paris"}
            if block.type == "thinking":
                assert (
                    block.thinking == "Let me add. 2+2=4." and block.signature == "EqQBCgIYAhIM1gbcDa9GJwZA"
                )


def test_empty_stream_still_produces_a_complete_message() -> None:
    events = _events(AnthropicStreamEncoder(model="m", message_id="msg_fixed").finish())
    assert [e["type"] for e in events] == ["message_start", "message_delta", "message_stop"]
    assert events[0]["message"]["id"] == "msg_fixed"
    assert events[1]["delta"]["stop_reason"] == "end_turn"


def test_choices_other_than_the_first_are_not_encoded() -> None:
    chunk = msgspec.convert(
        {"id": "c", "created": 1, "model": "m", "choices": [{"index": 1, "delta": {"content": "other"}}]},
        ChatChunk,
    )
    events = _events(_encode([chunk]))
    assert [e["type"] for e in events] == ["message_start", "message_delta", "message_stop"]


# ---- errors


@pytest.mark.parametrize(
    ("err", "anthropic_type"),
    [
        (errors.BadRequestError("bad"), "invalid_request_error"),
        (errors.ContextWindowExceededError("prompt is too long"), "invalid_request_error"),
        (errors.RequestTooLargeError("big"), "request_too_large"),
        (errors.AuthenticationError("key"), "authentication_error"),
        (errors.PermissionDeniedError("no"), "permission_error"),
        (errors.NotFoundError("where"), "not_found_error"),
        (errors.RateLimitError("slow"), "rate_limit_error"),
        (errors.Timeout("late"), "timeout_error"),
        (errors.ServiceUnavailableError("Overloaded"), "overloaded_error"),
        (errors.InternalServerError("boom"), "api_error"),
        (errors.BudgetExceededError("spent"), "api_error"),
    ],
)
def test_error_body_and_event(err: errors.LLMError, anthropic_type: str) -> None:
    assert error_body(err) == {"type": "error", "error": {"type": anthropic_type, "message": err.message}}
    event = encode_error_event(err)
    assert event.startswith(b"event: error\ndata: ") and event.endswith(b"\n\n")
    # the adapter's decoder reads the event back as the same kind of error
    decoder = AnthropicStreamDecoder("anthropic")
    with pytest.raises(errors.LLMError) as info:
        decoder.feed(event)
    if anthropic_type != "api_error":
        assert isinstance(info.value, type(err)) or isinstance(err, type(info.value))
    assert info.value.message == err.message
