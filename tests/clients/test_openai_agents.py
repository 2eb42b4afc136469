"""The OpenAI Agents SDK against the demo gateway, on every simulated provider: an agent that calls a
function tool and answers with its result, through Chat Completions (which sends
`parallel_tool_calls`) and through the Responses API; and an agent with a structured output type."""

from __future__ import annotations

from collections.abc import Iterator

import agents
import openai
import pytest
from clients_common import CHAT_MODELS, KEY, City
from clients_common import get_weather as weather_of


@pytest.fixture(scope="module", autouse=True)
def no_tracing() -> Iterator[None]:
    # the SDK would export traces to OpenAI's servers
    agents.set_tracing_disabled(True)
    yield
    agents.set_tracing_disabled(False)


@agents.function_tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return weather_of(city)


def client(gateway_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gateway_url + "/v1", api_key=KEY, max_retries=0)


@pytest.mark.parametrize("api", ["chat_completions", "responses"])
@pytest.mark.parametrize("model", CHAT_MODELS)
async def test_agent_calls_a_tool_then_answers(gateway_url: str, model: str, api: str) -> None:
    llm: agents.Model
    if api == "responses":
        llm = agents.OpenAIResponsesModel(model=model, openai_client=client(gateway_url))
    else:
        llm = agents.OpenAIChatCompletionsModel(model=model, openai_client=client(gateway_url))
    agent = agents.Agent(
        name="weather", instructions="Use the tool.", model=llm, tools=[get_weather],
        model_settings=agents.ModelSettings(parallel_tool_calls=False),
    )  # fmt: skip
    result = await agents.Runner.run(agent, "What is the weather in Paris?", max_turns=4)
    assert "sunny" in str(result.final_output)
    kinds = [item.type for item in result.new_items]
    assert "tool_call_item" in kinds and "tool_call_output_item" in kinds


@pytest.mark.parametrize("model", CHAT_MODELS)
async def test_agent_structured_output(gateway_url: str, model: str) -> None:
    llm = agents.OpenAIChatCompletionsModel(model=model, openai_client=client(gateway_url))
    agent = agents.Agent(name="facts", instructions="Answer about the city.", model=llm, output_type=City)
    result = await agents.Runner.run(agent, "Tell me about Paris", max_turns=2)
    assert isinstance(result.final_output, City)
