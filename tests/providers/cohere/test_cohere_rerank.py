"""Rerank through Cohere's /v2/rerank: the adapter's body and parsing (bytes only), then the SDK against
the Cohere simulator (wire, ranking, returned documents, cost, errors)."""

from __future__ import annotations

import json

import pytest

import llmrelay
from llmrelay.providers.cohere.adapter import CohereProvider
from llmrelay.testing import RunningSimulator
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.http import HttpResponse
from llmrelay.types.rerank import RerankRequest

MODEL = "rerank-v3.5"
QUERY = "capital of the United States"
DOCS = [
    "Carson City is the capital city of Nevada.",
    "Washington, D.C. is the capital of the United States.",
    "The capital city of France is Paris.",
]


def _deployment(**changes: object) -> Deployment:
    return Deployment(provider="cohere", model=MODEL, api_key="co-key", **changes)  # type: ignore[arg-type]


def _request(**fields: object) -> RerankRequest:
    return RerankRequest(model=f"cohere/{MODEL}", query=QUERY, documents=list(DOCS), **fields)  # type: ignore[arg-type]


# ---- adapter (sans-IO)
def test_body_is_cohere_v2_and_url_is_v2_rerank() -> None:
    sent = CohereProvider().prepare_rerank(
        _request(top_n=2, max_tokens_per_doc=512, max_chunks_per_doc=10, return_documents=True),
        _deployment(api_base="https://proxy.example/v2/rerank"),
    )
    assert sent.url == "https://proxy.example/v2/rerank"
    assert sent.headers["authorization"] == "Bearer co-key"
    # v2 takes neither return_documents nor max_chunks_per_doc: llmrelay serves the first itself
    assert json.loads(sent.body) == {
        "model": MODEL, "query": QUERY, "documents": DOCS, "top_n": 2, "max_tokens_per_doc": 512,
    }  # fmt: skip


def test_object_documents_are_sent_as_their_rank_fields() -> None:
    docs = [
        {"title": "Nevada", "text": "Carson City", "year": 1864},
        {"title": "USA", "text": "D.C.", "year": 1790},
    ]
    request = RerankRequest(model=MODEL, query=QUERY, documents=docs, rank_fields=["text", "year"])  # type: ignore[arg-type]
    body = json.loads(CohereProvider().prepare_rerank(request, _deployment()).body)
    assert body["documents"] == ["text: Carson City\nyear: 1864", "text: D.C.\nyear: 1790"]
    every = json.loads(
        CohereProvider()
        .prepare_rerank(RerankRequest(model=MODEL, query=QUERY, documents=docs[:1]), _deployment())
        .body  # type: ignore[arg-type]
    )
    assert every["documents"] == ["title: Nevada\ntext: Carson City\nyear: 1864"]


@pytest.mark.parametrize(
    ("fields", "param"),
    [({"documents": []}, "documents"), ({"top_n": 0}, "top_n"),
     ({"documents": [{"a": "x"}], "rank_fields": ["b"]}, "rank_fields")],
)  # fmt: skip
def test_bad_requests_name_the_field(fields: dict, param: str) -> None:
    request = RerankRequest(**{"model": MODEL, "query": QUERY, "documents": DOCS, **fields})
    with pytest.raises(BadRequestError) as info:
        CohereProvider().prepare_rerank(request, _deployment())
    assert info.value.param == param


def test_parse_returns_documents_when_asked_and_keeps_the_bill() -> None:
    docs: list = ["plain", {"title": "t", "text": "obj"}]
    request = RerankRequest(model=MODEL, query=QUERY, documents=docs, return_documents=True)
    body = json.dumps({
        "id": "r1", "results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}],
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
    }).encode()  # fmt: skip
    result = CohereProvider().parse_rerank(HttpResponse(status=200, headers={}, body=body), request)
    assert [(r.index, r.relevance_score, r.document) for r in result.results] == [
        (1, 0.9, {"title": "t", "text": "obj"}), (0, 0.1, {"text": "plain"}),
    ]  # fmt: skip
    assert result.search_units() == 1 and result.id == "r1"


def test_parse_without_bill_counts_a_unit_per_hundred_documents() -> None:
    request = RerankRequest(model=MODEL, query=QUERY, documents=["d"] * 150)
    body = json.dumps({"results": [{"index": 3, "relevance_score": 0.5}]}).encode()
    result = CohereProvider().parse_rerank(HttpResponse(status=200, headers={}, body=body), request)
    assert result.search_units() == 2 and result.results[0].document is None


@pytest.mark.parametrize(
    "body", [b"not json", b'{"results": [{"index": 9, "relevance_score": 0.1}]}', b'{"id": "x"}']
)
def test_malformed_answers_are_server_errors(body: bytes) -> None:
    with pytest.raises(InternalServerError):
        CohereProvider().parse_rerank(HttpResponse(status=200, headers={}, body=body), _request())


# ---- SDK against the simulator
@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    c = llmrelay.Client()
    yield c
    await c.aclose()


async def test_arerank_ranks_prices_and_returns_documents(
    cohere_sim: RunningSimulator, client: llmrelay.Client
) -> None:
    resp = await client.arerank(
        f"cohere/{MODEL}", QUERY, DOCS, top_n=2, return_documents=True, **cohere_sim.sdk_kwargs()
    )
    assert cohere_sim.requests.last.path == "/v2/rerank"
    # the share of the query's words each document holds: 5/5, then 3/5 ("the capital ... of")
    assert [r.index for r in resp.results] == [1, 2]
    assert resp.results[0].relevance_score > resp.results[1].relevance_score
    assert resp.results[0].document == {"text": DOCS[1]}
    assert resp.meta.billed_units is not None and resp.meta.billed_units.search_units == 1
    # $2 per 1000 searches: one search unit is $0.002
    assert resp._hidden_params["cost_micros"] == 2000  # type: ignore[attr-defined]
    assert json.loads(resp.model_dump_json())["results"][0]["document"] == {"text": DOCS[1]}


def test_module_level_rerank_is_sync(cohere_sim: RunningSimulator) -> None:
    resp = llmrelay.rerank(f"cohere/{MODEL}", QUERY, DOCS, **cohere_sim.sdk_kwargs())
    assert sorted(r.index for r in resp.results) == [0, 1, 2]
    assert all(r.document is None for r in resp.results)


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [({"status": 401}, llmrelay.AuthenticationError),
     ({"status": 429, "retry_after": 7}, llmrelay.RateLimitError),
     ({"status": 500}, llmrelay.InternalServerError)],
)  # fmt: skip
async def test_errors(
    cohere_sim: RunningSimulator, client: llmrelay.Client, fault: dict, error_class: type[llmrelay.LLMError]
) -> None:
    cohere_sim.faults.set(**fault)
    with pytest.raises(error_class) as info:
        await client.arerank(f"cohere/{MODEL}", QUERY, DOCS, num_retries=0, **cohere_sim.sdk_kwargs())
    assert type(info.value) is error_class and info.value.provider == "cohere"
    if "retry_after" in fault:
        assert info.value.retry_after == 7
