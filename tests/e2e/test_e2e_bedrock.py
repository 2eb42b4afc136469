"""AWS Bedrock deployments behind the gateway, configured as LiteLLM users write them (SigV4 keys from
`os.environ/`, a region, `api_base` or `aws_bedrock_runtime_endpoint` pointing at the simulator, or a
Bedrock API key), called with the official `openai` client: answers, streams (the binary event stream
re-encoded as OpenAI SSE), tool calls, embeddings, pricing and Bedrock's errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import yaml
from e2e_helpers import serve_gateway

from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import RunningSimulator, SimulatorGroup
from llmrelay.testing.bedrock_sim import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from llmrelay.testing.content import reply_text, tool_result_reply

MASTER_KEY = "sk-bedrock-e2e-master"
QUESTION = "What do otters eat?"
MESSAGES: Any = [{"role": "user", "content": QUESTION}]
CONFIG = """
model_list:
  - model_name: claude-sonnet
    litellm_params:
      model: bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_region_name: us-east-1
      api_base: {endpoint}
  - model_name: claude-37
    litellm_params:
      model: bedrock/converse/us.anthropic.claude-3-7-sonnet-20250219-v1:0
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_region_name: us-east-1
      aws_bedrock_runtime_endpoint: {endpoint}
  - model_name: nova-with-api-key
    litellm_params:
      model: bedrock/amazon.nova-pro-v1:0
      api_key: os.environ/BEDROCK_API_KEY
      aws_region_name: us-east-1
      api_base: {endpoint}
  - model_name: nova-bad-secret
    litellm_params:
      model: bedrock/amazon.nova-pro-v1:0
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: not-the-secret
      aws_region_name: us-east-1
      api_base: {endpoint}
  - model_name: titan-embed
    litellm_params:
      model: bedrock/amazon.titan-embed-text-v2:0
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      aws_region_name: us-east-1
      api_base: {endpoint}
router_settings:
  num_retries: 0
general_settings:
  master_key: {master_key}
"""
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def gateway(simulators: SimulatorGroup) -> Iterator[str]:
    sim = simulators.bedrock
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_REGION", "AWS_DEFAULT_REGION"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        env.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        env.setenv("BEDROCK_API_KEY", sim.api_key)
        text = CONFIG.format(endpoint=sim.base_url, master_key=MASTER_KEY)
        config = parse_config(yaml.safe_load(text), source="bedrock-e2e.yaml")
        with serve_gateway(build_app(config)) as url:
            yield url


@pytest.fixture
def oai(gateway: str, bedrock_sim: RunningSimulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway + "/v1", api_key=MASTER_KEY, max_retries=0)


def test_chat_is_signed_and_priced(oai: openai.OpenAI, bedrock_sim: RunningSimulator) -> None:
    raw = oai.chat.completions.with_raw_response.create(
        model="claude-sonnet", messages=MESSAGES, max_tokens=64
    )
    answer = raw.parse()
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert answer.choices[0].finish_reason == "stop"
    assert raw.headers["x-llmrelay-provider"] == "bedrock"
    assert answer.usage is not None
    # Claude 3.5 Sonnet's Bedrock list prices: $3 / $15 per million tokens in / out
    expected = (answer.usage.prompt_tokens * 3 + answer.usage.completion_tokens * 15) / 1_000_000
    assert float(raw.headers["x-llmrelay-cost"]) == pytest.approx(expected, abs=1e-6)
    upstream = bedrock_sim.requests.last
    assert upstream.path == "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse"
    assert upstream.headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/")
    assert upstream.body["inferenceConfig"] == {"maxTokens": 64}


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream_is_reencoded_as_openai_sse(
    oai: openai.OpenAI, bedrock_sim: RunningSimulator, include_usage: bool
) -> None:
    options: Any = {"include_usage": True} if include_usage else openai.NOT_GIVEN
    chunks = list(
        oai.chat.completions.create(model="claude-37", messages=MESSAGES, stream=True, stream_options=options)
    )
    content = [c for c in chunks if c.choices]
    assert "".join(c.choices[0].delta.content or "" for c in content) == reply_text(QUESTION)
    assert content[-1].choices[0].finish_reason == "stop"
    usage_chunks = [c for c in chunks if not c.choices]
    assert len(usage_chunks) == (1 if include_usage else 0)
    if include_usage:
        assert usage_chunks[0].usage is not None and usage_chunks[0].usage.completion_tokens > 0
    assert (
        bedrock_sim.requests.last.path
        == "/model/us.anthropic.claude-3-7-sonnet-20250219-v1:0/converse-stream"
    )


def test_tool_calls_round_trip(oai: openai.OpenAI, bedrock_sim: RunningSimulator) -> None:
    first = oai.chat.completions.create(model="claude-sonnet", messages=MESSAGES, tools=[WEATHER])
    [call] = first.choices[0].message.tool_calls or []
    assert first.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
    history: Any = [
        *MESSAGES,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "fish and crabs"},
    ]
    second = oai.chat.completions.create(model="claude-sonnet", messages=history, tools=[WEATHER])
    assert second.choices[0].message.content == tool_result_reply("fish and crabs")
    streamed = list(
        oai.chat.completions.create(model="claude-sonnet", messages=MESSAGES, tools=[WEATHER], stream=True)
    )
    arguments = "".join(
        tc.function.arguments or ""
        for c in streamed
        if c.choices
        for tc in c.choices[0].delta.tool_calls or ()
        if tc.function
    )
    assert "city" in json.loads(arguments)


def test_bedrock_api_key_deployment(oai: openai.OpenAI, bedrock_sim: RunningSimulator) -> None:
    answer = oai.chat.completions.create(model="nova-with-api-key", messages=MESSAGES)
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert bedrock_sim.requests.last.headers["authorization"] == f"Bearer {bedrock_sim.api_key}"


def test_bad_secret_is_an_authentication_error(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.AuthenticationError) as info:
        oai.chat.completions.create(model="nova-bad-secret", messages=MESSAGES)
    assert "signature we calculated does not match" in str(info.value)
    assert "not-the-secret" not in str(info.value)


def test_throttling_and_context_window(oai: openai.OpenAI, bedrock_sim: RunningSimulator) -> None:
    bedrock_sim.faults.fail_next(1, 429)
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(model="claude-sonnet", messages=MESSAGES)
    bedrock_sim.faults.set(kind="context_window", times=1)
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="claude-sonnet", messages=MESSAGES)
    assert "Input is too long" in str(info.value)


def test_embeddings(oai: openai.OpenAI, bedrock_sim: RunningSimulator) -> None:
    result = oai.embeddings.create(model="titan-embed", input="sea otters", dimensions=512)
    assert len(result.data) == 1 and len(result.data[0].embedding) == 512
    assert result.usage.prompt_tokens == 2
    assert bedrock_sim.requests.last.path == "/model/amazon.titan-embed-text-v2:0/invoke"


def test_the_config_loads_without_warnings(
    bedrock_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("BEDROCK_API_KEY", "k")
    text = CONFIG.format(endpoint=bedrock_sim.base_url, master_key=MASTER_KEY)
    config = parse_config(yaml.safe_load(text), source="bedrock-e2e.yaml")
    assert config.warnings == []


def test_a_client_cannot_send_aws_credentials(oai: openai.OpenAI, bedrock_sim: RunningSimulator) -> None:
    with pytest.raises(openai.BadRequestError, match="deployment setting"):
        oai.chat.completions.create(
            model="claude-sonnet", messages=MESSAGES, extra_body={"aws_secret_access_key": "client-secret"}
        )
    assert bedrock_sim.requests.count() == 0
