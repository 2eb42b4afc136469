"""The Anthropic Messages API adapter (sans-IO).

`api_base` is the host root, as in LiteLLM (default https://api.anthropic.com); the adapter appends
/v1/messages, unless the base already ends in /v1 or /v1/messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.providers.anthropic.errors import classify, read_error
from llmrelay.providers.anthropic.request import SERVICE_TIERS, encode_body, wants_json
from llmrelay.providers.anthropic.response import to_chat_response
from llmrelay.providers.anthropic.stream import AnthropicStreamDecoder
from llmrelay.providers.base import Codec, Provider
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import InternalServerError, LLMError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse
from llmrelay.wire.anthropic.message import message_decoder, token_count_decoder

ANTHROPIC_VERSION = "2023-06-01"

# ChatRequest fields the Messages API can take (directly or through a documented mapping). Not here,
# so refused by check_params: n > 1, presence/frequency penalties, logit_bias, logprobs, top_logprobs,
# seed, modalities, audio, prediction, verbosity; store and prompt_cache_key are serving hints,
# removed (base.SERVING_HINTS).
ANTHROPIC_CHAT_PARAMS = frozenset(
    {
        "temperature", "top_p", "top_k", "stop", "max_tokens", "max_completion_tokens", "tools",
        "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort", "thinking",
        "safety_identifier", "service_tier", "server_tools",
    }
)  # fmt: skip

_encoder = msgspec.json.Encoder()


class AnthropicProvider(Provider):
    name = "anthropic"
    default_api_base = "https://api.anthropic.com"
    api_key_env = ("ANTHROPIC_API_KEY",)
    api_base_env = ("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL")
    supported_params = ANTHROPIC_CHAT_PARAMS

    # ---- requests
    def messages_url(self, deployment: Deployment) -> str:
        base = self.api_base(deployment)
        if base.endswith("/v1/messages"):
            return base
        if base.endswith("/v1"):
            return base + "/messages"
        return base + "/v1/messages"

    def headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "anthropic-version": ANTHROPIC_VERSION,
            "x-api-key": self.api_key(deployment),
        }
        if deployment.extra_headers:
            headers.update({k.lower(): v for k, v in deployment.extra_headers.items()})
        return headers

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        if request.n == 1:
            # one choice is what Anthropic always gives; only n > 1 is unsupported
            request = msgspec.structs.replace(request, n=None)
        if request.service_tier is not None and request.service_tier not in SERVICE_TIERS:
            # a serving hint without an Anthropic equivalent ("flex", "priority", "scale")
            request = msgspec.structs.replace(request, service_tier=None)
        return super().check_params(request, drop)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
        }

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        body = encode_body(request, deployment.model)
        return HttpRequest(
            url=self.messages_url(deployment),
            headers=with_betas(self.headers(deployment), request.anthropic_beta),
            body=body,
            stream=bool(request.stream),
        )

    # ---- token counting (POST /v1/messages/count_tokens, free and exact where an estimate is not)
    def prepare_count_tokens(
        self, body: dict[str, Any], deployment: Deployment, betas: list[str] | None
    ) -> HttpRequest:
        """A count_tokens request in Anthropic's own shape, with the deployment's model id."""
        sent = {**body, "model": deployment.model}
        return HttpRequest(
            url=self.messages_url(deployment) + "/count_tokens",
            headers=with_betas(self.headers(deployment), betas),
            body=_encoder.encode(sent),
        )

    def parse_count_tokens(self, response: HttpResponse) -> int:
        try:
            return token_count_decoder.decode(response.body).input_tokens
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(f"malformed count_tokens answer: {exc}", provider=self.name) from exc

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        try:
            message = message_decoder.decode(response.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(f"malformed response from provider: {exc}", provider=self.name) from exc
        return to_chat_response(message, json_mode=wants_json(request.response_format))

    def chat_stream_decoder(self, request: ChatRequest) -> AnthropicStreamDecoder:
        return AnthropicStreamDecoder(self.name, json_mode=wants_json(request.response_format))

    # ---- errors
    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        return classify(self.name, status, headers, body)

    def error_message(self, body: bytes) -> str | None:
        return read_error(body)[1]


def with_betas(headers: dict[str, str], betas: list[str] | None) -> dict[str, str]:
    """Add the client's beta features to `anthropic-beta` (after any the deployment configures)."""
    if not betas:
        return headers
    configured = [b.strip() for b in headers.get("anthropic-beta", "").split(",") if b.strip()]
    merged = configured + [b for b in betas if b not in configured]
    headers["anthropic-beta"] = ",".join(merged)
    return headers
