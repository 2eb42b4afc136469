"""The stream relay sends once per upstream read: chunks that are ready together go out together,
in order, and a relay cancelled while it waits for the upstream cancels the upstream read."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator

import pytest

from llmrelay.core.streaming import ChatStream
from llmrelay.proxy.answers import OpenAIStreamEncoder
from llmrelay.proxy.relay import _pump
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.errors import LLMError, StreamClosedEarly
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta


class RecordingTransport:
    def __init__(self) -> None:
        self.sends: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        await asyncio.sleep(0)  # a real send is a round trip through the server
        self.sends.append(data)


def chunk(i: int) -> ChatChunk:
    return ChatChunk(
        id="c", created=1, model="m", choices=[ChunkChoice(index=0, delta=Delta(content=f"t{i}"))]
    )


def stream_of(source: AsyncIterator[ChatChunk]) -> ChatStream:
    request = ChatRequest(model="m", messages=[Message(role="user", content="hi")], stream=True)
    return ChatStream(source, request, started=time.monotonic(), price=lambda usage: 0)


async def grouped(
    groups: list[int], gate: asyncio.Event | None = None, fail: bool = False
) -> AsyncIterator[ChatChunk]:
    """Yield `groups[k]` chunks per simulated upstream read, suspending between reads."""
    n = 0
    for size in groups:
        await asyncio.sleep(0.001)  # the next read has to wait for the network
        if gate is not None:
            await gate.wait()
        for _ in range(size):
            yield chunk(n)
            n += 1
    if fail:
        raise LLMError("upstream broke", code="broken")


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_one_send_per_read_in_order(seed: int) -> None:
    rng = random.Random(seed)
    groups = [rng.randint(1, 6) for _ in range(rng.randint(1, 8))]
    transport = RecordingTransport()
    await _pump(stream_of(grouped(groups)), transport, OpenAIStreamEncoder())
    encoder = OpenAIStreamEncoder()
    expected = b"".join(encoder.chunk(chunk(i)) for i in range(sum(groups))) + encoder.end()
    assert b"".join(transport.sends) == expected
    # every read's chunks went out in one send; the last read's together with [DONE]
    assert len(transport.sends) == len(groups)
    assert [data.count(b"data: {") for data in transport.sends] == groups


async def test_mid_stream_error_follows_the_chunks_before_it() -> None:
    transport = RecordingTransport()
    await _pump(stream_of(grouped([2, 3], fail=True)), transport, OpenAIStreamEncoder())
    body = b"".join(transport.sends)
    assert body.count(b'"content":"t') == 5
    assert body.endswith(b"\n\n") and b'"code":"broken"' in body.rsplit(b"data: ", 1)[1]


async def test_cancel_while_waiting_reaches_the_upstream() -> None:
    gate = asyncio.Event()
    closed = asyncio.Event()

    async def source() -> AsyncIterator[ChatChunk]:
        try:
            async for c in grouped([1, 1], gate=gate):
                yield c
        finally:
            closed.set()

    stream = stream_of(source())
    transport = RecordingTransport()
    gate.set()
    first = stream.__anext__()
    await first  # past the first read
    gate.clear()
    pump = asyncio.ensure_future(_pump(stream, transport, OpenAIStreamEncoder()))
    await asyncio.sleep(0.01)  # the pump now waits on the gate inside the stream
    pump.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pump
    await stream.aclose()
    assert closed.is_set()
    assert transport.sends == []


class LeftTransport:
    """The client is gone: every send fails as Granian's does (RSGIProtocolClosed is a RuntimeError)."""

    async def send_bytes(self, data: bytes) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("RSGI transport is closed")


async def test_client_gone_while_the_next_read_is_pending_unwinds_the_source() -> None:
    from llmrelay.proxy.relay import ClientGone

    closed = asyncio.Event()

    async def source() -> AsyncIterator[ChatChunk]:
        try:
            async for c in grouped([1, 1, 1]):
                yield c
        finally:
            closed.set()

    stream = stream_of(source())
    reports: list[tuple[ChatStream, LLMError | None]] = []
    stream.set_on_finish(lambda s, error: reports.append((s, error)))
    with pytest.raises(ClientGone):
        # the first chunk is buffered, the second read has to wait: the buffer's send fails then
        await _pump(stream, LeftTransport(), OpenAIStreamEncoder())
    assert closed.is_set()
    # the stream finished its way out: reported as closed early, with the tokens read so far counted
    [(reported, error)] = reports
    assert isinstance(error, StreamClosedEarly) and reported.usage is not None
    assert reported.usage.completion_tokens > 0
    await stream.aclose()  # nothing is left running in the source that would make this fail
