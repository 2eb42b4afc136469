"""The SDK Client's calls run through the router's CallRunner (a group of one deployment): its
retries take the router's backoff, and its records are the router's records."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from sdk_upstream import Reply, Upstream

import llmrelay
from llmrelay import CallRecord, Client, Router
from llmrelay.core.retry import Backoff

MESSAGES = [{"role": "user", "content": "ping"}]
MODEL = "openai/gpt-4o-mini"
BOOM = Reply(500, json.dumps({"error": {"message": "boom"}}).encode())


class Recorder(llmrelay.Callback):
    def __init__(self) -> None:
        self.records: list[tuple[str, CallRecord]] = []

    def on_success(self, record: CallRecord) -> None:
        self.records.append(("success", record))

    def on_failure(self, record: CallRecord) -> None:
        self.records.append(("failure", record))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[Client]:
    c = Client(callbacks=[recorder], retry_policy=Backoff(base=0.25, cap=2.0))
    yield c
    await c.aclose()
    c.close()


async def test_a_retry_takes_the_routers_backoff_and_shows_in_the_record(
    client: Client, recorder: Recorder, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[int, str, float, float]] = []

    def router_backoff(retry: int, error: Any, *, base: float, cap: float, rng: Any) -> float:
        asked.append((retry, type(error).__name__, base, cap))
        return 0.0

    monkeypatch.setattr("llmrelay.router.runner.backoff_delay", router_backoff)
    upstream.queue(BOOM, BOOM, Reply())
    resp = await client.acompletion(MODEL, MESSAGES, api_key="k", api_base=upstream.base, num_retries=2)
    await client.aflush_callbacks()
    # the runner asked the router's backoff, with the client's base and cap, before each retry
    assert asked == [(1, "InternalServerError", 0.25, 2.0), (2, "InternalServerError", 0.25, 2.0)]
    [(hook, record)] = recorder.records
    assert hook == "success" and record.attempts == 3 == resp._hidden_params["attempts"]
    assert len(upstream.received) == 3


async def test_every_call_type_counts_its_attempts(client: Client, upstream: Upstream) -> None:
    embedding = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
    upstream.queue(BOOM, Reply(body=json.dumps(embedding).encode()))
    resp = await client.aembedding(
        "openai/text-embedding-3-small", "hi", api_key="k", api_base=upstream.base, num_retries=1
    )
    assert resp._hidden_params["attempts"] == 2


async def _answered(call: Awaitable[object], replies: list[Reply]) -> None:
    """Await the call; it fails when the upstream's reply is an error."""
    if replies[0].status == 200:
        await call
        return
    with pytest.raises(llmrelay.InternalServerError, match="boom"):
        await call


async def _router_records(upstream: Upstream, replies: list[Reply]) -> list[tuple[str, CallRecord]]:
    recorder = Recorder()
    deployment = {"model": MODEL, "api_key": "k", "api_base": upstream.base}
    router = Router([{"model_name": MODEL, "litellm_params": deployment}], callbacks=[recorder])
    try:
        upstream.queue(*replies)
        await _answered(router.acompletion(model=MODEL, messages=MESSAGES, metadata={"team": "a"}), replies)
        await router.aflush()
    finally:
        await router.aclose()
    return recorder.records


# what differs between an SDK call's record and a Router call's, and why: ids and clocks are the
# call's own; a router's deployment has an id and a group, an SDK call's only its provider/model
OWN = {"call_id", "start_time", "end_time", "latency_s", "deployment", "model_group"}
# objects of each call: compared by what they say
OBJECTS = {"request", "response", "error"}


@pytest.mark.parametrize("outcome", ["success", "failure"])
async def test_an_sdk_record_and_a_router_record_of_the_same_answer_agree(
    client: Client, recorder: Recorder, upstream: Upstream, outcome: str
) -> None:
    replies = [Reply()] if outcome == "success" else [BOOM]
    upstream.queue(*replies)
    await _answered(
        client.acompletion(MODEL, MESSAGES, api_key="k", api_base=upstream.base, metadata={"team": "a"}),
        replies,
    )
    await client.aflush_callbacks()
    [(sdk_hook, sdk)] = recorder.records
    [(router_hook, routed)] = await _router_records(upstream, replies)
    assert sdk_hook == router_hook == outcome
    shared = [name for name in CallRecord.__struct_fields__ if name not in OWN | OBJECTS]
    assert {name: getattr(sdk, name) for name in shared} == {name: getattr(routed, name) for name in shared}
    assert sdk.deployment == MODEL and routed.model_group == MODEL
    assert sdk.request == routed.request
    if outcome == "success":
        assert sdk.response.to_dict() == routed.response.to_dict()
        assert sdk.error is None and routed.error is None
    else:
        assert sdk.response is None and routed.response is None
        assert (type(sdk.error), str(sdk.error), sdk.error.provider, sdk.error.model) == (
            type(routed.error),
            str(routed.error),
            routed.error.provider,
            routed.error.model,
        )


async def test_a_mock_exception_reaches_the_caller_and_its_record_says_what_it_was(
    client: Client, recorder: Recorder
) -> None:
    with pytest.raises(ValueError, match="nope"):
        await client.acompletion("gpt-4o", MESSAGES, mock_response=ValueError("nope"))
    await client.aflush_callbacks()
    [(hook, record)] = recorder.records
    assert hook == "failure" and type(record.error) is llmrelay.LLMError
    assert "nope" in str(record.error) and record.attempts == 1
