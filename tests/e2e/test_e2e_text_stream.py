"""Streamed legacy text completions through the SDK: natively from OpenAI's /v1/completions, and
through the chat API of a chat-only provider (Anthropic), with usage, cost, retries and callbacks."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import collect, expected_cost_micros

import llmrelay
from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.events.record import CallRecord
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text
from llmrelay.types.completion import TextCompletionResponse

PROMPT = "Tell me about tide pools"
NATIVE = "openai/gpt-3.5-turbo-instruct"
VIA_CHAT = "anthropic/claude-haiku-4-5"


def joined(chunks: list[TextCompletionResponse], index: int = 0) -> str:
    return "".join(c.text for chunk in chunks for c in chunk.choices if c.index == index)


async def open_stream(client: llmrelay.Client, model: str, sim: RunningSimulator, **kw: Any) -> TextStream:
    stream = await client.atext_completion(model, PROMPT, stream=True, **sim.sdk_kwargs(), **kw)
    assert isinstance(stream, TextStream)
    return stream


@pytest.mark.parametrize("which", ["native", "via_chat"])
async def test_stream_is_text_completion_chunks_priced_without_usage_chunk(
    which: str, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    model, sim = (NATIVE, openai_sim) if which == "native" else (VIA_CHAT, anthropic_sim)
    stream = await open_stream(client, model, sim, max_tokens=200)
    chunks = await collect(stream)
    assert all(chunk.object == "text_completion" for chunk in chunks)
    assert all(chunk.choices for chunk in chunks), "usage-only chunk passed on without include_usage"
    assert len(chunks) > 2, "the answer came in one piece"
    assert joined(chunks) == reply_text(PROMPT)
    finishes = [c.finish_reason for chunk in chunks for c in chunk.choices if c.finish_reason]
    assert finishes == ["stop"] and chunks[-1].choices[0].finish_reason == "stop"
    assert len({chunk.id for chunk in chunks}) == 1
    assert stream.usage is not None and stream.usage.completion_tokens == len(reply_text(PROMPT).split())
    assert stream.cost_micros == expected_cost_micros(client, model, stream.usage) > 0
    assert stream.time_to_first_token is not None and stream.time_to_first_token > 0
    whole = stream.response()
    assert whole.object == "text_completion" and whole.choices[0].text == reply_text(PROMPT)
    sent = sim.requests.last
    if which == "native":
        assert sent.path == "/v1/completions" and sent.body["stream"] is True
        # usage is always asked of the upstream, so every stream can be priced
        assert sent.body["stream_options"] == {"include_usage": True}
    else:
        assert sent.path == "/v1/messages" and sent.body["stream"] is True
        assert sent.body["messages"] == [{"role": "user", "content": PROMPT}]


@pytest.mark.parametrize("which", ["native", "via_chat"])
async def test_include_usage_ends_with_one_usage_chunk(
    which: str, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    model, sim = (NATIVE, openai_sim) if which == "native" else (VIA_CHAT, anthropic_sim)
    stream = await open_stream(client, model, sim, stream_options={"include_usage": True})
    chunks = await collect(stream)
    usage_chunks = [chunk for chunk in chunks if not chunk.choices]
    assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1]
    assert chunks[-1].usage == stream.usage and stream.usage is not None
    assert chunks[-1].usage.total_tokens == stream.usage.prompt_tokens + stream.usage.completion_tokens
    assert chunks[-1]._hidden_params["cost_micros"] == stream.cost_micros > 0  # type: ignore[attr-defined]


async def test_native_choices_keep_their_index(openai_sim: RunningSimulator, client: llmrelay.Client) -> None:
    stream = await client.atext_completion(
        NATIVE, ["first prompt here", "second one"], stream=True, max_tokens=200, **openai_sim.sdk_kwargs()
    )
    assert isinstance(stream, TextStream)
    chunks = await collect(stream)
    assert joined(chunks, 0) == reply_text("first prompt here")
    assert joined(chunks, 1) == reply_text("second one")
    assert [c.text for c in stream.response().choices] == [reply_text("first prompt here"),
                                                           reply_text("second one")]  # fmt: skip


@pytest.mark.parametrize("which", ["native", "via_chat"])
async def test_failure_before_first_chunk_is_retried(
    which: str, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    model, sim = (NATIVE, openai_sim) if which == "native" else (VIA_CHAT, anthropic_sim)
    sim.faults.fail_next(1, 503)
    stream = await open_stream(client, model, sim, num_retries=1)
    assert joined(await collect(stream)) == reply_text(PROMPT)
    assert sim.requests.count() == 2


@pytest.mark.parametrize("which", ["native", "via_chat"])
async def test_stream_cut_midway_raises_after_the_text_so_far(
    which: str, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    model, sim = (NATIVE, openai_sim) if which == "native" else (VIA_CHAT, anthropic_sim)
    sim.faults.set(cut_after=4)
    stream = await open_stream(client, model, sim)
    received: list[str] = []
    with pytest.raises(llmrelay.APIConnectionError):
        async for chunk in stream:
            received.extend(c.text for c in chunk.choices)
    assert received and reply_text(PROMPT).startswith("".join(received))
    assert "".join(received) != reply_text(PROMPT)
    assert isinstance(stream.error, llmrelay.APIConnectionError)


class Recorder(llmrelay.Callback):
    def __init__(self) -> None:
        self.records: list[tuple[str, CallRecord]] = []

    async def on_stream_complete(self, record: CallRecord) -> None:
        self.records.append(("stream", record))

    def on_failure(self, record: CallRecord) -> None:
        self.records.append(("failure", record))


async def test_callbacks_get_one_record_per_streamed_call(
    openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    recorder = Recorder()
    client = llmrelay.Client(callbacks=[recorder])
    try:
        native = await open_stream(client, NATIVE, openai_sim)
        await collect(native)
        via_chat = await open_stream(client, VIA_CHAT, anthropic_sim)
        await collect(via_chat)
        # an error event after some text (paced, so it usually comes mid-stream): one failure record
        anthropic_sim.faults.set(error_after=5, chunk_delay=0.02)
        with pytest.raises(llmrelay.ServiceUnavailableError):
            await collect(await open_stream(client, VIA_CHAT, anthropic_sim))
        await client.aflush_callbacks()
    finally:
        await client.aclose()
    assert [kind for kind, _ in recorder.records] == ["stream", "stream", "failure"]
    for (_, record), stream in zip(recorder.records[:2], (native, via_chat), strict=True):
        assert record.call_type == "text_completion" and record.stream
        assert record.usage == stream.usage and record.cost_micros == stream.cost_micros > 0
        assert isinstance(record.response, TextCompletionResponse)
        assert record.response.choices[0].text == reply_text(PROMPT)
        assert record.request.prompt == PROMPT
    assert recorder.records[2][1].error is not None


def test_sync_text_completion_stream(openai_sim: RunningSimulator, anthropic_sim: RunningSimulator) -> None:
    for model, sim in ((NATIVE, openai_sim), (VIA_CHAT, anthropic_sim)):
        stream = llmrelay.text_completion(model, PROMPT, stream=True, max_tokens=200, **sim.sdk_kwargs())
        assert isinstance(stream, SyncTextStream)
        with stream:
            text = "".join(c.text for chunk in stream for c in chunk.choices)
        assert text == reply_text(PROMPT)
        assert stream.usage is not None and stream.cost_micros > 0
