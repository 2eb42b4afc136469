"""A stream's finishers (calls/finisher.py) run after the upstream's last event is read and before the
client gets the stream's last bytes — relayed raw (only the end marker's event is held back) or
decoded — and exactly once, with the error that ended the stream."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.calls.finisher import add_finisher, finish_stream, has_finishers
from llmrelay.core.sse_relay import ByteTap, RawUpstream
from llmrelay.core.streaming import ChatStream, decode_stream
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.answers import OpenAIStreamEncoder
from llmrelay.proxy.hold_end import HoldEnd
from llmrelay.proxy.relay import _pump, _pump_raw
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.errors import LLMError

ADAPTER = ProviderRegistry().get("openai")
REQUEST = ChatRequest(model="gpt-4o-mini", messages=[Message(role="user", content="hi")], stream=True)
DONE = b"data: [DONE]\n\n"


def chunk(content: str) -> bytes:
    choice = {"index": 0, "delta": {"content": content}, "finish_reason": None}
    payload = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
               "choices": [choice]}  # fmt: skip
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


# a model may write the marker's words: only the `data: [DONE]` line ends the stream
BODY = [chunk("Hello"), chunk(" data: [DONE] is just text"), chunk("!")]


async def _parts(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def raw_stream(parts: list[bytes]) -> ChatStream:
    tap = ByteTap(_parts(parts))
    raw = RawUpstream(tap, "openai", lambda: ADAPTER.chat_stream_decoder(REQUEST), provider="openai")
    return ChatStream(
        decode_stream(tap, ADAPTER.chat_stream_decoder(REQUEST), "openai", "gpt-4o-mini"), REQUEST,
        started=time.monotonic(), price=lambda usage: 0, raw=raw,
    )  # fmt: skip


class Transport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)


def finisher(transport: Transport, seen: list[tuple[LLMError | None, bytes]]) -> Any:
    async def finish(error: LLMError | None) -> None:
        seen.append((error, b"".join(transport.sent)))

    return finish


@pytest.mark.parametrize("split", ["one read", "per event", "marker alone"])
async def test_a_raw_relayed_stream_is_finished_before_its_end_marker(split: str) -> None:
    whole = b"".join(BODY) + DONE
    parts = {"one read": [whole], "per event": [*BODY, DONE], "marker alone": [b"".join(BODY), DONE]}[split]
    stream, transport = raw_stream(parts), Transport()
    seen: list[tuple[LLMError | None, bytes]] = []
    add_finisher(stream, finisher(transport, seen))
    await stream.prefetch()
    assert stream.relays_raw("openai")
    await _pump_raw(stream, transport, OpenAIStreamEncoder())  # type: ignore[arg-type]
    # when the finisher ran, the client had everything but the end marker; then it got that too
    assert seen == [(None, b"".join(BODY))]
    assert b"".join(transport.sent) == whole
    assert not has_finishers(stream)


async def test_a_raw_stream_without_finishers_is_relayed_as_it_comes() -> None:
    stream, transport = raw_stream([*BODY, DONE]), Transport()
    await stream.prefetch()
    await _pump_raw(stream, transport, OpenAIStreamEncoder())  # type: ignore[arg-type]
    assert transport.sent == [*BODY, DONE]


async def test_a_cut_raw_stream_is_finished_with_its_error_before_the_error_event() -> None:
    stream, transport = raw_stream(BODY), Transport()  # no [DONE]: the connection was cut
    seen: list[tuple[LLMError | None, bytes]] = []
    add_finisher(stream, finisher(transport, seen))
    await stream.prefetch()
    await _pump_raw(stream, transport, OpenAIStreamEncoder())  # type: ignore[arg-type]
    [(error, before)] = seen
    assert isinstance(error, LLMError) and before == b"".join(BODY)
    assert b"".join(transport.sent).startswith(before + b'data: {"error"')


async def test_a_decoded_stream_is_finished_before_its_end() -> None:
    stream, transport = raw_stream([*BODY, DONE]), Transport()
    seen: list[tuple[LLMError | None, bytes]] = []
    add_finisher(stream, finisher(transport, seen))
    await stream.prefetch()
    await _pump(stream, transport, OpenAIStreamEncoder())  # type: ignore[arg-type]
    [(error, before)] = seen
    assert error is None and DONE not in before
    assert b"".join(transport.sent).endswith(DONE)


async def test_finishers_run_once_in_order() -> None:
    ran: list[str] = []
    target = object.__new__(ChatStream)

    async def first(error: LLMError | None) -> None:
        ran.append("first")

    async def second(error: LLMError | None) -> None:
        ran.append("second")

    add_finisher(target, first)
    add_finisher(target, second)
    await finish_stream(target, None)
    await finish_stream(target, None)
    assert ran == ["first", "second"]


async def test_hold_end_keeps_the_marker_line_and_what_follows() -> None:
    transport = Transport()
    hold = HoldEnd(transport.send_bytes)
    await hold.send(BODY[0])
    await hold.send(BODY[1] + b"data:[DONE]\n")
    await hold.send(b"\n")
    assert transport.sent == [BODY[0], BODY[1]]
    await hold.flush()
    assert b"".join(transport.sent) == BODY[0] + BODY[1] + b"data:[DONE]\n\n"


async def test_a_text_stream_read_whole_by_the_route_is_finished() -> None:
    from llmrelay.core.text_stream import TextStream
    from llmrelay.proxy.openai_routes import _drained
    from llmrelay.types.completion import TextChoice, TextCompletionRequest, TextCompletionResponse

    request = TextCompletionRequest(model="m", prompt="p", stream=True)
    whole = TextCompletionResponse(
        id="cmpl-1", created=1, model="m", choices=[TextChoice(index=0, text="all", finish_reason="stop")]
    )
    stream = await TextStream.of_response(whole, request)
    ended: list[LLMError | None] = []

    async def finish(error: LLMError | None) -> None:
        ended.append(error)

    add_finisher(stream.chat_stream, finish)
    assert (await _drained(stream)).choices[0].text == "all"
    assert ended == [None]
