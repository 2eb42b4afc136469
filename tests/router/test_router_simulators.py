"""Against the provider simulators (llmrelay.testing): cross-provider fallback with translation,
also for streams failing before their first byte."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from llmrelay.router import Router
from llmrelay.testing import SimulatorGroup, start_simulators
from llmrelay.types.response import hidden_params

MESSAGES = [{"role": "user", "content": "hello there"}]


@pytest.fixture
async def sims() -> AsyncIterator[SimulatorGroup]:
    async with start_simulators(["openai", "anthropic"]) as group:
        yield group


def model_list(sims: SimulatorGroup) -> list[dict[str, object]]:
    return [
        {
            "model_name": "gpt",
            "litellm_params": {"model": "openai/gpt-4o-mini", **sims.openai.sdk_kwargs()},
            "model_info": {"id": "openai-1"},
        },
        {
            "model_name": "claude",
            "litellm_params": {"model": "anthropic/claude-3-5-haiku-20241022", **sims.anthropic.sdk_kwargs()},
            "model_info": {"id": "anthropic-1"},
        },
    ]


async def test_500ing_openai_primary_is_answered_by_anthropic(sims: SimulatorGroup) -> None:
    sims.openai.faults.fail_next(10, 500)
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    router = Router(
        model_list=model_list(sims), num_retries=1, fallbacks=[{"gpt": ["claude"]}], sleep=no_wait
    )
    try:
        response = await router.acompletion(model="gpt", messages=MESSAGES, max_tokens=50)
        params = hidden_params(response)
        assert params["provider"] == "anthropic" and params["fallback_from"] == "gpt"
        assert response.choices[0].message.content
        assert sims.openai.requests.count() == 2 and len(waits) == 1  # retried once, then fell back
        sent = sims.anthropic.requests.last
        # translated to the Messages API: the Anthropic simulator validated it
        assert sent.body["model"] == "claude-3-5-haiku-20241022" and sent.body["max_tokens"] == 50
    finally:
        await router.aclose()


async def test_stream_falls_back_across_providers_before_the_first_byte(sims: SimulatorGroup) -> None:
    sims.openai.faults.fail_next(1, 503)
    router = Router(model_list=model_list(sims), fallbacks=[{"gpt": ["claude"]}])
    try:
        stream = await router.acompletion(model="gpt", messages=MESSAGES, stream=True, max_tokens=50)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text
        assert stream.hidden_params["provider"] == "anthropic"
        assert stream.hidden_params["fallback_from"] == "gpt"
        assert sims.anthropic.requests.last.body["stream"] is True
    finally:
        await router.aclose()


async def test_text_completions_and_embeddings_are_routed(sims: SimulatorGroup) -> None:
    router = Router(
        model_list=[
            {"model_name": "instruct",
             "litellm_params": {"model": "openai/gpt-3.5-turbo-instruct", **sims.openai.sdk_kwargs()}},
            {"model_name": "embed",
             "litellm_params": {"model": "openai/text-embedding-3-small", **sims.openai.sdk_kwargs()}},
        ]
    )  # fmt: skip
    try:
        text = await router.atext_completion(model="instruct", prompt="Say hi", max_tokens=5)
        assert text.choices[0].text and hidden_params(text)["model_group"] == "instruct"
        vectors = await router.aembedding(model="embed", input=["a", "b"])
        assert len(vectors.data) == 2 and hidden_params(vectors)["attempts"] == 1
        assert sims.openai.requests.count("/v1/completions") == 1
    finally:
        await router.aclose()
