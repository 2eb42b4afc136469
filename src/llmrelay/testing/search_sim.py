"""Simulators of Voyage AI's and Jina AI's embedding and rerank APIs (docs.voyageai.com/reference,
api.jina.ai): `POST .../embeddings` and `POST .../rerank` with a bearer key, errors as FastAPI's
`{"detail": ...}`.

They differ where the real APIs do, and refuse fields the real API does not know (a wrong spelling
is caught, not ignored): Voyage takes `output_dimension`, `input_type`, `encoding_format: "base64"`
and `top_k`, reports `usage.total_tokens` only and ranks under `data`; Jina takes `dimensions`,
`task`, `encoding_format` and `top_n`, reports `prompt_tokens` too and ranks under `results`. To share
one port with the OpenAI simulator, each serves under its own prefix (`/voyage/v1`, `/jina/v1`):
that is its `api_base`. Scores are word overlap between the query and a document.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from llmrelay.testing import content as c
from llmrelay.testing.base import Call, Handler, JsonReply, ProviderError, ProviderSimulator, Reply

EMBED_DIMENSIONS = 1024
_WORDS = re.compile(r"\w+")


class _SearchSimulator(ProviderSimulator):
    # the body fields each endpoint takes (others are refused, as the real API's validation does)
    embedding_fields: ClassVar[frozenset[str]] = frozenset()
    rerank_fields: ClassVar[frozenset[str]] = frozenset()
    dimensions_field: ClassVar[str] = ""
    top_field: ClassVar[str] = ""
    ranking_key: ClassVar[str] = ""

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", f"{self.api_base_path}/embeddings", self.embeddings),
            ("POST", f"{self.api_base_path}/rerank", self.rerank),
        ]

    def error_body(self, status: int, message: str, **detail: Any) -> Any:
        return {"detail": message}

    def stream_error_event(self, status: int, message: str) -> bytes:
        raise NotImplementedError("these APIs do not stream")

    def check_auth(self, call: Call) -> ProviderError | None:
        scheme, _, key = call.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.key_accepted(key.strip()):
            return ProviderError(401, "Provided API key is invalid.")
        return None

    def kind_error(self, kind: str, call: Call) -> Reply | ProviderError:
        if kind == "context_window":
            return ProviderError(400, "Input is too long: the input exceeds the maximum context length.")
        return ProviderError(400, "Request rejected by the content policy.")

    async def embeddings(self, call: Call) -> Reply:
        body = self._body(call, self.embedding_fields)
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise ProviderError(400, "input: a string or a non-empty list of strings is required")
        dimensions = body.get(self.dimensions_field) or EMBED_DIMENSIONS
        if not isinstance(dimensions, int) or dimensions < 1:
            raise ProviderError(400, f"{self.dimensions_field}: a positive integer is required")
        vectors = [c.embedding_vector(t, dimensions) for t in texts]
        b64 = body.get("encoding_format") == "base64"
        data = [{"object": "embedding", "embedding": c.embedding_base64(v) if b64 else list(v), "index": i}
                for i, v in enumerate(vectors)]  # fmt: skip
        tokens = sum(c.count_tokens(t) for t in texts)
        return JsonReply(
            {"object": "list", "data": data, "model": body["model"], "usage": self.usage(tokens)}
        )

    async def rerank(self, call: Call) -> Reply:
        body = self._body(call, self.rerank_fields)
        query, documents = body.get("query"), body.get("documents")
        if not isinstance(query, str) or not isinstance(documents, list) or not documents:
            raise ProviderError(400, "query and a non-empty list of documents are required")
        if not all(isinstance(d, str) for d in documents):
            raise ProviderError(400, "documents: a list of strings is required")
        wanted = set(_WORDS.findall(query.lower()))
        scores = [len(wanted & set(_WORDS.findall(d.lower()))) / (len(wanted) or 1) for d in documents]
        order = sorted(range(len(documents)), key=lambda i: (-scores[i], i))
        top = body.get(self.top_field)
        if top is not None:
            order = order[: int(top)]
        ranked: list[dict[str, Any]] = []
        for i in order:
            item: dict[str, Any] = {"index": i, "relevance_score": round(scores[i], 4)}
            if body.get("return_documents"):
                item["document"] = self.returned_document(documents[i])
            ranked.append(item)
        tokens = sum(c.count_tokens(t) for t in (query, *documents))
        return JsonReply(
            {self.ranking_key: ranked, "model": body["model"], "usage": {"total_tokens": tokens}}
        )

    def usage(self, tokens: int) -> dict[str, int]:
        return {"total_tokens": tokens}

    def returned_document(self, document: str) -> Any:
        return document

    def _body(self, call: Call, fields: frozenset[str]) -> dict[str, Any]:
        body = call.body
        if not isinstance(body, dict):
            raise ProviderError(400, "The request body is not a JSON object.")
        unknown = sorted(set(body) - fields)
        if unknown:
            raise ProviderError(400, f"Unknown field(s): {', '.join(unknown)}")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ProviderError(400, "model is required")
        if model.startswith("missing"):
            raise ProviderError(404, f"Model {model} is not supported.")
        return body


class VoyageSimulator(_SearchSimulator):
    kind = "voyage"
    api_base_path = "/voyage/v1"
    embedding_fields = frozenset(
        {"model", "input", "input_type", "truncation", "output_dimension", "output_dtype", "encoding_format"}
    )
    rerank_fields = frozenset({"model", "query", "documents", "top_k", "return_documents", "truncation"})
    dimensions_field = "output_dimension"
    top_field = "top_k"
    ranking_key = "data"


class JinaSimulator(_SearchSimulator):
    kind = "jina"
    api_base_path = "/jina/v1"
    embedding_fields = frozenset(
        {"model", "input", "task", "dimensions", "late_chunking", "embedding_type", "encoding_format",
         "normalized", "truncate"}
    )  # fmt: skip
    rerank_fields = frozenset({"model", "query", "documents", "top_n", "return_documents"})
    dimensions_field = "dimensions"
    top_field = "top_n"
    ranking_key = "results"

    def usage(self, tokens: int) -> dict[str, int]:
        return {"total_tokens": tokens, "prompt_tokens": tokens}

    def returned_document(self, document: str) -> Any:
        return {"text": document}
