"""Embeddings through `embedContent` (one input) and `batchEmbedContents` (several)."""

from __future__ import annotations

import base64
import struct
from typing import Any

import msgspec

from llmrelay.cost.tokens import count_text
from llmrelay.providers.gemini.wire import batch_embed_decoder, embed_decoder
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError


def embedding_method(request: EmbeddingRequest) -> str:
    return "embedContent" if isinstance(request.input, str) else "batchEmbedContents"


def embedding_body(request: EmbeddingRequest, model_path: str) -> dict[str, Any]:
    texts = _texts(request)
    if isinstance(request.input, str):
        return _one(texts[0], request, None)
    return {"requests": [_one(text, request, model_path) for text in texts]}


def _texts(request: EmbeddingRequest) -> list[str]:
    texts = request.texts()
    count = 1 if isinstance(request.input, str) else len(request.input)
    if not texts or len(texts) != count:
        raise BadRequestError(
            "Gemini embeddings take text: input must be a string or a non-empty list of strings "
            "(token-id inputs are OpenAI-only)",
            provider="gemini",
            model=request.model,
            param="input",
        )
    return texts


def _one(text: str, request: EmbeddingRequest, model_path: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if model_path is not None:
        # each request of a batch names its model, and it must match the one in the URL
        item["model"] = model_path
    item["content"] = {"parts": [{"text": text}]}
    if request.task_type:
        item["taskType"] = request.task_type.upper()
    if request.dimensions is not None:
        item["outputDimensionality"] = request.dimensions
    if request.extra_body:
        item.update(request.extra_body)
    return item


def parse_embedding(body: bytes, request: EmbeddingRequest, model: str) -> EmbeddingResponse:
    try:
        if isinstance(request.input, str):
            vectors = [embed_decoder.decode(body).embedding.values]
        else:
            vectors = [e.values for e in batch_embed_decoder.decode(body).embeddings]
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed embedding response from Gemini: {exc}", provider="gemini"
        ) from exc
    expected = len(request.texts())
    if len(vectors) != expected:
        raise InternalServerError(
            f"Gemini returned {len(vectors)} embeddings for {expected} inputs", provider="gemini"
        )
    as_base64 = request.encoding_format == "base64"
    data = [EmbeddingData(index=i, embedding=to_base64(v) if as_base64 else v) for i, v in enumerate(vectors)]
    # Gemini's embedding responses carry no token counts; usage is estimated by counting the input
    # text with llmrelay's tokenizer (see llmrelay.cost.tokens for how close that estimate is)
    tokens = sum(count_text(text, model) for text in request.texts())
    return EmbeddingResponse(
        data=data, model=model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
    )


def to_base64(vector: list[float]) -> str:
    """OpenAI's base64 encoding: little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
