"""`voyage/...` and `jina_ai/...` embeddings and rerank through the llmrelay SDK against simulators
of their APIs, which refuse fields their real APIs do not know (so a misspelt one fails here)."""

from __future__ import annotations

import base64
import struct
from collections.abc import AsyncIterator

import pytest

import llmrelay
from llmrelay.testing import RunningSimulator
from llmrelay.types.errors import AuthenticationError, BadRequestError, NotFoundError

QUERY = "What is the capital of France?"
# long enough that its price shows in micro-dollars (Voyage: $0.06 per million tokens)
LONG = "word " * 100
DOCS = ["Berlin is in Germany", "Paris is the capital of France", "The capital of Spain is Madrid"]


@pytest.fixture
async def client() -> AsyncIterator[llmrelay.Client]:
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_voyage_embeddings(client: llmrelay.Client, voyage_sim: RunningSimulator) -> None:
    answer = await client.aembedding(
        "voyage/voyage-3",
        ["hello world", LONG],
        dimensions=256,
        task_type="query",
        **voyage_sim.sdk_kwargs(),
    )
    assert [len(d.embedding) for d in answer.data] == [256, 256]
    # Voyage reports total_tokens only: they are the prompt tokens, and the call is priced by them
    assert answer.usage.prompt_tokens == answer.usage.total_tokens == 102
    assert answer._hidden_params["response_cost"] > 0  # type: ignore[attr-defined]
    sent = voyage_sim.requests.last
    assert sent.path == "/voyage/v1/embeddings"
    assert sent.body == {
        "model": "voyage-3",
        "input": ["hello world", LONG],
        "output_dimension": 256,
        "input_type": "query",
    }
    assert sent.headers["authorization"] == f"Bearer {voyage_sim.api_key}"


async def test_voyage_base64_and_refusals(client: llmrelay.Client, voyage_sim: RunningSimulator) -> None:
    answer = await client.aembedding(
        "voyage/voyage-3", "hi", encoding_format="base64", dimensions=4, **voyage_sim.sdk_kwargs()
    )
    vector = answer.data[0].embedding
    assert isinstance(vector, str) and len(struct.unpack("<4f", base64.b64decode(vector))) == 4
    with pytest.raises(BadRequestError) as refused:
        await client.aembedding(
            "voyage/voyage-3", "hi", task_type="RETRIEVAL_QUERY", **voyage_sim.sdk_kwargs()
        )
    assert refused.value.param == "task_type"


async def test_voyage_rerank(client: llmrelay.Client, voyage_sim: RunningSimulator) -> None:
    answer = await client.arerank(
        "voyage/rerank-2", QUERY, [*DOCS, LONG], top_n=2, return_documents=True, **voyage_sim.sdk_kwargs()
    )
    assert [r.index for r in answer.results] == [1, 2]
    assert answer.results[0].document == {"text": DOCS[1]}
    assert answer.meta.billed_units is not None and answer.meta.billed_units.input_tokens
    assert answer._hidden_params["response_cost"] > 0  # type: ignore[attr-defined]
    sent = voyage_sim.requests.last
    assert sent.path == "/voyage/v1/rerank"
    assert sent.body == {
        "model": "rerank-2",
        "query": QUERY,
        "documents": [*DOCS, LONG],
        "top_k": 2,
        "return_documents": False,
    }


async def test_jina_embeddings_and_rerank(client: llmrelay.Client, jina_sim: RunningSimulator) -> None:
    answer = await client.aembedding(
        "jina_ai/jina-embeddings-v3",
        ["a", "b"],
        dimensions=64,
        task_type="retrieval.passage",
        **jina_sim.sdk_kwargs(),
    )
    assert [len(d.embedding) for d in answer.data] == [64, 64]
    assert jina_sim.requests.last.path == "/jina/v1/embeddings"
    assert jina_sim.requests.last.body == {
        "model": "jina-embeddings-v3",
        "input": ["a", "b"],
        "dimensions": 64,
        "task": "retrieval.passage",
    }
    ranked = await client.arerank(
        "jina_ai/jina-reranker-v2-base-multilingual",
        QUERY,
        [{"title": "Spain", "text": DOCS[2]}, DOCS[1], LONG],
        top_n=1,
        rank_fields=["text"],
        return_documents=True,
        **jina_sim.sdk_kwargs(),
    )
    assert [r.index for r in ranked.results] == [1]
    assert ranked.results[0].document == {"text": DOCS[1]}
    assert ranked._hidden_params["response_cost"] > 0  # type: ignore[attr-defined]
    assert jina_sim.requests.last.body["documents"] == ["text: " + DOCS[2], DOCS[1], LONG]
    assert jina_sim.requests.last.body["top_n"] == 1


async def test_chat_is_refused(client: llmrelay.Client, voyage_sim: RunningSimulator) -> None:
    with pytest.raises(BadRequestError, match="does not support"):
        await client.acompletion(
            "voyage/voyage-3", [{"role": "user", "content": "hi"}], **voyage_sim.sdk_kwargs()
        )


async def test_errors_read_fastapi_detail(client: llmrelay.Client, jina_sim: RunningSimulator) -> None:
    with pytest.raises(NotFoundError, match="Model missing-x is not supported"):
        await client.aembedding("jina_ai/missing-x", "hi", **jina_sim.sdk_kwargs())
    with pytest.raises(AuthenticationError, match="Provided API key is invalid"):
        jina_sim.configure(api_keys=["other"])
        kwargs = {**jina_sim.sdk_kwargs(), "api_key": "wrong"}
        await client.aembedding("jina_ai/jina-embeddings-v3", "hi", num_retries=0, **kwargs)


async def test_rerank_refuses_chunking_knobs(client: llmrelay.Client, voyage_sim: RunningSimulator) -> None:
    with pytest.raises(BadRequestError) as refused:
        await client.arerank("voyage/rerank-2", QUERY, DOCS, max_tokens_per_doc=10, **voyage_sim.sdk_kwargs())
    assert refused.value.param == "max_tokens_per_doc"
