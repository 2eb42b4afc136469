"""Ollama's newline-delimited JSON streams (the recordings from its API reference, in
tests/conformance/recorded/ollama/): what they assemble to, however the bytes were split, and what a
cut or an error line does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmrelay.core.assemble import stream_chunk_builder
from llmrelay.providers.ollama import OllamaChatProvider
from llmrelay.testing.stream_splits import assert_splits_decode_alike
from llmrelay.types.chat import ChatRequest
from llmrelay.types.errors import APIConnectionError, InternalServerError
from llmrelay.types.response import ChatChunk

RECORDED = Path(__file__).resolve().parents[2] / "conformance" / "recorded" / "ollama"
REQUEST = ChatRequest(model="ollama_chat/llama3.2", messages=[], stream=True)


def _chunks(pieces: list[bytes]) -> list[ChatChunk]:
    decoder = OllamaChatProvider().chat_stream_decoder(REQUEST)
    out = [chunk for piece in pieces for chunk in decoder.feed(piece)]
    return out + decoder.end()


def _plain(pieces: list[bytes]) -> list[dict[str, Any]]:
    # without what each fresh decoder makes up (its id and time)
    return [{k: v for k, v in c.to_dict().items() if k not in ("id", "created")} for c in _chunks(pieces)]


@pytest.mark.parametrize("name", ["chat_stream_tools.ndjson", "chat_stream_thinking.ndjson"])
def test_splits_decode_alike(name: str) -> None:
    data = (RECORDED / name).read_bytes()
    assert_splits_decode_alike(data, _plain, name)
    assert_splits_decode_alike(data.replace(b"\n", b"\r\n"), _plain, name + "-crlf")


def test_a_tool_call_stream_assembles_to_the_call() -> None:
    chunks = _chunks([(RECORDED / "chat_stream_tools.ndjson").read_bytes()])
    response = stream_chunk_builder(chunks)
    call = (response.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_current_weather"
    assert json.loads(call.function.arguments) == {"format": "celsius", "location": "Paris, FR"}
    assert response.choices[0].finish_reason == "tool_calls"
    assert response.usage is not None and (
        response.usage.prompt_tokens,
        response.usage.completion_tokens,
    ) == (122, 33)


def test_thinking_and_length() -> None:
    response = stream_chunk_builder(_chunks([(RECORDED / "chat_stream_thinking.ndjson").read_bytes()]))
    message = response.choices[0].message
    assert message.reasoning_content == "The user asks about the sky."
    assert message.content == "Rayleigh scattering, ünd más."
    assert response.choices[0].finish_reason == "length"


def test_a_stream_without_its_done_line_was_cut() -> None:
    lines = (RECORDED / "chat_stream.ndjson").read_bytes().splitlines(keepends=True)
    with pytest.raises(APIConnectionError, match="cut"):
        _chunks(lines[:-1])


def test_an_error_line_raises() -> None:
    with pytest.raises(InternalServerError, match="unexpected EOF") as info:
        _chunks([(RECORDED / "stream_error.ndjson").read_bytes()])
    assert info.value.provider == "ollama_chat"
