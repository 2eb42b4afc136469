"""Rerank request and response types (Cohere's shape, as LiteLLM serves it at /rerank)."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.types.base import Model


class RerankRequest(Model):
    model: str
    query: str
    # strings, or objects whose `rank_fields` (default: every field) are ranked
    documents: list[str | dict[str, Any]]
    top_n: int | None = None
    return_documents: bool | None = None
    rank_fields: list[str] | None = None
    # Cohere v1's chunking knob; v2 replaced it with max_tokens_per_doc (it is not sent to v2)
    max_chunks_per_doc: int | None = None
    max_tokens_per_doc: int | None = None
    # who the call is for (budgets per end user); never sent to a provider
    user: str | None = None
    extra_body: dict[str, Any] | None = None


class RerankResult(Model):
    index: int
    relevance_score: float
    # with return_documents: {"text": ...} for a string document, the object itself otherwise
    document: dict[str, Any] | None = None


class RerankBilledUnits(Model):
    search_units: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


class RerankTokens(Model):
    input_tokens: int | None = None
    output_tokens: int | None = None


class RerankMeta(Model):
    api_version: dict[str, Any] | None = None
    billed_units: RerankBilledUnits | None = None
    tokens: RerankTokens | None = None


class RerankResponse(Model, dict=True):
    id: str
    results: list[RerankResult]
    meta: RerankMeta = msgspec.field(default_factory=RerankMeta)

    def search_units(self) -> int:
        billed = self.meta.billed_units
        return int(billed.search_units or 0) if billed is not None else 0

    def input_tokens(self) -> int:
        billed, tokens = self.meta.billed_units, self.meta.tokens
        if billed is not None and billed.input_tokens is not None:
            return int(billed.input_tokens)
        return int(tokens.input_tokens or 0) if tokens is not None else 0
