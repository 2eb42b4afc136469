"""The official `openai` and `anthropic` SDKs against a running gateway (real Router, real adapters),
backed by each simulated provider — including each SDK over the other providers' models."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import anthropic
import openai
import pytest
import yaml
from harness import running

from llmrelay.cli.demo import DEMO_CONFIG, DEMO_MASTER_KEY, demo_environment
from llmrelay.config import parse_config
from llmrelay.proxy.server import build_app
from llmrelay.testing import SimulatorGroup, simulators_in_thread

BACKENDS = {"gpt-4o-mini": "openai", "claude-sonnet": "anthropic", "gemini-flash": "gemini"}
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def sims() -> Iterator[SimulatorGroup]:
    with simulators_in_thread() as group:
        yield group


@contextlib.contextmanager
def demo_gateway(sims: SimulatorGroup) -> Iterator[str]:
    env = demo_environment(sims.openai.api_base, sims.anthropic.api_base, sims.gemini.api_base,
                           sims.openai.api_key)  # fmt: skip
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        config = parse_config(yaml.safe_load(DEMO_CONFIG.read_text()), source=str(DEMO_CONFIG))
        with running(build_app(config)) as url:
            yield url
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def gateway_url(sims: SimulatorGroup) -> Iterator[str]:
    with demo_gateway(sims) as url:
        yield url


@pytest.fixture
def fresh_oai(sims: SimulatorGroup) -> Iterator[openai.OpenAI]:
    """A gateway of its own: fault tests put deployments into cooldown."""
    sims.reset()
    with demo_gateway(sims) as url:
        yield openai.OpenAI(base_url=url + "/v1", api_key=DEMO_MASTER_KEY, max_retries=0)
    sims.reset()


@pytest.fixture
def oai(gateway_url: str, sims: SimulatorGroup) -> openai.OpenAI:
    sims.reset()
    return openai.OpenAI(base_url=gateway_url + "/v1", api_key=DEMO_MASTER_KEY, max_retries=0)


@pytest.fixture
def claude(gateway_url: str, sims: SimulatorGroup) -> anthropic.Anthropic:
    sims.reset()
    return anthropic.Anthropic(base_url=gateway_url, api_key=DEMO_MASTER_KEY, max_retries=0)


@pytest.mark.parametrize("model", list(BACKENDS))
def test_openai_sdk_chat(oai, sims, model):
    raw = oai.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "tell me about otters"}]
    )
    answer = raw.parse()
    assert "otters" in answer.choices[0].message.content
    assert answer.usage.completion_tokens > 0
    assert raw.headers["x-llmrelay-provider"] == BACKENDS[model]
    assert sims[BACKENDS[model]].requests.count() == 1


@pytest.mark.parametrize("model", list(BACKENDS))
def test_openai_sdk_stream(oai, model):
    stream = oai.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "stream about rivers"}], stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "rivers" in text
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


@pytest.mark.parametrize("model", list(BACKENDS))
def test_openai_sdk_tools(oai, model):
    answer = oai.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=[{"type": "function", "function": WEATHER_TOOL}],
    )
    call = answer.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in call.function.arguments
    assert answer.choices[0].finish_reason == "tool_calls"


def test_openai_sdk_embeddings_and_models(oai):
    result = oai.embeddings.create(model="text-embedding-3-small", input=["one", "two"])
    assert len(result.data) == 2 and len(result.data[0].embedding) > 0
    ids = [m.id for m in oai.models.list()]
    assert set(BACKENDS) <= set(ids)
    assert oai.models.retrieve("claude-sonnet").id == "claude-sonnet"


def test_openai_sdk_error_classes(oai, gateway_url):
    with pytest.raises(openai.NotFoundError) as not_found:
        oai.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert "gpt-4o-mini" in str(not_found.value)
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "wizard", "content": "x"}])
    bad_key = openai.OpenAI(base_url=gateway_url + "/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.models.list()


def test_upstream_error_keeps_status_and_shape(fresh_oai, sims):
    oai = fresh_oai
    sims.openai.faults.set(status=429, retry_after=7, times=10)
    sims.anthropic.faults.set(status=429, retry_after=7, times=10)
    with pytest.raises(openai.RateLimitError) as limited:
        oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    assert limited.value.status_code == 429
    assert limited.value.body["type"] == "rate_limit_error"


def test_fallback_is_reported_in_headers(fresh_oai, sims):
    oai = fresh_oai
    sims.openai.faults.set(status=500, times=10)
    raw = oai.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "fall back please"}]
    )
    assert raw.headers["x-llmrelay-provider"] == "anthropic"
    assert raw.headers["x-llmrelay-fallback"] == "gpt-4o-mini"


@pytest.mark.parametrize("model", list(BACKENDS))
def test_anthropic_sdk_messages(claude, model):
    message = claude.messages.create(
        model=model, max_tokens=100, messages=[{"role": "user", "content": "say hi to the badgers"}]
    )
    assert message.type == "message" and message.model == model
    assert "badgers" in message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens > 0


@pytest.mark.parametrize("model", list(BACKENDS))
def test_anthropic_sdk_stream(claude, model):
    with claude.messages.stream(
        model=model, max_tokens=100, messages=[{"role": "user", "content": "stream about owls"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert "owls" in text
    assert final.usage.output_tokens > 0 and final.stop_reason == "end_turn"


@pytest.mark.parametrize("model", list(BACKENDS))
def test_anthropic_sdk_tools(claude, model):
    tool = {"name": WEATHER_TOOL["name"], "description": WEATHER_TOOL["description"],
            "input_schema": WEATHER_TOOL["parameters"]}  # fmt: skip
    message = claude.messages.create(
        model=model, max_tokens=100, tools=[tool], messages=[{"role": "user", "content": "weather in Oslo?"}]
    )
    use = next(b for b in message.content if b.type == "tool_use")
    assert use.name == "get_weather" and "city" in use.input
    assert message.stop_reason == "tool_use"
    with claude.messages.stream(
        model=model, max_tokens=100, tools=[tool], messages=[{"role": "user", "content": "weather in Oslo?"}]
    ) as stream:
        final = stream.get_final_message()
    assert any(b.type == "tool_use" and "city" in b.input for b in final.content)


def test_anthropic_sdk_errors_and_x_api_key(claude, gateway_url):
    with pytest.raises(anthropic.NotFoundError) as not_found:
        claude.messages.create(model="nope", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert not_found.value.body["type"] == "error"
    bad = anthropic.Anthropic(base_url=gateway_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="claude-sonnet", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    count = claude.messages.count_tokens(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert count.input_tokens > 0
