"""The raw relay pushes the upstream's bytes to the client's transport as they come: what it sends
equals the stream's raw batches, a mid-stream error becomes an error event after the events before
it, and the stream (which keeps its error) does not keep the server's transport alive."""

from __future__ import annotations

import gc
import json
import random
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.core.sse_relay import ByteTap, RawUpstream
from llmrelay.core.streaming import ChatStream, decode_stream
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.proxy.answers import OpenAIStreamEncoder
from llmrelay.proxy.relay import ClientGone, _pump_raw
from llmrelay.types.chat import ChatRequest, Message

ADAPTER = ProviderRegistry().get("openai")
REQUEST = ChatRequest(model="gpt-4o-mini", messages=[Message(role="user", content="hi")], stream=True)


def event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def content(i: int) -> bytes:
    choice = {"index": 0, "delta": {"content": f"w{i} "}, "finish_reason": None}
    return event({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                  "choices": [choice], "usage": None})  # fmt: skip


ERROR = event({"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit"}})
DONE = b"data: [DONE]\n\n"


class Transport:
    def __init__(self, fail_after: int | None = None) -> None:
        self.sends: list[bytes] = []
        self._fail_after = fail_after

    async def send_bytes(self, data: bytes) -> None:
        if self._fail_after is not None and len(self.sends) >= self._fail_after:
            raise RuntimeError("ProtocolClosed")
        self.sends.append(data)


def split(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), 6))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def stream_of(parts: list[bytes], closed: list[bool]) -> ChatStream:
    async def source() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    tap = ByteTap(source())
    raw = RawUpstream(tap, "openai", lambda: ADAPTER.chat_stream_decoder(REQUEST), provider="openai")
    return ChatStream(
        decode_stream(tap, ADAPTER.chat_stream_decoder(REQUEST), "openai", "gpt-4o-mini"), REQUEST,
        started=time.monotonic(), price=lambda usage: 0, close=lambda: closed.append(True), raw=raw,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
async def test_pushed_bytes_are_the_upstream_events(seed: int) -> None:
    body = b"".join(content(i) for i in range(8)) + DONE
    closed: list[bool] = []
    stream = stream_of(split(body, random.Random(seed)), closed)
    await stream.prefetch()
    transport = Transport()
    await _pump_raw(stream, transport, OpenAIStreamEncoder())
    assert b"".join(transport.sends) == body and closed == [True]


async def test_mid_stream_error_is_an_error_event_and_the_transport_is_let_go() -> None:
    closed: list[bool] = []
    stream = stream_of([content(0), content(1) + ERROR, content(2) + DONE], closed)
    await stream.prefetch()
    transport = Transport()
    sends = transport.sends
    await _pump_raw(stream, transport, OpenAIStreamEncoder())
    assert b"".join(sends[:-1]) == content(0) + content(1)
    assert b"slow down" in sends[-1] and closed == [True]
    assert stream.error is not None and stream.error.provider == "openai"
    gone = weakref.ref(transport)
    del transport
    gc.collect()
    assert gone() is None  # the error's traceback does not hold the transport


async def test_a_failed_send_is_the_client_leaving() -> None:
    closed: list[bool] = []
    stream = stream_of([content(0), content(1), content(2) + DONE], closed)
    await stream.prefetch()
    with pytest.raises(ClientGone):
        await _pump_raw(stream, Transport(fail_after=1), OpenAIStreamEncoder())
    assert closed == [True] and stream.error is None
