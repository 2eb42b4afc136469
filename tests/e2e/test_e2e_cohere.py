"""Cohere models behind the gateway (what `llmrelay serve` runs), configured as LiteLLM users write
them (`cohere/...`, `cohere_chat/...`, keys from `os.environ/` or COHERE_API_KEY), called with the
official `openai` client (chat, streams, tools, embeddings) and the `anthropic` client over
/v1/messages: the gateway speaks Cohere's v2 dialect upstream and prices every answer."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
import yaml
from e2e_helpers import serve_gateway

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.content import embedding_vector, reply_text

MASTER_KEY = "sk-cohere-e2e-master"
QUESTION = "What do otters eat?"
MESSAGES: Any = [{"role": "user", "content": QUESTION}]
CONFIG = """
model_list:
  - model_name: command-a
    litellm_params:
      model: cohere/command-a-03-2025
      api_base: {api_base}
      api_key: os.environ/COHERE_API_KEY
  - model_name: command-r7b
    litellm_params:
      model: cohere_chat/command-r7b-12-2024   # key and endpoint from COHERE_API_KEY / COHERE_API_BASE
  - model_name: cohere-embed
    litellm_params:
      model: cohere/embed-english-v3.0
router_settings:
  num_retries: 0
general_settings:
  master_key: {master_key}
"""
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
# Command A's list prices: $2.50 / $10 per million tokens in / out
COMMAND_A_PRICES = (2.5, 10.0)


@contextlib.contextmanager
def cohere_gateway(sim: RunningSimulator) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.delenv("CO_API_KEY", raising=False)
        env.setenv("COHERE_API_KEY", sim.api_key)
        env.setenv("COHERE_API_BASE", sim.base_url)
        text = CONFIG.format(api_base=sim.base_url, master_key=MASTER_KEY)
        config = parse_config(yaml.safe_load(text), source="cohere-e2e.yaml")
        with serve_gateway(build_app(config)) as url:
            yield url


@pytest.fixture(scope="module")
def gateway(simulators: SimulatorGroup) -> Iterator[str]:
    with cohere_gateway(simulators.cohere) as url:
        yield url


@pytest.fixture
def oai(gateway: str, cohere_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway + "/v1", api_key=MASTER_KEY, max_retries=0)


@pytest.fixture
def claude(gateway: str, cohere_sim: RunningSimulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway, api_key=MASTER_KEY, max_retries=0)


def command_a_cost(usage: Any) -> float:
    price_in, price_out = COMMAND_A_PRICES
    return float(usage.prompt_tokens * price_in + usage.completion_tokens * price_out) / 1_000_000


def test_chat_reaches_cohere_v2_and_is_priced(oai: openai.OpenAI, cohere_sim: RunningSimulator) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="command-a", messages=MESSAGES, max_tokens=200, top_p=0.5
    )
    answer = raw.parse()
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert answer.choices[0].finish_reason == "stop"
    assert raw.headers["x-llmrelay-provider"] == "cohere"
    assert answer.usage is not None and answer.usage.completion_tokens == len(reply_text(QUESTION).split())
    assert float(raw.headers["x-llmrelay-cost"]) == pytest.approx(command_a_cost(answer.usage), abs=1e-6)
    upstream = cohere_sim.requests.last
    assert upstream.path == "/v2/chat"
    assert upstream.headers["authorization"] == f"Bearer {cohere_sim.api_key}"
    assert upstream.body == {
        "model": "command-a-03-2025",
        "messages": [{"role": "user", "content": QUESTION}],
        "max_tokens": 200,
        "p": 0.5,
    }


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream_is_relayed_as_openai_chunks(
    oai: openai.OpenAI, cohere_sim: RunningSimulator, include_usage: bool
) -> None:
    options: Any = {"include_usage": True} if include_usage else openai.NOT_GIVEN
    chunks = list(
        oai.chat.completions.create(model="command-a", messages=MESSAGES, stream=True, stream_options=options)
    )
    content = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in content) == reply_text(QUESTION)
    assert [c.choices[0].finish_reason for c in content if c.choices[0].finish_reason] == ["stop"]
    usage_chunks = [c for c in chunks if not c.choices]
    assert len(usage_chunks) == (1 if include_usage else 0)
    if include_usage:
        usage = usage_chunks[0].usage
        assert usage is not None and usage.completion_tokens == len(reply_text(QUESTION).split())
    assert cohere_sim.requests.last.body["stream"] is True


def test_tool_call_round_trip(oai: openai.OpenAI, cohere_sim: RunningSimulator) -> None:
    question: Any = [{"role": "user", "content": "Weather in Lima?"}]
    first = oai.chat.completions.create(model="command-a", messages=question, tools=[WEATHER])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Weather in Lima?"}
    follow: Any = [
        *question,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18C"},
    ]
    second = oai.chat.completions.create(model="command-a", messages=follow, tools=[WEATHER])
    assert second.choices[0].message.content == "Tool result received: 18C"
    sent = cohere_sim.requests.last.body["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call.id and sent[2]["tool_call_id"] == call.id


def test_cohere_chat_entry_takes_key_and_endpoint_from_the_environment(
    oai: openai.OpenAI, cohere_sim: RunningSimulator
) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="command-r7b", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == reply_text(QUESTION)
    assert raw.headers["x-llmrelay-provider"] == "cohere_chat"
    assert float(raw.headers["x-llmrelay-cost"]) > 0
    assert cohere_sim.requests.last.body["model"] == "command-r7b-12-2024"


def test_embeddings(oai: openai.OpenAI, cohere_sim: RunningSimulator) -> None:
    result = oai.embeddings.create(model="cohere-embed", input=["one", "two"])
    assert [d.index for d in result.data] == [0, 1]
    assert result.data[1].embedding == pytest.approx(list(embedding_vector("two", 1024)))
    assert result.usage.prompt_tokens == 2
    upstream = cohere_sim.requests.last
    assert upstream.path == "/v2/embed"
    assert upstream.body["input_type"] == "search_document" and upstream.body["embedding_types"] == ["float"]


def test_anthropic_sdk_over_messages(claude: anthropic.Anthropic, cohere_sim: RunningSimulator) -> None:
    message = claude.messages.create(
        model="command-a", max_tokens=100, system="Answer briefly.", messages=MESSAGES
    )
    assert message.content[0].type == "text" and message.content[0].text == reply_text(QUESTION)
    assert message.stop_reason == "end_turn" and message.usage.output_tokens > 0
    sent = cohere_sim.requests.last.body
    assert sent["messages"][0] == {"role": "system", "content": "Answer briefly."}
    with claude.messages.stream(model="command-a", max_tokens=100, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == reply_text(QUESTION) and final.usage.output_tokens > 0


def test_rate_limit_reaches_the_client_as_429(
    simulators: SimulatorGroup, cohere_sim: RunningSimulator
) -> None:
    # a gateway of its own: the 429 puts its deployment into cooldown
    with cohere_gateway(simulators.cohere) as url:
        client = openai.OpenAI(base_url=url + "/v1", api_key=MASTER_KEY, max_retries=0)
        cohere_sim.faults.set(status=429, retry_after=1, times=1)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="command-a", messages=MESSAGES)
