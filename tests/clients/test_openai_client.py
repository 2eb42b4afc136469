"""The official `openai` SDK against the demo gateway, on every simulated provider: structured output
(`parse` with a pydantic model), a whole tools round trip, and the Responses API (the chat, stream and
embeddings basics are in tests/proxy/test_sdk_clients.py)."""

from __future__ import annotations

import json

import openai
import pytest
from clients_common import CHAT_MODELS, KEY, WEATHER_TOOL, City


@pytest.fixture
def oai(gateway_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway_url + "/v1", api_key=KEY, max_retries=0)


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_structured_output_parses(oai: openai.OpenAI, model: str) -> None:
    answer = oai.chat.completions.parse(
        model=model, messages=[{"role": "user", "content": "Tell me about Paris"}], response_format=City
    )
    city = answer.choices[0].message.parsed
    assert isinstance(city, City) and isinstance(city.population, int) and city.landmarks


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_tools_round_trip(oai: openai.OpenAI, model: str) -> None:
    messages: list[dict[str, object]] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = oai.chat.completions.create(model=model, messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    calls = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls" and calls
    assert json.loads(calls[0].function.arguments)["city"]
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": calls[0].id, "content": "sunny, 21C"})
    second = oai.chat.completions.create(model=model, messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    assert second.choices[0].finish_reason == "stop"
    assert "sunny" in (second.choices[0].message.content or "")


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_responses_api(oai: openai.OpenAI, model: str) -> None:
    response = oai.responses.create(model=model, input="Say hello", instructions="Be brief")
    assert response.output_text
    events = list(oai.responses.create(model=model, input="Say hello", stream=True))
    assert events[-1].type == "response.completed"
    streamed = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert streamed == response.output_text
