"""Callbacks: per client, sync and async hooks, off the request path, raising ones logged only,
one standard record per logical call (stream-complete with time to first token)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

import llmrelay
from llmrelay import Callback, CallRecord, Client
from llmrelay.core.retry import RetryPolicy

MESSAGES = [{"role": "user", "content": "hi"}]


class Recorder(Callback):
    def __init__(self) -> None:
        self.records: list[tuple[str, CallRecord]] = []
        self.threads: set[str] = set()

    def on_success(self, record: CallRecord) -> None:
        self.threads.add(threading.current_thread().name)
        self.records.append(("success", record))

    async def on_failure(self, record: CallRecord) -> None:
        await asyncio.sleep(0)
        self.records.append(("failure", record))

    def on_stream_complete(self, record: CallRecord) -> None:
        self.records.append(("stream", record))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder) -> Any:
    c = Client(callbacks=[recorder], retry_policy=RetryPolicy(0, 0))
    yield c
    await c.aclose()
    c.close()


async def test_success_record_carries_the_standard_payload(client: Client, recorder: Recorder) -> None:
    resp = await client.acompletion("gpt-4o", MESSAGES, mock_response="hey", metadata={"team": "a"})
    await client.aflush_callbacks()
    [(hook, record)] = recorder.records
    assert hook == "success"
    assert (record.model, record.provider, record.deployment) == ("gpt-4o", "openai", "openai/gpt-4o")
    assert record.usage == resp.usage and record.cost_micros == resp._hidden_params["cost_micros"] > 0
    assert record.metadata == {"team": "a"} and record.error is None and record.ok
    assert record.end_time >= record.start_time and record.latency_s >= 0
    # callbacks run on the client's callback thread, not the caller's
    assert recorder.threads == {"llmrelay-callbacks"}


async def test_failure_record(client: Client, recorder: Recorder) -> None:
    with pytest.raises(llmrelay.RateLimitError):
        await client.acompletion("gpt-4o", MESSAGES, mock_response="litellm.RateLimitError")
    await client.aflush_callbacks()
    [(hook, record)] = recorder.records
    assert hook == "failure" and isinstance(record.error, llmrelay.RateLimitError) and not record.ok


async def test_stream_complete_reported_once_with_ttft(client: Client, recorder: Recorder) -> None:
    stream = await client.acompletion("gpt-4o", MESSAGES, mock_response="a b c", stream=True)
    assert recorder.records == []  # nothing until the stream ends
    text = "".join([c.choices[0].delta.content or "" async for c in stream])
    await client.aflush_callbacks()
    [(hook, record)] = recorder.records
    assert hook == "stream" and record.stream
    assert record.time_to_first_token_s is not None and 0 <= record.time_to_first_token_s <= record.latency_s
    assert record.usage is not None and record.cost_micros > 0
    assert record.response.choices[0].message.content == text == "a b c"


async def test_raising_callback_is_logged_not_propagated(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Callback):
        def on_success(self, record: CallRecord) -> None:
            raise RuntimeError("sink down")

    client = Client(callbacks=[Broken(), recorder])
    try:
        with caplog.at_level(logging.ERROR, logger="llmrelay.callbacks"):
            resp = await client.acompletion("gpt-4o", MESSAGES, mock_response="fine")
            await client.aflush_callbacks()
        assert resp.choices[0].message.content == "fine"
        assert "Broken.on_success raised" in caplog.text and "sink down" in caplog.text
        assert [h for h, _ in recorder.records] == ["success"]  # later callbacks still ran
    finally:
        await client.aclose()
        client.close()


async def test_slow_callback_does_not_delay_the_call(recorder: Recorder) -> None:
    release = threading.Event()

    class Slow(Callback):
        def on_success(self, record: CallRecord) -> None:
            release.wait(5)

    client = Client(callbacks=[Slow()])
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(5):
            await client.acompletion("gpt-4o", MESSAGES, mock_response="x")
        assert loop.time() - start < 1.0  # the five calls did not wait for the blocked sink
        release.set()
        await client.aflush_callbacks()
    finally:
        await client.aclose()
        client.close()


async def test_plain_functions_and_late_registration(client: Client, recorder: Recorder) -> None:
    seen: list[str] = []
    await client.acompletion("gpt-4o", MESSAGES, mock_response="x")
    await client.aflush_callbacks()  # delivered before the next callback joins
    client.add_callback(lambda record: seen.append(record.call_type))
    await client.acompletion("gpt-4o", MESSAGES, mock_response="y")
    await client.aflush_callbacks()
    assert seen == ["completion"]
    assert len(recorder.records) == 2


async def test_clients_do_not_share_callbacks(recorder: Recorder) -> None:
    other = Client()
    try:
        await other.acompletion("gpt-4o", MESSAGES, mock_response="x")
        await other.aflush_callbacks()
        assert recorder.records == [] and other.callbacks == []
    finally:
        await other.aclose()
        other.close()


def test_sync_callers_get_the_same_reports(recorder: Recorder) -> None:
    client = Client(callbacks=[recorder])
    try:
        client.completion("gpt-4o", MESSAGES, mock_response="x")
        for _ in client.completion("gpt-4o", MESSAGES, mock_response="y z", stream=True):
            pass
        client.flush_callbacks()
        assert [h for h, _ in recorder.records] == ["success", "stream"]
    finally:
        client.close()
