"""Vertex AI end to end through the SDK against the Vertex simulator: Gemini and Claude answers, streams
(also decoded from the simulator's bytes split at random places), tools, embeddings, and the OAuth2
flow — one token for many calls, a refresh near expiry, a revoked token refreshed once, a key the
token endpoint refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

import llmrelay
from llmrelay.core.credentials import TokenCache
from llmrelay.providers.vertex import VertexAI
from llmrelay.testing import RunningSimulator
from llmrelay.testing.base import Call, StreamReply
from llmrelay.testing.stream_splits import assert_splits_decode_alike, decoding_with
from llmrelay.testing.vertex_sim import VertexSimulator
from llmrelay.types import errors
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.response import ChatChunk, ChatResponse

USER = [{"role": "user", "content": "What is the capital of France?"}]
GEMINI = "vertex_ai/gemini-2.0-flash"
CLAUDE = "vertex_ai/claude-3-5-sonnet-v2@20241022"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    async with llmrelay.Client() as c:
        yield c


@pytest.fixture
def key(vertex_sim: RunningSimulator) -> dict[str, Any]:
    """A service-account key the simulator's token endpoint knows."""
    return vertex_sim.simulator.new_service_account(vertex_sim.base_url + "/token")  # type: ignore[attr-defined,no-any-return]


def settings(sim: RunningSimulator, key: dict[str, Any]) -> dict[str, Any]:
    return {"api_base": sim.base_url, "vertex_credentials": json.dumps(key), "vertex_location": "us-east5",
            "max_retries": 0}  # fmt: skip


def model_requests(sim: RunningSimulator) -> list[Any]:
    return [r for r in sim.requests if r.path != "/token"]


async def complete(client: llmrelay.Client, model: str, sim: RunningSimulator, key: dict[str, Any],
                   **params: Any) -> ChatResponse:  # fmt: skip
    params.setdefault("messages", USER)
    result = await client.acompletion(model, **settings(sim, key), **params)
    assert isinstance(result, ChatResponse)
    return result


# ---- answers


async def test_gemini_answer_with_minted_token(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    result = await complete(client, GEMINI, vertex_sim, key, temperature=0.1)
    assert result.choices[0].message.content and result.choices[0].finish_reason == "stop"
    assert result.usage is not None and result.usage.prompt_tokens > 0
    token_request, call = vertex_sim.requests.snapshot()
    assert token_request.path == "/token"
    assert call.path == (
        "/v1/projects/sim-project/locations/us-east5/publishers/google/models/gemini-2.0-flash:generateContent"
    )
    assert call.header("authorization").startswith("Bearer ya29.sim-")
    assert call.body["generationConfig"] == {"temperature": 0.1} and "model" not in call.body
    assert result._hidden_params["cost_micros"] > 0  # type: ignore[attr-defined]


async def test_claude_answer_body_and_price(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    result = await complete(client, CLAUDE, vertex_sim, key, max_tokens=200)
    assert result.choices[0].message.content and result.choices[0].finish_reason == "stop"
    call = vertex_sim.requests.last
    assert call.path.endswith("/publishers/anthropic/models/claude-3-5-sonnet-v2@20241022:rawPredict")
    assert call.body["anthropic_version"] == "vertex-2023-10-16" and "model" not in call.body
    usage = result.usage
    assert usage is not None
    expected = round((usage.prompt_tokens * 3 + usage.completion_tokens * 15) / 1_000_000 * 1_000_000)
    assert result._hidden_params["cost_micros"] == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
async def test_stream_assembles_to_the_same_answer(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any], model: str
) -> None:
    whole = await complete(client, model, vertex_sim, key)
    stream = await client.acompletion(
        model, USER, stream=True, stream_options={"include_usage": True}, **settings(vertex_sim, key)
    )
    chunks: list[ChatChunk] = [c async for c in stream]  # type: ignore[union-attr]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        whole.choices[0].message.content
    )
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]
    assert vertex_sim.requests.last.path.endswith(
        ":streamGenerateContent" if model == GEMINI else ":streamRawPredict"
    )
    assert vertex_sim.simulator.tokens_issued == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
