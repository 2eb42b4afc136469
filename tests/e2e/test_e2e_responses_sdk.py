"""The SDK's Responses API (`Client.aresponses`, `llmrelay.responses`, `Router.aresponses`) against
each provider's simulator: a Response whatever the provider, its stream events, function calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Target, expected_cost_micros

import llmrelay
from llmrelay.core.responses_api import ResponsesStream
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text
from llmrelay.types.responses import FunctionCallItem, OutputMessage, Response

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


async def test_response_from_every_provider(target: Target, client: llmrelay.Client) -> None:
    response = await client.aresponses(
        target.model, "Where do penguins live?", instructions="Answer briefly.", **target.kwargs()
    )
    assert isinstance(response, Response)
    assert response.status == "completed" and response.model == target.model
    assert response.output_text == reply_text("Where do penguins live?")
    assert isinstance(response.output[-1], OutputMessage)
    usage = response.usage
    assert usage is not None and usage.output_tokens == len(response.output_text.split())
    # priced like the chat call it was
    cost = response._hidden_params["cost_micros"]  # type: ignore[attr-defined]
    assert cost > 0
    assert "Answer briefly." in json.dumps(target.sim.requests.last.body)
    as_json = json.loads(response.model_dump_json())
    assert as_json["object"] == "response" and as_json["error"] is None


async def test_stream_events_and_final_response(target: Target, client: llmrelay.Client) -> None:
    stream = await client.aresponses(target.model, "Tell me about rivers", stream=True, **target.kwargs())
    assert isinstance(stream, ResponsesStream)
    events = [event async for event in stream]
    assert events[0]["type"] == "response.created" and events[-1]["type"] == "response.completed"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == reply_text("Tell me about rivers")
    final = stream.response()
    assert final is events[-1]["response"] and final.output_text == text
    assert final.usage is not None and final.usage.output_tokens == len(text.split())
    assert stream.usage is not None
    assert stream.cost_micros == expected_cost_micros(client, target.model, stream.usage) > 0


async def test_function_call_round_trip(target: Target, client: llmrelay.Client) -> None:
    question: list[Any] = [{"role": "user", "content": "Weather in Lima?"}]
    first = await client.aresponses(target.model, question, tools=[WEATHER], **target.kwargs())
    assert isinstance(first, Response)
    (call,) = [item for item in first.output if isinstance(item, FunctionCallItem)]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Weather in Lima?"}
    follow = [*question, *(item.to_dict() for item in first.output),
              {"type": "function_call_output", "call_id": call.call_id, "output": "18C"}]  # fmt: skip
    answer = await client.aresponses(target.model, follow, tools=[WEATHER], **target.kwargs())
    assert isinstance(answer, Response)
    assert answer.output_text.startswith("Tool result received:") and "18C" in answer.output_text


def test_module_function_sync_and_stream(openai_sim: RunningSimulator) -> None:
    kwargs = openai_sim.sdk_kwargs()
    response = llmrelay.responses("openai/gpt-4o-mini", "hello otters", **kwargs)
    assert isinstance(response, Response) and response.output_text == reply_text("hello otters")
    with llmrelay.responses("openai/gpt-4o-mini", "hello otters", stream=True, **kwargs) as stream:
        kinds = [event["type"] for event in stream]  # type: ignore[union-attr]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"


async def test_mock_response_and_bad_input(client: llmrelay.Client) -> None:
    response = await client.aresponses("openai/gpt-4o-mini", "hi", mock_response="mocked!")
    assert isinstance(response, Response) and response.output_text == "mocked!"
    with pytest.raises(llmrelay.NotFoundError, match="previous_response_id"):
        await client.aresponses("openai/gpt-4o-mini", "hi", previous_response_id="resp_1")
    with pytest.raises(llmrelay.BadRequestError, match="file_search"):
        await client.aresponses("openai/gpt-4o-mini", "hi", tools=[{"type": "file_search"}])


async def test_router_responses(anthropic_sim: RunningSimulator) -> None:
    router = llmrelay.Router(
        model_list=[{"model_name": "claude", "litellm_params": {"model": "anthropic/claude-haiku-4-5",
                                                                 **anthropic_sim.sdk_kwargs()}}]
    )  # fmt: skip
    try:
        response = await router.aresponses("claude", "hi from the router", max_output_tokens=300)
        assert isinstance(response, Response) and response.model == "claude"
        assert response.output_text == reply_text("hi from the router")
        assert anthropic_sim.requests.last.body["max_tokens"] == 300
    finally:
        await router.aclose()


async def test_mid_stream_error_is_raised_from_the_iteration(
    openai_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    openai_sim.faults.set(error_after=5, chunk_delay=0.02, times=1)
    stream = await client.aresponses(
        "openai/gpt-4o-mini", "a long answer about glaciers and the ice of the poles", stream=True,
        **openai_sim.sdk_kwargs(),
    )  # fmt: skip
    assert isinstance(stream, ResponsesStream)
    seen: list[str] = []
    with pytest.raises(llmrelay.LLMError):
        async for event in stream:
            seen.append(event["type"])
    assert seen[0] == "response.created" and "response.output_text.delta" in seen
    with pytest.raises(llmrelay.LLMError, match="has not ended"):
        stream.response()
