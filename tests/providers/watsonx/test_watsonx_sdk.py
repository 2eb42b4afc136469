"""`watsonx/...` (→ /ml/v1/text/chat) and `watsonx_text/...` (→ /ml/v1/text/generation) through the
llmrelay SDK against the watsonx simulator, which speaks watsonx.ai's API and IBM Cloud IAM's token
grant, and records what it got."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import llmrelay
from llmrelay.engine.pricing import Pricer
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text
from llmrelay.testing.watsonx_sim import IAM_PATH, WatsonxSimulator
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError, NotFoundError, UnsupportedParamsError

QUESTION = "Why is the sky blue?"
MESSAGES = [{"role": "user", "content": QUESTION}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


def _sim(sim: RunningSimulator) -> WatsonxSimulator:
    assert isinstance(sim.simulator, WatsonxSimulator)
    return sim.simulator


def _model_calls(sim: RunningSimulator) -> list[Any]:
    return [r for r in sim.requests.snapshot() if r.path.startswith("/ml/")]


async def test_chat_mints_an_iam_token_once_and_calls_the_chat_api(
    client: llmrelay.Client, watsonx_sim: RunningSimulator
) -> None:
    kwargs = watsonx_sim.sdk_kwargs()
    for _ in range(2):
        answer = await client.acompletion(
            "watsonx/ibm/granite-3-8b-instruct", MESSAGES, max_tokens=40, temperature=0.1, **kwargs
        )
        assert answer.choices[0].message.content == reply_text(QUESTION)
        assert answer.choices[0].finish_reason == "stop"
        assert answer.usage is not None and answer.usage.completion_tokens > 0
    # one grant for both calls: the token is cached until near its expiry
    assert _sim(watsonx_sim).tokens_issued == 1
    sent = _model_calls(watsonx_sim)[-1]
    assert sent.path == "/ml/v1/text/chat" and sent.query == {"version": "2024-03-13"}
    assert sent.body == {
        "model_id": "ibm/granite-3-8b-instruct",
        "project_id": "sim-project",
        "messages": MESSAGES,
        "temperature": 0.1,
        "max_tokens": 40,
    }
    assert sent.headers["authorization"].startswith("Bearer eyJraWQi.sim-iam.")
    assert all(watsonx_sim.api_key not in json.dumps(r.body) for r in _model_calls(watsonx_sim))


async def test_concurrent_calls_share_one_token_grant(
    client: llmrelay.Client, watsonx_sim: RunningSimulator
) -> None:
    kwargs = watsonx_sim.sdk_kwargs()
    await asyncio.gather(
        *(client.acompletion("watsonx/ibm/granite-3-8b-instruct", MESSAGES, **kwargs) for _ in range(6))
    )
    assert _sim(watsonx_sim).tokens_issued == 1
    assert len(_model_calls(watsonx_sim)) == 6


async def test_stream_assembles_with_usage(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    stream = await client.acompletion(
        "watsonx/ibm/granite-3-8b-instruct",
        MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        **watsonx_sim.sdk_kwargs(),
    )
    chunks = [chunk async for chunk in stream]
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text == reply_text(QUESTION)
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason] == [
        "stop"
    ]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert _model_calls(watsonx_sim)[-1].path == "/ml/v1/text/chat_stream"


async def test_tools_and_tool_choice(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    answer = await client.acompletion(
        "watsonx/meta-llama/llama-3-3-70b-instruct",
        [{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice="required",
        **watsonx_sim.sdk_kwargs(),
    )
    call = (answer.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    assert answer.choices[0].finish_reason == "tool_calls"
    body = _model_calls(watsonx_sim)[-1].body
    assert body["tool_choice_option"] == "required" and "tool_choice" not in body
    assert body["tools"] == [WEATHER]

    await client.acompletion(
        "watsonx/meta-llama/llama-3-3-70b-instruct",
        [{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        **watsonx_sim.sdk_kwargs(),
    )
    body = _model_calls(watsonx_sim)[-1].body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert "tool_choice_option" not in body


async def test_text_generation(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    answer = await client.acompletion(
        "watsonx_text/ibm/granite-13b-instruct-v2",
        MESSAGES,
        max_tokens=3,
        temperature=0.5,
        stop=["zzz"],
        seed=7,
        **watsonx_sim.sdk_kwargs(),
    )
    sent = _model_calls(watsonx_sim)[-1]
    assert sent.path == "/ml/v1/text/generation"
    assert sent.body == {
        "model_id": "ibm/granite-13b-instruct-v2",
        "project_id": "sim-project",
        "input": QUESTION,
        "parameters": {
            "temperature": 0.5,
            "decoding_method": "sample",
            "max_new_tokens": 3,
            "random_seed": 7,
            "stop_sequences": ["zzz"],
        },
    }
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 3

    stream = await client.acompletion(
        "watsonx_text/ibm/granite-13b-instruct-v2", MESSAGES, stream=True, **watsonx_sim.sdk_kwargs()
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == reply_text(QUESTION)
    assert _model_calls(watsonx_sim)[-1].path == "/ml/v1/text/generation_stream"


async def test_text_generation_refuses_tools(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    with pytest.raises(UnsupportedParamsError, match="tools"):
        await client.acompletion(
            "watsonx_text/ibm/granite-13b-instruct-v2", MESSAGES, tools=[WEATHER], **watsonx_sim.sdk_kwargs()
        )


async def test_embeddings(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    answer = await client.aembedding(
        "watsonx/ibm/slate-30m-english-rtrvr", ["hello", "world"], **watsonx_sim.sdk_kwargs()
    )
    assert [len(d.embedding) for d in answer.data] == [768, 768]
    assert answer.usage.prompt_tokens > 0
    sent = _model_calls(watsonx_sim)[-1]
    assert sent.path == "/ml/v1/text/embeddings"
    assert sent.body == {
        "model_id": "ibm/slate-30m-english-rtrvr",
        "project_id": "sim-project",
        "inputs": ["hello", "world"],
    }
    with pytest.raises(BadRequestError) as refused:
        await client.aembedding(
            "watsonx/ibm/slate-30m-english-rtrvr", ["x"], dimensions=8, **watsonx_sim.sdk_kwargs()
        )
    assert refused.value.param == "dimensions"


async def test_a_ready_token_and_a_zen_api_key_skip_iam(
    client: llmrelay.Client, watsonx_sim: RunningSimulator
) -> None:
    base = {"api_base": watsonx_sim.api_base, "space_id": "space-1"}
    await client.acompletion("watsonx/ibm/granite-3-8b-instruct", MESSAGES, token="sim-key", **base)
    sent = _model_calls(watsonx_sim)[-1]
    assert sent.headers["authorization"] == "Bearer sim-key"
    assert sent.body["space_id"] == "space-1" and "project_id" not in sent.body
    await client.acompletion("watsonx/ibm/granite-3-8b-instruct", MESSAGES, zen_api_key="zen-1", **base)
    assert _model_calls(watsonx_sim)[-1].headers["authorization"] == "ZenApiKey zen-1"
    assert _sim(watsonx_sim).tokens_issued == 0


async def test_environment_credentials(
    client: llmrelay.Client, watsonx_sim: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATSONX_URL", watsonx_sim.api_base)
    monkeypatch.setenv("WATSONX_APIKEY", "env-key")
    monkeypatch.setenv("WATSONX_IAM_URL", watsonx_sim.base_url + IAM_PATH)
    monkeypatch.setenv("WATSONX_PROJECT_ID", "env-project")
    await client.acompletion("watsonx/ibm/granite-3-8b-instruct", MESSAGES)
    assert _model_calls(watsonx_sim)[-1].body["project_id"] == "env-project"
    assert _sim(watsonx_sim).tokens_issued == 1


async def test_a_refused_api_key_is_an_authentication_error_without_the_key(
    client: llmrelay.Client, watsonx_sim: RunningSimulator
) -> None:
    watsonx_sim.configure(api_keys=["good-key"])
    kwargs = {**watsonx_sim.sdk_kwargs(), "api_key": "wrong-key-3f9a"}
    with pytest.raises(AuthenticationError) as refused:
        await client.acompletion("watsonx/ibm/granite-3-8b-instruct", MESSAGES, **kwargs)
    assert "Provided API key could not be found" in str(refused.value)
    assert "wrong-key-3f9a" not in str(refused.value)
    assert _model_calls(watsonx_sim) == []


async def test_project_or_space_is_required(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    kwargs = {k: v for k, v in watsonx_sim.sdk_kwargs().items() if k != "project_id"}
    with pytest.raises(BadRequestError) as refused:
        await client.acompletion("watsonx/ibm/granite-3-8b-instruct", MESSAGES, **kwargs)
    assert refused.value.param == "project_id"
    assert watsonx_sim.requests.snapshot() == []


async def test_a_deployed_model_is_named_by_the_url(
    client: llmrelay.Client, watsonx_sim: RunningSimulator
) -> None:
    kwargs = {k: v for k, v in watsonx_sim.sdk_kwargs().items() if k != "project_id"}
    answer = await client.acompletion("watsonx/deployment/dep-42", MESSAGES, **kwargs)
    assert answer.choices[0].message.content == reply_text(QUESTION)
    sent = _model_calls(watsonx_sim)[-1]
    assert sent.path == "/ml/v1/deployments/dep-42/text/chat"
    assert "model_id" not in sent.body and "project_id" not in sent.body


async def test_errors_keep_watsonx_message(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    with pytest.raises(NotFoundError) as missing:
        await client.acompletion("watsonx/missing-model", MESSAGES, **watsonx_sim.sdk_kwargs())
    assert "is not supported" in str(missing.value)
    assert missing.value.code == "model_not_supported"


def test_both_prefixes_find_the_catalogs_watsonx_prices() -> None:
    # the catalog lists watsonx models under `watsonx/` only (as LiteLLM's price list does)
    pricer = Pricer(ProviderRegistry(), llmrelay.Client().catalog)
    for prefix in ("watsonx", "watsonx_text"):
        info = pricer.model_info(Deployment(provider=prefix, model="ibm/granite-3-8b-instruct"))
        assert info is not None and info.input and info.output


async def test_a_call_is_priced(client: llmrelay.Client, watsonx_sim: RunningSimulator) -> None:
    answer = await client.acompletion(
        "watsonx/ibm/granite-3-8b-instruct", MESSAGES, **watsonx_sim.sdk_kwargs()
    )
    assert answer._hidden_params["response_cost"] > 0  # type: ignore[attr-defined]
