"""Where a deployment's Files and Batch APIs are and what authorizes them (pure: no I/O).

OpenAI serves them at `{api_base}/files` and `{api_base}/batches`; Azure OpenAI at
`{endpoint}/openai/files?api-version=...` and `/openai/batches` (the resource's, not a deployment's:
a batch input line names its deployment in `model`). The gateway's routes (proxy/files/) and the
SDK's functions (functions.py's create_file, create_batch...) both build their requests here."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from llmrelay.providers.azure.adapter import AzureOpenAI
from llmrelay.providers.base import Provider
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.providers.paths import path_part
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError

# the providers whose Files and Batch APIs are served (Anthropic's Message Batches API is another
# shape: docs/gateway.md, "Files and batches")
FILES_PROVIDERS = ("openai", "azure")


@dataclass(frozen=True, slots=True)
class FilesApi:
    provider: str
    base: str  # ".../v1" (OpenAI) or "https://<resource>.openai.azure.com/openai" (Azure)
    query: str  # what every URL carries: "" or "api-version=..."
    headers: dict[str, str] = field(repr=False)  # the credential (never shown), without content-type

    def url(self, *segments: str, query: str = "") -> str:
        """`segments` under the base, each percent-encoded as one path segment (an id cannot add a
        segment or a query to the upstream's URL)."""
        path = "/".join(path_part(s, provider=self.provider, param="id") for s in segments)
        joined = "&".join(q for q in (self.query, query) if q)
        return f"{self.base}/{path}" + (f"?{joined}" if joined else "")


def files_api(adapter: Provider, deployment: Deployment) -> FilesApi:
    """The Files and Batch APIs of `deployment`'s upstream; BadRequestError naming what is missing
    for a provider that has none here."""
    if isinstance(adapter, AzureOpenAI):
        credential = adapter.credential(deployment)
        if not isinstance(credential, tuple):
            raise BadRequestError(
                "files and batches on Azure OpenAI take an api key or an azure_ad_token; an Entra ID app "
                "registration (tenant_id, client_id, client_secret) is not supported for them",
                provider="azure",
                param="custom_llm_provider",
            )
        headers = dict(deployment.extra_headers or {})
        headers[credential[0]] = credential[1]
        version = quote(adapter.api_version(deployment), safe="")
        return FilesApi("azure", adapter.api_base(deployment) + "/openai", f"api-version={version}", headers)
    if isinstance(adapter, OpenAICompatible) and deployment.provider == "openai":
        headers = adapter.headers(deployment)
        headers.pop("content-type", None)
        base = adapter.url(deployment, "files").removesuffix("/files")
        return FilesApi("openai", base, "", headers)
    raise BadRequestError(
        f"provider {deployment.provider!r} has no Files and Batch API here (served: "
        f"{', '.join(FILES_PROVIDERS)})",
        provider=deployment.provider,
        param="custom_llm_provider",
    )
