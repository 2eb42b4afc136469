"""Ollama's own API (github.com/ollama/ollama docs/api.md), sans-IO.

`ollama_chat/<model>` calls `POST {api_base}/api/chat` (messages, tools, images, thinking);
`ollama/<model>` calls `POST {api_base}/api/generate` (one prompt, as LiteLLM does: a conversation
is written into the prompt, and tools are refused). Both embed through `POST {api_base}/api/embed`.
Streams are newline-delimited JSON. `api_base` is the server root (http://localhost:11434, or
OLLAMA_API_BASE); a key, when one is given (Ollama behind a proxy, or ollama.com), is sent as a
bearer token. Ollama's OpenAI-compatible API (/v1) is served by `openai_like/` with that base.
"""

from __future__ import annotations

import msgspec

from llmrelay.providers.base import Provider, join_url
from llmrelay.providers.ollama.embedding import embedding_body, parse_embedding
from llmrelay.providers.ollama.request import chat_body, generate_body
from llmrelay.providers.ollama.response import decode_answer, to_chat_response
from llmrelay.providers.ollama.stream import OllamaStreamDecoder
from llmrelay.providers.ollama.wire import encoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse

# what Ollama's options, format and think can carry (tool_choice "auto"/"none" and n=1 are handled
# in check_params: Ollama has no tool_choice and answers one choice)
OLLAMA_CHAT_PARAMS = frozenset(
    {
        "temperature", "top_p", "top_k", "seed", "stop", "max_tokens", "max_completion_tokens",
        "presence_penalty", "frequency_penalty", "tools", "response_format", "reasoning_effort",
        "thinking",
    }
)  # fmt: skip
# /api/generate takes no tools
OLLAMA_GENERATE_PARAMS = OLLAMA_CHAT_PARAMS - {"tools"}
# these are a server's root, as LiteLLM configs give them: the adapter appends its own paths
_BASE_SUFFIXES = ("/api", "/v1")


class OllamaChatProvider(Provider):
    name = "ollama_chat"
    default_api_base = "http://localhost:11434"
    api_key_env = ("OLLAMA_API_KEY",)
    api_base_env = ("OLLAMA_API_BASE",)
    requires_api_key = False
    supported_params = OLLAMA_CHAT_PARAMS
    endpoint = "api/chat"

    # ---- requests
    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        # tool_choice "auto" is what Ollama does with tools; "none" is the same as sending none;
        # n=1 is the one answer Ollama gives. Other values stay unsupported.
        changes: dict[str, None] = {}
        if request.tool_choice == "auto":
            changes["tool_choice"] = None
        elif request.tool_choice == "none":
            changes["tool_choice"] = changes["tools"] = None
        if request.n == 1:
            changes["n"] = None
        if changes:
            request = msgspec.structs.replace(request, **changes)
        return super().check_params(request, drop)

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        body = self.body(request, deployment)
        return HttpRequest(
            url=join_url(self.root(deployment), self.endpoint),
            headers=self._headers(deployment),
            body=encoder.encode(body),
            stream=bool(request.stream),
        )

    def body(self, request: ChatRequest, deployment: Deployment) -> dict[str, object]:
        return chat_body(request, deployment.model, self.name)

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        body = embedding_body(request, deployment.model, self.name)
        return HttpRequest(
            url=join_url(self.root(deployment), "api/embed"),
            headers=self._headers(deployment),
            body=encoder.encode(body),
        )

    def root(self, deployment: Deployment) -> str:
        base = self.api_base(deployment)
        for suffix in _BASE_SUFFIXES:
            base = base.removesuffix(suffix)
        return base

    def _headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        key = self.api_key(deployment)
        if key:
            headers["authorization"] = f"Bearer {key}"
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        return to_chat_response(decode_answer(response.body, self.name, request.model), request.model)

    def chat_stream_decoder(self, request: ChatRequest) -> OllamaStreamDecoder:
        return OllamaStreamDecoder(self, request.model)

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return parse_embedding(response.body, request, self.name)


class OllamaProvider(OllamaChatProvider):
    """`ollama/<model>`: LiteLLM's route through /api/generate."""

    name = "ollama"
    supported_params = OLLAMA_GENERATE_PARAMS
    endpoint = "api/generate"

    def body(self, request: ChatRequest, deployment: Deployment) -> dict[str, object]:
        return generate_body(request, deployment.model, self.name)
