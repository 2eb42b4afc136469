"""The OpenAI stream decoder: transcripts assembled into the expected responses (and split at random in
tests/conformance), cut streams and error events reported as errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing.stream_splits import decoding_with
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest

STREAMS = Path(__file__).resolve().parents[2] / "fixtures" / "openai" / "streams"
# text.sse assembles as tests/conformance/golden/openai/stream.json says
NAMES = ["tool_calls", "reasoning"]
REQUEST = ChatRequest(model="gpt-4o", messages=[], stream=True)


def transcript(name: str, newline: bytes = b"\n") -> bytes:
    return (STREAMS / f"{name}.sse").read_bytes().replace(b"\n", newline)


decode = decoding_with(lambda: ProviderRegistry().get("openai").chat_stream_decoder(REQUEST))


@pytest.mark.parametrize("name", NAMES)
def test_transcript_assembles_to_expected_response(name: str) -> None:
    expected = json.loads((STREAMS / f"{name}.expected.json").read_text())
    chunks = decode([transcript(name)])
    assert len(chunks) == expected["chunks"]
    assert stream_chunk_builder(chunks).to_dict() == expected["response"]


def test_streamed_tool_call_deltas_keep_index_and_id() -> None:
    chunks = decode([transcript("tool_calls")])
    first = chunks[0].choices[0].delta.tool_calls
    assert first is not None and (first[0].index, first[0].id, first[0].type) == (0, "call_w1", "function")
    assert first[0].function is not None and first[0].function.name == "get_weather"
    pieces = [
        tc.function.arguments
        for c in chunks
        for ch in c.choices
        for tc in ch.delta.tool_calls or ()
        if tc.index == 0 and tc.function and tc.function.arguments
    ]
    assert pieces == ['{"loc', 'ation": "Paris"}']
    usage_chunk = chunks[-1]
    assert (
        usage_chunk.choices == [] and usage_chunk.usage is not None and usage_chunk.usage.total_tokens == 160
    )


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_cut_stream_is_a_connection_error(keep: float) -> None:
    data = transcript("text")
    cut = data[: int(len(data) * keep)]
    with pytest.raises(errors.APIConnectionError, match="before \\[DONE\\]"):
        decode([cut])


# (a stream ending in an error object: checked for every adapter in
# tests/conformance/test_conformance_stream_errors.py)


def test_malformed_chunk_is_a_server_error() -> None:
    with pytest.raises(errors.InternalServerError, match="malformed"):
        decode([b'data: {"id": "x", "choices": 5}\n\ndata: [DONE]\n\n'])


def test_usage_chunk_with_null_choices_is_accepted() -> None:
    data = (
        b'data: {"id": "v", "object": "chat.completion.chunk", "created": 1, "model": "m",'
        b' "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}\n\n'
        b'data: {"id": "v", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": null,'
        b' "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}\n\n'
        b"data: [DONE]\n\n"
    )
    chunks = decode([data])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 4


def test_reasoning_alias_becomes_reasoning_content() -> None:
    data = (
        b'data: {"id": "g", "object": "chat.completion.chunk", "created": 1, "model": "m",'
        b' "choices": [{"index": 0, "delta": {"role": "assistant", "reasoning": "think"}}]}\n\n'
        b'data: {"id": "g", "object": "chat.completion.chunk", "created": 1, "model": "m",'
        b' "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}\n\n'
        b"data: [DONE]\n\n"
    )
    chunks = decode([data])
    assert chunks[0].choices[0].delta.reasoning_content == "think"
    assert "reasoning" not in chunks[0].to_dict()["choices"][0]["delta"]
