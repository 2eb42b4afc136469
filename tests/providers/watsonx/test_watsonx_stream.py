"""watsonx.ai's event streams (the recordings from its API reference, in
tests/conformance/recorded/watsonx/): what they assemble to however the bytes were split, and what a
cut, an error event or an `error` stop reason does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.watsonx import WatsonxProvider, WatsonxTextProvider
from llmrelay.testing.stream_splits import assert_splits_decode_alike
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk

RECORDED = Path(__file__).resolve().parents[2] / "conformance" / "recorded" / "watsonx"
REQUEST = ChatRequest(model="watsonx/ibm/granite-3-8b-instruct", messages=[], stream=True)


def _chunks(pieces: list[bytes], text: bool = False) -> list[ChatChunk]:
    adapter = WatsonxTextProvider() if text else WatsonxProvider()
    decoder = adapter.chat_stream_decoder(REQUEST)
    out = [chunk for piece in pieces for chunk in decoder.feed(piece)]
    return out + decoder.end()


def _plain(text: bool) -> Any:
    # without what each fresh decoder may make up (its id and time)
    def decode(pieces: list[bytes]) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in c.to_dict().items() if k not in ("id", "created")}
            for c in _chunks(pieces, text)
        ]

    return decode


@pytest.mark.parametrize(
    ("name", "text"),
    [("chat_stream.sse", False), ("chat_stream_tools.sse", False), ("generation_stream.sse", True)],
)
def test_splits_decode_alike(name: str, text: bool) -> None:
    data = (RECORDED / name).read_bytes()
    assert_splits_decode_alike(data, _plain(text), name)
    assert_splits_decode_alike(data.replace(b"\n", b"\r\n"), _plain(text), name + "-crlf")


def test_text_and_usage() -> None:
    chunks = _chunks([(RECORDED / "chat_stream.sse").read_bytes()])
    # one answer: the provider's id and time on every chunk, usage on a last usage-only chunk
    assert {c.id for c in chunks} == {"chatcmpl-7b1e2c3d4f5a6b7c8d9e0f1a2b3c4d5e"}
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    response = stream_chunk_builder(chunks)
    assert response.choices[0].message.content == "Hello! Héllo wörld 👋"
    assert response.usage is not None and response.usage.total_tokens == 31


def test_a_tool_call_assembles() -> None:
    response = stream_chunk_builder(_chunks([(RECORDED / "chat_stream_tools.sse").read_bytes()]))
    call = (response.choices[0].message.tool_calls or [])[0]
    assert call.id == "chatcmpl-tool-af30f1f5e1c24a5c" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert response.choices[0].finish_reason == "tool_calls"


def test_generation_counts_are_running_totals() -> None:
    response = stream_chunk_builder(_chunks([(RECORDED / "generation_stream.sse").read_bytes()], text=True))
    assert response.choices[0].message.content == "Hello! Nice to meet you."
    assert response.choices[0].finish_reason == "stop"
    assert response.usage is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (12, 7)


@pytest.mark.parametrize(("name", "text"), [("chat_stream.sse", False), ("generation_stream.sse", True)])
def test_a_cut_stream_raises(name: str, text: bool) -> None:
    data = (RECORDED / name).read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n\nid:")
    with pytest.raises(APIConnectionError, match="cut"):
        _chunks([data[: last + 2]], text)
    # cut inside the last event's JSON
    with pytest.raises(APIConnectionError, match="cut"):
        _chunks([data[:-20]], text)


def test_an_error_event_raises_its_error() -> None:
    with pytest.raises(InternalServerError, match="model inference timed out") as raised:
        _chunks([(RECORDED / "stream_error.sse").read_bytes()])
    assert raised.value.code == "downstream_request_failed"


def test_an_error_stop_reason_raises() -> None:
    line = {"model_id": "m", "results": [{"generated_text": "", "stop_reason": "error"}]}
    data = b"id: 1\nevent: message\ndata: " + json.dumps(line).encode() + b"\n\n"
    with pytest.raises(InternalServerError, match="error"):
        _chunks([data], text=True)
