"""The OpenAI Agents SDK chaining its turns with previous_response_id through the gateway's stored
Responses (with a virtual key, on SQLite and PostgreSQL): each turn sends only its new items, the
gateway puts the stored conversation before them — on an OpenAI and on an Anthropic deployment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import agents
import openai
import pytest
from keys_helpers import GatewayThread, admin
from test_responses_store import two_provider_document

from llmrelay.testing import RunningSimulator


@pytest.fixture(scope="module", autouse=True)
def no_tracing() -> Iterator[None]:
    agents.set_tracing_disabled(True)  # the SDK would export traces to OpenAI's servers
    yield
    agents.set_tracing_disabled(False)


@agents.function_tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return f"sunny in {city}"


@pytest.fixture
def gateway(
    database_url: str,
    storage: Any,
    openai_sim: RunningSimulator,
    anthropic_sim: RunningSimulator,
    tmp_path: Path,
) -> Iterator[GatewayThread]:
    gw = GatewayThread(two_provider_document(database_url, openai_sim, anthropic_sim, tmp_path)).start()
    try:
        yield gw
    finally:
        gw.stop()


@pytest.mark.parametrize(("first", "second"), [("gpt-4o-mini", "claude"), ("claude", "gpt-4o-mini")])
async def test_an_agent_chains_its_turns_by_response_id(
    gateway: GatewayThread,
    openai_sim: RunningSimulator,
    anthropic_sim: RunningSimulator,
    first: str,
    second: str,
) -> None:
    key = (await admin(gateway, "/key/generate", {}))["key"]
    llm = openai.AsyncOpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0)

    def agent(model: str) -> agents.Agent[Any]:
        return agents.Agent(
            name="weather", instructions="Use the tool.", tools=[get_weather],
            model=agents.OpenAIResponsesModel(model=model, openai_client=llm),
            model_settings=agents.ModelSettings(parallel_tool_calls=False),
        )  # fmt: skip

    result = await agents.Runner.run(
        agent(first), "What is the weather in Paris?", max_turns=4, auto_previous_response_id=True
    )
    # the simulated model calls the tool with the question's words, then answers with its result
    assert str(result.final_output).startswith("Tool result received: sunny in")
    assert result.last_response_id is not None
    # the second turn named the first (and sent only the tool output): the model still got it all
    last = await llm.responses.retrieve(result.last_response_id)
    assert last.previous_response_id is not None
    sim = openai_sim if first == "gpt-4o-mini" else anthropic_sim
    assert len(sim.requests.last.body["messages"]) >= 3

    follow = await agents.Runner.run(
        agent(second), "And in Rome?", max_turns=4, previous_response_id=result.last_response_id
    )
    assert str(follow.final_output).startswith("Tool result received: sunny in")
    assert "Rome" in str(follow.final_output)
    chained = await llm.responses.retrieve(follow.raw_responses[0].response_id or "")
    assert chained.previous_response_id == result.last_response_id
    await llm.close()
