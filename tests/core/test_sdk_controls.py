"""LiteLLM's per-call controls given to `Client.acompletion` (as `llmrelay.completion` users pass them)
act as in LiteLLM, and none of them ever reaches a provider's body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import llmrelay
from llmrelay.core.controls import BOOKKEEPING, NOT_IMPLEMENTED
from llmrelay.events.record import CallRecord
from llmrelay.testing import RunningSimulator
from llmrelay.types import errors
from llmrelay.types.response import ChatResponse

USER = [{"role": "user", "content": "hi"}]
GPT = "openai/gpt-4o-mini"
CLAUDE = "anthropic/claude-sonnet-4-5"


class Recorder(llmrelay.Callback):
    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def on_success(self, record: CallRecord) -> None:
        self.records.append(record)

    def on_failure(self, record: CallRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[llmrelay.Client]:
    async with llmrelay.Client(callbacks=[recorder]) as c:
        yield c


# every control llmrelay acts on, with a value LiteLLM users pass
ACTED_ON: dict[str, Any] = {
    "num_retries": 1,
    "max_retries": 1,
    "timeout": 30,
    "request_timeout": 30,
    "metadata": {"run": "r1"},
    "litellm_metadata": {"team": "t1"},
    "tags": ["nightly"],
    "fallbacks": [],
    "context_window_fallback_dict": {},
    "mock_testing_fallbacks": False,
    "additional_drop_params": ["seed"],
    "drop_params": True,
    "mock_timeout": False,
    "stream_timeouts": None,
    "stream_timeout": 20,
    "custom_llm_provider": None,
    "extra_headers": {"x-trace": "1"},
}


async def test_no_litellm_control_reaches_the_provider(
    client: llmrelay.Client, openai_sim: RunningSimulator, recorder: Recorder
) -> None:
    bookkeeping = dict.fromkeys(BOOKKEEPING, "x")
    result = await client.acompletion(GPT, USER, seed=7, **ACTED_ON, **bookkeeping, **openai_sim.sdk_kwargs())
    assert isinstance(result, ChatResponse)
    body = openai_sim.requests.last.body
    leaked = (set(ACTED_ON) | BOOKKEEPING) & set(body)
    assert not leaked
    assert "seed" not in body  # additional_drop_params
    assert set(body) <= {"model", "messages"}
    await client.aflush_callbacks()
    assert recorder.records[-1].metadata == {"team": "t1", "run": "r1", "tags": ["nightly"]}


@pytest.mark.parametrize("name", sorted(NOT_IMPLEMENTED))
async def test_unimplemented_controls_are_refused_by_name(
    client: llmrelay.Client, openai_sim: RunningSimulator, name: str
) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        await client.acompletion(GPT, USER, **{name: 1}, **openai_sim.sdk_kwargs())
    assert info.value.param == name and name in info.value.message
    assert openai_sim.requests.count() == 0


async def test_fallbacks_after_a_failure(
    client: llmrelay.Client, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    openai_sim.faults.fail_next(1, 500)
    fallback = {"model": CLAUDE, **anthropic_sim.sdk_kwargs()}
    result = await client.acompletion(GPT, USER, fallbacks=[fallback], **openai_sim.sdk_kwargs())
    assert isinstance(result, ChatResponse) and result.choices[0].message.content
    assert openai_sim.requests.count() == 1 and anthropic_sim.requests.count() == 1
    assert "fallbacks" not in anthropic_sim.requests.last.body


async def test_mock_testing_fallbacks_skips_the_first_model(
    client: llmrelay.Client, openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    fallback = {"model": CLAUDE, **anthropic_sim.sdk_kwargs()}
    await client.acompletion(
        GPT, USER, fallbacks=[fallback], mock_testing_fallbacks=True, **openai_sim.sdk_kwargs()
    )
    assert openai_sim.requests.count() == 0 and anthropic_sim.requests.count() == 1
    with pytest.raises(errors.InternalServerError, match="mock_testing_fallbacks"):
        await client.acompletion(GPT, USER, mock_testing_fallbacks=True, **openai_sim.sdk_kwargs())


async def test_context_window_fallback_dict(client: llmrelay.Client, openai_sim: RunningSimulator) -> None:
    openai_sim.faults.set(kind="context_window", times=1)
    result = await client.acompletion(
        "openai/gpt-4o-mini", USER, context_window_fallback_dict={"openai/gpt-4o-mini": "openai/gpt-4.1"},
        **openai_sim.sdk_kwargs(),
    )  # fmt: skip
    assert isinstance(result, ChatResponse)
    assert [r.body["model"] for r in openai_sim.requests] == ["gpt-4o-mini", "gpt-4.1"]


async def test_all_fallbacks_failing_raises_the_last_error(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    openai_sim.faults.fail_next(2, 503)
    with pytest.raises(errors.ServiceUnavailableError):
        await client.acompletion(GPT, USER, fallbacks=["openai/gpt-4.1"], **openai_sim.sdk_kwargs())
    assert openai_sim.requests.count() == 2


async def test_mock_timeout(client: llmrelay.Client) -> None:
    with pytest.raises(errors.Timeout):
        await client.acompletion(GPT, USER, mock_timeout=True)


async def test_embeddings_refuse_per_call_fallbacks(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    with pytest.raises(errors.BadRequestError, match="fallbacks"):
        await client.aembedding(
            "openai/text-embedding-3-small", "x", fallbacks=["openai/x"], **openai_sim.sdk_kwargs()
        )
    assert openai_sim.requests.count() == 0


async def test_router_per_call_fallbacks(
    openai_sim: RunningSimulator, anthropic_sim: RunningSimulator
) -> None:
    router = llmrelay.Router(
        model_list=[
            {"model_name": "gpt", "litellm_params": {"model": GPT, **openai_sim.sdk_kwargs()}},
            {"model_name": "claude", "litellm_params": {"model": CLAUDE, **anthropic_sim.sdk_kwargs()}},
        ]
    )
    try:
        result = await router.acompletion(
            model="gpt",
            messages=USER,
            fallbacks=["claude"],
            mock_testing_fallbacks=True,
            litellm_call_id="c1",
        )
        assert isinstance(result, ChatResponse)
        assert openai_sim.requests.count() == 0
        assert "litellm_call_id" not in anthropic_sim.requests.last.body
        with pytest.raises(errors.BadRequestError, match="caching"):
            await router.acompletion(model="gpt", messages=USER, caching=True)
    finally:
        await router.aclose()
