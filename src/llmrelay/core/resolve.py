"""From the caller's model string to a Deployment: `provider/model`, or a bare name the catalog (or a
well-known prefix) places."""

from __future__ import annotations

from typing import Any

from llmrelay.cost.catalog import Catalog
from llmrelay.providers.registry import ProviderRegistry
from llmrelay.types.deployment import Deployment
from llmrelay.types.errors import BadRequestError

# bare-name prefixes that identify a provider when the catalog does not list the model
_PREFIX_PROVIDERS = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-", "openai"),
    ("dall-e-", "openai"),
    ("omni-moderation-", "openai"),
    ("text-moderation-", "openai"),
    ("claude-", "anthropic"),
    ("gemini-", "gemini"),
)


def split_model(model: str, registry: ProviderRegistry, catalog: Catalog) -> tuple[str, str]:
    """(provider, provider's model id). `openrouter/anthropic/claude-x` → (openrouter, anthropic/claude-x)."""
    head, sep, rest = model.partition("/")
    if sep and rest and head in registry:
        return registry.canonical(head), rest
    provider = catalog.provider_for(model)
    if provider is None:
        provider = next((p for prefix, p in _PREFIX_PROVIDERS if model.startswith(prefix)), None)
    if provider is None:
        raise BadRequestError(
            f"cannot tell which provider serves model {model!r}: name it as 'provider/model' "
            f"(e.g. 'openai/{model}'); known providers: {', '.join(registry.known())}",
            model=model,
            param="model",
        )
    return provider, model


def resolve_deployment(
    model: str,
    registry: ProviderRegistry,
    catalog: Catalog,
    *,
    provider: str | None = None,
    api_key: str | None = None,
    api_base: str | None = None,
    api_version: str | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
    extra_headers: dict[str, str] | None = None,
    organization: str | None = None,
    options: dict[str, Any] | None = None,
) -> Deployment:
    """`provider` (LiteLLM's custom_llm_provider) names the provider outright: the whole model string
    is then the provider's model id, unless it starts with `provider/`."""
    if provider is not None:
        if provider not in registry:
            raise BadRequestError(
                f"unknown provider {provider!r}; known providers: {', '.join(registry.known())}",
                param="custom_llm_provider",
            )
        provider_model = model.removeprefix(provider + "/")
        provider = registry.canonical(provider)
    else:
        provider, provider_model = split_model(model, registry, catalog)
    return Deployment(
        provider=provider,
        model=provider_model,
        api_key=api_key,
        api_base=api_base,
        api_version=api_version,
        timeout=timeout,
        max_retries=max_retries,
        extra_headers=extra_headers,
        organization=organization,
        options=options,
    )
