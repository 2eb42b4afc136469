"""Provider lookup by name. Native adapters are imported on first use; OpenAI-compatible ones are
built from their data rows."""

from __future__ import annotations

import importlib

from llmrelay.providers.base import Provider
from llmrelay.providers.compat import compat_specs
from llmrelay.types.errors import BadRequestError

# provider name → "module:Class" of its native adapter
NATIVE_ADAPTERS: dict[str, str] = {
    "anthropic": "llmrelay.providers.anthropic:AnthropicProvider",
    "azure": "llmrelay.providers.azure:AzureOpenAI",
    "bedrock": "llmrelay.providers.bedrock:BedrockProvider",
    "cohere": "llmrelay.providers.cohere:CohereProvider",
    "cohere_chat": "llmrelay.providers.cohere:CohereChatProvider",
    "gemini": "llmrelay.providers.gemini:GeminiProvider",
    # an OpenAI-compatible row (openai_compat.toml) with its own model ids and embeddings
    "huggingface": "llmrelay.providers.huggingface:HuggingFaceProvider",
    "replicate": "llmrelay.providers.replicate:ReplicateProvider",
    "vertex_ai": "llmrelay.providers.vertex:VertexAI",
}


class ProviderRegistry:
    """Owns the adapter instances of one Client; two clients never share a registry."""

    def __init__(self) -> None:
        self._adapters: dict[str, Provider] = {}

    def get(self, name: str) -> Provider:
        adapter = self._adapters.get(name)
        if adapter is None:
            adapter = self._adapters[name] = self._build(name)
        return adapter

    def register(self, adapter: Provider) -> None:
        """Add or replace an adapter (a custom provider of the user's)."""
        self._adapters[adapter.name] = adapter

    def __contains__(self, name: str) -> bool:
        return name in self._adapters or name in NATIVE_ADAPTERS or name in compat_specs()

    @staticmethod
    def known() -> list[str]:
        return sorted({*NATIVE_ADAPTERS, *compat_specs()})

    @staticmethod
    def _build(name: str) -> Provider:
        target = NATIVE_ADAPTERS.get(name)
        if target is not None:
            module_name, _, cls_name = target.partition(":")
            cls = getattr(importlib.import_module(module_name), cls_name)
            adapter: Provider = cls()
            return adapter
        spec = compat_specs().get(name)
        if spec is None:
            raise BadRequestError(
                f"unknown provider {name!r}; known providers: {', '.join(ProviderRegistry.known())}",
                provider=name,
            )
        from llmrelay.providers.openai import OpenAICompatible

        return OpenAICompatible(spec)
