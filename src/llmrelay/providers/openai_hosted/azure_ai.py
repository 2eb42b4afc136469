"""Azure AI Foundry's model inference API (LiteLLM's azure_ai/): OpenAI's chat and embeddings wire at
the resource api_base names (AZURE_AI_API_BASE; no default):

- a Foundry resource (`https://<name>.services.ai.azure.com`) serves every model it has deployed
  under `/models/...` and reads the key from an `api-key` header;
- a serverless endpoint (`https://<endpoint>.<region>.models.ai.azure.com`) serves its one model
  at its root and reads `Authorization: Bearer`; so does any other host;
- an Azure OpenAI host (`*.openai.azure.com`) given here takes `api-key` too.

`api_version` becomes the `api-version` query parameter when the base does not carry one already.
Keys only (AZURE_AI_API_KEY): Entra ID tokens are the `azure/` provider's.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from llmrelay.providers.compat import CompatSpec
from llmrelay.providers.openai.adapter import OpenAICompatible
from llmrelay.types.deployment import Deployment

FOUNDRY_SUFFIX = ".services.ai.azure.com"
_API_KEY_HOSTS = (FOUNDRY_SUFFIX, ".openai.azure.com")

AZURE_AI_SPEC = CompatSpec(
    name="azure_ai",
    api_key_env=("AZURE_AI_API_KEY",),
    api_base_env=("AZURE_AI_API_BASE",),
    docs="https://learn.microsoft.com/azure/ai-foundry/model-inference/reference/reference-model-inference-api",
)


class AzureAIProvider(OpenAICompatible):
    def __init__(self) -> None:
        super().__init__(AZURE_AI_SPEC)

    def url(self, deployment: Deployment, endpoint: str) -> str:
        parts = urlsplit(self.api_base(deployment))
        host = (parts.hostname or "").lower()
        prefix = "/models" if host.endswith(FOUNDRY_SUFFIX) else ""
        path = parts.path.rstrip("/")
        # a base written with its whole path (`.../models/chat/completions`) is taken as it is
        for tail in (f"{prefix}/{endpoint}", prefix):
            if tail and path.endswith(tail):
                path = path.removesuffix(tail)
                break
        query = dict(parse_qsl(parts.query))
        if deployment.api_version and "api-version" not in query:
            query["api-version"] = deployment.api_version
        return urlunsplit(parts._replace(path=f"{path}{prefix}/{endpoint}", query=urlencode(query)))

    def headers(self, deployment: Deployment) -> dict[str, str]:
        headers = super().headers(deployment)
        host = (urlsplit(self.api_base(deployment)).hostname or "").lower()
        bearer = headers.get("authorization")
        if bearer is not None and host.endswith(_API_KEY_HOSTS):
            del headers["authorization"]
            headers["api-key"] = bearer.removeprefix("Bearer ")
        return headers