async def test_stream_bytes_decode_alike_however_split(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator's own stream bytes, through the Vertex adapter's decoder, split at random."""
    # each decoder stamps its chunks' `created` with the wall clock: fixed, so that decodes run on
    # either side of a second's boundary (a loaded machine) still compare equal
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.0)
    sim = VertexSimulator()
    name = model.removeprefix("vertex_ai/")
    publisher, action = (
        ("google", "streamGenerateContent") if model == GEMINI else ("anthropic", "streamRawPredict")
    )
    deployment = Deployment(provider="vertex_ai", model=name, api_key="t", options={"vertex_project": "p"})
    request = msgspec.convert(
        {"model": model, "messages": USER, "stream": True, "tools": [WEATHER]}, ChatRequest
    )
    adapter = VertexAI().for_deployment(deployment)
    body = json.loads(adapter.prepare_chat(request, deployment).body or b"")
    match = {
        "version": "v1",
        "project": "p",
        "location": "l",
        "publisher": publisher,
        "target": f"{name}:{action}",
    }
    reply = await sim.dispatch(Call("/", {}, {"alt": "sse"}, body, match, chunks=None))
    assert isinstance(reply, StreamReply)
    data = b"".join(reply.events)
    decode = decoding_with(lambda: adapter.chat_stream_decoder(request))
    chunks = decode([data])
    assert any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert chunks[-1].usage is not None
    assert_splits_decode_alike(data, decode, seed=model)


@pytest.mark.parametrize("model", [GEMINI, CLAUDE])
async def test_tool_call_round_trip(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any], model: str
) -> None:
    first = await complete(client, model, vertex_sim, key, tools=[WEATHER], tool_choice="required")
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and calls
    assert json.loads(calls[0].function.arguments).keys() == {"city"}
    messages = [
        *USER,
        {"role": "assistant", "content": None, "tool_calls": [c.to_dict() for c in calls]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "22C and sunny"},
    ]
    second = await complete(client, model, vertex_sim, key, messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content


async def test_embeddings_take_token_counts_from_statistics(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    kwargs = settings(vertex_sim, key)
    result = await client.aembedding(
        "vertex_ai/text-embedding-004", ["one two", "three"], dimensions=16, **kwargs
    )
    assert [d.index for d in result.data] == [0, 1] and len(result.data[0].embedding) == 16
    call = vertex_sim.requests.last
    assert call.path.endswith("/publishers/google/models/text-embedding-004:predict")
    assert call.body == {"instances": [{"content": "one two"}, {"content": "three"}],
                         "parameters": {"outputDimensionality": 16}}  # fmt: skip
    from llmrelay.testing.content import count_tokens

    assert result.usage.prompt_tokens == count_tokens("one two") + count_tokens("three") > 0


def test_sync_module_function_with_a_ready_access_token(vertex_sim: RunningSimulator) -> None:
    result = llmrelay.completion(
        model=GEMINI, messages=USER, api_base=vertex_sim.base_url, api_key=vertex_sim.api_key,
        vertex_project="my-proj", max_retries=0,
    )  # fmt: skip
    assert isinstance(result, ChatResponse) and result.choices[0].message.content
    [call] = vertex_sim.requests.snapshot()  # no token exchange: the token was given
    assert call.header("authorization") == f"Bearer {vertex_sim.api_key}"
    assert "/projects/my-proj/locations/us-central1/" in call.path


# ---- the token flow


async def test_concurrent_calls_share_one_token(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    results = await asyncio.gather(*(complete(client, GEMINI, vertex_sim, key) for _ in range(8)))
    assert len(results) == 8
    assert vertex_sim.requests.count("/token") == 1
    assert len({r.header("authorization") for r in model_requests(vertex_sim)}) == 1


async def test_token_is_refreshed_shortly_before_it_expires(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    now = [0.0]
    engine = client.engine
    engine.exchange.tokens = TokenCache(lambda r, t: engine.transport.send(r, t), clock=lambda: now[0])
    await complete(client, GEMINI, vertex_sim, key)
    # the simulator's tokens live an hour: handed out until 2 minutes before, renewed in the
    # background by calls in the 2 minutes before that
    now[0] += 3600 - 241
    await complete(client, GEMINI, vertex_sim, key)
    assert vertex_sim.requests.count("/token") == 1
    now[0] += 2
    await complete(client, GEMINI, vertex_sim, key)  # served with the cached token...
    for _ in range(200):  # ...while the renewal runs off its path
        if vertex_sim.requests.count("/token") == 2:
            break
        await asyncio.sleep(0.01)
    assert vertex_sim.requests.count("/token") == 2
    now[0] += 120  # past the first token's refresh time: the renewed one serves, no new grant
    await complete(client, GEMINI, vertex_sim, key)
    assert vertex_sim.requests.count("/token") == 2
    first, second, third, fourth = (r.header("authorization") for r in model_requests(vertex_sim))
    assert first == second == third != fourth


@pytest.mark.parametrize("stream", [False, True])
async def test_a_revoked_token_is_refreshed_once_and_the_call_retried(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any], stream: bool
) -> None:
    await complete(client, CLAUDE, vertex_sim, key)
    vertex_sim.simulator.revoke_tokens()  # type: ignore[attr-defined]
    result = await client.acompletion(CLAUDE, USER, stream=stream, **settings(vertex_sim, key))
    if stream:
        assert [c async for c in result]  # type: ignore[union-attr]
    calls = model_requests(vertex_sim)
    assert len(calls) == 3 and vertex_sim.requests.count("/token") == 2
    assert (
        calls[1].header("authorization")
        == calls[0].header("authorization")
        != calls[2].header("authorization")
    )


async def test_a_freshly_minted_token_refused_is_not_retried(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    vertex_sim.faults.fail_next(1, 401, path="/publishers/")
    with pytest.raises(errors.AuthenticationError):
        await complete(client, GEMINI, vertex_sim, key)
    assert len(model_requests(vertex_sim)) == 1 and vertex_sim.requests.count("/token") == 1


async def test_a_key_the_token_endpoint_refuses_is_an_authentication_error_without_secrets(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    # the same account, signed with another key: the endpoint rejects the signature
    other = VertexSimulator().new_service_account(key["token_uri"], client_email=key["client_email"])
    with pytest.raises(errors.AuthenticationError, match="Invalid JWT Signature") as info:
        await complete(client, GEMINI, vertex_sim, other)
    shown = f"{info.value} {info.value!r} {json.dumps(info.value.to_openai_body())}"
    body = other["private_key"].split("\n")[1]
    assert body not in shown and "assertion" not in shown and "ya29" not in shown
    assert info.value.provider == "vertex_ai" and not model_requests(vertex_sim)


async def test_token_endpoint_outage_is_a_retryable_error(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    vertex_sim.faults.fail_next(1, 503, path="/token")
    with pytest.raises(errors.ServiceUnavailableError):
        await complete(client, GEMINI, vertex_sim, key)
    await complete(client, GEMINI, vertex_sim, key)  # not remembered: the next call mints a token
    assert vertex_sim.requests.count("/token") == 2


async def test_wrong_ready_token_is_an_authentication_error(
    client: llmrelay.Client, vertex_sim: RunningSimulator
) -> None:
    with pytest.raises(errors.AuthenticationError) as info:
        await client.acompletion(GEMINI, USER, api_base=vertex_sim.base_url, api_key="not-a-token",
                                 vertex_project="p", max_retries=0)  # fmt: skip
    assert "not-a-token" not in str(info.value)


async def test_credentials_never_reach_callbacks(vertex_sim: RunningSimulator, key: dict[str, Any]) -> None:
    records: list[llmrelay.CallRecord] = []

    class Hooks(llmrelay.Callback):
        def on_success(self, record: llmrelay.CallRecord) -> None:
            records.append(record)

    c = llmrelay.Client(callbacks=[Hooks()])
    try:
        await c.acompletion(GEMINI, USER, vertex_project="sim-project", **settings(vertex_sim, key))
        await c.aflush_callbacks()
    finally:
        await c.aclose()
    [record] = records
    shown = repr(record) + repr(record.request)
    assert key["private_key"].split("\n")[1] not in shown and record.request.extra_body is None


# ---- errors


async def test_errors_keep_their_classes(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    vertex_sim.faults.fail_next(1, 429, retry_after=3, path="/publishers/")
    with pytest.raises(errors.RateLimitError) as info:
        await complete(client, GEMINI, vertex_sim, key)
    assert info.value.provider == "vertex_ai" and info.value.retry_after == 3.0
    vertex_sim.faults.set(kind="context_window", times=1, path="/publishers/")
    with pytest.raises(errors.ContextWindowExceededError):
        await complete(client, CLAUDE, vertex_sim, key)


async def test_vertex_ai_beta_is_litellms_other_name_for_vertex_ai(
    client: llmrelay.Client, vertex_sim: RunningSimulator, key: dict[str, Any]
) -> None:
    """`vertex_ai_beta/` model strings (LiteLLM's older route to Gemini on Vertex AI) reach the same
    endpoint as `vertex_ai/` with the same settings."""
    result = await complete(client, "vertex_ai_beta/gemini-2.0-flash", vertex_sim, key)
    assert result.choices[0].message.content
    call = model_requests(vertex_sim)[-1]
    assert call.path.endswith("/publishers/google/models/gemini-2.0-flash:generateContent")
