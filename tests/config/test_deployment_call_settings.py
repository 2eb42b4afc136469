"""Per-deployment call settings from litellm_params: sampling defaults reach the upstream (the request
may override them), `drop_params: true` drops what the provider cannot take for that deployment only,
and `mock_response` answers without calling the upstream, whole or streamed."""

from __future__ import annotations

from typing import Any

import pytest

from llmrelay.config import ConfigError, parse_config
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import RateLimitError, UnsupportedParamsError
from llmrelay.types.response import hidden_params

HELLO = [{"role": "user", "content": "say hello"}]


def entry(sim: RunningSimulator, model: str = "openai/gpt-4o-mini", **params: Any) -> dict[str, Any]:
    return {
        "model_name": "m",
        "litellm_params": {"model": model, "api_base": sim.api_base, "api_key": sim.api_key, **params},
    }


async def call(model_list: list[dict[str, Any]], **kwargs: Any) -> Any:
    """One call; a stream is read to its end (as text) before the router closes."""
    router = Router(model_list=model_list)
    try:
        answer = await router.acompletion(model="m", messages=HELLO, **kwargs)
        if kwargs.get("stream"):
            return "".join([c.choices[0].delta.content or "" async for c in answer if c.choices])
        return answer
    finally:
        await router.aclose()


async def test_sampling_defaults_reach_the_upstream(openai_sim: RunningSimulator) -> None:
    defaults = {"temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "seed": 7, "reasoning_effort": "low",
                "frequency_penalty": 0.5, "stop": ["END"]}  # fmt: skip
    await call([entry(openai_sim, **defaults)])
    sent = openai_sim.requests.last.body
    assert {k: sent.get(k) for k in defaults} == defaults


async def test_the_request_overrides_a_deployment_default(openai_sim: RunningSimulator) -> None:
    await call([entry(openai_sim, temperature=0.2, max_tokens=50, seed=7)], temperature=1.0,
               max_completion_tokens=9)  # fmt: skip
    sent = openai_sim.requests.last.body
    assert sent["temperature"] == 1.0 and sent["seed"] == 7
    # the request set an output limit in the other spelling: the default's is not added beside it
    assert sent["max_completion_tokens"] == 9 and "max_tokens" not in sent


async def test_defaults_are_translated_for_another_dialect(anthropic_sim: RunningSimulator) -> None:
    await call([entry(anthropic_sim, "anthropic/claude-3-5-haiku-20241022", temperature=0.3, max_tokens=77)])
    sent = anthropic_sim.requests.last.body
    assert sent["temperature"] == 0.3 and sent["max_tokens"] == 77


async def test_defaults_on_a_stream(openai_sim: RunningSimulator) -> None:
    assert await call([entry(openai_sim, temperature=0.4)], stream=True)
    assert openai_sim.requests.last.body["temperature"] == 0.4


async def test_deployment_drop_params(anthropic_sim: RunningSimulator) -> None:
    model = "anthropic/claude-3-5-haiku-20241022"
    with pytest.raises(UnsupportedParamsError):
        await call([entry(anthropic_sim, model)], logit_bias={"1": 1.0})
    assert anthropic_sim.requests.count() == 0
    response = await call([entry(anthropic_sim, model, drop_params=True)], logit_bias={"1": 1.0})
    assert response.choices[0].message.content
    assert "logit_bias" not in anthropic_sim.requests.last.body


async def test_mock_response_never_calls_the_upstream(openai_sim: RunningSimulator) -> None:
    response = await call([entry(openai_sim, mock_response="hello from the mock")])
    assert response.choices[0].message.content == "hello from the mock"
    assert hidden_params(response)["mock"] is True
    text = await call([entry(openai_sim, mock_response="streamed mock answer")], stream=True)
    assert text == "streamed mock answer"
    assert openai_sim.requests.count() == 0


async def test_mock_response_naming_an_error_raises_it(openai_sim: RunningSimulator) -> None:
    with pytest.raises(RateLimitError):
        await call([entry(openai_sim, mock_response="litellm.RateLimitError")])
    assert openai_sim.requests.count() == 0


async def test_mock_response_refuses_embeddings(openai_sim: RunningSimulator) -> None:
    router = Router(model_list=[entry(openai_sim, "openai/text-embedding-3-small", mock_response="x")])
    try:
        with pytest.raises(Exception, match="mock_response"):
            await router.aembedding(model="m", input="hi")
    finally:
        await router.aclose()
    assert openai_sim.requests.count() == 0


def test_deployment_ids_stay_what_they_were(openai_sim: RunningSimulator) -> None:
    # the id this entry had before its defaults were sent (they were kept, unused, as options)
    params = {"model": "openai/gpt-4o-mini", "api_key": "k", "api_base": "http://x/v1",
              "temperature": 0.2, "seed": 7, "max_tokens": 50}  # fmt: skip
    router = Router(model_list=[{"model_name": "g", "litellm_params": params}])
    assert router.router_deployments()[0].id == "7446bc5490d68e3c"


def test_a_default_of_the_wrong_type_is_a_config_error(openai_sim: RunningSimulator) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"model_list": [entry(openai_sim, temperature="hot")]}, source="c.yaml")
    assert str(refused.value).startswith("c.yaml: model_list[0].litellm_params.temperature: expected")


def test_defaults_are_no_unknown_parameters(openai_sim: RunningSimulator) -> None:
    document = {"model_list": [entry(openai_sim, temperature=0.1, reasoning_effort="high", top_k=3)]}
    assert parse_config(document, source="c.yaml").warnings == []
