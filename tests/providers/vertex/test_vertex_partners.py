"""Vertex AI partner models (Model Garden MaaS): Llama, DeepSeek and Qwen on the OpenAI-compatible
endpoint, Mistral at rawPredict; their URLs and bodies, the refusal of partner families not served,
answers and streams through the SDK against the Vertex simulator (stream bytes split at random)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

import llmrelay
from llmrelay.providers.vertex import VertexAI
from llmrelay.providers.vertex.partners import VertexMistral, VertexOpenModel
from llmrelay.testing import RunningSimulator
from llmrelay.testing.base import Call, StreamReply
from llmrelay.testing.stream_splits import assert_splits_decode_alike, decoding_with
from llmrelay.testing.vertex_sim import VertexSimulator
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import ChatChunk, ChatResponse

USER = [{"role": "user", "content": "What is the capital of France?"}]
LLAMA = "meta/llama-3.3-70b-instruct-maas"
MISTRAL = "mistral-small-2503@001"
OPENAPI = "/v1/projects/proj-1/locations/us-central1/endpoints/openapi/chat/completions"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VERTEXAI_PROJECT", "VERTEX_PROJECT", "VERTEXAI_LOCATION", "VERTEX_LOCATION",
                 "GOOGLE_APPLICATION_CREDENTIALS", "MISTRAL_API_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def chat(model: str, **fields: Any) -> ChatRequest:
    return msgspec.convert({"model": "vertex_ai/" + model, "messages": USER, **fields}, ChatRequest)


def dep(model: str) -> Deployment:
    options = {"vertex_project": "proj-1", "vertex_location": "us-central1"}
    return Deployment(provider="vertex_ai", model=model, api_key="ya29.ready", options=options)


def prepared(model: str, **fields: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    deployment = dep(model)
    http = VertexAI().for_deployment(deployment).prepare_chat(chat(model, **fields), deployment)
    return http.url, http.headers, json.loads(http.body or b"")


# ---- routing, URLs and bodies


@pytest.mark.parametrize(
    "model", [LLAMA, "deepseek-ai/deepseek-r1-0528-maas", "qwen/qwen3-235b-a22b-instruct-2507-maas"]
)
def test_open_models_go_to_the_openai_compatible_endpoint_with_the_model_in_the_body(model: str) -> None:
    assert isinstance(VertexAI().for_deployment(dep(model)), VertexOpenModel)
    url, headers, body = prepared(model, temperature=0.2, stream=True)
    assert url == "https://us-central1-aiplatform.googleapis.com" + OPENAPI
    assert headers["authorization"] == "Bearer ya29.ready"
    assert body["model"] == model and body["temperature"] == 0.2
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("stream", [False, True])
def test_mistral_goes_to_raw_predict_with_its_unversioned_id_in_the_body(stream: bool) -> None:
    assert isinstance(VertexAI().for_deployment(dep(MISTRAL)), VertexMistral)
    url, headers, body = prepared(MISTRAL, stream=stream, max_tokens=50)
    action = "streamRawPredict" if stream else "rawPredict"
    assert url == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-central1"
        f"/publishers/mistralai/models/mistral-small-2503@001:{action}"
    )
    assert body["model"] == "mistral-small-2503" and body["max_tokens"] == 50
    # Mistral rejects fields it does not know: usage comes in its last chunk unasked
    assert "stream_options" not in body
    assert headers["authorization"] == "Bearer ya29.ready"


@pytest.mark.parametrize(
    ("model", "hint"),
    [
        ("jamba-1.5-large@001", "not served"),
        ("ai21/jamba-1.5-mini", "not served"),
        ("moonshotai/kimi-k2-thinking-maas", "not served"),
        ("openai/gpt-oss-120b-maas", "not served"),
        ("llama-3.3-70b-instruct-maas", "vertex_ai/meta/"),
    ],
)
def test_partner_families_not_served_are_refused_naming_the_model(model: str, hint: str) -> None:
    with pytest.raises(errors.BadRequestError) as caught:
        VertexAI().for_deployment(dep(model))
    assert model in str(caught.value) and hint in str(caught.value)
    assert caught.value.param == "model"


def test_open_model_parameters_are_checked_by_the_open_model_rules() -> None:
    vertex = VertexAI()
    with pytest.raises(errors.UnsupportedParamsError, match="logit_bias"):
        vertex.check_params(chat(LLAMA, logit_bias={"1": 1}), drop=False)
    # seed is OpenAI's and Vertex's, refused by the Claude rules but not here
    assert vertex.check_params(chat(LLAMA, seed=3), drop=False).seed == 3


def test_vertex_errors_keep_their_class() -> None:
    adapter = VertexAI().for_deployment(dep(LLAMA))
    quota = json.dumps({"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}})
    error = adapter.classify_error(429, {}, quota.encode())
    assert isinstance(error, errors.RateLimitError) and error.provider == "vertex_ai"


# ---- through the SDK against the simulator


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    async with llmrelay.Client() as c:
        yield c


def settings(sim: RunningSimulator) -> dict[str, Any]:
    key = sim.simulator.new_service_account(sim.base_url + "/token")  # type: ignore[attr-defined]
    return {"api_base": sim.base_url, "vertex_credentials": json.dumps(key), "max_retries": 0,
            "vertex_project": "proj-1"}  # fmt: skip


@pytest.mark.parametrize("model", [LLAMA, MISTRAL])
async def test_answer_and_stream_with_a_minted_token(
    client: llmrelay.Client, vertex_sim: RunningSimulator, model: str
) -> None:
    kwargs = settings(vertex_sim)
    whole = await client.acompletion("vertex_ai/" + model, USER, **kwargs)
    assert isinstance(whole, ChatResponse)
    assert whole.choices[0].message.content and whole.choices[0].finish_reason == "stop"
    assert whole.usage is not None and whole.usage.prompt_tokens > 0
    # priced by the catalog's vertex_ai/ entry for the model
    assert whole._hidden_params["cost_micros"] > 0  # type: ignore[attr-defined]
    call = vertex_sim.requests.last
    assert call.header("authorization").startswith("Bearer ya29.sim-")
    if model == LLAMA:
        assert call.path == OPENAPI and call.body["model"] == LLAMA
    else:
        assert call.path.endswith("/publishers/mistralai/models/mistral-small-2503@001:rawPredict")
    stream = await client.acompletion(
        "vertex_ai/" + model, USER, stream=True, stream_options={"include_usage": True}, **kwargs
    )
    chunks: list[ChatChunk] = [c async for c in stream]  # type: ignore[union-attr]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    assert vertex_sim.simulator.tokens_issued == 1  # type: ignore[attr-defined]


async def test_tool_call_through_the_open_model_endpoint(
    client: llmrelay.Client, vertex_sim: RunningSimulator
) -> None:
    answer = await client.acompletion(
        "vertex_ai/" + LLAMA, USER, tools=[WEATHER], tool_choice="required", **settings(vertex_sim)
    )
    assert isinstance(answer, ChatResponse)
    calls = answer.choices[0].message.tool_calls or []
    assert answer.choices[0].finish_reason == "tool_calls" and calls[0].function.name == "get_weather"


async def test_the_simulator_refuses_a_model_without_its_publisher(
    client: llmrelay.Client, vertex_sim: RunningSimulator
) -> None:
    # the adapter refuses it first; sent by hand, the endpoint refuses it too
    sim = VertexSimulator()
    match = {"version": "v1", "project": "p", "location": "l"}
    with pytest.raises(Exception, match="not a publisher model"):
        await sim.open_model_chat(Call("/", {}, {}, {"model": "llama-3", "messages": USER}, match, None))


@pytest.mark.parametrize("model", [LLAMA, MISTRAL])
async def test_stream_bytes_decode_alike_however_split(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.0)
    sim = VertexSimulator()
    deployment = dep(model)
    request = chat(model, stream=True, tools=[WEATHER])
    adapter = VertexAI().for_deployment(deployment)
    body = json.loads(adapter.prepare_chat(request, deployment).body or b"")
    match = {"version": "v1", "project": "p", "location": "l"}
    if model == LLAMA:
        reply = await sim.open_model_chat(Call("/", {}, {}, body, match, chunks=None))
    else:
        match |= {"publisher": "mistralai", "target": f"{model}:streamRawPredict"}
        reply = await sim.dispatch(Call("/", {}, {}, body, match, chunks=None))
    assert isinstance(reply, StreamReply)
    data = b"".join(reply.events)
    decode = decoding_with(lambda: adapter.chat_stream_decoder(request))
    chunks = decode([data])
    assert any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert chunks[-1].usage is not None
    assert_splits_decode_alike(data, decode, seed=model)
