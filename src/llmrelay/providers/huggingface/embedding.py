"""Embeddings through the feature-extraction task: `{"inputs": [texts]}` in, one vector per text out
(a JSON array of arrays of floats), as the hf-inference provider and Inference Endpoints answer."""

from __future__ import annotations

import base64
import struct
from typing import Any

import msgspec

from llmrelay.cost.tokens import count_text
from llmrelay.providers.huggingface.routing import PROVIDER
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError

_vectors = msgspec.json.Decoder(list[list[float]])
_token_vectors = msgspec.json.Decoder(list[list[list[float]]])


def embedding_body(request: EmbeddingRequest) -> dict[str, Any]:
    """Feature extraction's options (`normalize`, `truncate`, `prompt_name`...) travel in extra_body."""
    texts = request.texts()
    count = 1 if isinstance(request.input, str) else len(request.input)
    if not texts or len(texts) != count:
        raise BadRequestError(
            "Hugging Face embeddings take text: input must be a string or a non-empty list of strings",
            provider=PROVIDER,
            model=request.model,
            param="input",
        )
    if request.dimensions is not None:
        raise BadRequestError(
            "Hugging Face feature extraction has no 'dimensions' setting: the model fixes the size",
            provider=PROVIDER,
            model=request.model,
            param="dimensions",
        )
    body: dict[str, Any] = {"inputs": texts}
    if request.extra_body:
        body.update(request.extra_body)
    return body


def parse_embedding(body: bytes, request: EmbeddingRequest) -> EmbeddingResponse:
    try:
        vectors = _vectors.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        if _is_token_level(body):
            raise BadRequestError(
                f"{request.model!r} returns one vector per token, not per text: it is not a sentence "
                "embedding model",
                provider=PROVIDER,
                model=request.model,
                param="model",
            ) from None
        raise InternalServerError(
            f"malformed embedding response from Hugging Face: {exc}", provider=PROVIDER
        ) from exc
    texts = request.texts()
    if len(vectors) != len(texts):
        raise InternalServerError(
            f"Hugging Face returned {len(vectors)} embeddings for {len(texts)} inputs", provider=PROVIDER
        )
    as_base64 = request.encoding_format == "base64"
    data = [
        EmbeddingData(index=i, embedding=_to_base64(v) if as_base64 else v) for i, v in enumerate(vectors)
    ]
    # feature extraction reports no token counts: usage is estimated with llmrelay's tokenizer
    tokens = sum(count_text(text, request.model) for text in texts)
    return EmbeddingResponse(
        data=data, model=request.model, usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
    )


def _is_token_level(body: bytes) -> bool:
    try:
        _token_vectors.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return True


def _to_base64(vector: list[float]) -> str:
    """OpenAI's base64 encoding: little-endian float32s."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
