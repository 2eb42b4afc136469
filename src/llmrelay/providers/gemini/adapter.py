"""The Google AI Studio Gemini API adapter (generativelanguage.googleapis.com), sans-IO.

`api_base` includes the API version, as in LiteLLM (default .../v1beta); the adapter appends
`/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`, `:embedContent` or
`:batchEmbedContents`. The key travels in the `x-goog-api-key` header, never in the URL, because URLs
end up in logs and error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.providers.base import Codec, Provider, join_url
from llmrelay.providers.gemini.embedding import embedding_body, embedding_method, parse_embedding
from llmrelay.providers.gemini.errors import classify, from_rpc_status, parse_status
from llmrelay.providers.gemini.request import build_body
from llmrelay.providers.gemini.response import provider_details, to_chat_response
from llmrelay.providers.gemini.stream import GeminiStreamDecoder
from llmrelay.providers.gemini.wire import GenerateContentResponse, response_decoder
from llmrelay.providers.paths import path_part
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import InternalServerError, LLMError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, hidden_params

GEMINI_CHAT_PARAMS = frozenset(
    {
        "temperature", "top_p", "top_k", "n", "stop", "max_tokens", "max_completion_tokens",
        "presence_penalty", "frequency_penalty", "seed", "logprobs", "top_logprobs", "tools",
        "tool_choice", "response_format", "reasoning_effort", "thinking",
    }
)  # fmt: skip

_encoder = msgspec.json.Encoder()


class GeminiProvider(Provider):
    name = "gemini"
    default_api_base = "https://generativelanguage.googleapis.com/v1beta"
    api_key_env = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    api_base_env = ("GEMINI_API_BASE",)
    supported_params = GEMINI_CHAT_PARAMS

    # ---- requests
    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        # Gemini may always answer with several function calls at once, so parallel_tool_calls=True
        # asks for what happens anyway; False cannot be honoured and stays unsupported.
        if request.parallel_tool_calls is True:
            request = msgspec.structs.replace(request, parallel_tool_calls=None)
        return super().check_params(request, drop)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
            "embedding": Codec(self.prepare_embedding, self.parse_embedding),
        }

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        options = deployment.options or {}
        body = build_body(
            request, deployment.model, response_json_schema=bool(options.get("response_json_schema"))
        )
        method = "streamGenerateContent?alt=sse" if request.stream else "generateContent"
        return HttpRequest(
            url=self._url(deployment, method),
            headers=self._headers(deployment),
            body=_encoder.encode(body),
            stream=bool(request.stream),
        )

    def takes_embedding_task_type(self, deployment: Deployment) -> bool:
        return True  # embedContent's taskType

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        body = embedding_body(request, model_path(deployment.model))
        return HttpRequest(
            url=self._url(deployment, embedding_method(request)),
            headers=self._headers(deployment),
            body=_encoder.encode(body),
        )

    def _url(self, deployment: Deployment, method: str) -> str:
        return join_url(self.api_base(deployment), f"{model_path(deployment.model)}:{method}")

    def _headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json", "x-goog-api-key": self.api_key(deployment)}
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        decoded = self._decode(response)
        result = to_chat_response(decoded, request.model)
        hidden_params(result).update(provider_details(decoded))
        return result

    def chat_stream_decoder(self, request: ChatRequest) -> GeminiStreamDecoder:
        return GeminiStreamDecoder(self, request.model)

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return parse_embedding(response.body, request, request.model)

    def _decode(self, response: HttpResponse) -> GenerateContentResponse:
        try:
            decoded = response_decoder.decode(response.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            if parse_status(response.body) is not None:
                raise classify(response.status, response.headers, response.body, self.name) from None
            raise InternalServerError(f"malformed response from Gemini: {exc}", provider=self.name) from exc
        if decoded.error is not None:
            raise from_rpc_status(decoded.error, decoded.error.code or 500, response.headers, self.name)
        return decoded

    # ---- errors
    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        return classify(status, headers, body, self.name)

    def error_message(self, body: bytes) -> str | None:
        rpc = parse_status(body)
        return rpc.message if rpc is not None else super().error_message(body)


def model_path(model: str) -> str:
    """The model's resource path: `models/{id}` (a leading `models/` in the id is accepted), or a
    tuned model's `tunedModels/{id}` as given. Escaped so an id cannot add path or query parts."""
    if model.startswith("tunedModels/"):
        return path_part(model, provider="gemini", safe="/-_.")
    bare = model.removeprefix("models/")
    return "models/" + path_part(bare, provider="gemini", safe="-_.")
