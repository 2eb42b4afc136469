"""Jina AI (api.jina.ai, jina.ai/embeddings, jina.ai/reranker), sans-IO: `POST {api_base}/embeddings`
and `POST {api_base}/rerank`, with a bearer key (JINA_AI_API_KEY).

Its embeddings body is OpenAI's (`dimensions`, `encoding_format`: "float" or "base64"), with the
retrieval role as `task` (the request's `task_type`: "retrieval.query", "retrieval.passage",
"text-matching", "classification", "separation"). Rerank takes `top_n` and answers `results`.
"""

from __future__ import annotations

from typing import Any

from llmrelay.providers.search_api import SearchApiProvider
from llmrelay.types.embedding import EmbeddingRequest

_TASKS = frozenset({"retrieval.query", "retrieval.passage", "text-matching", "classification", "separation"})


class JinaProvider(SearchApiProvider):
    name = "jina_ai"
    default_api_base = "https://api.jina.ai/v1"
    api_key_env = ("JINA_AI_API_KEY", "JINA_AI_TOKEN")
    api_base_env = ("JINA_AI_API_BASE",)
    top_field = "top_n"

    def embedding_options(self, request: EmbeddingRequest) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if request.dimensions is not None:
            options["dimensions"] = request.dimensions
        if request.encoding_format not in (None, "float", "base64"):
            raise self.refused(request.model, "encoding_format", '"float" or "base64"')
        if request.encoding_format is not None:
            options["encoding_format"] = request.encoding_format
        if request.task_type is not None:
            if request.task_type not in _TASKS:
                raise self.refused(request.model, "task_type", "one of " + ", ".join(sorted(_TASKS)))
            options["task"] = request.task_type
        return options
