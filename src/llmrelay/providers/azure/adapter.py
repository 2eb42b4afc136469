"""Azure OpenAI: OpenAI's bodies, Azure's URLs and credentials.

`azure/<deployment>` calls `{api_base}/openai/deployments/<deployment>/<endpoint>?api-version=<v>`.
Azure routes by the deployment in the URL; the body's `model` (the deployment name, as the OpenAI
SDK's AzureOpenAI client sends it) is ignored there, and kept for Azure-compatible gateways that read
it. Credentials: an `api-key` header, or a Microsoft Entra ID token as `Authorization: Bearer` — given,
minted from an app registration (client-credentials grant, providers/azure/entra.py), or from a
workload or managed identity (providers/azure/identity.py, chosen by ambient.py).
"""

from __future__ import annotations

import os
import re
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec

from llmrelay.providers.azure.ambient import ambient_identity, deployment_identity
from llmrelay.providers.azure.entra import EntraClientCredentialsGrant, entra_grant
from llmrelay.providers.azure.identity import ManagedIdentity, WorkloadIdentity
from llmrelay.providers.azure.params import AD_TOKEN_PARAM, AZURE_PARAMS, TOKEN_PROVIDER_PARAM
from llmrelay.providers.azure.token_provider import TokenProviderGrant
from llmrelay.providers.azure.wire import (
    AzureChatStreamDecoder,
    AzureTextStreamDecoder,
    azure_chat_decoder,
)
from llmrelay.providers.base import Codec
from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.providers.paths import path_part
from llmrelay.types.audio import TranscriptionRequest, TranslationRequest
from llmrelay.types.chat import ChatRequest
from llmrelay.types.completion import TextCompletionRequest
from llmrelay.types.deployment import Deployment
from llmrelay.types.embedding import EmbeddingRequest
from llmrelay.types.errors import AuthenticationError, BadRequestError
from llmrelay.types.http import HttpRequest
from llmrelay.types.image import ImageGenerationRequest
from llmrelay.types.image_edit import ImageEditRequest

# the latest GA version of the data-plane inference API (takes stream_options)
DEFAULT_API_VERSION = "2024-10-21"
# dated api-versions from this one on take `stream_options`; earlier ones reject it as unrecognized
STREAM_USAGE_SINCE = "2024-09-01"
API_VERSION_ENV = ("AZURE_API_VERSION",)
AD_TOKEN_ENV = ("AZURE_AD_TOKEN",)
_REGIONAL_HOST = re.compile(r"^https?://([a-z0-9]+)\.api\.cognitive\.microsoft\.com(?:[:/]|$)")
# where a token passed with the call travels from prepare_* to headers() (a per-call Deployment copy)
_CALL_TOKEN = "_azure_ad_token_of_call"

