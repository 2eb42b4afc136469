"""The Gemini adapter end to end through the SDK client against the Gemini simulator: answers,
streams, tool calls, JSON mode, thinking, embeddings and errors over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmrelay.client import Client
from llmrelay.testing import RunningSimulator
from llmrelay.types import errors
from llmrelay.types.response import ChatChunk, ChatResponse

USER = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with Client() as c:
        yield c


async def complete(client: Client, sim: RunningSimulator, **params: Any) -> ChatResponse:
    params.setdefault("messages", USER)
    result = await client.acompletion("gemini/gemini-2.5-flash", max_retries=0, **sim.sdk_kwargs(), **params)
    assert isinstance(result, ChatResponse)
    return result


async def test_text_answer_with_usage_and_header_key(client: Client, gemini_sim: RunningSimulator) -> None:
    result = await complete(client, gemini_sim, temperature=0.1)
    assert result.choices[0].message.content
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None and result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    sent = gemini_sim.requests.last
    assert sent.path.endswith("/v1beta/models/gemini-2.5-flash:generateContent")
    assert "key" not in sent.query
    assert sent.header("x-goog-api-key") == gemini_sim.api_key


async def test_stream_assembles_to_the_same_answer(client: Client, gemini_sim: RunningSimulator) -> None:
    whole = await complete(client, gemini_sim)
    stream = await client.acompletion(
        "gemini/gemini-2.5-flash", USER, stream=True, stream_options={"include_usage": True},
        max_retries=0, **gemini_sim.sdk_kwargs(),
    )  # fmt: skip
    chunks: list[ChatChunk] = [chunk async for chunk in stream]  # type: ignore[union-attr]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


async def test_tool_call_round_trip(client: Client, gemini_sim: RunningSimulator) -> None:
    first = await complete(client, gemini_sim, tools=[WEATHER], tool_choice="required")
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and calls
    assert json.loads(calls[0].function.arguments).keys() == {"city"}
    messages = [
        *USER,
        {"role": "assistant", "content": None, "tool_calls": [c.to_dict() for c in calls]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "22C and sunny"},
    ]
    second = await complete(client, gemini_sim, messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop"
    sent = gemini_sim.requests.last.body
    assert sent["contents"][-1]["parts"][0]["functionResponse"] == {
        "name": "get_weather",
        "response": {"output": "22C and sunny"},
    }


async def test_json_mode_and_thinking(client: Client, gemini_sim: RunningSimulator) -> None:
    result = await complete(
        client, gemini_sim, response_format={"type": "json_object"}, reasoning_effort="low"
    )
    assert isinstance(json.loads(result.choices[0].message.content or ""), dict)
    assert result.choices[0].message.reasoning_content
    assert result.usage is not None and result.usage.reasoning_tokens > 0


async def test_safety_block_is_content_filter(client: Client, gemini_sim: RunningSimulator) -> None:
    gemini_sim.faults.set(kind="content_policy", times=1)
    result = await complete(client, gemini_sim)
    assert result.choices[0].finish_reason == "content_filter"
    assert result.choices[0].message.content is None


async def test_embeddings_single_and_batch(client: Client, gemini_sim: RunningSimulator) -> None:
    one = await client.aembedding(
        "gemini/gemini-embedding-001", "hello", dimensions=8, **gemini_sim.sdk_kwargs()
    )
    assert len(one.data) == 1 and len(one.data[0].embedding) == 8
    assert gemini_sim.requests.last.path.endswith(":embedContent")
    many = await client.aembedding("gemini/gemini-embedding-001", ["a", "b", "c"], **gemini_sim.sdk_kwargs())
    assert [d.index for d in many.data] == [0, 1, 2]
    assert gemini_sim.requests.last.path.endswith(":batchEmbedContents")
    assert many.usage.prompt_tokens > 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequestError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (408, errors.Timeout),
        (413, errors.RequestTooLargeError),
        (429, errors.RateLimitError),
        (500, errors.InternalServerError),
        (503, errors.ServiceUnavailableError),
    ],
)
async def test_error_statuses(
    client: Client, gemini_sim: RunningSimulator, status: int, expected: type[errors.LLMError]
) -> None:
    gemini_sim.faults.fail_next(1, status, retry_after=3 if status == 429 else None)
    with pytest.raises(expected) as info:
        await complete(client, gemini_sim)
    assert info.value.provider == "gemini"
    if status == 429:
        assert info.value.retry_after == 3.0


async def test_bad_key_is_authentication_error(client: Client, gemini_sim: RunningSimulator) -> None:
    gemini_sim.configure(api_keys={"right-key"})
    with pytest.raises(errors.AuthenticationError):
        await client.acompletion(
            "gemini/gemini-2.5-flash", USER, api_base=gemini_sim.api_base, api_key="wrong", max_retries=0
        )


async def test_context_window_error(client: Client, gemini_sim: RunningSimulator) -> None:
    gemini_sim.faults.set(kind="context_window", times=1)
    with pytest.raises(errors.ContextWindowExceededError):
        await complete(client, gemini_sim)


async def test_stream_cut_is_connection_error(client: Client, gemini_sim: RunningSimulator) -> None:
    gemini_sim.faults.set(cut_after=1, times=1)
    with pytest.raises(errors.APIConnectionError):
        stream = await client.acompletion(
            "gemini/gemini-2.5-flash", USER, stream=True, max_retries=0, **gemini_sim.sdk_kwargs()
        )
        async for _ in stream:  # type: ignore[union-attr]
            pass
