"""The SageMaker adapters, sans-IO: `sagemaker/<endpoint>` (TGI's body, llmrelay.providers.tgi) and
`sagemaker_chat/<endpoint>` (OpenAI's chat-completion body, for containers with a Messages API: TGI,
vLLM, LMI). Both POST to the endpoint's invocations (streams: invocations-response-stream) and sign
with SigV4 (endpoint.py)."""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.aws.eventstream import PayloadStreamDecoder
from llmrelay.providers.aws.optional import require_botocore
from llmrelay.providers.base import Codec, Provider
from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.providers.openai.stream import OpenAIChatStreamDecoder
from llmrelay.providers.sagemaker.endpoint import SageMakerEndpoint
from llmrelay.providers.sagemaker.params import SAGEMAKER_PARAMS
from llmrelay.providers.tgi.body import TGI_PARAMS, parse_tgi, prompt_of, tgi_body
from llmrelay.providers.tgi.stream import TgiStreamDecoder
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.http import HttpRequest, HttpResponse
from llmrelay.types.response import ChatResponse

_encoder = msgspec.json.Encoder()


def _one_choice(request: ChatRequest) -> ChatRequest:
    # one choice is what an endpoint gives; asking for exactly one asks for nothing else
    return msgspec.structs.replace(request, n=None) if request.n == 1 else request


class SageMakerProvider(SageMakerEndpoint, Provider):
    name = "sagemaker"
    supported_params = TGI_PARAMS
    requires_api_key = False
    deployment_params = SAGEMAKER_PARAMS

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        return super().check_params(_one_choice(request), drop)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        return {"chat": Codec(self.prepare_chat, self.parse_chat)}

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        if request.stream:
            require_botocore(self.name)
        body = _encoder.encode(tgi_body(request, self.name))
        return self.invocation(deployment, body, stream=bool(request.stream))

    def parse_chat(self, response: HttpResponse, request: ChatRequest) -> ChatResponse:
        return parse_tgi(response.body, request, self.name, request.model)

    def chat_stream_decoder(self, request: ChatRequest) -> PayloadStreamDecoder:
        inner = TgiStreamDecoder(self.name, request.model, prompt_of(request, self.name))
        return PayloadStreamDecoder(inner, self.name, request.model)


class SageMakerChatProvider(SageMakerEndpoint, OpenAICompatible):
    deployment_params = SAGEMAKER_PARAMS

    def __init__(self) -> None:
        super().__init__(CompatSpec(name="sagemaker_chat", requires_api_key=False, embeddings=False))

    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        return super().check_params(_one_choice(request), drop)

    # OpenAI's body, at SageMaker's URL with SageMaker's signature (not OpenAI's URL and key)
    def url(self, deployment: Deployment, endpoint: str) -> str:
        return endpoint

    def headers(self, deployment: Deployment) -> dict[str, str]:
        return {}

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        if request.stream:
            require_botocore(self.name)
        body = super().prepare_chat(request, deployment).body or b""
        return self.invocation(deployment, body, stream=bool(request.stream))

    def chat_stream_decoder(self, request: ChatRequest) -> PayloadStreamDecoder:  # type: ignore[override]
        # the OpenAI decoder reads the container's SSE, unwrapped from the event stream first
        return PayloadStreamDecoder(OpenAIChatStreamDecoder(self), self.name, request.model)

    def catalog_model(self, deployment: Deployment) -> str:
        return deployment.model
