"""IBM watsonx.ai (cloud.ibm.com/apidocs/watsonx-ai), sans-IO.

`watsonx/<model>` calls the chat API, `POST {api_base}/ml/v1/text/chat?version=<v>` (`chat_stream`
when streaming); `watsonx_text/<model>` calls text generation, `/ml/v1/text/generation`
(`generation_stream`), with the conversation as one prompt. A model deployed in a space,
`watsonx/deployment/<id>`, is called at `/ml/v1/deployments/<id>/text/...`. Both embed through
`/ml/v1/text/embeddings`. `api_base` is the regional endpoint (https://us-south.ml.cloud.ibm.com;
WATSONX_URL), `api_version` the API's `version` date. Credentials: auth.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import msgspec

from llmrelay.providers.base import Codec, ErrorDetails, Provider, openai_style_error_details
from llmrelay.providers.paths import path_part
from llmrelay.providers.watsonx import request as wire
from llmrelay.providers.watsonx.auth import API_KEY_ENV, IamApiKeyGrant, credential
from llmrelay.providers.watsonx.params import WATSONX_PARAMS
from llmrelay.providers.watsonx.response import (
    embedding_response,
    error_details,
    generation_response,
    to_chat_response,
)
from llmrelay.providers.watsonx.stream import (
    WatsonxChatStreamDecoder,
    WatsonxGenerationStreamDecoder,
    WatsonxStreamDecoder,
)
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse

# LiteLLM's default `version` of the watsonx.ai API
DEFAULT_API_VERSION = "2024-03-13"
_JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
WATSONX_CHAT_PARAMS = frozenset(
    {
        "temperature", "top_p", "n", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
        "frequency_penalty", "logprobs", "top_logprobs", "seed", "tools", "tool_choice",
        "response_format", "reasoning_effort",
    }
)  # fmt: skip
WATSONX_TEXT_PARAMS = frozenset(
    {"temperature", "top_p", "top_k", "stop", "max_tokens", "max_completion_tokens", "seed"}
)


class WatsonxProvider(Provider):
    name = "watsonx"
    api_key_env = API_KEY_ENV
    api_base_env = ("WATSONX_API_BASE", "WATSONX_URL", "WX_URL", "WML_URL")
    supported_params = WATSONX_CHAT_PARAMS
    deployment_params = WATSONX_PARAMS
    # the chat or generation endpoint, under /ml/v1/text/ (or a deployment's /text/)
    endpoint = "chat"

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
            "embedding": Codec(self.prepare_embedding, self.parse_embedding),
        }

    # ---- credentials
    def token_grant(self, deployment: Deployment) -> IamApiKeyGrant | None:
        found = credential(deployment, self.name)
        return found if isinstance(found, IamApiKeyGrant) else None

    def headers(self, deployment: Deployment) -> dict[str, str]:
        headers = dict(_JSON_HEADERS)
        found = credential(deployment, self.name)
        if isinstance(found, str):  # else an IAM grant: `authorize` adds its token
            headers["authorization"] = found
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    # ---- requests
    def url(self, deployment: Deployment, path: str) -> str:
        version = quote(deployment.api_version or DEFAULT_API_VERSION, safe="")
        return f"{self.api_base(deployment)}/ml/v1/{path}?version={version}"

    def text_path(self, deployment: Deployment, stream: bool) -> str:
        endpoint = self.endpoint + ("_stream" if stream else "")
        model = deployment.model
        if model.startswith(wire.DEPLOYMENT_PREFIX):
            name = path_part(model.removeprefix(wire.DEPLOYMENT_PREFIX), provider=self.name)
            return f"deployments/{name}/text/{endpoint}"
        return f"text/{endpoint}"

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        where = wire.scope(deployment.model, deployment.options or {}, self.name)
        body = self.body(request, where)
        stream = bool(request.stream)
        return HttpRequest(
            url=self.url(deployment, self.text_path(deployment, stream)),
            headers=self.headers(deployment),
            body=wire.encoder.encode(body),
            stream=stream,
        )

    def body(self, request: ChatRequest, where: dict[str, str]) -> dict[str, Any]:
        return wire.chat_body(request, where, self.name)

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        where = wire.scope(deployment.model, deployment.options or {}, self.name)
        return HttpRequest(
            url=self.url(deployment, "text/embeddings"),
            headers=self.headers(deployment),
            body=wire.encoder.encode(wire.embedding_body(request, where, self.name)),
        )

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        return to_chat_response(response.body, self.name, request.model)

    def chat_stream_decoder(self, request: ChatRequest) -> WatsonxStreamDecoder:
        return WatsonxChatStreamDecoder(self, request.model)

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return embedding_response(response.body, request, self.name)

    def error_message(self, body: bytes) -> str | None:
        details = error_details(body)
        return details.message if details is not None and details.message else super().error_message(body)

    def error_details(self, body: bytes) -> ErrorDetails:
        return error_details(body) or openai_style_error_details(body)


class WatsonxTextProvider(WatsonxProvider):
    """`watsonx_text/<model>`: LiteLLM's route through text generation."""

    name = "watsonx_text"
    supported_params = WATSONX_TEXT_PARAMS
    endpoint = "generation"

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        # n=1 is the one answer text generation gives
        if request.n == 1:
            request = msgspec.structs.replace(request, n=None)
        return super().check_params(request, drop)

    def body(self, request: ChatRequest, where: dict[str, str]) -> dict[str, Any]:
        return wire.generation_body(request, where, self.name)

    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        return generation_response(response.body, self.name, request.model)

    def chat_stream_decoder(self, request: ChatRequest) -> WatsonxStreamDecoder:
        return WatsonxGenerationStreamDecoder(self, request.model)
