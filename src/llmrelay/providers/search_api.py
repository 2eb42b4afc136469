"""What the embedding-and-rerank APIs of Voyage AI and Jina AI share: a bearer key, an OpenAI-like
`POST {api_base}/embeddings`, a `POST {api_base}/rerank` billed by tokens (`usage.total_tokens`),
and FastAPI-style errors (`{"detail": "..."}`). Each adapter (providers/voyage, providers/jina_ai)
says what its API spells differently. Neither provider serves chat: a chat call is refused."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.base import Codec, Provider, join_url
from llmrelay.providers.cohere.rerank import document_text
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.rerank import RerankBilledUnits, RerankMeta, RerankRequest, RerankResponse, RerankResult


class _Usage(msgspec.Struct):
    total_tokens: int = 0
    prompt_tokens: int | None = None


class _Embedding(msgspec.Struct):
    index: int
    embedding: list[float] | str


class _Embeddings(msgspec.Struct):
    data: list[_Embedding]
    model: str | None = None
    usage: _Usage = msgspec.field(default_factory=_Usage)


class _Ranked(msgspec.Struct):
    index: int
    relevance_score: float


class _Ranking(msgspec.Struct):
    # Voyage lists its results under `data`, Jina under `results`
    data: list[_Ranked] | None = None
    results: list[_Ranked] | None = None
    id: str | None = None
    usage: _Usage = msgspec.field(default_factory=_Usage)


class _Detail(msgspec.Struct):
    detail: Any = None


_embeddings_decoder = msgspec.json.Decoder(_Embeddings)
_ranking_decoder = msgspec.json.Decoder(_Ranking)
_detail_decoder = msgspec.json.Decoder(_Detail)
encoder = msgspec.json.Encoder()


class SearchApiProvider(Provider):
    """Embeddings and rerank; subclasses set the names and override the bodies."""

    # the rerank body's name for how many results to return (Voyage: top_k, Jina: top_n)
    top_field = "top_n"

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "embedding": Codec(self.prepare_embedding, self.parse_embedding),
            "rerank": Codec(self.prepare_rerank, self.parse_rerank),
        }

    def headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json", "authorization": f"Bearer {self.api_key(deployment)}"}
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    # ---- embeddings
    def takes_embedding_task_type(self, deployment: Deployment) -> bool:
        return True  # Voyage's input_type, Jina's task (each checks the value: embedding_options)

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        texts = request.texts()
        if not texts or len(texts) != (1 if isinstance(request.input, str) else len(request.input)):
            raise self.refused(request.model, "input", "a string or a non-empty list of strings")
        body = {"model": deployment.model, "input": texts, **self.embedding_options(request)}
        body.update(request.extra_body or {})
        return HttpRequest(
            url=join_url(self.api_base(deployment), "embeddings"),
            headers=self.headers(deployment),
            body=encoder.encode(body),
        )

    def embedding_options(self, request: EmbeddingRequest) -> dict[str, Any]:
        raise NotImplementedError

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        answer = self._decode(_embeddings_decoder, response.body, request.model)
        expected = len(request.texts())
        if sorted(e.index for e in answer.data) != list(range(expected)):
            raise InternalServerError(
                f"{self.name} returned {len(answer.data)} embeddings for {expected} inputs",
                provider=self.name,
                model=request.model,
            )
        usage = answer.usage
        # Voyage reports total_tokens only: every token of an embedding call is a prompt token
        prompt = usage.prompt_tokens if usage.prompt_tokens is not None else usage.total_tokens
        return EmbeddingResponse(
            data=[
                EmbeddingData(index=e.index, embedding=e.embedding) for e in sorted(answer.data, key=_index)
            ],
            model=answer.model or request.model,
            usage=EmbeddingUsage(prompt_tokens=prompt, total_tokens=usage.total_tokens or prompt),
        )

    # ---- rerank
    def prepare_rerank(self, request: RerankRequest, deployment: Deployment) -> HttpRequest:
        if not request.documents:
            raise self.refused(request.model, "documents", "at least one document")
        if request.top_n is not None and request.top_n < 1:
            raise self.refused(request.model, "top_n", "a count of at least 1")
        for field in ("max_chunks_per_doc", "max_tokens_per_doc"):
            if getattr(request, field) is not None:
                raise self.refused(request.model, field, "nothing: the API has no such setting")
        texts = [document_text(d, request.rank_fields, self.name, request.model) for d in request.documents]
        body: dict[str, Any] = {"model": deployment.model, "query": request.query, "documents": texts}
        if request.top_n is not None:
            body[self.top_field] = request.top_n
        # documents are put back from the request (object documents were sent as text)
        body["return_documents"] = False
        body.update(request.extra_body or {})
        return HttpRequest(
            url=join_url(self.api_base(deployment), "rerank"),
            headers=self.headers(deployment),
            body=encoder.encode(body),
        )

    def parse_rerank(self, response: HttpResponse, request: RerankRequest) -> RerankResponse:
        answer = self._decode(_ranking_decoder, response.body, request.model)
        ranked = answer.data if answer.data is not None else answer.results
        if ranked is None:
            raise InternalServerError(
                f"{self.name} answered no ranking", provider=self.name, model=request.model
            )
        count = len(request.documents)
        results = []
        for item in ranked:
            if not 0 <= item.index < count:
                raise InternalServerError(
                    f"{self.name} ranked document {item.index} of {count}",
                    provider=self.name,
                    model=request.model,
                )
            document = request.documents[item.index] if request.return_documents else None
            results.append(
                RerankResult(
                    index=item.index,
                    relevance_score=item.relevance_score,
                    document={"text": document} if isinstance(document, str) else document,
                )
            )
        tokens = answer.usage.total_tokens
        return RerankResponse(
            id=answer.id or "",
            results=results,
            meta=RerankMeta(billed_units=RerankBilledUnits(input_tokens=tokens)),
        )

    # ---- errors
    def error_message(self, body: bytes) -> str | None:
        try:
            detail = _detail_decoder.decode(body).detail
        except (msgspec.DecodeError, msgspec.ValidationError):
            detail = None
        if isinstance(detail, str) and detail:
            return detail
        if detail:  # FastAPI's validation errors: a list of {"loc", "msg", "type"}
            return encoder.encode(detail).decode()[:500]
        return super().error_message(body)

    # ---- helpers
    def refused(self, model: str, field: str, wanted: str) -> BadRequestError:
        return BadRequestError(
            f"provider {self.name!r} takes {wanted} as {field}", provider=self.name, model=model, param=field
        )

    def _decode(self, decoder: msgspec.json.Decoder[Any], body: bytes, model: str) -> Any:
        try:
            return decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed response from {self.name}: {exc}", provider=self.name, model=model
            ) from exc


def _index(embedding: _Embedding) -> int:
    return embedding.index
