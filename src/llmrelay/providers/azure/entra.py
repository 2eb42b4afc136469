"""Microsoft Entra ID tokens for Azure OpenAI: the OAuth2 client-credentials grant of an app
registration (LiteLLM's `tenant_id`, `client_id`, `client_secret` in litellm_params, or
AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET), run by the engine's token cache like
Vertex AI's Google grant (see llmrelay.providers.grants). The secret never appears in an error, a
repr or a cache key."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from llmrelay.providers.azure.identity import checked_authority
from llmrelay.providers.grants import AccessToken, parse_token_answer
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError
from llmrelay.types.http import HttpRequest, HttpResponse

PROVIDER = "azure"
# the resource Azure OpenAI (Cognitive Services) tokens are for
DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
# the environment variables azure-identity reads, for the deployment parameters of the same names
_ENV = {
    "tenant_id": "AZURE_TENANT_ID",
    "client_id": "AZURE_CLIENT_ID",
    "client_secret": "AZURE_CLIENT_SECRET",
}
_FORM = {"content-type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True, slots=True)
class EntraClientCredentialsGrant:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = DEFAULT_SCOPE
    authority: str = DEFAULT_AUTHORITY

    @property
    def cache_key(self) -> str:
        material = "|".join((self.authority, self.tenant_id, self.client_id, self.client_secret, self.scope))
        return f"entra:{hashlib.sha256(material.encode()).hexdigest()[:24]}"

    def token_request(self, now: float) -> HttpRequest:
        url = f"{self.authority.rstrip('/')}/{quote(self.tenant_id, safe='')}/oauth2/v2.0/token"
        body = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": self.scope,
            }
        ).encode()
        return HttpRequest(url=url, headers=dict(_FORM), body=body)

    def parse_token(self, response: HttpResponse) -> AccessToken:
        return parse_token_answer(response, provider=PROVIDER, endpoint="Microsoft Entra ID")


def entra_grant(
    deployment: Deployment, *, from_env: bool, environ: Any = None
) -> EntraClientCredentialsGrant | None:
    """The grant of an app registration set on the deployment (tenant_id, client_id, client_secret
    in its options) or, with `from_env`, in the environment (all three); None when there is none."""
    options = deployment.options or {}
    env = os.environ if environ is None else environ
    if from_env:
        given = {name: env.get(var) for name, var in _ENV.items()}
        if not all(given.values()):
            return None
    else:
        given = {name: options.get(name) for name in _ENV}
        if not given["client_secret"]:
            # tenant_id / client_id without a secret name a secretless identity (ambient.py)
            return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise AuthenticationError(
            f"Microsoft Entra ID credentials need tenant_id, client_id and client_secret; missing "
            f"{', '.join(missing)}",
            provider=PROVIDER,
            model=deployment.model,
        )
    authority = checked_authority(
        str(options.get("azure_authority_host") or env.get("AZURE_AUTHORITY_HOST") or DEFAULT_AUTHORITY)
    )
    return EntraClientCredentialsGrant(
        tenant_id=str(given["tenant_id"]),
        client_id=str(given["client_id"]),
        client_secret=str(given["client_secret"]),
        scope=str(options.get("azure_scope") or DEFAULT_SCOPE),
        authority=str(authority),
    )
