"""Voyage AI (docs.voyageai.com/reference), sans-IO: `POST {api_base}/embeddings` and
`POST {api_base}/rerank`, with a bearer key (VOYAGE_API_KEY).

Its embeddings body differs from OpenAI's: `dimensions` is `output_dimension`, the retrieval role is
`input_type` ("query" or "document": the request's `task_type`), only `encoding_format: "base64"` is
sent (floats are its default), and usage is `total_tokens` alone. Rerank takes `top_k` and answers
its ranking under `data`.
"""

from __future__ import annotations

from typing import Any

from llmrelay.providers.search_api import SearchApiProvider
from llmrelay.types.embedding import EmbeddingRequest

_INPUT_TYPES = frozenset({"query", "document"})


class VoyageProvider(SearchApiProvider):
    name = "voyage"
    default_api_base = "https://api.voyageai.com/v1"
    api_key_env = ("VOYAGE_API_KEY", "VOYAGE_AI_API_KEY", "VOYAGE_AI_TOKEN")
    api_base_env = ("VOYAGE_API_BASE",)
    top_field = "top_k"

    def embedding_options(self, request: EmbeddingRequest) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if request.dimensions is not None:
            options["output_dimension"] = request.dimensions
        if request.encoding_format == "base64":
            options["encoding_format"] = "base64"
        elif request.encoding_format not in (None, "float"):
            raise self.refused(request.model, "encoding_format", '"float" or "base64"')
        if request.task_type is not None:
            if request.task_type not in _INPUT_TYPES:
                raise self.refused(request.model, "task_type", '"query" or "document" (its input_type)')
            options["input_type"] = request.task_type
        return options
