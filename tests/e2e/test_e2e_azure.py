"""An Azure OpenAI deployment behind the gateway, configured as LiteLLM users write it, called with the
official `openai` client: answers keep Azure's content-filter annotations, streams are relayed as
Azure's own SSE (usage chunk only when asked), embeddings, pricing and Azure's content-filter error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
import yaml
from e2e_helpers import serve_gateway

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.content import reply_text

MASTER_KEY = "sk-azure-e2e-master"
VERSION = "2024-10-21"
QUESTION = "What do otters eat?"
MESSAGES: Any = [{"role": "user", "content": QUESTION}]
# LiteLLM's Azure entries, unchanged but for the simulator's address: explicit settings, `os.environ/`
# references, and an entry that leaves key, endpoint and version to AZURE_API_KEY / AZURE_API_BASE
CONFIG = """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/my-gpt4o-deployment
      api_base: {api_base}
      api_key: os.environ/AZURE_API_KEY
      api_version: "2024-10-21"
    model_info:
      base_model: azure/gpt-4o   # what the deployment runs: its prices
  - model_name: gpt-4o-priced
    litellm_params:
      model: azure/gpt-4o
      api_base: os.environ/AZURE_API_BASE
      api_key: os.environ/AZURE_API_KEY
      api_version: "2024-10-21"
  - model_name: embeddings
    litellm_params:
      model: azure/text-embedding-3-small
router_settings:
  num_retries: 0
general_settings:
  master_key: {master_key}
"""


@pytest.fixture(scope="module")
def gateway(simulators: SimulatorGroup) -> Iterator[str]:
    sim = simulators.openai
    with pytest.MonkeyPatch.context() as env:
        for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "AZURE_API_VERSION", "AZURE_AD_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AZURE_API_KEY", sim.api_key)
        env.setenv("AZURE_API_BASE", sim.base_url)
        text = CONFIG.format(api_base=sim.base_url, master_key=MASTER_KEY)
        config = parse_config(yaml.safe_load(text), source="azure-e2e.yaml")
        with serve_gateway(build_app(config)) as url:
            yield url


@pytest.fixture
def oai(gateway: str, openai_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway + "/v1", api_key=MASTER_KEY, max_retries=0)


def test_chat_reaches_the_deployment_and_keeps_annotations(
    oai: openai.OpenAI, openai_sim: RunningSimulator
) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    answer = raw.parse()
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert raw.headers["x-llmrelay-provider"] == "azure"
    assert (answer.model_extra or {})["prompt_filter_results"][0]["prompt_index"] == 0
    assert (answer.choices[0].model_extra or {})["content_filter_results"]["violence"]["filtered"] is False
    upstream = openai_sim.requests.last
    assert upstream.path == "/openai/deployments/my-gpt4o-deployment/chat/completions"
    assert upstream.query == {"api-version": VERSION}
    assert upstream.headers["api-key"] == openai_sim.api_key and "authorization" not in upstream.headers


def test_a_deployment_is_priced_by_its_base_model(oai: openai.OpenAI) -> None:
    # `my-gpt4o-deployment` names no model the price list knows; `model_info.base_model` does
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    answer = raw.parse()
    assert answer.usage is not None
    cost = float(raw.headers["x-llmrelay-cost"])
    # gpt-4o's list prices on Azure: $2.50 / $10 per million tokens in / out
    expected = (answer.usage.prompt_tokens * 2.5 + answer.usage.completion_tokens * 10) / 1_000_000
    assert cost == pytest.approx(expected, abs=1e-6) and cost > 0


def test_deployment_named_after_its_model_is_priced(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o-priced", messages=MESSAGES)
    assert float(raw.headers["x-llmrelay-cost"]) > 0


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream_is_relayed_as_azure_sent_it(
    oai: openai.OpenAI, openai_sim: RunningSimulator, include_usage: bool
) -> None:
    options: Any = {"include_usage": True} if include_usage else openai.NOT_GIVEN
    chunks = list(
        oai.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True, stream_options=options)
    )
    # Azure's opening annotation chunk reaches the client: the bytes were relayed, not re-encoded
    first = chunks[0]
    assert first.choices == [] and first.id == "" and (first.model_extra or {})["prompt_filter_results"]
    content = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in content) == reply_text(QUESTION)
    assert all((c.choices[0].model_extra or {}).get("content_filter_results") is not None for c in content)
    usage_chunks = [c for c in chunks[1:] if not c.choices]
    assert len(usage_chunks) == (1 if include_usage else 0)
    if include_usage:
        assert usage_chunks[0].usage is not None and usage_chunks[0].usage.completion_tokens > 0
    # the gateway always asks Azure for usage, to price the stream
    assert openai_sim.requests.last.body["stream_options"] == {"include_usage": True}


def test_embeddings_with_settings_from_the_environment(
    oai: openai.OpenAI, openai_sim: RunningSimulator
) -> None:
    result = oai.embeddings.create(model="embeddings", input=["one", "two"])
    assert [d.index for d in result.data] == [0, 1] and len(result.data[0].embedding) > 0
    upstream = openai_sim.requests.last
    assert upstream.path == "/openai/deployments/text-embedding-3-small/embeddings"
    assert upstream.query == {"api-version": VERSION} and upstream.headers["api-key"] == openai_sim.api_key


def test_content_filter_refusal_keeps_its_code(oai: openai.OpenAI, openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(kind="content_policy", times=1)
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert info.value.code == "content_filter"
    assert "ContentPolicyViolationError" in str(info.value)
