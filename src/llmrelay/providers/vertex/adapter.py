"""Google Vertex AI (`vertex_ai/<model>`): Gemini and Claude models, each in its maker's wire format,
and the partner models in OpenAI's (providers/vertex/partners.py).

`vertex_ai` names one provider but several wire formats, so `VertexAI.for_deployment` hands each call to
the adapter of the model's publisher:

- `VertexGemini` — the Gemini adapter's bodies, responses and stream decoding, at
  `.../publishers/google/models/{model}:generateContent` (`:streamGenerateContent?alt=sse`);
  embeddings through `:predict`;
- `VertexAnthropic` — the Anthropic adapter's Messages bodies without `model` and with
  `anthropic_version: vertex-2023-10-16`, at `.../publishers/anthropic/models/{model}:rawPredict`
  (`:streamRawPredict`); answers and streams are Anthropic's own.

Both authenticate with an OAuth2 access token: minted from Google credentials by the engine (the
`token_grant` seam, llmrelay.providers.grants), or given ready as `api_key`.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmrelay.providers.anthropic import errors as anthropic_errors
from llmrelay.providers.anthropic.adapter import ANTHROPIC_CHAT_PARAMS, AnthropicProvider, with_betas
from llmrelay.providers.anthropic.request import build_body as anthropic_body
from llmrelay.providers.base import Provider
from llmrelay.providers.gemini import errors as gemini_errors
from llmrelay.providers.gemini.adapter import GeminiProvider
from llmrelay.providers.gemini.request import build_body as gemini_body
from llmrelay.providers.grants import TokenGrant
from llmrelay.providers.vertex import settings
from llmrelay.providers.vertex.embedding import parse_predict, predict_body
from llmrelay.providers.vertex.params import VERTEX_PARAMS
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest, EmbeddingResponse
from llmrelay.types.errors import LLMError
from llmrelay.types.http import HttpRequest, HttpResponse

VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
# Claude's model ids on Vertex; every other model is Google's own
ANTHROPIC_PREFIXES = ("claude",)

_encoder = msgspec.json.Encoder()


class VertexEndpoint(Provider):
    """What both publishers share: placement, headers and the token grant."""

    name = settings.PROVIDER
    requires_api_key = False
    deployment_params = VERTEX_PARAMS

    def __init__(self, projects: dict[str, str | None] | None = None) -> None:
        super().__init__()
        # project_id read from a credentials file, per source (so the file is read once, not per call)
        self._projects = projects if projects is not None else {}

    def publisher_url(self, deployment: Deployment, publisher: str, method: str) -> str:
        return settings.placement(deployment, self._projects).model_url(publisher, deployment.model, method)

    def vertex_headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if deployment.api_key:
            # a ready access token; else the engine authorizes with one from token_grant
            headers["authorization"] = f"Bearer {deployment.api_key}"
        if deployment.extra_headers:
            headers.update({k.lower(): v for k, v in deployment.extra_headers.items()})
        return headers

    def token_grant(self, deployment: Deployment) -> TokenGrant | None:
        return settings.token_grant(deployment)

    def serving_region(self, deployment: Deployment) -> str | None:
        return settings.location(deployment)


class VertexGemini(VertexEndpoint, GeminiProvider):
    """Gemini (and Google's embedding models) on Vertex AI."""

    name = settings.PROVIDER

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        options = deployment.options or {}
        body = gemini_body(
            request, deployment.model, response_json_schema=bool(options.get("response_json_schema"))
        )
        method = "streamGenerateContent?alt=sse" if request.stream else "generateContent"
        return HttpRequest(
            url=self.publisher_url(deployment, "google", method),
            headers=self.vertex_headers(deployment),
            body=_encoder.encode(body),
            stream=bool(request.stream),
        )

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        return HttpRequest(
            url=self.publisher_url(deployment, "google", "predict"),
            headers=self.vertex_headers(deployment),
            body=_encoder.encode(predict_body(request, deployment.model)),
        )

    def parse_embedding(self, response: HttpResponse, request: EmbeddingRequest) -> EmbeddingResponse:
        return parse_predict(response.body, request)

    def catalog_fallback(self, deployment: Deployment) -> str | None:
        # Vertex lists Gemini at Google's prices; a model without a Vertex entry is priced as Gemini
        return f"gemini/{deployment.model}"


class VertexAnthropic(VertexEndpoint, AnthropicProvider):
    """Claude on Vertex AI."""

    name = settings.PROVIDER
    # Anthropic's service tiers are its own API's; on Vertex the hint is removed (base.SERVING_HINTS).
    # Server tools are refused: which of them Vertex runs varies by model and region.
    supported_params = ANTHROPIC_CHAT_PARAMS - {"service_tier", "server_tools"}

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        body = anthropic_body(request, deployment.model)
        # the model is named by the URL; the API version travels in the body, not in a header
        del body["model"]
        body["anthropic_version"] = VERTEX_ANTHROPIC_VERSION
        method = "streamRawPredict" if request.stream else "rawPredict"
        return HttpRequest(
            url=self.publisher_url(deployment, "anthropic", method),
            # Vertex AI takes Claude's beta features in the same header as Anthropic's API
            headers=with_betas(self.vertex_headers(deployment), request.anthropic_beta),
            body=_encoder.encode(body),
            stream=bool(request.stream),
        )

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        # Vertex itself (auth, quota, unknown model) answers with a google.rpc.Status; Claude's own
        # errors pass through in Anthropic's envelope, told by its error `type` (a google.rpc.Status
        # has none, but its decoder would take Anthropic's {"error": {...}} too)
        error_type, _ = anthropic_errors.read_error(body)
        if error_type is None and gemini_errors.parse_status(body) is not None:
            return gemini_errors.classify(status, headers, body, self.name)
        return anthropic_errors.classify(self.name, status, headers, body)

    def error_message(self, body: bytes) -> str | None:
        rpc = gemini_errors.parse_status(body)
        return rpc.message if rpc is not None else super().error_message(body)

    def catalog_fallback(self, deployment: Deployment) -> str | None:
        return "anthropic/" + anthropic_model_id(deployment.model)


class VertexAI(VertexEndpoint):
    """The registered `vertex_ai` adapter: picks the publisher's adapter per deployment."""

    def __init__(self) -> None:
        # imported here, not at the top: partners.py builds on VertexEndpoint from this module
        from llmrelay.providers.vertex import partners

        super().__init__()
        self.gemini = VertexGemini(self._projects)
        self.anthropic = VertexAnthropic(self._projects)
        self._partners: dict[str, Provider] = {
            "open_model": partners.VertexOpenModel(self._projects),
            "mistral": partners.VertexMistral(self._projects),
        }
        self._partner_family = partners.partner_family
        self._served_family = partners.served_family

    def for_deployment(self, deployment: Deployment) -> Provider:
        return self._for_model(deployment.model)

    def _for_model(self, model: str) -> Provider:
        family = self._partner_family(model)
        if family is not None:
            return self._partners[family]
        if model.startswith(ANTHROPIC_PREFIXES):
            return self.anthropic
        return self.gemini

    # the registry's adapter answers too (parameter checks before a deployment is known, SDK helpers)
    def check_params(self, request: ChatRequest, drop: bool) -> ChatRequest:
        # request.model may be a gateway's alias: only a model id it names decides
        family = self._served_family(request.model.removeprefix(settings.PROVIDER + "/"))
        if family is not None:
            return self._partners[family].check_params(request, drop)
        model = request.model.rsplit("/", 1)[-1]
        inner = self.anthropic if model.startswith(ANTHROPIC_PREFIXES) else self.gemini
        return inner.check_params(request, drop)


def anthropic_model_id(vertex_model: str) -> str:
    """Claude's id at Anthropic for its Vertex id: `claude-3-5-sonnet-v2@20241022` →
    `claude-3-5-sonnet-20241022`, `claude-sonnet-4@20250514` → `claude-sonnet-4-20250514`."""
    name, _, version = vertex_model.partition("@")
    name = name.removesuffix("-v2")
    if not version or not version.isdigit():
        return name
    return f"{name}-{version}"
