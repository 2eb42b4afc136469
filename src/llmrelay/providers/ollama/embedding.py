"""Embeddings through Ollama's /api/embed: {"model", "input": [texts], "dimensions"?} → {"embeddings":
[[...]], "prompt_eval_count"}. Ollama embeds text only (token-id inputs are OpenAI's)."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.ollama.wire import EmbedBody, embed_decoder
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError


def embedding_body(request: EmbeddingRequest, model: str, provider: str) -> dict[str, Any]:
    texts = request.texts()
    count = 1 if isinstance(request.input, str) else len(request.input)
    if not texts or len(texts) != count:
        raise BadRequestError(
            "Ollama embeds text: input must be a string or a non-empty list of strings "
            "(token-id inputs are OpenAI-only)",
            provider=provider,
            model=request.model,
            param="input",
        )
    if request.encoding_format not in (None, "float"):
        raise BadRequestError(
            f"Ollama answers float embeddings only; encoding_format={request.encoding_format!r} "
            "cannot be given",
            provider=provider,
            model=request.model,
            param="encoding_format",
        )
    body: dict[str, Any] = msgspec.to_builtins(
        EmbedBody(model=model, input=texts, dimensions=request.dimensions)
    )
    body.update(request.extra_body or {})
    return body


def parse_embedding(body: bytes, request: EmbeddingRequest, provider: str) -> EmbeddingResponse:
    try:
        decoded = embed_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed embedding response from Ollama: {exc}", provider=provider, model=request.model
        ) from exc
    expected = len(request.texts())
    if len(decoded.embeddings) != expected:
        raise InternalServerError(
            f"Ollama returned {len(decoded.embeddings)} embeddings for {expected} inputs",
            provider=provider,
            model=request.model,
        )
    tokens = decoded.prompt_eval_count or 0
    return EmbeddingResponse(
        data=[EmbeddingData(index=i, embedding=v) for i, v in enumerate(decoded.embeddings)],
        model=request.model,
        usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
    )
