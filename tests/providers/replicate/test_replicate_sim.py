"""The Replicate simulator as a raw HTTP client sees it, and `replicate/...` calls through the
llmrelay SDK and Router against it: waited and polled predictions, streams, versions, errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest

import llmrelay
from llmrelay.router import Router
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import reply_text
from llmrelay.types.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyViolationError,
    ContextWindowExceededError,
    InternalServerError,
    RateLimitError,
    Timeout,
)
from llmrelay.types.response import hidden_params

QUESTION = "Where do otters sleep at night?"
MESSAGES = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": QUESTION}]
MODEL = "replicate/meta/meta-llama-3-8b-instruct"
VERSION = "5a6809ca6288247d06daf6365557e5e429063f32a21146b2a807c682652136b8"


@pytest.fixture(autouse=True)
def _no_replicate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPLICATE_API_KEY", "REPLICATE_API_TOKEN", "REPLICATE_API_BASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            is_json = response.headers.get_content_type() == "application/json"
            return response.status, json.loads(raw) if is_json else raw.decode()
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# ---- the simulator's protocol
def test_create_poll_and_stream_by_hand(replicate_sim: RunningSimulator) -> None:
    auth = {"authorization": f"Bearer {replicate_sim.api_key}", "content-type": "application/json"}
    create = f"{replicate_sim.api_base}/models/meta/meta-llama-3-8b-instruct/predictions"
    status, waited = call("POST", create, {"input": {"prompt": QUESTION}}, {**auth, "prefer": "wait"})
    assert status == 201 and waited["status"] == "succeeded"
    assert "".join(waited["output"]) == reply_text(QUESTION) and waited["metrics"]["output_token_count"] > 0
    # without Prefer: wait the prediction starts; a GET later finds it done
    status, started = call("POST", create, {"input": {"prompt": QUESTION}, "stream": True}, auth)
    assert status == 201 and started["status"] == "starting" and started["output"] is None
    status, polled = call("GET", started["urls"]["get"], headers=auth)
    assert status == 200 and polled["status"] == "succeeded" and polled["id"] == started["id"]
    status, sse = call("GET", started["urls"]["stream"], headers={**auth, "accept": "text/event-stream"})
    assert status == 200 and sse.startswith("event: output\nid: 0\ndata: Simulated")
    assert sse.endswith("event: done\nid: 7\ndata: {}\n\n") or "event: done" in sse


def test_protocol_errors(replicate_sim: RunningSimulator) -> None:
    auth = {"authorization": f"Bearer {replicate_sim.api_key}", "content-type": "application/json"}
    base = replicate_sim.api_base
    status, body = call("POST", f"{base}/models/m/m/predictions", {"input": {}}, auth)
    assert status == 422 and body["title"] == "Input validation failed" and "prompt" in body["detail"]
    status, body = call("POST", f"{base}/predictions", {"version": "nope", "input": {"prompt": "x"}}, auth)
    assert status == 422
    status, body = call("GET", f"{base}/predictions/unknown", headers=auth)
    assert status == 404 and body["detail"] == "Not found."
    status, body = call("POST", f"{base}/models/m/m/predictions", {"input": {"prompt": "x"}})
    assert status == 401 and body == {
        "title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401
    }  # fmt: skip


# ---- SDK calls
async def test_chat_waits_for_the_prediction(
    client: llmrelay.Client, replicate_sim: RunningSimulator
) -> None:
    answer = await client.acompletion(MODEL, MESSAGES, max_tokens=50, temperature=0.2,
                                      **replicate_sim.sdk_kwargs())  # fmt: skip
    assert answer.choices[0].message.content == reply_text(QUESTION)
    assert answer.usage is not None and answer.usage.completion_tokens == len(reply_text(QUESTION).split())
    sent = replicate_sim.requests.last
    assert sent.path == "/v1/models/meta/meta-llama-3-8b-instruct/predictions"
    assert sent.headers["prefer"] == "wait"
    assert sent.body == {"input": {"prompt": QUESTION, "system_prompt": "Answer briefly.", "max_tokens": 50,
                                   "temperature": 0.2}}  # fmt: skip
    assert replicate_sim.requests.count() == 1
    params = hidden_params(answer)
    assert params["usage_estimated"] is False
    # Replicate's list prices for Llama 3 8B Instruct: $0.05 / $0.25 per million tokens in / out
    expected = (answer.usage.prompt_tokens * 0.05 + answer.usage.completion_tokens * 0.25) / 1_000_000
    assert params["response_cost"] == pytest.approx(expected, abs=1e-6) and params["response_cost"] > 0


async def test_pinned_version(client: llmrelay.Client, replicate_sim: RunningSimulator) -> None:
    model = f"replicate/meta/llama-2-70b-chat:{VERSION}"
    answer = await client.acompletion(model, MESSAGES[1:], max_tokens=3, **replicate_sim.sdk_kwargs())
    sent = replicate_sim.requests.last
    assert sent.path == "/v1/predictions" and sent.body["version"] == VERSION
    assert sent.body["input"] == {"prompt": QUESTION, "max_new_tokens": 3}
    assert (
        answer.choices[0].message.content == "Simulated reply to:"
        and answer.choices[0].finish_reason == "length"
    )


async def test_usage_estimated_when_the_model_reports_none(
    client: llmrelay.Client, replicate_sim: RunningSimulator
) -> None:
    replicate_sim.simulator.configure_predictions(token_counts=False)  # type: ignore[attr-defined]
    answer = await client.acompletion(MODEL, MESSAGES, **replicate_sim.sdk_kwargs())
    assert answer.usage is not None and answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    assert hidden_params(answer)["usage_estimated"] is True


@pytest.mark.parametrize("chunks", [None, 1, 3])
async def test_stream(client: llmrelay.Client, replicate_sim: RunningSimulator, chunks: int | None) -> None:
    replicate_sim.configure(chunks=chunks)
    stream = await client.acompletion(MODEL, MESSAGES, stream=True, stream_options={"include_usage": True},
                                      **replicate_sim.sdk_kwargs())  # fmt: skip
    out = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in out if c.choices) == reply_text(QUESTION)
    assert out[-1].choices == [] and out[-1].usage is not None and out[-1].usage.completion_tokens > 0
    create, stream_get = replicate_sim.requests.snapshot()
    assert create.method == "POST" and create.body["stream"] is True and "prefer" not in create.headers
    assert stream_get.method == "GET" and stream_get.path.startswith("/v1/streams/")
    assert stream_get.headers["accept"] == "text/event-stream"
    assert stream_get.headers["authorization"] == f"Bearer {replicate_sim.api_key}"


def router_for(sim: RunningSimulator, **params: Any) -> Router:
    litellm_params = {"model": MODEL, **sim.sdk_kwargs(), **params}
    return Router(model_list=[{"model_name": "llama", "litellm_params": litellm_params}])


async def test_slow_prediction_is_polled_until_done(replicate_sim: RunningSimulator) -> None:
    replicate_sim.simulator.configure_predictions(polls=3)  # type: ignore[attr-defined]
    router = router_for(replicate_sim, poll_interval=0.01)
    try:
        answer = await router.acompletion(model="llama", messages=MESSAGES)
    finally:
        await router.aclose()
    assert answer.choices[0].message.content == reply_text(QUESTION)
    requests = replicate_sim.requests.snapshot()
    assert [r.method for r in requests] == ["POST", "GET", "GET", "GET", "GET"]
    prediction_id = requests[1].path.rpartition("/")[2]
    assert all(r.path == f"/v1/predictions/{prediction_id}" for r in requests[1:])
    assert all(r.body is None and r.headers["authorization"] for r in requests[1:])


async def test_polling_stops_at_the_timeout(replicate_sim: RunningSimulator) -> None:
    replicate_sim.simulator.configure_predictions(polls=10_000)  # type: ignore[attr-defined]
    router = router_for(replicate_sim, poll_interval=0.02, timeout=0.3)
    try:
        with pytest.raises(Timeout):
            await router.acompletion(model="llama", messages=MESSAGES)
    finally:
        await router.aclose()
    assert 2 <= replicate_sim.requests.count("/v1/predictions/") <= 20


# ---- errors
async def test_bad_token(client: llmrelay.Client, replicate_sim: RunningSimulator) -> None:
    replicate_sim.configure(api_keys={"r8_the_right_one"})
    with pytest.raises(AuthenticationError) as info:
        await client.acompletion(
            MODEL, MESSAGES, api_base=replicate_sim.api_base, api_key="r8_wrong_token_0123456789"
        )
    assert "valid authentication token" in str(info.value) and "r8_wrong" not in repr(info.value)


async def test_rate_limit(client: llmrelay.Client, replicate_sim: RunningSimulator) -> None:
    replicate_sim.faults.fail_next(1, 429, retry_after=2)
    with pytest.raises(RateLimitError) as info:
        await client.acompletion(MODEL, MESSAGES, num_retries=0, **replicate_sim.sdk_kwargs())
    assert info.value.retry_after == 2 and info.value.provider == "replicate"


async def test_failed_predictions(client: llmrelay.Client, replicate_sim: RunningSimulator) -> None:
    replicate_sim.configure(context_window=5)
    with pytest.raises(ContextWindowExceededError):
        await client.acompletion(MODEL, MESSAGES, **replicate_sim.sdk_kwargs())
    replicate_sim.reset()
    replicate_sim.faults.set(kind="content_policy", times=1)
    with pytest.raises(ContentPolicyViolationError):
        await client.acompletion(MODEL, MESSAGES, **replicate_sim.sdk_kwargs())


async def test_input_rejected_by_the_model(client: llmrelay.Client, replicate_sim: RunningSimulator) -> None:
    with pytest.raises(BadRequestError, match="prompt is required"):
        await client.acompletion(MODEL, MESSAGES, extra_body={"prompt": ""}, **replicate_sim.sdk_kwargs())


async def test_stream_error_event_and_cut(client: llmrelay.Client, replicate_sim: RunningSimulator) -> None:
    async def read_all() -> list[Any]:
        # the failure may come with the first read (raised as the stream opens) or with a later one
        stream = await client.acompletion(
            MODEL, MESSAGES, stream=True, num_retries=0, **replicate_sim.sdk_kwargs()
        )
        return [chunk async for chunk in stream]

    replicate_sim.faults.set(error_after=2, path="/streams/", times=1)
    with pytest.raises(InternalServerError, match="Internal server error"):
        await read_all()
    replicate_sim.faults.set(cut_after=2, path="/streams/", times=1)
    with pytest.raises(APIConnectionError):
        await read_all()
    assert len(await read_all()) > 2  # faults used up: the next stream is whole


async def test_stream_create_error(client: llmrelay.Client, replicate_sim: RunningSimulator) -> None:
    replicate_sim.faults.fail_next(1, 503, path="/predictions")
    with pytest.raises(llmrelay.exceptions.ServiceUnavailableError):
        await client.acompletion(MODEL, MESSAGES, stream=True, num_retries=0, **replicate_sim.sdk_kwargs())
    assert replicate_sim.requests.count("/v1/streams/") == 0
