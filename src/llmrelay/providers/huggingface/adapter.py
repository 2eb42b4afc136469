"""The Hugging Face adapter: the OpenAI-compatible one, configured by the `huggingface` row of
openai_compat.toml, with the router's model ids, dedicated endpoints' URLs and feature-extraction
embeddings.

Chat goes to `{base}/chat/completions`, where base is the router (https://router.huggingface.co/v1)
or a dedicated Inference Endpoint / TGI server (its root URL gets /v1 appended). The model string's
provider prefix becomes the router's `:provider` suffix.
"""

from __future__ import annotations

from typing import Any

import msgspec

from llmrelay.providers.compat import compat_specs
from llmrelay.providers.huggingface.embedding import embedding_body, parse_embedding
from llmrelay.providers.huggingface.routing import chat_base, embedding_url, router_model
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.http import HttpRequest, HttpResponse

_encoder = msgspec.json.Encoder()


class HuggingFaceProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(compat_specs()["huggingface"])

    # ---- requests
    def url(self, deployment: Deployment, endpoint: str) -> str:
        return f"{chat_base(self.api_base(deployment))}/{endpoint}"

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        changes: dict[str, Any] = {}
        if request.max_completion_tokens is not None:
            # TGI's schema (which the router follows) reads only max_tokens
            changes = {"max_tokens": request.max_output_tokens(), "max_completion_tokens": None}
        if changes:
            request = msgspec.structs.replace(request, **changes)
        routed = msgspec.structs.replace(deployment, model=router_model(deployment.model))
        return super().prepare_chat(request, routed)

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        url = embedding_url(self.api_base(deployment), deployment.model)
        body = _encoder.encode(embedding_body(request))
        return HttpRequest(url=url, headers=self.headers(deployment), body=body)

    # ---- responses
    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return parse_embedding(response.body, request)
