"""Raw SSE relay (core/sse_relay.py and ChatStream.relay_raw): the upstream's bytes go out
unchanged, whole events only, whatever the split; usage is read for pricing and its chunk dropped when
the client did not ask for it; errors and cut streams raise after the events before them."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from llmrelay.core.sse_relay import ByteTap, OpenAIEventFilter, RawUpstream
from llmrelay.core.streaming import ChatStream, decode_stream
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.chat import ChatRequest, Message
from llmrelay.types.errors import APIConnectionError, LLMError, StreamClosedEarly
from llmrelay.types.response import ChatChunk, ChunkChoice, Delta, Usage

ADAPTER = ProviderRegistry().get("openai")
USAGE = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


def event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return event({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                  "usage": None, "choices": [choice]})  # fmt: skip


USAGE_EVENT = event({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                     "choices": [], "usage": USAGE})  # fmt: skip
DONE = b"data: [DONE]\n\n"
# content that mentions the marker words must not be mistaken for them
BODY = [chunk("Hello"), chunk(' "usage": {"error": 1} [DONE]'), chunk("!"), chunk(finish="stop")]
STREAM = b"".join(BODY) + USAGE_EVENT + DONE


def random_splits(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, min(40, len(data) - 1))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def run_filter(parts: list[bytes], want_usage: bool) -> tuple[bytes, OpenAIEventFilter]:
    events = OpenAIEventFilter(lambda: ADAPTER.chat_stream_decoder(REQUEST), want_usage)
    out = b"".join(events.feed(p) for p in parts) + events.end()
    return out, events


REQUEST = ChatRequest(model="gpt-4o-mini", messages=[Message(role="user", content="hi")], stream=True)


@pytest.fixture
def request_() -> ChatRequest:
    return REQUEST


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("want_usage", [True, False])
def test_bytes_relayed_unchanged_whatever_the_split(seed: int, want_usage: bool) -> None:
    out, events = run_filter(random_splits(STREAM, random.Random(seed)), want_usage)
    assert out == (STREAM if want_usage else STREAM.replace(USAGE_EVENT, b""))
    assert events.usage == Usage(**USAGE) and events.done and events.error is None


# a whole stream arriving in one read (an upstream that writes every event at once) is larger than
# the quick check's limit: its events are located directly
LONG_BODY = [part for i in range(8) for part in (chunk(f"word {i} "), *BODY)]
LONG_STREAM = b"".join(LONG_BODY) + USAGE_EVENT + DONE


@pytest.mark.parametrize("want_usage", [True, False])
@pytest.mark.parametrize("seed", [None, *range(10)])
def test_a_long_stream_in_one_read_or_any_split_is_relayed_alike(seed: int | None, want_usage: bool) -> None:
    assert len(LONG_STREAM) > 4096
    parts = [LONG_STREAM] if seed is None else random_splits(LONG_STREAM, random.Random(seed))
    out, events = run_filter(parts, want_usage)
    assert out == (LONG_STREAM if want_usage else LONG_STREAM.replace(USAGE_EVENT, b""))
    assert events.usage == Usage(**USAGE) and events.done and events.error is None


def test_an_error_inside_a_long_read_ends_the_relay_after_the_events_before_it() -> None:
    error = event({"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit"}})
    before = b"".join(LONG_BODY)
    out, events = run_filter([before + error + b"".join(BODY) + DONE], False)
    assert out == before
    assert isinstance(events.error, LLMError) and "slow down" in events.error.message


@pytest.mark.parametrize("seed", range(20))
def test_crlf_streams_come_out_with_lf_line_ends(seed: int) -> None:
    crlf = STREAM.replace(b"\n", b"\r\n")
    out, events = run_filter(random_splits(crlf, random.Random(seed)), True)
    assert out == STREAM and events.done


def test_events_go_out_only_when_complete() -> None:
    events = OpenAIEventFilter(lambda: ADAPTER.chat_stream_decoder(REQUEST), True)
    first = BODY[0]
    assert events.feed(first[:10]) == b""
    assert events.feed(first[10:] + BODY[1][:5]) == first
    assert events.feed(BODY[1][5:]) == BODY[1]


@pytest.mark.parametrize("seed", range(10))
def test_error_event_raises_after_the_events_before_it(seed: int) -> None:
    error = event({"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit"}})
    data = BODY[0] + BODY[1] + error + BODY[2] + DONE
    out, events = run_filter(random_splits(data, random.Random(seed)), False)
    assert out == BODY[0] + BODY[1]
    assert isinstance(events.error, LLMError)


def test_the_marker_line_inside_content_does_not_end_the_stream() -> None:
    # a chunk whose text holds `data: [DONE]` is content: a stream that then stops was still cut
    parts = [chunk("Hello"), chunk("the line data: [DONE] ends a stream")]
    out, events = run_filter(parts, want_usage=False)
    assert out == b"".join(parts)
    assert not events.done and isinstance(events.error, APIConnectionError)


def test_a_stream_without_done_was_cut() -> None:
    out, events = run_filter([b"".join(BODY)], True)
    assert out == b"".join(BODY)
    assert isinstance(events.error, APIConnectionError)


async def _parts(parts: list[bytes]) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


def _stream(parts: list[bytes], request: ChatRequest, closed: list[bool]) -> ChatStream:
    tap = ByteTap(_parts(parts))
    decoder = ADAPTER.chat_stream_decoder(request)
    raw = RawUpstream(tap, "openai", lambda: ADAPTER.chat_stream_decoder(request), provider="openai")
    return ChatStream(
        decode_stream(tap, decoder, "openai", "gpt-4o-mini"), request, started=time.monotonic(),
        price=lambda usage: usage.total_tokens * 100, close=lambda: closed.append(True), raw=raw,
    )  # fmt: skip


def _collect(into: list[bytes]) -> Callable[[bytes], Awaitable[None]]:
    async def send(data: bytes) -> None:
        into.append(data)

    return send


@pytest.mark.parametrize("seed", range(20))
async def test_chat_stream_raw_relay_keeps_the_bookkeeping(seed: int, request_: ChatRequest) -> None:
    closed: list[bool] = []
    stream = _stream(random_splits(STREAM, random.Random(seed)), request_, closed)
    finished: list[Any] = []
    stream.set_on_finish(lambda s, error: finished.append((s.usage, s.cost_micros, error)))
    await stream.prefetch()
    assert stream.relays_raw("openai") and not stream.relays_raw("anthropic")
    sent: list[bytes] = []
    await stream.relay_raw(_collect(sent))
    out = b"".join(sent)
    assert out == STREAM.replace(USAGE_EVENT, b"")  # the request did not ask for usage
    assert finished == [(Usage(**USAGE), 1000, None)] and closed == [True]
    assert stream.time_to_first_token is not None
    assert stream.response().choices[0].message.content == 'Hello "usage": {"error": 1} [DONE]!'


async def test_chat_stream_raw_error_mid_stream_is_reported(request_: ChatRequest) -> None:
    closed: list[bool] = []
    error = event({"error": {"message": "slow down", "type": "rate_limit_error", "code": "rate_limit"}})
    stream = _stream([BODY[0], BODY[1] + error, BODY[2] + DONE], request_, closed)
    finished: list[Any] = []
    stream.set_on_finish(lambda s, e: finished.append(e))
    await stream.prefetch()
    got: list[bytes] = []
    with pytest.raises(LLMError, match="slow down") as caught:
        await stream.relay_raw(_collect(got))
    assert b"".join(got) == BODY[0] + BODY[1]
    assert finished == [caught.value] and caught.value.provider == "openai" and closed == [True]


async def test_after_async_for_the_raw_bytes_are_gone(request_: ChatRequest) -> None:
    stream = _stream([STREAM], request_, [])
    await stream.prefetch()
    chunks = [c async for c in stream]
    assert len(chunks) == len(BODY)
    assert not stream.relays_raw("openai")


@pytest.mark.parametrize("seed", range(20))
async def test_read_decoded_after_a_raw_prefetch_every_chunk_arrives(
    seed: int, request_: ChatRequest
) -> None:
    closed: list[bool] = []
    stream = _stream(random_splits(STREAM, random.Random(seed)), request_, closed)
    await stream.prefetch()
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == 'Hello "usage": {"error": 1} [DONE]!'
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert stream.usage == Usage(**USAGE) and closed == [True]


async def test_an_error_before_the_first_event_raises_from_prefetch(request_: ChatRequest) -> None:
    error = event({"error": {"message": "overloaded", "type": "server_error"}})
    closed: list[bool] = []
    stream = _stream([error[:7], error[7:] + DONE], request_, closed)
    with pytest.raises(LLMError, match="overloaded") as caught:
        await stream.prefetch()
    assert caught.value.provider == "openai" and closed == [True]


def test_only_events_with_markers_are_looked_into() -> None:
    from llmrelay.core.sse_relay import _events_that_matter

    spaced = b'data: {"usage": null, "choices": []}\n\n'
    tight = b'data: {"usage":null}\n\n'
    usage = b'data: {"choices": [], "usage": {"total_tokens": 3}}\n\n'
    block = spaced + tight + usage + DONE
    start = len(spaced + tight)
    assert _events_that_matter(block) == [(start, start + len(usage)), (start + len(usage), len(block))]
    assert _events_that_matter(spaced + tight) == []


@pytest.mark.parametrize("want_usage", [True, False])
def test_usage_events_are_read_alike_by_the_probe_and_the_decoder(want_usage: bool) -> None:
    from llmrelay.core.sse_relay import _probe_usage

    null_choices = event({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                          "choices": None, "usage": USAGE})  # fmt: skip
    with_content = event({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                          "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}],
                          "usage": {**USAGE, "prompt_tokens_details": {"cached_tokens": 2}}})  # fmt: skip
    spaced = b"data:" + USAGE_EVENT[5:].replace(b'"usage":', b'"usage" : ')
    for usage_event, usage_only in [(USAGE_EVENT, True), (null_choices, True), (with_content, False),
                                    (spaced, True)]:  # fmt: skip
        probe = _probe_usage(usage_event)
        assert probe is not None
        [decoded] = ADAPTER.chat_stream_decoder(REQUEST).feed(usage_event)
        assert probe.usage == decoded.usage and (not probe.choices) is usage_only
        out, events = run_filter([BODY[0] + usage_event + DONE], want_usage)
        kept = want_usage or not usage_only
        assert out == BODY[0] + (usage_event if kept else b"") + DONE
        assert events.usage == decoded.usage and events.error is None


def test_a_malformed_usage_event_is_left_to_the_decoder_and_fails_the_relay() -> None:
    from llmrelay.core.sse_relay import _probe_usage

    bad = event({"choices": [], "usage": {"prompt_tokens": "many"}})
    assert _probe_usage(bad) is None
    out, events = run_filter([BODY[0] + bad + DONE], True)
    assert out == BODY[0]
    assert isinstance(events.error, LLMError) and "malformed" in events.error.message


def _reasoning_chunk(text: str) -> bytes:
    return event({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
                  "choices": [{"index": 0, "delta": {"reasoning": text}}]})  # fmt: skip


@pytest.mark.parametrize("seed", [None, *range(10)])
def test_reasoning_under_its_other_name_is_relayed_as_reasoning_content(seed: int | None) -> None:
    # OpenRouter, Groq and newer vLLM say `reasoning`; OpenAI-dialect clients get `reasoning_content`,
    # as from a decoded stream; every other event keeps the upstream's bytes
    thinking = [_reasoning_chunk("Let me think"), _reasoning_chunk(' about "reasoning".')]
    data = b"".join([*thinking, *BODY]) + USAGE_EVENT + DONE
    parts = [data] if seed is None else random_splits(data, random.Random(seed))
    out, events = run_filter(parts, want_usage=False)
    assert out.endswith(b"".join(BODY) + DONE)  # content events untouched, usage event dropped
    relayed = [json.loads(line[6:]) for line in out.split(b"\n\n")[:2]]
    assert [c["choices"][0]["delta"] for c in relayed] == [
        {"reasoning_content": "Let me think"},
        {"reasoning_content": ' about "reasoning".'},
    ]
    assert b'"reasoning":' not in out and events.usage == Usage(**USAGE) and events.done


async def test_a_read_closed_while_pending_reports_without_suspending(request_: ChatRequest) -> None:
    # a coroutine being closed (GeneratorExit) may not suspend: the closed-early report, with its
    # token count, is made inline and the read closes cleanly
    gate = asyncio.Event()

    async def source() -> AsyncIterator[ChatChunk]:
        yield ChatChunk(
            id="c", created=1, model="m", choices=[ChunkChoice(index=0, delta=Delta(content="hi"))]
        )
        await gate.wait()  # the next chunk never comes

    stream = ChatStream(source(), request_, started=time.monotonic(), price=lambda usage: 0)
    reports: list[LLMError | None] = []
    stream.set_on_finish(lambda s, error: reports.append(error))
    await stream.__anext__()
    read = stream.__anext__()
    read.send(None)  # now waiting on the gate
    read.close()
    [error] = reports
    assert (
        isinstance(error, StreamClosedEarly)
        and stream.usage is not None
        and stream.usage.completion_tokens == 1
    )
