"""Embeddings and legacy text completions through the SDK, against the simulators."""

from __future__ import annotations

import pytest

import llmrelay
from llmrelay.testing import RunningSimulator
from llmrelay.testing.content import embedding_vector, reply_text

LONG_TEXT = " ".join(f"word{i}" for i in range(300))


async def test_openai_embeddings_values_usage_and_cost(
    openai_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    resp = await client.aembedding(
        "openai/text-embedding-3-small", ["alpha", LONG_TEXT], **openai_sim.sdk_kwargs()
    )
    assert resp.object == "list" and [d.index for d in resp.data] == [0, 1]
    assert resp.data[0].embedding == pytest.approx(list(embedding_vector("alpha", 1536)))
    assert resp.usage.prompt_tokens == 301
    info = client.catalog.get("text-embedding-3-small", "openai")
    assert info is not None and info.input
    assert resp._hidden_params["cost_micros"] == (301 * info.input + 500_000) // 1_000_000 > 0  # type: ignore[attr-defined]
    assert openai_sim.requests.last.body["input"] == ["alpha", LONG_TEXT]


async def test_openai_embeddings_dimensions_and_base64(
    openai_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    resp = await client.aembedding(
        "openai/text-embedding-3-small",
        "x",
        dimensions=8,
        encoding_format="base64",
        **openai_sim.sdk_kwargs(),
    )
    assert openai_sim.requests.last.body["dimensions"] == 8
    assert resp.data[0].embedding  # base64 text or decoded floats, but never empty


async def test_gemini_embeddings_single_and_batch(
    gemini_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    one = await client.aembedding("gemini/gemini-embedding-001", "hello", **gemini_sim.sdk_kwargs())
    assert one.data[0].embedding == pytest.approx(list(embedding_vector("hello", 3072)))
    many = await client.aembedding("gemini/gemini-embedding-001", ["a", "b", "c"], **gemini_sim.sdk_kwargs())
    assert [d.index for d in many.data] == [0, 1, 2]
    assert many.data[2].embedding == pytest.approx(list(embedding_vector("c", 3072)))
    assert many.usage.prompt_tokens > 0


def test_sync_embedding(openai_sim: RunningSimulator) -> None:
    resp = llmrelay.embedding("openai/text-embedding-3-small", "sync", **openai_sim.sdk_kwargs())
    assert len(resp.data[0].embedding) == 1536


async def test_text_completion_native_and_through_chat(
    openai_sim: RunningSimulator, anthropic_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    native = await client.atext_completion("openai/gpt-3.5-turbo-instruct", "Say hi", max_tokens=50,
                                           **openai_sim.sdk_kwargs())  # fmt: skip
    assert native.choices[0].text == reply_text("Say hi")
    assert openai_sim.requests.last.path == "/v1/completions"
    via_chat = await client.atext_completion(
        "anthropic/claude-haiku-4-5", "Say hi", **anthropic_sim.sdk_kwargs()
    )
    assert via_chat.choices[0].text == reply_text("Say hi")
    assert anthropic_sim.requests.last.path == "/v1/messages"
    assert via_chat._hidden_params["cost_micros"] > 0  # type: ignore[attr-defined]


def test_sync_text_completion(openai_sim: RunningSimulator) -> None:
    resp = llmrelay.text_completion(
        "openai/gpt-3.5-turbo-instruct", "Sync hi", max_tokens=50, **openai_sim.sdk_kwargs()
    )
    assert resp.choices[0].text == reply_text("Sync hi")
