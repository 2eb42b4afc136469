"""The Anthropic stream decoder against recorded transcripts (split at random in tests/conformance;
json_mode's, which needs its own request, here)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.anthropic import AnthropicProvider
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.response import ChatChunk, ChatResponse

STREAMS = Path(__file__).parents[2] / "fixtures" / "anthropic" / "streams"
DEFAULT_REQUEST = {"model": "claude-sonnet-4-5", "messages": [], "stream": True}


def _case(name: str) -> tuple[bytes, dict[str, Any], ChatRequest]:
    # a transcript without expectations of its own (text.sse: tests/conformance pins its chunks)
    path = STREAMS / f"{name}.json"
    case = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    request = msgspec.convert(case.get("request") or DEFAULT_REQUEST, ChatRequest)
    return (STREAMS / f"{name}.sse").read_bytes(), case, request


def _split(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), k=min(len(data) - 1, rng.randint(1, 60))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def _decode(request: ChatRequest, pieces: list[bytes]) -> list[ChatChunk]:
    decoder = AnthropicProvider().chat_stream_decoder(request)
    out: list[ChatChunk] = []
    for piece in pieces:
        out.extend(decoder.feed(piece))
    out.extend(decoder.end())
    return out


def _plain(chunks: list[ChatChunk]) -> list[dict[str, Any]]:
    dicts = [c.to_dict() for c in chunks]
    for d in dicts:
        d.pop("created")
    return dicts


STREAM_NAMES = sorted(p.stem for p in STREAMS.glob("*.sse") if not p.stem.startswith("error"))
EXPECTED_NAMES = [n for n in STREAM_NAMES if (STREAMS / f"{n}.json").exists()]


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_stream_matches_fixture(name: str) -> None:
    data, case, request = _case(name)
    chunks = _decode(request, [data])
    created = chunks[0].created
    if "expected_chunks" in case:
        expected = [msgspec.convert({**c, "created": created}, ChatChunk) for c in case["expected_chunks"]]
        assert chunks == expected
    if "expected_assembled" in case:
        built = stream_chunk_builder(chunks)
        assert built == msgspec.convert({**case["expected_assembled"], "created": created}, ChatResponse)
    # the last chunk is usage-only, and only the last
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(c.choices for c in chunks[:-1])


# transcripts decoded for a request of their own (json_mode's response_format); the conformance
# suite splits the others at random, decoded for its canonical request
OWN_REQUEST_NAMES = [n for n in EXPECTED_NAMES if "request" in _case(n)[1]]


@pytest.mark.parametrize("name", OWN_REQUEST_NAMES)
@pytest.mark.parametrize("seed", range(25))
def test_stream_output_does_not_depend_on_splits(name: str, seed: int) -> None:
    data, _, request = _case(name)
    whole = _plain(_decode(request, [data]))
    assert _plain(_decode(request, _split(data, random.Random(seed)))) == whole
    one_byte = [data[i : i + 1] for i in range(len(data))]
    if seed == 0:
        assert _plain(_decode(request, one_byte)) == whole


@pytest.mark.parametrize("seed", range(10))
def test_error_event_raises_mapped_error(seed: int) -> None:
    data, case, request = _case("error_overloaded")
    decoder = AnthropicProvider().chat_stream_decoder(request)
    got: list[ChatChunk] = []
    with pytest.raises(errors.LLMError) as info:
        for piece in _split(data, random.Random(seed)):
            got.extend(decoder.feed(piece))
        decoder.end()
    expected = case["expected_error"]
    assert type(info.value).__name__ == expected["class"]
    assert info.value.status_code == expected["status_code"]
    assert info.value.retryable is expected["retryable"]
    assert info.value.message == expected["message"]
    assert len(got) == case["chunks_before_error"]


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_stream_cut_before_message_stop_raises_connection_error(name: str) -> None:
    data, _, request = _case(name)
    cut = data[: data.index(b"event: message_stop")]
    decoder = AnthropicProvider().chat_stream_decoder(request)
    decoder.feed(cut)
    with pytest.raises(errors.APIConnectionError):
        decoder.end()


def test_malformed_event_is_a_server_error() -> None:
    decoder = AnthropicProvider().chat_stream_decoder(msgspec.convert(DEFAULT_REQUEST, ChatRequest))
    with pytest.raises(errors.InternalServerError, match="malformed stream event"):
        decoder.feed(b"event: message_start\ndata: {not json\n\n")


def test_delta_for_unknown_block_is_a_server_error() -> None:
    decoder = AnthropicProvider().chat_stream_decoder(msgspec.convert(DEFAULT_REQUEST, ChatRequest))
    event = b'data: {"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"x"}}\n\n'
    with pytest.raises(errors.InternalServerError, match="never started"):
        decoder.feed(event)


@pytest.mark.parametrize("name", STREAM_NAMES)
def test_stream_cut_inside_an_event_is_a_connection_error(name: str) -> None:
    """The transport's end flushes a last event without its blank line: cut inside its JSON, it is
    the connection's fault (retried as such), not a malformed answer."""
    data, _, request = _case(name)
    end = data.index(b"event: message_delta")
    cut = data[: data.index(b"data: ", end) + 20]
    with pytest.raises(errors.APIConnectionError, match="cut"):
        _decode(request, [cut])
