"""Streamed text completions through the Router, against the simulators: retries and fallbacks before
the first chunk (native completions and through a chat-only provider), no retry after it, one record
per call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.core.text_stream import SyncTextStream, TextStream
from llmrelay.router import Router
from llmrelay.testing import SimulatorGroup, start_simulators
from llmrelay.testing.content import reply_text
from llmrelay.types.completion import TextCompletionResponse
from llmrelay.types.errors import APIConnectionError

PROMPT = "Name three rivers"


@pytest.fixture
async def sims() -> AsyncIterator[SimulatorGroup]:
    async with start_simulators(["openai", "anthropic"]) as group:
        yield group


def model_list(sims: SimulatorGroup) -> list[dict[str, Any]]:
    return [
        {"model_name": "instruct", "model_info": {"id": "instruct-1"},
         "litellm_params": {"model": "openai/gpt-3.5-turbo-instruct", **sims.openai.sdk_kwargs()}},
        {"model_name": "claude", "model_info": {"id": "claude-1"},
         "litellm_params": {"model": "anthropic/claude-haiku-4-5", **sims.anthropic.sdk_kwargs()}},
    ]  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.records: list[tuple[str, Any]] = []

    def on_success(self, record: Any) -> None:
        self.records.append(("success", record))

    def on_failure(self, record: Any) -> None:
        self.records.append(("failure", record))

    def on_stream_complete(self, record: Any) -> None:
        self.records.append(("stream", record))


async def no_wait(seconds: float) -> None:
    return None


async def read_text(stream: TextStream) -> str:
    return "".join([c.text async for chunk in stream for c in chunk.choices])


async def test_native_stream_failing_before_first_chunk_is_retried(sims: SimulatorGroup) -> None:
    sims.openai.faults.fail_next(1, 503)
    recorder = Recorder()
    router = Router(model_list=model_list(sims), num_retries=1, callbacks=[recorder], sleep=no_wait)
    try:
        stream = await router.atext_completion(model="instruct", prompt=PROMPT, stream=True, max_tokens=200)
        assert isinstance(stream, TextStream)
        assert await read_text(stream) == reply_text(PROMPT)
        assert sims.openai.requests.count("/v1/completions") == 2
        assert sims.openai.requests.last.body["stream"] is True
        assert stream.hidden_params["model_group"] == "instruct" and stream.usage is not None
        await router.aflush()
        assert [kind for kind, _ in recorder.records] == ["stream"]
        record = recorder.records[0][1]
        assert record.call_type == "text_completion" and record.attempts == 2 and record.stream
        assert record.usage == stream.usage and record.cost_micros == stream.cost_micros > 0
        assert isinstance(record.response, TextCompletionResponse)
        assert record.response.choices[0].text == reply_text(PROMPT)
    finally:
        await router.aclose()


async def test_stream_falls_back_to_a_chat_only_provider_before_first_chunk(sims: SimulatorGroup) -> None:
    sims.openai.faults.set(status=500)
    router = Router(model_list=model_list(sims), fallbacks=[{"instruct": ["claude"]}], sleep=no_wait)
    try:
        stream = await router.atext_completion(model="instruct", prompt=PROMPT, stream=True)
        assert isinstance(stream, TextStream)
        assert await read_text(stream) == reply_text(PROMPT)
        assert stream.hidden_params["provider"] == "anthropic"
        assert stream.hidden_params["fallback_from"] == "instruct"
        sent = sims.anthropic.requests.last
        assert sent.path == "/v1/messages" and sent.body["stream"] is True
    finally:
        await router.aclose()


async def test_failure_after_the_first_chunk_is_not_retried(sims: SimulatorGroup) -> None:
    sims.openai.faults.set(cut_after=3)
    recorder = Recorder()
    router = Router(model_list=model_list(sims), num_retries=2, callbacks=[recorder], sleep=no_wait)
    try:
        stream = await router.atext_completion(model="instruct", prompt=PROMPT, stream=True)
        assert isinstance(stream, TextStream)
        received: list[str] = []
        with pytest.raises(APIConnectionError):
            async for chunk in stream:
                received.extend(c.text for c in chunk.choices)
        assert received  # text came before the cut: nothing silently truncated
        assert sims.openai.requests.count("/v1/completions") == 1
        await router.aflush()
        assert [kind for kind, _ in recorder.records] == ["failure"]
    finally:
        await router.aclose()


async def test_sync_router_text_stream_runs_on_the_router_thread(sims: SimulatorGroup) -> None:
    router = Router(model_list=model_list(sims))

    def read_sync() -> tuple[str, SyncTextStream]:
        stream = router.text_completion(model="claude", prompt=PROMPT, stream=True)
        assert isinstance(stream, SyncTextStream)
        with stream:
            return "".join(c.text for chunk in stream for c in chunk.choices), stream

    try:
        # the sync API blocks its caller: call it from a worker thread while the simulators serve
        text, stream = await asyncio.to_thread(read_sync)
        assert text == reply_text(PROMPT)
        assert stream.usage is not None and stream.cost_micros > 0
    finally:
        await router.aclose()
