"""The SDK against each provider's simulator: the same call shape and OpenAI-shaped results whatever
the provider, streams, tools, cost, errors, retries and callbacks. Each test runs once per provider."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from e2e_helpers import Target, collect, expected_cost_micros

import llmrelay
from llmrelay.events.record import CallRecord
from llmrelay.testing.cohere_sim import REFUSAL_TEXT
from llmrelay.testing.content import reply_text

QUESTION = "Where do penguins live?"
MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": QUESTION}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


async def test_plain_answer_is_openai_shaped_and_priced(target: Target, client: llmrelay.Client) -> None:
    resp = await client.acompletion(target.model, MESSAGES, **target.kwargs())
    assert isinstance(resp, llmrelay.ChatResponse)
    assert resp.object == "chat.completion"
    choice = resp.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == reply_text(QUESTION)
    assert choice.finish_reason == "stop"
    usage = resp.usage
    assert usage is not None and usage.completion_tokens == len(reply_text(QUESTION).split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    cost = resp._hidden_params["cost_micros"]  # type: ignore[attr-defined]
    assert cost > 0 and cost == expected_cost_micros(client, target.model, usage)
    assert resp.to_dict()["choices"][0]["message"]["role"] == "assistant"
    # the system prompt reached the provider in its own dialect
    assert "Answer briefly." in json.dumps(target.sim.requests.last.body)


async def test_stream_reassembles_in_order_without_usage_chunk(
    target: Target, client: llmrelay.Client
) -> None:
    stream = await client.acompletion(target.model, MESSAGES, stream=True, **target.kwargs())
    chunks = await collect(stream)
    assert all(c.choices for c in chunks), "a usage-only chunk was passed on without include_usage"
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == reply_text(QUESTION)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason]
    assert finishes == ["stop"] and chunks[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1
    # usage and cost are known once the stream ends, even though the caller did not ask for the chunk
    assert stream.usage is not None and stream.usage.completion_tokens == len(text.split())
    assert stream.cost_micros == expected_cost_micros(client, target.model, stream.usage) > 0


async def test_stream_with_include_usage_ends_with_one_usage_chunk(
    target: Target, client: llmrelay.Client
) -> None:
    stream = await client.acompletion(
        target.model, MESSAGES, stream=True, stream_options={"include_usage": True}, **target.kwargs()
    )
    chunks = await collect(stream)
    usage_chunks = [c for c in chunks if not c.choices]
    assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1]
    assert chunks[-1].usage == stream.usage
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


async def test_tool_call_round_trip(target: Target, client: llmrelay.Client) -> None:
    question = [{"role": "user", "content": "Weather in Lima?"}]
    resp = await client.acompletion(target.model, question, tools=[WEATHER], **target.kwargs())
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and call.id
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Weather in Lima?"}
    follow = [
        *question,
        choice.message.to_dict(),
        {"role": "tool", "tool_call_id": call.id, "content": "18C"},
    ]
    answer = await client.acompletion(target.model, follow, tools=[WEATHER], **target.kwargs())
    assert answer.choices[0].finish_reason == "stop"
    content = answer.choices[0].message.content or ""
    assert content.startswith("Tool result received:") and "18C" in content


async def test_streamed_tool_call_matches_unstreamed(target: Target, client: llmrelay.Client) -> None:
    question = [{"role": "user", "content": "Weather in Lima?"}]
    plain = await client.acompletion(target.model, question, tools=[WEATHER], **target.kwargs())
    stream = await client.acompletion(target.model, question, tools=[WEATHER], stream=True, **target.kwargs())
    chunks = await collect(stream)
    built = stream.response()
    expected = plain.choices[0].message.tool_calls
    assert built.choices[0].message.tool_calls == expected
    assert built.choices[0].finish_reason == "tool_calls"
    assert llmrelay.stream_chunk_builder(chunks).choices[0].message.tool_calls == expected


ERRORS = [
    (400, llmrelay.BadRequestError),
    (401, llmrelay.AuthenticationError),
    (403, llmrelay.PermissionDeniedError),
    (404, llmrelay.NotFoundError),
    (408, llmrelay.Timeout),
    (413, llmrelay.RequestTooLargeError),
    (429, llmrelay.RateLimitError),
    (500, llmrelay.InternalServerError),
    (503, llmrelay.ServiceUnavailableError),
]


@pytest.mark.parametrize(("status", "error_class"), ERRORS)
async def test_error_statuses_map_to_error_classes(
    target: Target, client: llmrelay.Client, status: int, error_class: type[llmrelay.LLMError]
) -> None:
    target.sim.faults.set(status=status)
    with pytest.raises(error_class) as info:
        await client.acompletion(target.model, MESSAGES, num_retries=0, **target.kwargs())
    assert type(info.value) is error_class
    assert info.value.status_code == status
    assert info.value.provider == target.provider
    assert target.sim.requests.count() == 1


async def test_connection_refused_is_api_connection_error(target: Target, client: llmrelay.Client) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = target.sim.api_base.replace(target.sim.base_url, f"http://127.0.0.1:{port}")
    with pytest.raises(llmrelay.APIConnectionError):
        await client.acompletion(target.model, MESSAGES, api_base=base, api_key="k", num_retries=0)


async def test_fail_twice_then_succeed_with_two_retries(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.fail_next(2, 503)
    resp = await client.acompletion(target.model, MESSAGES, num_retries=2, **target.kwargs())
    assert resp.choices[0].message.content == reply_text(QUESTION)
    assert target.sim.requests.count() == 3
    assert resp._hidden_params["attempts"] == 3  # type: ignore[attr-defined]


async def test_retries_stop_at_num_retries(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.fail_next(3, 500)
    with pytest.raises(llmrelay.InternalServerError):
        await client.acompletion(target.model, MESSAGES, num_retries=1, **target.kwargs())
    assert target.sim.requests.count() == 2


async def test_retry_after_is_honoured(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.set(status=429, retry_after=0.4, times=1)
    started = time.monotonic()
    resp = await client.acompletion(target.model, MESSAGES, num_retries=1, **target.kwargs())
    assert time.monotonic() - started >= 0.4
    assert resp.choices[0].finish_reason == "stop" and target.sim.requests.count() == 2


async def test_stream_cut_midway_raises(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.set(cut_after=4)
    received: list[str] = []
    with pytest.raises(llmrelay.APIConnectionError):
        stream = await client.acompletion(target.model, MESSAGES, stream=True, **target.kwargs())
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
    assert "".join(received) != reply_text(QUESTION)


async def test_in_stream_error_event_raises(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.set(error_after=3)
    with pytest.raises(llmrelay.LLMError):
        stream = await client.acompletion(target.model, MESSAGES, stream=True, **target.kwargs())
        await collect(stream)


async def test_context_window_error(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.set(kind="context_window")
    with pytest.raises(llmrelay.ContextWindowExceededError):
        await client.acompletion(target.model, MESSAGES, **target.kwargs())


async def test_content_policy(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.set(kind="content_policy")
    if target.provider == "cohere":  # no content-filter stop: its safety modes decline in text
        resp = await client.acompletion(target.model, MESSAGES, **target.kwargs())
        assert resp.choices[0].finish_reason == "stop"
        assert resp.choices[0].message.content == REFUSAL_TEXT
        return
    if target.provider != "openai":  # Gemini blocks a candidate for SAFETY, Claude stops with "refusal"
        resp = await client.acompletion(target.model, MESSAGES, **target.kwargs())
        assert resp.choices[0].finish_reason == "content_filter"
        return
    with pytest.raises(llmrelay.ContentPolicyViolationError):
        await client.acompletion(target.model, MESSAGES, **target.kwargs())


class Recorder(llmrelay.Callback):
    def __init__(self) -> None:
        self.records: list[tuple[str, CallRecord]] = []

    def on_success(self, record: CallRecord) -> None:
        self.records.append(("success", record))

    async def on_stream_complete(self, record: CallRecord) -> None:
        self.records.append(("stream", record))

    def on_failure(self, record: CallRecord) -> None:
        self.records.append(("failure", record))


async def test_callbacks_get_one_record_per_call(target: Target) -> None:
    recorder = Recorder()
    client = llmrelay.Client(callbacks=[recorder])
    try:
        resp = await client.acompletion(target.model, MESSAGES, metadata={"run": 1}, **target.kwargs())
        stream = await client.acompletion(target.model, MESSAGES, stream=True, **target.kwargs())
        await collect(stream)
        target.sim.faults.fail_next(1, 500)
        with pytest.raises(llmrelay.InternalServerError):
            await client.acompletion(target.model, MESSAGES, num_retries=0, **target.kwargs())
        await client.aflush_callbacks()
    finally:
        await client.aclose()
    assert [kind for kind, _ in recorder.records] == ["success", "stream", "failure"]
    (_, ok), (_, streamed), (_, failed) = recorder.records
    assert ok.provider == target.provider and ok.usage == resp.usage
    assert ok.cost_micros == resp._hidden_params["cost_micros"] > 0  # type: ignore[attr-defined]
    assert ok.metadata == {"run": 1} and ok.error is None and ok.latency_s > 0
    assert (
        streamed.stream and streamed.usage == stream.usage and streamed.cost_micros == stream.cost_micros > 0
    )
    assert (
        streamed.time_to_first_token_s is not None
        and 0 < streamed.time_to_first_token_s <= streamed.latency_s
    )
    assert isinstance(failed.error, llmrelay.InternalServerError) and failed.cost_micros == 0


async def test_time_to_first_token_reflects_latency(target: Target, client: llmrelay.Client) -> None:
    target.sim.faults.set(latency=0.3, chunk_delay=0.02)
    stream = await client.acompletion(target.model, MESSAGES, stream=True, **target.kwargs())
    await collect(stream)
    assert stream.time_to_first_token is not None and stream.time_to_first_token >= 0.3


def test_sync_completion_and_stream(target: Target) -> None:
    resp = llmrelay.completion(target.model, MESSAGES, **target.kwargs())
    assert resp.choices[0].message.content == reply_text(QUESTION)  # type: ignore[union-attr]
    stream = llmrelay.completion(target.model, MESSAGES, stream=True, **target.kwargs())
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)  # type: ignore[union-attr]
    assert text == reply_text(QUESTION)


async def test_concurrent_calls_all_answer(target: Target, client: llmrelay.Client) -> None:
    questions = [f"Question number {i}" for i in range(20)]
    answers = await asyncio.gather(
        *(
            client.acompletion(target.model, [{"role": "user", "content": q}], **target.kwargs())
            for q in questions
        )
    )
    assert [a.choices[0].message.content for a in answers] == [reply_text(q) for q in questions]
    assert target.sim.requests.count() == 20
