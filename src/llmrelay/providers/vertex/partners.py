"""Model Garden partner models on Vertex AI that speak OpenAI's chat format ("MaaS").

- `VertexOpenModel` — Llama (`meta/...`), DeepSeek (`deepseek-ai/...`) and Qwen (`qwen/...`): Vertex's
  OpenAI-compatible endpoint `.../endpoints/openapi/chat/completions`, the publisher-qualified model id
  in the body (`meta/llama-3.3-70b-instruct-maas`).
- `VertexMistral` — Mistral and Codestral: Mistral's own chat body (OpenAI's shape) at
  `.../publishers/mistralai/models/{model}:rawPredict` (`:streamRawPredict`).

Both use the Vertex credentials and token cache of the other Vertex adapters (VertexEndpoint). Other
partner families (AI21 Jamba, other publishers) are refused by name: `partner_family` says which.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from llmrelay.providers.compat import CompatSpec, compat_specs
from llmrelay.providers.gemini import errors as gemini_errors
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.providers.vertex import settings
from llmrelay.providers.vertex.adapter import VertexEndpoint
from llmrelay.types.chat import ChatRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError, LLMError
from llmrelay.types.http import HttpRequest

# publishers served on the OpenAI-compatible endpoint, as Google spells them in model ids
OPEN_MODEL_PUBLISHERS = ("meta/", "deepseek-ai/", "qwen/")
MISTRAL_PREFIXES = ("mistral", "codestral")
# Model Garden partner families not served here, refused by name rather than sent to a wrong URL
REFUSED_PREFIXES = ("jamba", "ai21/", "openai/", "moonshotai/", "minimaxai/", "zai-org/")
# OpenAI-only fields the OpenAI-compatible endpoint does not document
_OPEN_MODEL_UNSUPPORTED = frozenset(
    {"audio", "modalities", "store", "service_tier", "safety_identifier", "prompt_cache_key",
     "verbosity", "prediction", "logit_bias"}
)  # fmt: skip


def served_family(model: str) -> str | None:
    """ "open_model" or "mistral" for a partner model served here, else None."""
    if model.startswith(OPEN_MODEL_PUBLISHERS):
        return "open_model"
    if model.startswith(MISTRAL_PREFIXES):
        return "mistral"
    return None


def partner_family(model: str) -> str | None:
    """`served_family`, or None for Google's and Anthropic's models; BadRequestError naming the
    model for a partner family llmrelay does not serve."""
    family = served_family(model)
    if family is not None:
        return family
    bare = model.startswith(("llama", "deepseek", "qwen"))
    if bare or model.startswith(REFUSED_PREFIXES):
        hint = (
            " (write it with its publisher, e.g. vertex_ai/meta/llama-3.3-70b-instruct-maas)" if bare else ""
        )
        raise BadRequestError(
            f"Vertex AI model {model!r} is not served by llmrelay{hint}: its partner models served are "
            "Llama (meta/), DeepSeek (deepseek-ai/), Qwen (qwen/) and Mistral/Codestral",
            provider=settings.PROVIDER,
            model=model,
            param="model",
        )
    return None


class _VertexOpenAIDialect(VertexEndpoint, OpenAICompatible):
    """OpenAI's bodies, answers and streams, at a Vertex URL with Vertex's credentials."""

    spec_row: CompatSpec

    def __init__(self, projects: dict[str, str | None]) -> None:
        OpenAICompatible.__init__(self, self.spec_row)
        self._projects = projects

    def chat_url(self, deployment: Deployment, stream: bool) -> str:
        raise NotImplementedError

    def body_model(self, deployment: Deployment) -> str:
        return deployment.model

    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        named = msgspec.structs.replace(deployment, model=self.body_model(deployment))
        return HttpRequest(
            url=self.chat_url(deployment, bool(request.stream)),
            headers=self.vertex_headers(deployment),
            body=self.chat_body(request, named),
            stream=bool(request.stream),
        )

    def classify_error(self, status: int, headers: Mapping[str, str], body: bytes) -> LLMError:
        # Vertex itself (auth, quota, unknown model) answers with a google.rpc.Status; the model's own
        # errors come in OpenAI's envelope
        if gemini_errors.parse_status(body) is not None:
            return gemini_errors.classify(status, headers, body, self.name)
        return super().classify_error(status, headers, body)

    def error_message(self, body: bytes) -> str | None:
        rpc = gemini_errors.parse_status(body)
        return rpc.message if rpc is not None else super().error_message(body)


class VertexOpenModel(_VertexOpenAIDialect):
    """Llama, DeepSeek and Qwen on Vertex's OpenAI-compatible endpoint."""

    spec_row = CompatSpec(
        name=settings.PROVIDER, requires_api_key=False, embeddings=False,
        unsupported_params=_OPEN_MODEL_UNSUPPORTED, docs="https://cloud.google.com/vertex-ai/generative-ai/docs/maas/call-open-model-apis",
    )  # fmt: skip

    def chat_url(self, deployment: Deployment, stream: bool) -> str:
        return settings.placement(deployment, self._projects).openapi_url()


class VertexMistral(_VertexOpenAIDialect):
    """Mistral and Codestral on Vertex: Mistral's chat API (its adapter row's rules) at rawPredict."""

    spec_row = msgspec.structs.replace(
        compat_specs()["mistral"], name=settings.PROVIDER, api_base="", api_key_env=(),
        requires_api_key=False, embeddings=False,
    )  # fmt: skip

    def chat_url(self, deployment: Deployment, stream: bool) -> str:
        return self.publisher_url(deployment, "mistralai", "streamRawPredict" if stream else "rawPredict")

    def body_model(self, deployment: Deployment) -> str:
        # the URL takes the versioned id (`mistral-small-2503@001`); Mistral's body names the model
        return deployment.model.partition("@")[0]
