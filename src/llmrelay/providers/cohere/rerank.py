"""Rerank through Cohere's `POST /v2/rerank`.

The v2 body is {"model", "query", "documents": [str], "top_n"?, "max_tokens_per_doc"?}; the answer is
{"id", "results": [{"index", "relevance_score"}], "meta": {"api_version", "billed_units":
{"search_units"}}}. v2 takes documents as strings only and no longer returns them, so LiteLLM's shape
is served on top: an object document is sent as "field: value" lines of its `rank_fields` (every field
when none are given, as Cohere's SDK does), and `return_documents` puts each ranked document back in
the answer from the request. `max_chunks_per_doc` (v1 only) is not sent; `max_tokens_per_doc` is.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.rerank import (
    RerankBilledUnits,
    RerankMeta,
    RerankRequest,
    RerankResponse,
    RerankResult,
    RerankTokens,
)

# Cohere bills one search unit per query over up to 100 documents
DOCUMENTS_PER_SEARCH_UNIT = 100


class _ResultWire(msgspec.Struct):
    index: int
    relevance_score: float


class _UnitsWire(msgspec.Struct, omit_defaults=True):
    search_units: float | None = None
    input_tokens: float | None = None
    output_tokens: float | None = None


class _MetaWire(msgspec.Struct, omit_defaults=True):
    api_version: dict[str, Any] | None = None
    billed_units: _UnitsWire | None = None
    tokens: _UnitsWire | None = None


class _RerankWire(msgspec.Struct, omit_defaults=True):
    results: list[_ResultWire]
    id: str | None = None
    meta: _MetaWire | None = None


_decoder = msgspec.json.Decoder(_RerankWire)


def rerank_body(request: RerankRequest, model: str, provider: str) -> dict[str, Any]:
    if not request.documents:
        raise BadRequestError(
            "rerank needs at least one document", provider=provider, model=request.model, param="documents"
        )
    if request.top_n is not None and request.top_n < 1:
        raise BadRequestError(
            f"top_n must be at least 1; got {request.top_n}",
            provider=provider,
            model=request.model,
            param="top_n",
        )
    body: dict[str, Any] = {
        "model": model,
        "query": request.query,
        "documents": [
            document_text(d, request.rank_fields, provider, request.model) for d in request.documents
        ],
    }
    if request.top_n is not None:
        body["top_n"] = request.top_n
    if request.max_tokens_per_doc is not None:
        body["max_tokens_per_doc"] = request.max_tokens_per_doc
    body.update(request.extra_body or {})
    return body


def document_text(
    document: str | dict[str, Any], rank_fields: list[str] | None, provider: str, model: str
) -> str:
    """The text Cohere ranks a document by."""
    if isinstance(document, str):
        return document
    fields = rank_fields or list(document)
    missing = [f for f in fields if f not in document]
    if missing:
        raise BadRequestError(
            f"a document lacks the rank field(s) {', '.join(missing)}",
            provider=provider,
            model=model,
            param="rank_fields",
        )
    return "\n".join(f"{f}: {_plain(document[f])}" for f in fields)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else msgspec.json.encode(value).decode()


def parse_rerank(body: bytes, request: RerankRequest, provider: str) -> RerankResponse:
    try:
        decoded = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed rerank response from Cohere: {exc}", provider=provider, model=request.model
        ) from exc
    count = len(request.documents)
    results = []
    for item in decoded.results:
        if not 0 <= item.index < count:
            raise InternalServerError(
                f"Cohere ranked document {item.index} of {count}", provider=provider, model=request.model
            )
        document = _returned(request.documents[item.index]) if request.return_documents else None
        results.append(
            RerankResult(index=item.index, relevance_score=item.relevance_score, document=document)
        )
    meta = decoded.meta or _MetaWire()
    billed = meta.billed_units
    # no bill in the answer: Cohere's rule (a unit per 100 documents), so the call is still priced
    units = (
        int(billed.search_units)
        if billed is not None and billed.search_units is not None
        else math.ceil(count / DOCUMENTS_PER_SEARCH_UNIT)
    )
    tokens = meta.tokens
    return RerankResponse(
        id=decoded.id or "",
        results=results,
        meta=RerankMeta(
            api_version=meta.api_version,
            billed_units=RerankBilledUnits(
                search_units=units,
                input_tokens=_int(billed.input_tokens) if billed else None,
                output_tokens=_int(billed.output_tokens) if billed else None,
            ),
            tokens=RerankTokens(
                input_tokens=_int(tokens.input_tokens), output_tokens=_int(tokens.output_tokens)
            )
            if tokens is not None
            else None,
        ),
    )


def _returned(document: str | dict[str, Any]) -> dict[str, Any]:
    return {"text": document} if isinstance(document, str) else document


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
