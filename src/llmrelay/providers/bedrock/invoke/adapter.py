"""`bedrock/invoke/<modelId>`: InvokeModel (`/model/{modelId}/invoke`) and
InvokeModelWithResponseStream (`.../invoke-with-response-stream`) with the model family's own body,
told by the model id's vendor (after a cross-region prefix such as `us.`, or in an inference
profile's ARN): `anthropic.` → Anthropic's Messages body without `model` and `stream`, with
`anthropic_version: bedrock-2023-05-31`; `amazon.nova` → Nova's messages-v1 (Converse's shape);
`meta.llama3`+ / `mistral.` / `amazon.titan-text` → their text-prompt bodies (prompts.py). Another
vendor (or a custom model's ARN) is refused: its body is not known here (bedrock/converse/ serves
any model Converse supports). Endpoint, credentials and errors are the Bedrock adapter's.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from llmrelay.providers.anthropic.adapter import ANTHROPIC_CHAT_PARAMS
from llmrelay.providers.anthropic.request import build_body as anthropic_body
from llmrelay.providers.anthropic.request import wants_json
from llmrelay.providers.anthropic.response import to_chat_response as anthropic_response
from llmrelay.providers.base import Codec
from llmrelay.providers.bedrock.adapter import EVENT_STREAM, BedrockProvider
from llmrelay.providers.bedrock.invoke import prompts
from llmrelay.providers.bedrock.invoke.stream import (
    AnthropicInvokeStream,
    InvokeStreamDecoder,
    NovaInvokeStream,
    TextInvokeStream,
)
from llmrelay.providers.bedrock.optional import require_botocore
from llmrelay.providers.bedrock.request import build_body as converse_body
from llmrelay.providers.bedrock.response import to_chat_response
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, InternalServerError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, Choice, ResponseMessage, Usage
from llmrelay.wire.anthropic.message import message_decoder

BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31"
# cross-region inference profiles put a geography before the vendor
_GEOGRAPHIES = frozenset({"us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"})
_NOVA_FIELDS = ("messages", "system", "inferenceConfig", "toolConfig")
_PARAMS = {
    # Anthropic's service tiers and server tools are its own API's
    "anthropic": ANTHROPIC_CHAT_PARAMS - {"service_tier", "server_tools"},
    "nova": frozenset(
        {"temperature", "top_p", "stop", "max_tokens", "max_completion_tokens", "tools", "tool_choice"}
    ),
    "meta": prompts.META_PARAMS,
    "mistral": prompts.MISTRAL_PARAMS,
    "titan": prompts.TITAN_PARAMS,
}
_encoder = msgspec.json.Encoder()


def family(model_id: str) -> str:
    """The body family of an InvokeModel model id; a BadRequestError for one without a known body."""
    name = model_id.rsplit("/", 1)[-1].lower()
    parts = name.split(".")
    vendor = parts[1] if parts[0] in _GEOGRAPHIES and len(parts) > 2 else parts[0]
    if vendor == "anthropic":
        return "anthropic"
    if vendor == "amazon" and "nova" in name:
        return "nova"
    if vendor == "amazon" and "titan-text" in name:
        return "titan"
    if vendor == "mistral":
        return "mistral"
    if vendor == "meta" and "llama2" not in name:
        return "meta"
    raise BadRequestError(
        f"bedrock/invoke/ knows no InvokeModel body for {model_id!r} (it serves Anthropic, Amazon Nova and "
        "Titan Text, Meta Llama 3+ and Mistral models): call it through bedrock/converse/",
        provider="bedrock",
        model=model_id,
        param="model",
    )


class BedrockInvoke(BedrockProvider):
    """The Bedrock adapter with InvokeModel bodies of one family (BedrockProvider.for_deployment)."""

    def __init__(self, body_family: str) -> None:
        self.family = body_family
        self.supported_params = _PARAMS[body_family]

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {"chat": Codec(self.prepare_chat, self.parse_chat)}

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        target = self._model(deployment)
        if request.stream:
            require_botocore()
        body = _encoder.encode(self._body(request, target))
        operation = "invoke-with-response-stream" if request.stream else "invoke"
        accept = EVENT_STREAM if request.stream else "application/json"
        return self._request(deployment, target, operation, body, accept, stream=bool(request.stream))

    def _body(self, request: ChatRequest, target: str) -> dict[str, Any]:
        if self.family == "anthropic":
            body = anthropic_body(request, target)
            # the model is named by the URL and the stream by the operation
            body.pop("model", None)
            body.pop("stream", None)
            return {"anthropic_version": BEDROCK_ANTHROPIC_VERSION, **body}
        if self.family == "nova":
            converse = converse_body(request, target)
            extra = converse.get("additionalModelRequestFields") or {}
            return {"schemaVersion": "messages-v1", **{k: converse[k] for k in _NOVA_FIELDS if k in converse},
                    **extra}  # fmt: skip
        if self.family == "meta":
            return prompts.meta_body(request)
        if self.family == "mistral":
            return prompts.mistral_body(request)
        return prompts.titan_body(request)

    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        try:
            if self.family == "anthropic":
                message = message_decoder.decode(response.body)
                return anthropic_response(message, json_mode=wants_json(request.response_format))
            if self.family == "nova":
                return to_chat_response(
                    self._decode(response), request.model, response.header("x-amzn-requestid")
                )
            answer = prompts.text_answer.decode(response.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(f"malformed response from Bedrock: {exc}", provider=self.name) from exc
        text, reason = answer.read()
        counted = answer.usage() or _header_usage(response)
        usage = (
            Usage(prompt_tokens=counted[0], completion_tokens=counted[1], total_tokens=sum(counted))
            if counted
            else None
        )
        request_id = response.header("x-amzn-requestid") or uuid.uuid4().hex
        answered = ResponseMessage(role="assistant", content=text)
        return ChatResponse(
            id=f"chatcmpl-{request_id}",
            created=int(time.time()),
            model=request.model,
            choices=[Choice(index=0, message=answered, finish_reason=reason or "stop")],
            usage=usage,
        )

    def chat_stream_decoder(self, request: ChatRequest) -> InvokeStreamDecoder:  # type: ignore[override]
        if self.family == "anthropic":
            return AnthropicInvokeStream(request.model, wants_json(request.response_format))
        if self.family == "nova":
            return NovaInvokeStream(request.model)
        return TextInvokeStream(request.model)


def _header_usage(response: HttpResponse) -> tuple[int, int] | None:
    """InvokeModel's token counts in its response headers (every family's answer has them)."""
    prompt, completion = (
        response.header("x-amzn-bedrock-input-token-count"),
        response.header("x-amzn-bedrock-output-token-count"),
    )
    if prompt and completion and prompt.isdigit() and completion.isdigit():
        return int(prompt), int(completion)
    return None
