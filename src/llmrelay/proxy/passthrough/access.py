"""The gateway's own credential for a provider's pass-through route, added to each forwarded request.

The credential comes from the config: the model_list deployment of that provider marked
`use_in_pass_through: true`, else the first deployment of that provider, else the provider's usual
environment variables (ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY, COHERE_API_KEY, the AWS
variables, Vertex AI's credentials) — read by the provider's adapter exactly as for a chat call.
The client's own key is never forwarded (upstream.py drops every credential header first)."""

from __future__ import annotations

from dataclasses import dataclass

from llmrelay.core.credentials import TokenCache
from llmrelay.core.scrub import Scrubber
from llmrelay.providers.base import Provider
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import AuthenticationError, BadRequestError, ServiceUnavailableError
from llmrelay.types.http import HttpRequest

# how each provider's API takes a static key
_KEY_HEADERS = {
    "anthropic": ("x-api-key", "{}"),
    "openai": ("authorization", "Bearer {}"),
    "cohere": ("authorization", "Bearer {}"),
    "gemini": ("x-goog-api-key", "{}"),
}


@dataclass(frozen=True, slots=True)
class ProviderAccess:
    """Where a provider route forwards to, and how its requests are signed or keyed."""

    route: str  # "/anthropic": for the errors that name what is missing
    deployment: Deployment
    adapter: Provider
    tokens: TokenCache

    def base(self) -> str:
        """The upstream's base URL: the deployment's api_base, the provider's variable or default."""
        provider = self.deployment.provider
        try:
            if provider == "bedrock":
                return self._bedrock_base()[0]
            if provider == "vertex_ai":
                return self._vertex_base()
            return self.adapter.api_base(self.deployment)
        except (AuthenticationError, BadRequestError) as exc:
            raise self._missing(exc.message) from None

    def scrubber(self) -> Scrubber:
        """What an upstream's error answer must not show: the gateway's key, the upstream's host."""
        key = self.deployment.api_key
        provider = self.deployment.provider
        if provider in _KEY_HEADERS:
            try:
                key = self.adapter.api_key(self.deployment)
            except AuthenticationError:
                key = None
        return Scrubber.for_deployment(self.deployment, api_key=key, api_base=self.base())

    async def authorize(self, request: HttpRequest) -> HttpRequest:
        """Put the gateway's credential on `request` (its URL and body final: SigV4 signs both)."""
        provider = self.deployment.provider
        if provider in _KEY_HEADERS:
            header, shape = _KEY_HEADERS[provider]
            try:
                key = self.adapter.api_key(self.deployment)
            except AuthenticationError as exc:
                raise self._missing(exc.message) from None
            request.headers[header] = shape.format(key)
            return request
        if provider == "bedrock":
            return await self._sign_bedrock(request)
        if provider == "vertex_ai":
            return await self._vertex_token(request)
        raise self._missing(f"provider {provider!r} has no pass-through credential")

    # Bedrock's and Vertex AI's modules are imported by their routes' first call, not at start:
    # every gateway installs these routes, and the AWS chain alone (its XML parser) added ~1 MB to
    # an idle worker that may never serve either (tests/cli/test_idle_memory.py)

    def _bedrock_base(self) -> tuple[str, str | None]:
        from llmrelay.providers.bedrock import credentials as bedrock_credentials

        creds = bedrock_credentials.credentials(self.deployment)
        signing = not isinstance(creds, bedrock_credentials.BearerToken)
        return bedrock_credentials.runtime_base(self.deployment, signing)

    async def _sign_bedrock(self, request: HttpRequest) -> HttpRequest:
        from llmrelay.providers.aws.chain import AwsChain
        from llmrelay.providers.bedrock import credentials as bedrock_credentials
        from llmrelay.providers.bedrock.signing import auth_headers

        try:
            creds = bedrock_credentials.credentials(self.deployment)
            _, region = self._bedrock_base()
        except (AuthenticationError, BadRequestError) as exc:
            raise self._missing(exc.message) from None
        if isinstance(creds, AwsChain):
            # keys from a profile, a role, web identity or instance metadata: the engine's token
            # cache runs the chain (off the request path once cached), the adapter signs
            keys, _ = await self.tokens.token(creds)
            return self.adapter.authorize(request, keys)
        request.headers.update(
            auth_headers(creds, region, request.method, request.url, request.headers, request.body or b"")
        )
        return request

    def _vertex_base(self) -> str:
        from llmrelay.providers.vertex import settings as vertex_settings

        deployment = self.deployment
        if deployment.api_base:
            return deployment.api_base.rstrip("/").removesuffix("/" + vertex_settings.API_VERSION)
        location = vertex_settings.location(deployment)
        if location == "global":
            return "https://aiplatform.googleapis.com"
        return f"https://{location}-aiplatform.googleapis.com"

    async def _vertex_token(self, request: HttpRequest) -> HttpRequest:
        if self.deployment.api_key:
            # a ready access token in the config
            request.headers["authorization"] = f"Bearer {self.deployment.api_key}"
            return request
        from llmrelay.providers.vertex import settings as vertex_settings

        try:
            grant = vertex_settings.token_grant(self.deployment)
        except (AuthenticationError, BadRequestError) as exc:
            raise self._missing(exc.message) from None
        if grant is None:
            raise self._missing("no Vertex AI credentials (vertex_credentials, or application default)")
        token, _ = await self.tokens.token(grant)
        return self.adapter.authorize(request, token)

    def _missing(self, why: str) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"the pass-through route {self.route} has no upstream credential: {why} (add a model_list "
            f"deployment of provider {self.deployment.provider!r}, or set the provider's variables)",
            code="pass_through_not_configured",
        )
