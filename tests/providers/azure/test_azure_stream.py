"""Azure's streams (random splits of these transcripts: tests/conformance): decoded without the opening
annotation-only chunk, through content-filter annotations (even one holding an `error` object); and
relayed raw (OpenAI's dialect) byte for byte, the gateway still reading usage and the end marker."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.core.sse_relay import OpenAIEventFilter
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing.stream_splits import decoding_with, split_at
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest, TextCompletionResponse

STREAMS = Path(__file__).resolve().parent / "fixtures" / "streams"
NAMES = ["text", "tool_calls", "filtered"]
REQUEST = ChatRequest(model="azure/chat", messages=[], stream=True)


def transcript(name: str, newline: bytes = b"\n") -> bytes:
    return (STREAMS / f"{name}.sse").read_bytes().replace(b"\n", newline)


decode = decoding_with(lambda: ProviderRegistry().get("azure").chat_stream_decoder(REQUEST))


# text.sse assembles as tests/conformance/golden/azure/stream.json says
@pytest.mark.parametrize("name", [n for n in NAMES if n != "text"])
def test_transcript_assembles_to_expected_response(name: str) -> None:
    expected = json.loads((STREAMS / f"{name}.expected.json").read_text())
    chunks = decode([transcript(name)])
    assert len(chunks) == expected["chunks"]
    assert stream_chunk_builder(chunks).to_dict() == expected["response"]


def test_annotation_only_chunk_is_dropped_and_usage_kept() -> None:
    data = transcript("text")
    assert data.startswith(b'data: {"choices":[],"created":0,"id":""'), "the fixture opens as Azure does"
    chunks = decode([data])
    assert all(c.id == "chatcmpl-AzUre3Stream" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c for c in chunks if c.choices]
    assert len(content) == len(chunks) - 1
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 18


def test_filter_error_annotation_is_not_a_stream_error() -> None:
    data = transcript("tool_calls")
    assert b'"content_filter_results":{"error":' in data
    chunks = decode([data])
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_text_completion_stream_drops_the_annotation_chunk() -> None:
    decoder = (
        ProviderRegistry()
        .get("azure")
        .text_stream_decoder(TextCompletionRequest(model="azure/instruct", prompt="x", stream=True))
    )
    data = (
        b'data: {"choices":[],"created":0,"id":"","model":"","object":"",'
        b'"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}\n\n'
        b'data: {"choices":[{"content_filter_results":{},"finish_reason":null,"index":0,"logprobs":null,'
        b'"text":"Hi"}],"created":5,"id":"cmpl-az","model":"gpt-35-turbo-instruct","object":"text_completion"}\n\n'
        b"data: [DONE]\n\n"
    )
    chunks: list[TextCompletionResponse] = decoder.feed(data) + decoder.end()
    assert [(c.id, c.choices[0].text) for c in chunks] == [("cmpl-az", "Hi")]


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_cut_stream_is_a_connection_error(keep: float) -> None:
    data = transcript("text")
    with pytest.raises(errors.APIConnectionError, match="before \\[DONE\\]"):
        decode([data[: int(len(data) * keep)]])


# (a stream ending in an error object: checked for every adapter in
# tests/conformance/test_conformance_stream_errors.py)


# ---- raw relay: an OpenAI client of the gateway gets Azure's own bytes
def relay(data: bytes, pieces: list[bytes], want_usage: bool) -> tuple[bytes, OpenAIEventFilter]:
    adapter = ProviderRegistry().get("azure")
    events = OpenAIEventFilter(lambda: adapter.chat_stream_decoder(REQUEST), want_usage)
    out = b"".join(events.feed(p) for p in pieces) + events.end()
    return out, events


@pytest.mark.parametrize("name", NAMES)
def test_relay_passes_azure_bytes_unchanged(name: str) -> None:
    data = transcript(name)
    rng = random.Random(f"relay-{name}")
    for _ in range(20):
        cuts = [rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 30))]
        out, events = relay(data, split_at(data, cuts), want_usage=True)
        assert out == data
        assert events.done and events.error is None


def test_relay_reads_usage_and_drops_its_chunk_unless_asked() -> None:
    data = transcript("text")
    out, events = relay(data, [data], want_usage=False)
    assert events.usage is not None and events.usage.total_tokens == 18
    assert b'"usage":{' not in out
    # the rest is relayed as Azure sent it, the annotation chunk included
    assert out.startswith(data.split(b"\n\n")[0] + b"\n\n")
    assert out.endswith(b"data: [DONE]\n\n")
    assert len(out.split(b"\n\n")) == len(data.split(b"\n\n")) - 1


def test_relay_stops_at_an_error_event() -> None:
    data = b"\n\n".join(transcript("text").split(b"\n\n")[:3]) + b"\n\n"
    data += b'data: {"error": {"code": "server_error", "message": "The server had an error"}}\n\n'
    out, events = relay(data, [data], want_usage=True)
    assert isinstance(events.error, errors.InternalServerError)
    assert events.error.message == "The server had an error"
    assert out == data[: data.index(b'data: {"error"')]
