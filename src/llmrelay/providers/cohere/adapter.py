"""The Cohere v2 API adapter (api.cohere.com), sans-IO.

`cohere/<model>` and `cohere_chat/<model>` (LiteLLM's two spellings) both call Cohere's v2 API:
`POST {api_base}/v2/chat` for chat (streamed when `"stream": true`), `POST {api_base}/v2/embed`
for embeddings and `POST {api_base}/v2/rerank` for rerank, with `Authorization: Bearer <key>`.
`api_base` is the server root; a base that already names a version or an endpoint (`.../v2`,
`.../v2/chat`, `.../v1/chat`, as LiteLLM configs may carry) is cut back to its root, so the
adapter's own paths are always used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.providers.base import Codec, Provider, join_url
from llmrelay.providers.cohere.embedding import embedding_body, parse_embedding
from llmrelay.providers.cohere.errors import classify
from llmrelay.providers.cohere.request import build_body
from llmrelay.providers.cohere.rerank import parse_rerank, rerank_body
from llmrelay.providers.cohere.response import provider_details, to_chat_response
from llmrelay.providers.cohere.stream import CohereStreamDecoder
from llmrelay.providers.cohere.wire import chat_decoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import InternalServerError, LLMError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.rerank import RerankRequest, RerankResponse
from llmrelay.types.response import ChatResponse, hidden_params

COHERE_CHAT_PARAMS = frozenset(
    {
        "temperature", "top_p", "top_k", "stop", "max_tokens", "max_completion_tokens",
        "presence_penalty", "frequency_penalty", "seed", "tools", "tool_choice", "response_format",
        "reasoning_effort", "thinking",
    }
)  # fmt: skip
# path tails a LiteLLM-style api_base may carry; the adapter appends its own
_BASE_SUFFIXES = ("/chat", "/embed", "/rerank")
_VERSION_SUFFIXES = ("/v1", "/v2")

_encoder = msgspec.json.Encoder()


class CohereProvider(Provider):
    name = "cohere"
    default_api_base = "https://api.cohere.com"
    api_key_env = ("COHERE_API_KEY", "CO_API_KEY")
    api_base_env = ("COHERE_API_BASE",)
    supported_params = COHERE_CHAT_PARAMS

    # ---- requests
    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        # Cohere may always answer with several tool calls and always answers with one choice, so
        # parallel_tool_calls=True and n=1 ask for what happens anyway; other values stay unsupported
        changes: dict[str, None] = {}
        if request.parallel_tool_calls is True:
            changes["parallel_tool_calls"] = None
        if request.n == 1:
            changes["n"] = None
        if changes:
            request = msgspec.structs.replace(request, **changes)
        return super().check_params(request, drop)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
            "embedding": Codec(self.prepare_embedding, self.parse_embedding),
            "rerank": Codec(self.prepare_rerank, self.parse_rerank),
        }

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        body = build_body(request, deployment.model, self.name)
        headers = self._headers(deployment)
        if request.stream:
            headers["accept"] = "text/event-stream"
        return HttpRequest(
            url=join_url(self.root(deployment), "v2/chat"),
            headers=headers,
            body=_encoder.encode(body),
            stream=bool(request.stream),
        )

    def takes_embedding_task_type(self, deployment: Deployment) -> bool:
        return True  # embed's input_type

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        body = embedding_body(request, deployment.model, self.name)
        return HttpRequest(
            url=join_url(self.root(deployment), "v2/embed"),
            headers=self._headers(deployment),
            body=_encoder.encode(body),
        )

    def prepare_rerank(self, request: RerankRequest, deployment: Deployment) -> HttpRequest:
        body = rerank_body(request, deployment.model, self.name)
        return HttpRequest(
            url=join_url(self.root(deployment), "v2/rerank"),
            headers=self._headers(deployment),
            body=_encoder.encode(body),
        )

    def root(self, deployment: Deployment) -> str:
        base = self.api_base(deployment)
        for suffix in _BASE_SUFFIXES:
            base = base.removesuffix(suffix)
        for suffix in _VERSION_SUFFIXES:
            base = base.removesuffix(suffix)
        return base

    def _headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "authorization": f"Bearer {self.api_key(deployment)}",
        }
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        try:
            decoded = chat_decoder.decode(response.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed response from Cohere: {exc}", provider=self.name, model=request.model
            ) from exc
        if decoded.message is None:
            raise InternalServerError(
                "Cohere's response has no message", provider=self.name, model=request.model
            )
        result = to_chat_response(decoded, request.model)
        hidden_params(result).update(provider_details(decoded))
        return result

    def chat_stream_decoder(self, request: ChatRequest) -> CohereStreamDecoder:
        return CohereStreamDecoder(self.name, request.model)

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return parse_embedding(response.body, request, request.model, self.name)

    def parse_rerank(self, response: HttpResponse, request: RerankRequest) -> RerankResponse:
        return parse_rerank(response.body, request, self.name)

    # ---- errors
    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        return classify(self.name, status, headers, body)


class CohereChatProvider(CohereProvider):
    """`cohere_chat/<model>`: LiteLLM's name for Cohere's chat route; the same v2 API here."""

    name = "cohere_chat"
