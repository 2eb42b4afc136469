"""The SDK's stored Responses (a Client's bounded in-memory store, as the gateway's database): a
conversation continued with previous_response_id across providers, tool outputs included, streams
stored once completed, LiteLLM's get_responses / list_input_items / delete_responses (also as module
functions and on a Router), store=False, store_responses=False, and the store's bounds."""

from __future__ import annotations

from typing import Any

import pytest

import llmrelay
from llmrelay.core.responses_api import ResponsesStream
from llmrelay.core.responses_memory import MemoryResponseStore
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import TOOL_RESULT_PREFIX, reply_text
from llmrelay.types.responses import FunctionCallItem, OutputMessage, OutputText, Response

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


async def test_a_conversation_continues_across_providers(
    client: llmrelay.Client, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    first = await client.aresponses(
        "openai/gpt-4o-mini",
        "Weather in Lima?",
        tools=[WEATHER],
        instructions="old",
        **openai_sim.sdk_kwargs(),
    )
    assert isinstance(first, Response) and first.store is True
    (call,) = [item for item in first.output if isinstance(item, FunctionCallItem)]
    answer = await client.aresponses(
        "anthropic/claude-haiku-4-5",
        [{"type": "function_call_output", "call_id": call.call_id, "output": "18C"}],
        previous_response_id=first.id, tools=[WEATHER], max_output_tokens=300, **anthropic_sim.sdk_kwargs(),
    )  # fmt: skip
    assert isinstance(answer, Response) and answer.previous_response_id == first.id
    assert answer.output_text == TOOL_RESULT_PREFIX + "18C"
    body = anthropic_sim.requests.last.body
    assert "system" not in body  # the first call's instructions are not carried over
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"][-1]["type"] == "tool_use"
    assert body["messages"][2]["content"][0]["type"] == "tool_result"

    assert (await client.aget_responses(answer.id)) is answer
    items = await client.alist_input_items(answer.id, order="asc")
    assert [i["type"] for i in items["data"]] == ["message", "function_call", "function_call_output"]
    assert items["object"] == "list" and items["has_more"] is False
    assert client.delete_responses(answer.id) == {"id": answer.id, "object": "response", "deleted": True}
    with pytest.raises(llmrelay.NotFoundError):
        client.get_responses(answer.id)


async def test_a_stream_is_stored_once_completed(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    stream = await client.aresponses("openai/gpt-4o-mini", "tell me", stream=True, **openai_sim.sdk_kwargs())
    assert isinstance(stream, ResponsesStream)
    events = [event async for event in stream]
    final = events[-1]["response"]
    assert events[-1]["type"] == "response.completed" and final.store is True
    assert client.get_responses(final.id) is final
    follow = await client.aresponses(
        "openai/gpt-4o-mini", "more", previous_response_id=final.id, **openai_sim.sdk_kwargs()
    )
    assert isinstance(follow, Response) and follow.output_text == reply_text("more")
    assert len(openai_sim.requests.last.body["messages"]) == 3


async def test_a_failed_stream_is_not_stored(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(error_after=5, chunk_delay=0.01, times=1)
    stream = await client.aresponses(
        "openai/gpt-4o-mini",
        "a long answer that breaks before its end",
        stream=True,
        **openai_sim.sdk_kwargs(),
    )
    assert isinstance(stream, ResponsesStream)
    created = None
    with pytest.raises(llmrelay.LLMError):
        async for event in stream:
            created = created or event["response"].id
    assert created is not None
    with pytest.raises(llmrelay.NotFoundError):
        await client.aget_responses(created)


async def test_store_false_and_a_client_without_a_store(openai_sim: RunningSimulator) -> None:
    kwargs: dict[str, Any] = openai_sim.sdk_kwargs()
    async with llmrelay.Client() as client:
        made = await client.aresponses("openai/gpt-4o-mini", "hi", store=False, **kwargs)
        assert isinstance(made, Response) and made.store is False
        with pytest.raises(llmrelay.NotFoundError):
            await client.aget_responses(made.id)
    async with llmrelay.Client(store_responses=False) as bare:
        made = await bare.aresponses("openai/gpt-4o-mini", "hi", **kwargs)
        assert isinstance(made, Response) and made.store is False
        for field, extra in (
            ("store", {"store": True}),
            ("previous_response_id", {"previous_response_id": made.id}),
        ):
            with pytest.raises(llmrelay.BadRequestError) as refused:
                await bare.aresponses("openai/gpt-4o-mini", "hi", **extra, **kwargs)
            assert refused.value.param == field
        with pytest.raises(llmrelay.NotFoundError, match="keeps no responses"):
            bare.get_responses(made.id)


def test_module_functions_use_the_default_client(openai_sim: RunningSimulator) -> None:
    made = llmrelay.responses("openai/gpt-4o-mini", "hello module", **openai_sim.sdk_kwargs())
    assert isinstance(made, Response)
    assert llmrelay.get_responses(made.id).id == made.id
    assert llmrelay.list_input_items(made.id)["data"][0]["content"][0]["text"] == "hello module"
    assert llmrelay.delete_responses(made.id)["deleted"] is True


async def test_a_router_keeps_its_own(anthropic_sim: RunningSimulator) -> None:
    entry = {
        "model_name": "claude",
        "litellm_params": {"model": "anthropic/claude-haiku-4-5", **anthropic_sim.sdk_kwargs()},
    }
    router = llmrelay.Router(model_list=[entry])
    try:
        first = await router.aresponses("claude", "one", max_output_tokens=100)
        assert isinstance(first, Response)
        second = await router.aresponses(
            "claude", "two", max_output_tokens=100, previous_response_id=first.id
        )
        assert isinstance(second, Response) and second.previous_response_id == first.id
        assert len(anthropic_sim.requests.last.body["messages"]) == 3
        assert (await router.aget_responses(second.id)).id == second.id
    finally:
        await router.aclose()


def _response(n: int, text: str = "x") -> Response:
    return Response(
        id=f"resp_{n}",
        created_at=1,
        model="m",
        output=[OutputMessage(id=f"msg_{n}", content=[OutputText(text=text)])],
    )


def test_the_memory_store_is_bounded() -> None:
    store = MemoryResponseStore(max_responses=2, max_bytes=1000)
    for n in range(3):
        store.put(_response(n), [], 10)
    assert len(store) == 2
    with pytest.raises(llmrelay.NotFoundError):
        store.get("resp_0")  # the oldest went first
    store.put(_response(3), [], 995)  # over the byte bound: only it is left
    assert len(store) == 1 and store.get("resp_3").id == "resp_3"
    with pytest.raises(llmrelay.BadRequestError) as refused:
        store.check_size([{"type": "message", "content": "y" * 2000}])
    assert refused.value.param == "input"
    with pytest.raises(ValueError):
        MemoryResponseStore(max_responses=0)
