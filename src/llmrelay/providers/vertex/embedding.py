"""Vertex AI text embeddings through `:predict` (text-embedding-004/005, gemini-embedding-001...).

Request: {"instances": [{"content": text, "task_type"?, "title"?}], "parameters": {"outputDimensionality"?}};
answer: {"predictions": [{"embeddings": {"values": [...], "statistics": {"token_count", "truncated"}}}]}.
Usage is the sum of the predictions' token counts, as Vertex reports them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.gemini.embedding import to_base64
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError

PROVIDER = "vertex_ai"
# keys of extra_body that belong to each instance rather than to `parameters`
_INSTANCE_KEYS = frozenset({"title", "task_type"})
# models Google documents as taking one instance per request (Vertex answers 400 "batchSize must be 1")
ONE_INPUT_MODELS = ("gemini-embedding-001",)


class _Statistics(msgspec.Struct):
    token_count: float = 0
    truncated: bool = False


class _Embeddings(msgspec.Struct):
    values: list[float] = msgspec.field(default_factory=list)
    statistics: _Statistics | None = None


class _Prediction(msgspec.Struct):
    embeddings: _Embeddings


class _PredictResponse(msgspec.Struct):
    predictions: list[_Prediction] = msgspec.field(default_factory=list)


_decoder = msgspec.json.Decoder(_PredictResponse)


def predict_body(request: EmbeddingRequest, model: str) -> dict[str, Any]:
    texts = request.texts()
    count = 1 if isinstance(request.input, str) else len(request.input)
    if not texts or len(texts) != count:
        raise BadRequestError(
            "Vertex AI embeddings take text: input must be a string or a non-empty list of strings",
            provider=PROVIDER,
            model=request.model,
            param="input",
        )
    if len(texts) > 1 and model.startswith(ONE_INPUT_MODELS):
        raise BadRequestError(
            f"{model} on Vertex AI takes one input per request: send the {len(texts)} inputs one at a time",
            provider=PROVIDER,
            model=request.model,
            param="input",
        )
    extra = dict(request.extra_body or {})
    shared = {k: extra.pop(k) for k in list(extra) if k in _INSTANCE_KEYS}
    instances = []
    for text in texts:
        instance: dict[str, Any] = {"content": text}
        if request.task_type:
            instance["task_type"] = request.task_type.upper()
        instance.update(shared)
        instances.append(instance)
    parameters: dict[str, Any] = {}
    if request.dimensions is not None:
        parameters["outputDimensionality"] = request.dimensions
    parameters.update(extra)  # e.g. autoTruncate
    body: dict[str, Any] = {"instances": instances}
    if parameters:
        body["parameters"] = parameters
    return body


def parse_predict(body: bytes, request: EmbeddingRequest) -> EmbeddingResponse:
    try:
        predictions = _decoder.decode(body).predictions
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InternalServerError(
            f"malformed embedding response from Vertex AI: {exc}", provider=PROVIDER
        ) from exc
    expected = len(request.texts())
    if len(predictions) != expected:
        raise InternalServerError(
            f"Vertex AI returned {len(predictions)} embeddings for {expected} inputs", provider=PROVIDER
        )
    as_base64 = request.encoding_format == "base64"
    data = [
        EmbeddingData(index=i, embedding=to_base64(values) if as_base64 else values)
        for i, values in enumerate(p.embeddings.values for p in predictions)
    ]
    tokens = int(sum(p.embeddings.statistics.token_count for p in predictions if p.embeddings.statistics))
    return EmbeddingResponse(
        data=data,
        model=request.model,
        usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
    )
