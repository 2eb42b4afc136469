"""LiteLLM itself as a client of the demo gateway (`openai/<model group>` with `api_base` pointing at
it, as LiteLLM users point at a LiteLLM proxy), on every simulated provider: chat, stream, a tools
round trip, structured output, embeddings and the Responses API.

litellm (the `clients-litellm` extra, part of `dev`) is heavy: 200 MB installed, seconds to import. The
marker `litellm_client` selects or deselects these tests (`pytest -m "not litellm_client"`)."""

from __future__ import annotations

import json
from typing import Any

import litellm
import pytest
from clients_common import CHAT_MODELS, EMBEDDING_MODEL, KEY, WEATHER_TOOL, City

pytestmark = pytest.mark.litellm_client


def gateway(gateway_url: str) -> dict[str, Any]:
    return {"api_base": gateway_url + "/v1", "api_key": KEY, "num_retries": 0}


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_chat_and_stream(gateway_url: str, model: str) -> None:
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    whole = litellm.completion(model=f"openai/{model}", messages=messages, **gateway(gateway_url))
    text = whole.choices[0].message.content
    assert text
    stream = litellm.completion(
        model=f"openai/{model}", messages=messages, stream=True, **gateway(gateway_url)
    )
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream) == text


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_tools_round_trip(gateway_url: str, model: str) -> None:
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = litellm.completion(model=f"openai/{model}", messages=messages, tools=[WEATHER_TOOL],
                               **gateway(gateway_url))  # fmt: skip
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments)["city"]
    messages += [
        first.choices[0].message.model_dump(),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    second = litellm.completion(model=f"openai/{model}", messages=messages, tools=[WEATHER_TOOL],
                                **gateway(gateway_url))  # fmt: skip
    assert "sunny" in second.choices[0].message.content


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_structured_output(gateway_url: str, model: str) -> None:
    answer = litellm.completion(model=f"openai/{model}", messages=[{"role": "user", "content": "Paris?"}],
                                response_format=City, **gateway(gateway_url))  # fmt: skip
    city = City.model_validate_json(answer.choices[0].message.content)
    assert isinstance(city.population, int)


def test_embeddings(gateway_url: str) -> None:
    result = litellm.embedding(
        model=f"openai/{EMBEDDING_MODEL}", input=["one", "two"], **gateway(gateway_url)
    )
    assert len(result.data) == 2 and len(result.data[0]["embedding"]) > 10


@pytest.mark.parametrize("model", CHAT_MODELS)
def test_responses_api(gateway_url: str, model: str) -> None:
    response = litellm.responses(model=f"openai/{model}", input="Say hello", **gateway(gateway_url))
    assert response.output[0].content[0].text
