"""Cloudflare Workers AI (developers.cloudflare.com/workers-ai), sans-IO, as LiteLLM calls it:
`POST {api_base}/<model>` where api_base is `https://api.cloudflare.com/client/v4/accounts/
<CLOUDFLARE_ACCOUNT_ID>/ai/run`, with a bearer API token (CLOUDFLARE_API_KEY). Chat sends
`{"messages", "stream"?, sampling fields}` and reads `result.response`; embeddings send
`{"text": [texts]}` and read `result.data`. Answers come in Cloudflare's envelope (wire.py).
"""

from __future__ import annotations

import os
import time
from typing import Any

import msgspec

from llmrelay.providers.base import Codec, ErrorDetails, Provider, join_url
from llmrelay.providers.cloudflare.wire import (
    CloudflareStreamDecoder,
    embedding_decoder,
    first_error,
    new_id,
    response_text,
    text_decoder,
)
from llmrelay.providers.paths import path_part
from llmrelay.types.chat import ChatRequest, Message, TextPart
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingData, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage

ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"
_RUN_BASE = "https://api.cloudflare.com/client/v4/accounts/{account}/ai/run"
# ChatRequest fields sent under the same name (max_completion_tokens is sent as max_tokens)
_SAMPLING = ("temperature", "top_p", "top_k", "seed", "frequency_penalty", "presence_penalty")
_encoder = msgspec.json.Encoder()


class CloudflareProvider(Provider):
    name = "cloudflare"
    api_key_env = ("CLOUDFLARE_API_KEY",)
    api_base_env = ("CLOUDFLARE_API_BASE",)
    supported_params = frozenset({*_SAMPLING, "max_tokens", "max_completion_tokens", "response_format"})

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
            "embedding": Codec(self.prepare_embedding, self.parse_embedding),
        }

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        # n=1 is the one answer Cloudflare gives
        if request.n == 1:
            request = msgspec.structs.replace(request, n=None)
        return super().check_params(request, drop)

    # ---- requests
    def api_base(self, deployment: Deployment) -> str:
        if deployment.api_base or any(os.environ.get(v) for v in self.api_base_env):
            return super().api_base(deployment)
        account = os.environ.get(ACCOUNT_ENV)
        if not account:
            raise BadRequestError(
                "Cloudflare needs the account that runs the model: set CLOUDFLARE_ACCOUNT_ID, or pass "
                "api_base=https://api.cloudflare.com/client/v4/accounts/<account id>/ai/run",
                provider=self.name,
                model=deployment.model,
                param="api_base",
            )
        return _RUN_BASE.format(account=path_part(account, provider=self.name, param=ACCOUNT_ENV))

    def url(self, deployment: Deployment) -> str:
        # a model is `@cf/<maker>/<name>` (or `@hf/...`): its slashes are path segments
        model = path_part(deployment.model, provider=self.name, safe="/@")
        return join_url(self.api_base(deployment), model)

    def headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json", "authorization": f"Bearer {self.api_key(deployment)}"}
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        body: dict[str, Any] = {"messages": [self._message(m, request) for m in request.messages]}
        if request.stream:
            body["stream"] = True
        body.update({f: getattr(request, f) for f in _SAMPLING if getattr(request, f) is not None})
        if request.max_output_tokens() is not None:
            body["max_tokens"] = request.max_output_tokens()
        if request.response_format is not None and request.response_format.type != "text":
            body["response_format"] = msgspec.to_builtins(request.response_format)
        body.update(request.extra_body or {})
        return HttpRequest(
            url=self.url(deployment), headers=self.headers(deployment), body=_encoder.encode(body),
            stream=bool(request.stream),
        )  # fmt: skip

    def _message(self, message: Message, request: ChatRequest) -> dict[str, str]:
        content = message.content
        if (
            message.tool_calls
            or message.role in ("tool", "function")
            or (isinstance(content, list) and any(not isinstance(p, TextPart) for p in content))
        ):
            raise BadRequestError(
                "Cloudflare's ai/run chat takes text turns only (no tool turns, images or files)",
                provider=self.name,
                model=request.model,
                param="messages",
            )
        return {"role": "system" if message.role == "developer" else message.role, "content": message.text()}

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        texts = request.texts()
        count = 1 if isinstance(request.input, str) else len(request.input)
        for field, ok in (("input", bool(texts) and len(texts) == count),
                          ("encoding_format", request.encoding_format in (None, "float")),
                          ("dimensions", request.dimensions is None)):  # fmt: skip
            if not ok:
                raise BadRequestError(
                    "Cloudflare embeds strings as floats in the model's own size: "
                    f"{field} cannot be given as it was",
                    provider=self.name,
                    model=request.model,
                    param=field,
                )
        body = {"text": texts, **(request.extra_body or {})}
        return HttpRequest(
            url=self.url(deployment), headers=self.headers(deployment), body=_encoder.encode(body)
        )

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        envelope = self._decode(text_decoder, response, request.model)
        result = envelope.result
        if not envelope.success or result is None:
            raise self.classify_error(500, {}, response.body)
        choice = Choice(
            index=0,
            message=ResponseMessage(content=response_text(result.response)),
            finish_reason=result.finish_reason or "stop",
        )
        return ChatResponse(
            id=new_id(), created=int(time.time()), model=request.model, choices=[choice], usage=result.usage
        )

    def chat_stream_decoder(self, request: ChatRequest) -> CloudflareStreamDecoder:
        return CloudflareStreamDecoder(self, request.model)

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        envelope = self._decode(embedding_decoder, response, request.model)
        result = envelope.result
        if not envelope.success or result is None:
            raise self.classify_error(500, {}, response.body)
        if len(result.data) != len(request.texts()):
            raise InternalServerError(
                f"Cloudflare returned {len(result.data)} embeddings for {len(request.texts())} inputs",
                provider=self.name,
                model=request.model,
            )
        # Cloudflare reports no token counts for embeddings
        return EmbeddingResponse(
            data=[EmbeddingData(index=i, embedding=v) for i, v in enumerate(result.data)],
            model=request.model,
            usage=EmbeddingUsage(),
        )

    def error_details(self, body: bytes) -> ErrorDetails:
        error = first_error(body)
        if error is None:
            return super().error_details(body)
        return ErrorDetails(
            message=None if error.message is None else str(error.message),
            code=None if error.code is None else str(error.code),
        )

    def error_message(self, body: bytes) -> str | None:
        error = first_error(body)
        return str(error.message) if error is not None and error.message else super().error_message(body)

    def _decode(self, decoder: msgspec.json.Decoder[Any], response: HttpResponse, model: str) -> Any:
        try:
            return decoder.decode(response.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(
                f"malformed response from Cloudflare: {exc}", provider=self.name, model=model
            ) from exc
