"""Hugging Face and Replicate deployments behind the gateway, configured as LiteLLM users write them,
called with the official `openai` client: answers, streams (usage chunk only when asked), Replicate's
polled predictions, prices and errors."""

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

MASTER_KEY = "sk-hf-replicate-e2e-master"
QUESTION = "What do otters eat?"
MESSAGES: Any = [{"role": "user", "content": QUESTION}]
CONFIG = """
model_list:
  - model_name: llama-3-8b
    litellm_params:
      model: replicate/meta/meta-llama-3-8b-instruct
      api_base: {replicate_base}
      api_key: os.environ/REPLICATE_API_KEY
  - model_name: llama-3-8b-slow
    litellm_params:
      model: replicate/meta/meta-llama-3-8b-instruct
      api_base: {replicate_base}
      poll_interval: 0.01
  - model_name: deepseek-r1
    litellm_params:
      model: huggingface/together/deepseek-ai/DeepSeek-R1
      api_base: {hf_base}
      api_key: os.environ/HF_TOKEN
  - model_name: minilm
    litellm_params:
      model: huggingface/sentence-transformers/all-MiniLM-L6-v2
      api_base: {hf_base}
router_settings:
  num_retries: 0
general_settings:
  master_key: {master_key}
"""


@pytest.fixture(scope="module")
def gateway(simulators: SimulatorGroup) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REPLICATE_API_KEY", simulators.replicate.api_key)
        env.setenv("HF_TOKEN", simulators.openai.api_key)
        text = CONFIG.format(
            replicate_base=simulators.replicate.api_base,
            hf_base=simulators.openai.api_base,
            master_key=MASTER_KEY,
        )
        config = parse_config(yaml.safe_load(text), source="hf-replicate-e2e.yaml")
        with serve_gateway(build_app(config)) as url:
            yield url


@pytest.fixture
def oai(gateway: str, replicate_sim: RunningSimulator, openai_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway + "/v1", api_key=MASTER_KEY, max_retries=0)


# ---- Replicate
def test_replicate_chat(oai: openai.OpenAI, replicate_sim: RunningSimulator) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="llama-3-8b", messages=MESSAGES, max_tokens=40)
    answer = raw.parse()
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert raw.headers["x-llmrelay-provider"] == "replicate"
    assert answer.usage is not None and answer.usage.completion_tokens > 0
    # Replicate's list prices for Llama 3 8B Instruct: $0.05 / $0.25 per million tokens in / out
    expected = (answer.usage.prompt_tokens * 0.05 + answer.usage.completion_tokens * 0.25) / 1_000_000
    assert float(raw.headers["x-llmrelay-cost"]) == pytest.approx(expected, abs=1e-6)
    upstream = replicate_sim.requests.last
    assert upstream.path == "/v1/models/meta/meta-llama-3-8b-instruct/predictions"
    assert upstream.body["input"] == {"prompt": QUESTION, "max_tokens": 40}
    assert upstream.headers["authorization"] == f"Bearer {replicate_sim.api_key}"


@pytest.mark.parametrize("include_usage", [True, False])
def test_replicate_stream(oai: openai.OpenAI, replicate_sim: RunningSimulator, include_usage: bool) -> None:
    options: Any = {"include_usage": True} if include_usage else openai.NOT_GIVEN
    chunks = list(
        oai.chat.completions.create(
            model="llama-3-8b", messages=MESSAGES, stream=True, stream_options=options
        )
    )
    content = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in content) == reply_text(QUESTION)
    assert content[-1].choices[0].finish_reason == "stop"
    usage_chunks = [c for c in chunks if not c.choices]
    assert len(usage_chunks) == (1 if include_usage else 0)
    if include_usage:
        assert usage_chunks[0].usage is not None and usage_chunks[0].usage.completion_tokens > 0
    assert [r.method for r in replicate_sim.requests] == ["POST", "GET"]


def test_replicate_prediction_polled_behind_the_gateway(
    oai: openai.OpenAI, replicate_sim: RunningSimulator
) -> None:
    replicate_sim.simulator.configure_predictions(polls=2)  # type: ignore[attr-defined]
    answer = oai.chat.completions.create(model="llama-3-8b-slow", messages=MESSAGES)
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert [r.method for r in replicate_sim.requests] == ["POST", "GET", "GET", "GET"]


def test_replicate_rate_limit(oai: openai.OpenAI, replicate_sim: RunningSimulator) -> None:
    replicate_sim.faults.fail_next(1, 429, retry_after=1)
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(model="llama-3-8b", messages=MESSAGES)


# ---- Hugging Face
def test_huggingface_chat_and_stream(oai: openai.OpenAI, openai_sim: RunningSimulator) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="deepseek-r1", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == reply_text(QUESTION)
    assert raw.headers["x-llmrelay-provider"] == "huggingface"
    upstream = openai_sim.requests.last
    assert (
        upstream.path == "/v1/chat/completions"
        and upstream.body["model"] == "deepseek-ai/DeepSeek-R1:together"
    )
    chunks = list(oai.chat.completions.create(model="deepseek-r1", messages=MESSAGES, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply_text(QUESTION)
    assert openai_sim.requests.last.body["stream_options"] == {"include_usage": True}


def test_huggingface_embeddings(oai: openai.OpenAI, openai_sim: RunningSimulator) -> None:
    result = oai.embeddings.create(model="minilm", input=["otters", "rivers"])
    assert [d.index for d in result.data] == [0, 1] and len(result.data[0].embedding) == 384
    path = "/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction"
    assert openai_sim.requests.last.path == path
