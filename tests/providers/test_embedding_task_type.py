"""`task_type` on an embedding call: sent where the provider's API has a place for it (Gemini's
taskType, Cohere's input_type...), refused — or dropped with drop_params — where it has none. It was
silently left out for OpenAI-style providers, so a caller asking for query embeddings got document
ones without a word."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import llmrelay
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import UnsupportedParamsError


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_openai_refuses_task_type_naming_it(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    sent_before = len(openai_sim.requests)
    with pytest.raises(UnsupportedParamsError) as refused:
        await client.aembedding(
            "openai/text-embedding-3-small", "hi", task_type="RETRIEVAL_QUERY", **openai_sim.sdk_kwargs()
        )
    assert refused.value.param == "task_type"
    assert len(openai_sim.requests) == sent_before  # nothing reached the provider


async def test_openai_drops_task_type_with_drop_params(
    client: llmrelay.Client, openai_sim: RunningSimulator
) -> None:
    answer = await client.aembedding(
        "openai/text-embedding-3-small",
        "hi",
        task_type="RETRIEVAL_QUERY",
        drop_params=True,
        **openai_sim.sdk_kwargs(),
    )
    assert len(answer.data) == 1
    sent = openai_sim.requests.last.body
    assert "task_type" not in sent
    assert "drop_params" not in sent  # the SDK's keyword, never a body field


async def test_gemini_still_sends_task_type(client: llmrelay.Client, gemini_sim: RunningSimulator) -> None:
    await client.aembedding(
        "gemini/gemini-embedding-001", "hi", task_type="retrieval_query", **gemini_sim.sdk_kwargs()
    )
    assert "RETRIEVAL_QUERY" in repr(gemini_sim.requests.last.body)
