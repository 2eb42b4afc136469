"""The OpenAPI document of the gateway, written out by hand (no framework generates it) and a
self-contained HTML page listing it at /docs (no CDN: the gateway may run offline)."""

from __future__ import annotations

import html
from typing import Any


def _op(summary: str, tag: str, body: str | None = None, stream: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "security": [{"bearer": []}],
        "responses": {
            "200": {"description": "OK" + (" (text/event-stream when `stream` is true)" if stream else "")},
            "400": {"description": "invalid request (the error names the field)"},
            "401": {"description": "missing or wrong API key"},
            "404": {"description": "unknown model (the error lists the known ones)"},
            "413": {"description": "request body too large"},
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "description": body}}},
        }
    return op


_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("post", "/v1/chat/completions",
     _op("Chat completion (OpenAI dialect), any configured model", "OpenAI", "OpenAI chat request", True)),
    ("post", "/v1/completions", _op("Legacy text completion", "OpenAI", "OpenAI completions request")),
    ("post", "/v1/embeddings", _op("Embeddings", "OpenAI", "OpenAI embeddings request")),
    ("post", "/v1/responses",
     _op("Responses API (OpenAI dialect), any configured model; stateless", "OpenAI",
         "OpenAI Responses request", True)),
    ("post", "/v1/rerank",
     _op("Rerank documents by relevance to a query (Cohere's shape)", "OpenAI", "Cohere rerank request")),
    ("post", "/v1/moderations",
     _op("Moderation; without `model`, the first moderation group", "OpenAI", "OpenAI moderations request")),
    ("post", "/v1/images/generations",
     _op("Image generation", "OpenAI", "OpenAI images generations request")),
    ("get", "/v1/models", _op("List model groups", "OpenAI")),
    ("get", "/v1/models/{model}", _op("One model group", "OpenAI")),
    ("post", "/v1/messages",
     _op("Messages (Anthropic dialect), any model", "Anthropic", "Anthropic messages request", True)),
    ("post", "/v1/messages/count_tokens",
     _op("Count input tokens (Anthropic dialect)", "Anthropic", "Anthropic count_tokens request")),
    ("get", "/health", _op("Per-deployment health from the router's view", "Health")),
    ("get", "/health/liveliness", _op("Process is up (no auth)", "Health")),
    ("get", "/health/readiness", _op("Ready to serve (no auth)", "Health")),
    ("get", "/model/info", _op("Configured deployments without credentials", "Admin")),
]  # fmt: skip


Operation = tuple[str, str, dict[str, Any]]


def openapi_document(version: str, extra: list[Operation] | None = None) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, op in [*_ROUTES, *(extra or [])]:
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "llmrelay gateway",
            "version": version,
            "description": "OpenAI- and Anthropic-compatible LLM gateway. Every /v1 route is also served "
            "without the /v1 prefix. Authenticate with `Authorization: Bearer <master key>` "
            "(or `x-api-key` on /v1/messages).",
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }


def docs_page(extra: list[Operation] | None = None) -> str:
    rows = "\n".join(
        f"<tr><td><code>{m.upper()}</code></td><td><code>{html.escape(p)}</code></td>"
        f"<td>{html.escape(op['summary'])}</td></tr>"
        for m, p, op in [*_ROUTES, *(extra or [])]
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>llmrelay API</title></head><body>"
        "<h1>llmrelay gateway API</h1><p>Machine-readable: <a href='/openapi.json'>/openapi.json</a></p>"
        f"<table border='1' cellpadding='4'><tr><th>Method</th><th>Path</th><th>What</th></tr>{rows}</table>"
        "</body></html>"
    )
