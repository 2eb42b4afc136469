"""Embeddings through InvokeModel: Amazon Titan Text Embeddings (one text per call) and Cohere Embed
(up to 96 texts per call), each in its model's own body.

Titan: {"inputText", "dimensions" (v2), "normalize" (v2)} → {"embedding", "inputTextTokenCount"}.
Cohere: {"texts", "input_type", "truncate"?, "embedding_types"?} → {"embeddings", "id", "response_type"};
its token count comes in the `x-amzn-bedrock-input-token-count` response header.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError

PROVIDER = "bedrock"
COHERE_DEFAULT_INPUT_TYPE = "search_document"
INPUT_TOKENS_HEADER = "x-amzn-bedrock-input-token-count"


def family(model_id: str) -> str:
    base = model_id.rsplit("/", 1)[-1].lower()
    if "titan-embed" in base:
        return "titan"
    if "cohere.embed" in base:
        return "cohere"
    raise BadRequestError(
        f"Bedrock embeddings are mapped for Amazon Titan Text Embeddings and Cohere Embed models, not "
        f"{model_id!r}",
        provider=PROVIDER,
        model=model_id,
        param="model",
    )


def embedding_body(request: EmbeddingRequest, model_id: str) -> dict[str, Any]:
    texts = _texts(request)
    extra = dict(request.extra_body or {})
    if family(model_id) == "titan":
        if len(texts) != 1:
            raise BadRequestError(
                f"Amazon Titan embeds one text per call; got {len(texts)} (send them one by one)",
                provider=PROVIDER,
                model=model_id,
                param="input",
            )
        body: dict[str, Any] = {"inputText": texts[0]}
        if request.dimensions is not None:
            body["dimensions"] = request.dimensions
        body.update(extra)
        return body
    body = {"texts": texts, "input_type": request.task_type or COHERE_DEFAULT_INPUT_TYPE}
    if request.dimensions is not None:
        raise BadRequestError(
            "Cohere Embed v3 has a fixed size: dimensions cannot be set",
            provider=PROVIDER,
            param="dimensions",
        )
    body.update(extra)
    return body


def _texts(request: EmbeddingRequest) -> list[str]:
    texts = request.texts()
    if not texts or (not isinstance(request.input, str) and len(texts) != len(request.input)):
        raise BadRequestError(
            "Bedrock embeddings take text input (a string or a list of strings)",
            provider=PROVIDER,
            param="input",
        )
    return texts


class _AnyEmbedding(msgspec.Struct):
    """Either body: Titan's has `embedding`, Cohere's `embeddings` (the request's model name may be a
    gateway alias, so the answer's shape tells which it is)."""

    embedding: list[float] | None = None
    input_text_token_count: int = msgspec.field(default=0, name="inputTextTokenCount")
    embeddings: list[list[float]] | dict[str, Any] | None = None


_any_decoder = msgspec.json.Decoder(_AnyEmbedding)


def parse_embedding(body: bytes, headers: Mapping[str, str], request: EmbeddingRequest) -> EmbeddingResponse:
    try:
        decoded = _any_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed embedding response from Bedrock: {exc}", provider=PROVIDER
        ) from exc
    if decoded.embedding is not None:
        vectors, tokens = [decoded.embedding], decoded.input_text_token_count
    elif decoded.embeddings is not None:
        found = decoded.embeddings
        # with embedding_types, Cohere answers {"float": [[...]], "int8": ...}
        vectors = found.get("float") or [] if isinstance(found, dict) else found
        tokens = _int(headers.get(INPUT_TOKENS_HEADER))
    else:
        raise InternalServerError("Bedrock's embedding response holds no embedding", provider=PROVIDER)
    as_base64 = request.encoding_format == "base64"
    data = [
        EmbeddingData(index=i, embedding=_to_base64(v) if as_base64 else v) for i, v in enumerate(vectors)
    ]
    return EmbeddingResponse(
        data=data, model=request.model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
    )


def _int(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


def _to_base64(vector: list[float]) -> str:
    """OpenAI's base64 encoding: little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
