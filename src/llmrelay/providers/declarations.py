"""What a provider declares about the deployment parameters it reads besides the ones every provider
shares (`api_key`, `api_base`, `api_version`): their names (LiteLLM's), and which of them are secrets.

Each adapter holds its declaration as `Provider.deployment_params`; the registry reads the
declarations of the built-in providers without importing their adapters
(`llmrelay.providers.registry.declared_params`). From them the rest of the package derives its lists,
so a provider's parameter is named in one place, its own package:

- config/schema.py knows them in `model_list[].litellm_params` (passed through to the deployment);
- core/options.py takes them off SDK call keywords, so they reach the deployment, never a request
  body (which callbacks see);
- proxy/credentials.py leaves the secret ones out of everything the gateway shows about its
  deployments, and core/scrub.py scrubs their values from upstream error text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProviderParams:
    """`secrets`: parameters whose values are credentials (keys, tokens, service-account files);
    `settings`: parameters that place or steer the call without being secret (a region, a project,
    a profile's name, an endpoint, a client id)."""

    secrets: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        both = set(self.secrets) & set(self.settings)
        if both:
            raise ValueError(f"declared both secret and not: {', '.join(sorted(both))}")

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.secrets, *self.settings)


# what a provider that reads only the shared parameters declares
NO_PARAMS = ProviderParams()
