"""Embeddings through `/v2/embed`.

The body is {"model", "texts", "input_type", "embedding_types": ["float"], "output_dimension"?}.
Cohere's v3 and later embedding models require `input_type`; as in LiteLLM it defaults to
`search_document` unless the call gives one (`input_type=` — it arrives in extra_body — or
`task_type=`). `dimensions` becomes `output_dimension` (embed-v4 and later). Usage is Cohere's
billed input tokens (meta.billed_units).
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import msgspec

from llmrelay.cost.tokens import count_text
from llmrelay.providers.cohere.wire import embed_decoder
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError

DEFAULT_INPUT_TYPE = "search_document"
# Cohere caps one call at 96 texts
MAX_TEXTS = 96


def embedding_body(request: EmbeddingRequest, model: str, provider: str) -> dict[str, Any]:
    texts = request.texts()
    count = 1 if isinstance(request.input, str) else len(request.input)
    if not texts or len(texts) != count:
        raise BadRequestError(
            "Cohere embeddings take text: input must be a string or a non-empty list of strings "
            "(token-id inputs are OpenAI-only)",
            provider=provider,
            model=request.model,
            param="input",
        )
    if len(texts) > MAX_TEXTS:
        raise BadRequestError(
            f"Cohere embeds at most {MAX_TEXTS} texts per call; got {len(texts)}",
            provider=provider,
            model=request.model,
            param="input",
        )
    extra = dict(request.extra_body or {})
    input_type = extra.pop("input_type", None) or (request.task_type or "").lower() or DEFAULT_INPUT_TYPE
    body: dict[str, Any] = {
        "model": model,
        "texts": texts,
        "input_type": input_type,
        "embedding_types": ["float"],
    }
    if request.dimensions is not None:
        body["output_dimension"] = request.dimensions
    body.update(extra)
    return body


def parse_embedding(body: bytes, request: EmbeddingRequest, model: str, provider: str) -> EmbeddingResponse:
    try:
        decoded = embed_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed embedding response from Cohere: {exc}", provider=provider, model=model
        ) from exc
    vectors = decoded.embeddings.floats if decoded.embeddings is not None else None
    expected = len(request.texts())
    if vectors is None or len(vectors) != expected:
        got = "no float embeddings" if vectors is None else f"{len(vectors)} embeddings"
        raise InternalServerError(
            f"Cohere returned {got} for {expected} inputs", provider=provider, model=model
        )
    as_base64 = request.encoding_format == "base64"
    data = [
        EmbeddingData(index=i, embedding=_to_base64(v) if as_base64 else v) for i, v in enumerate(vectors)
    ]
    billed = decoded.meta.billed_units if decoded.meta is not None else None
    if billed is not None and billed.input_tokens is not None:
        tokens = int(billed.input_tokens)
    else:
        # no bill in the answer: estimate with llmrelay's tokenizer, so the call is still priced
        tokens = sum(count_text(text, model) for text in request.texts())
    return EmbeddingResponse(
        data=data, model=model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
    )


def _to_base64(vector: list[float]) -> str:
    """OpenAI's base64 encoding: little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
