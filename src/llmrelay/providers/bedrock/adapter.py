"""The AWS Bedrock Runtime adapter, sans-IO: Converse / ConverseStream for chat, InvokeModel for
embeddings.

`bedrock/<modelId>` and `bedrock/converse/<modelId>` call
`{endpoint}/model/{modelId}/converse` (or `/converse-stream`); `modelId` may be a foundation model id, a
cross-region inference profile (`us.anthropic...`) or an ARN, and is percent-encoded into one
path segment (`/` as %2F; `:` as is). The endpoint is `https://bedrock-runtime.{region}.amazonaws.com`
unless `api_base` (or `aws_bedrock_runtime_endpoint`) overrides it. Requests are SigV4-signed per
attempt (the signature covers the date), or carry a Bedrock API key as a bearer token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from llmrelay.providers.aws.chain import AwsChain
from llmrelay.providers.aws.refusals import keys_refused
from llmrelay.providers.base import Codec, Provider
from llmrelay.providers.bedrock import credentials as creds
from llmrelay.providers.bedrock.embedding import embedding_body, parse_embedding
from llmrelay.providers.bedrock.embedding import family as embedding_family
from llmrelay.providers.bedrock.errors import classify, decode_payload
from llmrelay.providers.bedrock.optional import require_botocore
from llmrelay.providers.bedrock.params import BEDROCK_PARAMS
from llmrelay.providers.bedrock.request import build_body
from llmrelay.providers.bedrock.response import to_chat_response
from llmrelay.providers.bedrock.signing import auth_headers, sigv4_headers
from llmrelay.providers.bedrock.stream import BedrockStreamDecoder
from llmrelay.providers.bedrock.wire import ConverseResponse, response_decoder
from llmrelay.providers.grants import Credential, SigningKeys
from llmrelay.providers.paths import path_part
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import BadRequestError, InternalServerError, LLMError
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse, hidden_params

BEDROCK_CHAT_PARAMS = frozenset(
    {
        "temperature", "top_p", "top_k", "stop", "max_tokens", "max_completion_tokens", "tools",
        "tool_choice", "reasoning_effort", "thinking", "response_format",
    }
)  # fmt: skip
# LiteLLM's route prefixes: `converse/` (the default route) and `invoke/` (InvokeModel with the model
# family's own body: invoke/adapter.py)
ROUTE_PREFIXES = ("converse/", "invoke/")
INVOKE_PREFIX = "invoke/"
EVENT_STREAM = "application/vnd.amazon.eventstream"

_encoder = msgspec.json.Encoder()


def model_id(model: str) -> str:
    for prefix in ROUTE_PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix) :]
    return model


class BedrockProvider(Provider):
    name = "bedrock"
    supported_params = BEDROCK_CHAT_PARAMS
    deployment_params = BEDROCK_PARAMS
    requires_api_key = False

    # ---- InvokeModel's family adapters (invoke/adapter.py)
    def for_deployment(self, deployment: Deployment) -> Provider:
        if deployment.model.startswith(INVOKE_PREFIX):
            return self._invoke(deployment.model)
        return self

    def _invoke(self, model: str) -> Provider:
        from llmrelay.providers.bedrock.invoke.adapter import BedrockInvoke, family

        return BedrockInvoke(family(model_id(model)))

    # ---- requests
    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        model = request.model.removeprefix(f"{self.name}/")
        if model.startswith(INVOKE_PREFIX) and type(self) is BedrockProvider:
            return self._invoke(model).check_params(request, drop)
        # one choice is what Converse gives; models may answer with several tool calls anyway, so
        # parallel_tool_calls=True asks for what happens
        changes: dict[str, None] = {}
        if request.n == 1:
            changes["n"] = None
        if request.parallel_tool_calls is True:
            changes["parallel_tool_calls"] = None
        if changes:
            request = msgspec.structs.replace(request, **changes)
        return super().check_params(request, drop)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {
            "chat": Codec(self.prepare_chat, self.parse_chat),
            "embedding": Codec(self.prepare_embedding, self.parse_embedding),
        }

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        target = self._model(deployment)
        if request.stream:
            require_botocore()
        body = _encoder.encode(build_body(request, target))
        operation = "converse-stream" if request.stream else "converse"
        accept = EVENT_STREAM if request.stream else "application/json"
        return self._request(deployment, target, operation, body, accept, stream=bool(request.stream))

    def takes_embedding_task_type(self, deployment: Deployment) -> bool:
        # Cohere Embed's input_type; Amazon Titan's body has no such field
        return embedding_family(self._model(deployment)) == "cohere"

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        target = self._model(deployment)
        body = _encoder.encode(embedding_body(request, target))
        return self._request(deployment, target, "invoke", body, "application/json")

    def _request(
        self,
        deployment: Deployment,
        target: str,
        operation: str,
        body: bytes,
        accept: str,
        *,
        stream: bool = False,
    ) -> HttpRequest:
        credentials = creds.credentials(deployment)
        signing = not isinstance(credentials, creds.BearerToken)
        base, region = creds.runtime_base(deployment, signing=signing)
        # ':' and '@' are legal in a path segment and HTTP clients send them unescaped (aiohttp's yarl
        # decodes %3A): the signature must cover the path exactly as it is sent. '/' (in ARNs) stays %2F.
        url = f"{base}/model/{path_part(target, provider=self.name, safe=':@')}/{operation}"
        headers = {"content-type": "application/json", "accept": accept}
        if not isinstance(credentials, AwsChain):
            # a chain's keys are fetched by the engine off the event loop, then `authorize` signs
            headers.update(auth_headers(credentials, region, "POST", url, headers, body))
        if deployment.extra_headers:
            # after signing and never over its headers: extra headers are not part of the signature
            headers = {**deployment.extra_headers, **headers}
        return HttpRequest(url=url, headers=headers, body=body, stream=stream)

    def _model(self, deployment: Deployment) -> str:
        target = model_id(deployment.model)
        if not target:
            raise BadRequestError(
                "a Bedrock model names its model id: 'bedrock/<modelId>'", provider=self.name, param="model"
            )
        return target

    # ---- keys the AWS chain fetches (llmrelay.providers.aws.chain)
    def token_grant(self, deployment: Deployment) -> AwsChain | None:
        credentials = creds.credentials(deployment)
        return credentials if isinstance(credentials, AwsChain) else None

    def credential_refused(self, status: int, headers: Mapping[str, str]) -> bool:
        return keys_refused(status, headers)

    def authorize(self, request: HttpRequest, token: Credential) -> HttpRequest:
        """Sign `request` with the chain's keys (the SigV4 signature covers its exact URL and body)."""
        if not isinstance(token, SigningKeys) or token.region is None:
            raise TypeError("a Bedrock request is signed with the keys of an AwsChain")
        request.headers.update(
            sigv4_headers(
                token, token.region, request.method, request.url, request.headers, request.body or b""
            )
        )
        return request

    # ---- responses
    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        decoded = self._decode(response)
        result = to_chat_response(decoded, request.model, response.header("x-amzn-requestid"))
        params = hidden_params(result)
        if decoded.metrics is not None:
            params["bedrock_metrics"] = decoded.metrics
        if decoded.additional_model_response_fields is not None:
            params["additional_model_response_fields"] = decoded.additional_model_response_fields
        if decoded.trace is not None:
            params["bedrock_trace"] = decoded.trace
        return result

    def chat_stream_decoder(self, request: ChatRequest) -> BedrockStreamDecoder:
        return BedrockStreamDecoder(request.model)

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return parse_embedding(response.body, response.headers, request)

    def _decode(self, response: HttpResponse) -> ConverseResponse:
        try:
            return response_decoder.decode(response.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InternalServerError(f"malformed response from Bedrock: {exc}", provider=self.name) from exc

    # ---- errors
    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        return classify(status, headers, body)

    def error_message(self, body: bytes) -> str | None:
        payload = decode_payload(body)
        return payload.text() if payload is not None else super().error_message(body)

    # ---- pricing and placement
    def catalog_model(self, deployment: Deployment) -> str:
        return model_id(deployment.model)

    def serving_region(self, deployment: Deployment) -> str | None:
        """aws_region_name, else AWS_REGION / AWS_DEFAULT_REGION, else the region its endpoint names."""
        try:
            return creds.region(deployment, creds.endpoint(deployment))
        except BadRequestError:  # no region anywhere: a call would fail, so the region is unknown
            return None