AZURE_SPEC = CompatSpec(
    name="azure",
    api_key_env=("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
    api_base_env=("AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"),
    text_completions=True,
    # deployments are often named after their model: o-series and gpt-5 take max_completion_tokens
    reasoning_models=("o1", "o3", "o4", "gpt-5"),
    docs="https://learn.microsoft.com/azure/ai-foundry/openai/reference",
)

# the token grants an Azure deployment may authenticate with
AzureGrant = EntraClientCredentialsGrant | WorkloadIdentity | ManagedIdentity | TokenProviderGrant

R = TypeVar(
    "R", ChatRequest, EmbeddingRequest, TextCompletionRequest, ImageGenerationRequest, ImageEditRequest,
    TranscriptionRequest, TranslationRequest,
)  # fmt: skip


class AzureOpenAI(OpenAICompatible):
    chat_decoder = azure_chat_decoder
    deployment_params = AZURE_PARAMS

    def __init__(self) -> None:
        super().__init__(AZURE_SPEC)

    def codec_table(self) -> dict[str, Codec[Any, Any]]:
        # image generations and edits, transcriptions and translations as OpenAI's, at the
        # deployment's URL; no moderations endpoint (Azure's content filters run on each call), and
        # its speech and image-variation deployments are not written (docs/adr/0009-call-seam.md)
        return {
            **super().codec_table(),
            "image_generation": Codec(self.prepare_image_generation, self.parse_image_generation),
            "image_edit": Codec(self.prepare_image_edit, self.parse_image_generation),
            **self.transcription_codecs(),
        }

    # ---- requests
    def prepare_chat(self, request: ChatRequest, deployment: Deployment) -> HttpRequest:
        request, deployment = _take_call_token(request, deployment)
        return super().prepare_chat(request, deployment)

    def prepare_embedding(self, request: EmbeddingRequest, deployment: Deployment) -> HttpRequest:
        request, deployment = _take_call_token(request, deployment)
        return super().prepare_embedding(request, deployment)

    def prepare_text_completion(self, request: TextCompletionRequest, deployment: Deployment) -> HttpRequest:
        request, deployment = _take_call_token(request, deployment)
        return super().prepare_text_completion(request, deployment)

    def prepare_image_generation(
        self, request: ImageGenerationRequest, deployment: Deployment
    ) -> HttpRequest:
        # `/openai/deployments/{deployment}/images/generations`; the deployment names the model
        request, deployment = _take_call_token(request, deployment)
        return super().prepare_image_generation(request, deployment)

    def prepare_image_edit(self, request: ImageEditRequest, deployment: Deployment) -> HttpRequest:
        request, deployment = _take_call_token(request, deployment)
        return super().prepare_image_edit(request, deployment)

    def prepare_transcription(self, request: TranscriptionRequest, deployment: Deployment) -> HttpRequest:
        request, deployment = _take_call_token(request, deployment)
        return super().prepare_transcription(request, deployment)

    def prepare_translation(self, request: TranslationRequest, deployment: Deployment) -> HttpRequest:
        request, deployment = _take_call_token(request, deployment)
        return super().prepare_translation(request, deployment)

    def url(self, deployment: Deployment, endpoint: str) -> str:
        if not deployment.model:
            raise BadRequestError(
                "an Azure model names its deployment: 'azure/<deployment name>'",
                provider=self.name,
                param="model",
            )
        name = path_part(deployment.model, provider=self.name)
        version = quote(self.api_version(deployment), safe="")
        return f"{self.api_base(deployment)}/openai/deployments/{name}/{endpoint}?api-version={version}"

    def api_version(self, deployment: Deployment) -> str:
        if deployment.api_version:
            return deployment.api_version
        return _first_env(API_VERSION_ENV) or DEFAULT_API_VERSION

    def headers(self, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        credential = self.credential(deployment)
        if isinstance(credential, tuple):  # else a token grant: `authorize` adds its token
            headers[credential[0]] = credential[1]
        if deployment.extra_headers:
            headers.update(deployment.extra_headers)
        return headers

    def token_grant(self, deployment: Deployment) -> AzureGrant | None:
        credential = self.credential(deployment)
        return None if isinstance(credential, tuple) else credential

    def credential(self, deployment: Deployment) -> tuple[str, str] | AzureGrant:
        """(header, value), or the grant that mints Entra ID tokens. The deployment's own credentials
        first (key, token, app registration, a workload or managed identity its tenant_id /
        client_id name), then the environment's (key, token, app registration, workload or managed
        identity: ambient.py); a token passed with the call only before the environment's
        identities, so a gateway's client cannot swap the credentials of a configured deployment."""
        options = deployment.options or {}
        if deployment.api_key:
            return "api-key", deployment.api_key
        token = options.get(AD_TOKEN_PARAM)
        if token:
            return "authorization", f"Bearer {token}"
        provider = options.get(TOKEN_PROVIDER_PARAM)
        if provider is not None:
            if not callable(provider):
                raise BadRequestError(
                    "azure_ad_token_provider is a callable returning a token (an SDK keyword): in a "
                    "config, use azure_ad_token, an app registration or a managed identity",
                    provider=self.name, model=deployment.model, param=TOKEN_PROVIDER_PARAM,
                )  # fmt: skip
            return TokenProviderGrant(provider)
        grant = entra_grant(deployment, from_env=False)
        if grant is not None:
            return grant
        identity = deployment_identity(deployment)
        if identity is not None:
            return identity
        key = _first_env(self.api_key_env)
        if key:
            return "api-key", key
        token = _first_env(AD_TOKEN_ENV) or options.get(_CALL_TOKEN)
        if token:
            return "authorization", f"Bearer {token}"
        grant = entra_grant(deployment, from_env=True)
        if grant is not None:
            return grant
        identity = ambient_identity(deployment)
        if identity is not None:
            return identity
        raise AuthenticationError(
            "no Azure credentials: pass api_key= (or set AZURE_API_KEY or AZURE_OPENAI_API_KEY), a "
            "Microsoft Entra ID token as azure_ad_token= (or set AZURE_AD_TOKEN), or an app "
            "registration as tenant_id=, client_id=, client_secret= (or AZURE_TENANT_ID, "
            "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET); or use a workload identity "
            "(AZURE_FEDERATED_TOKEN_FILE) or a managed identity (AZURE_CREDENTIAL="
            "ManagedIdentityCredential, or client_id= for a user-assigned one)",
            provider=self.name,
            model=deployment.model,
        )

    def sends_stream_usage(self, deployment: Deployment) -> bool:
        # only dated versions are compared; anything else is left to the caller's own stream_options
        day = self.api_version(deployment)[:10]
        return _is_date(day) and day >= STREAM_USAGE_SINCE

    def catalog_model(self, deployment: Deployment) -> str:
        """LiteLLM's `base_model` (e.g. `azure/gpt-4o`) when set: a deployment name says nothing about
        the model behind it."""
        base = (deployment.options or {}).get("base_model")
        if isinstance(base, str) and base:
            return base.removeprefix("azure/")
        return deployment.model

    def serving_region(self, deployment: Deployment) -> str | None:
        """The region of a regional endpoint (`https://<region>.api.cognitive.microsoft.com`); a
        resource name (`my-eu.openai.azure.com`) says nothing certain."""
        match = _REGIONAL_HOST.match(deployment.api_base.lower()) if deployment.api_base else None
        return match.group(1) if match else None

    # ---- responses
    def chat_stream_decoder(self, request: ChatRequest) -> AzureChatStreamDecoder:
        return AzureChatStreamDecoder(self)

    def text_stream_decoder(self, request: TextCompletionRequest) -> AzureTextStreamDecoder:
        return AzureTextStreamDecoder(self)


def _take_call_token(request: R, deployment: Deployment) -> tuple[R, Deployment]:
    """An `azure_ad_token` passed with the call lands in `extra_body` (the SDK's unknown keywords):
    a credential, so it never goes into the body; it is kept for `credential()` instead."""
    extra = request.extra_body
    if not extra or AD_TOKEN_PARAM not in extra:
        return request, deployment
    rest = {k: v for k, v in extra.items() if k != AD_TOKEN_PARAM}
    request = msgspec.structs.replace(request, extra_body=rest or None)
    token = extra[AD_TOKEN_PARAM]
    if token:
        options = {**(deployment.options or {}), _CALL_TOKEN: str(token)}
        deployment = msgspec.structs.replace(deployment, options=options)
    return request, deployment


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _is_date(text: str) -> bool:
    return len(text) == 10 and text[4] == text[7] == "-" and text.replace("-", "").isdigit()
