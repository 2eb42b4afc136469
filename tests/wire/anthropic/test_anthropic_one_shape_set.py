"""One struct set for the Anthropic Messages format, both directions: what the adapter sends upstream
reads back through the gateway's own request shapes to the same bytes, and what the gateway answers
reads back through the shapes the adapter decodes upstream answers with, to the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from llmrelay.providers.anthropic import AnthropicProvider, AnthropicStreamDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import HttpResponse
from llmrelay.wire.anthropic import AnthropicStreamEncoder, encode_response_bytes
from llmrelay.wire.anthropic.message import Message, StreamEvent
from llmrelay.wire.anthropic.schema import MessagesRequest
from llmrelay.wire.sse import SSEParser

FIXTURES = Path(__file__).parents[2] / "fixtures" / "anthropic"


@pytest.mark.parametrize("path", sorted((FIXTURES / "requests").glob("*.json")), ids=lambda p: p.stem)
def test_a_sent_request_reads_back_to_the_same_bytes(path: Path) -> None:
    request = msgspec.convert(json.loads(path.read_text())["request"], ChatRequest)
    adapter = AnthropicProvider()
    deployment = Deployment(provider="anthropic", model="claude-sonnet-4-5", api_key="k")
    body = adapter.prepare_chat(adapter.check_params(request, drop=False), deployment).body
    assert body is not None
    read_back = msgspec.json.encode(msgspec.json.decode(body, type=MessagesRequest))
    if request.extra_body:
        # the caller's own fields go after the modelled ones, as written: the same object
        assert json.loads(read_back) == json.loads(body)
    else:
        assert read_back == body


@pytest.mark.parametrize("path", sorted((FIXTURES / "responses").glob("*.json")), ids=lambda p: p.stem)
def test_an_answer_reads_back_to_the_same_bytes(path: Path) -> None:
    body = json.dumps(json.loads(path.read_text())["body"]).encode()
    canonical = AnthropicProvider().parse_chat(
        HttpResponse(status=200, body=body), ChatRequest(model="claude-sonnet-4-5", messages=[])
    )
    encoded = encode_response_bytes(canonical)
    assert msgspec.json.encode(msgspec.json.decode(encoded, type=Message)) == encoded


# the streams that end well (an error event ends the others before anything could be relayed)
STREAMS = sorted(p for p in (FIXTURES / "streams").glob("*.sse") if not p.stem.startswith("error"))


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.stem)
def test_stream_events_read_back_to_the_same_bytes(path: Path) -> None:
    decoder = AnthropicStreamDecoder("anthropic", json_mode="json" in path.stem, created=1)
    chunks = decoder.feed(path.read_bytes()) + decoder.end()
    encoder = AnthropicStreamEncoder(model="m", message_id="msg_1", input_tokens=3)
    relayed = b"".join(encoder.feed(chunk) for chunk in chunks) + encoder.finish()
    events = SSEParser().feed(relayed)
    assert events
    for event in events:
        data = event.data.encode()
        assert msgspec.json.encode(msgspec.json.decode(data, type=StreamEvent)) == data
