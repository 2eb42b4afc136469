"""The Anthropic adapter end to end through the SDK client against the Anthropic simulator (which
checks headers and validates bodies as the Messages API does): answers, streams, tools, JSON mode,
thinking replay, prompt caching and errors over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.client import Client
from llmrelay.testing import RunningSimulator
from llmrelay.types import errors
from llmrelay.types.response import ChatChunk, ChatResponse

MODEL = "anthropic/claude-sonnet-4-5"
USER = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with Client() as c:
        yield c


async def complete(client: Client, sim: RunningSimulator, **params: Any) -> ChatResponse:
    params.setdefault("messages", USER)
    result = await client.acompletion(MODEL, max_retries=0, **sim.sdk_kwargs(), **params)
    assert isinstance(result, ChatResponse)
    return result


async def stream_chunks(client: Client, sim: RunningSimulator, **params: Any) -> list[ChatChunk]:
    params.setdefault("messages", USER)
    stream = await client.acompletion(
        MODEL,
        stream=True,
        stream_options={"include_usage": True},
        max_retries=0,
        **sim.sdk_kwargs(),
        **params,
    )
    return [chunk async for chunk in stream]  # type: ignore[union-attr]


async def test_text_answer_headers_and_usage(client: Client, anthropic_sim: RunningSimulator) -> None:
    result = await complete(client, anthropic_sim, temperature=0.1)
    assert result.choices[0].message.content
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None and result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    sent = anthropic_sim.requests.last
    assert sent.path == "/v1/messages"
    assert sent.header("x-api-key") == anthropic_sim.api_key
    assert sent.header("anthropic-version") == "2023-06-01"
    assert sent.body["max_tokens"] == 4096


async def test_stream_assembles_to_the_same_answer(client: Client, anthropic_sim: RunningSimulator) -> None:
    whole = await complete(client, anthropic_sim)
    chunks = await stream_chunks(client, anthropic_sim)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


async def test_tool_call_round_trip(client: Client, anthropic_sim: RunningSimulator) -> None:
    first = await complete(client, anthropic_sim, tools=[WEATHER], tool_choice="required")
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and calls
    assert json.loads(calls[0].function.arguments).keys() == {"city"}
    streamed = await stream_chunks(client, anthropic_sim, tools=[WEATHER], tool_choice="required")
    pieces = [tc for c in streamed if c.choices for tc in c.choices[0].delta.tool_calls or ()]
    assert pieces[0].id and pieces[0].function and pieces[0].function.name == "get_weather"
    args = "".join(p.function.arguments or "" for p in pieces if p.function)
    assert json.loads(args).keys() == {"city"}
    messages = [
        *USER,
        {"role": "assistant", "content": None, "tool_calls": [c.to_dict() for c in calls]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "22C and sunny"},
    ]
    second = await complete(client, anthropic_sim, messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop"
    sent = anthropic_sim.requests.last.body
    assert sent["messages"][-1]["content"][0]["type"] == "tool_result"


async def test_json_mode(client: Client, anthropic_sim: RunningSimulator) -> None:
    result = await complete(client, anthropic_sim, response_format={"type": "json_object"})
    assert isinstance(json.loads(result.choices[0].message.content or ""), dict)
    assert result.choices[0].message.tool_calls is None
    assert result.choices[0].finish_reason == "stop"


async def test_thinking_is_returned_and_replayed(client: Client, anthropic_sim: RunningSimulator) -> None:
    first = await complete(client, anthropic_sim, reasoning_effort="low")
    message = first.choices[0].message
    assert message.reasoning_content and message.thinking_blocks
    assert anthropic_sim.requests.last.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    # to_dict() omits default fields, role "assistant" among them (reported to the lead)
    messages = [
        *USER,
        {"role": "assistant", **message.to_dict()},
        {"role": "user", "content": "And of Italy?"},
    ]
    await complete(client, anthropic_sim, messages=messages, reasoning_effort="low")
    replayed = anthropic_sim.requests.last.body["messages"][1]["content"]
    assert (
        replayed[0]["type"] == "thinking"
        and replayed[0]["signature"] == message.thinking_blocks[0]["signature"]
    )


async def test_prompt_caching_reports_cached_tokens(client: Client, anthropic_sim: RunningSimulator) -> None:
    long_system = {"role": "system", "content": [
        {"type": "text", "text": "Background. " * 400, "cache_control": {"type": "ephemeral"}}
    ]}  # fmt: skip
    first = await complete(client, anthropic_sim, messages=[long_system, *USER])
    second = await complete(client, anthropic_sim, messages=[long_system, *USER])
    assert first.usage is not None and second.usage is not None
    assert first.usage.cache_creation_tokens > 0
    assert second.usage.cached_tokens > 0
    assert second.usage.prompt_tokens == first.usage.prompt_tokens


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (413, errors.RequestTooLargeError),
        (429, errors.RateLimitError),
        (500, errors.InternalServerError),
        (529, errors.ServiceUnavailableError),
    ],
)
async def test_error_statuses(
    client: Client, anthropic_sim: RunningSimulator, status: int, expected: type[errors.LLMError]
) -> None:
    anthropic_sim.faults.fail_next(1, status, retry_after=3 if status == 429 else None)
    with pytest.raises(expected) as info:
        await complete(client, anthropic_sim)
    assert info.value.provider == "anthropic"
    if status == 429:
        assert info.value.retry_after == 3.0


async def test_context_window_error(client: Client, anthropic_sim: RunningSimulator) -> None:
    anthropic_sim.faults.set(kind="context_window", times=1)
    with pytest.raises(errors.ContextWindowExceededError):
        await complete(client, anthropic_sim)


async def test_stream_cut_is_connection_error(client: Client, anthropic_sim: RunningSimulator) -> None:
    anthropic_sim.faults.set(cut_after=1, times=1)
    with pytest.raises(errors.APIConnectionError):
        await stream_chunks(client, anthropic_sim)
