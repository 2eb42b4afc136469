"""The provider routes' prefixes and how each one's clients present their key: all a gateway needs at
start to know which paths are pass-through routes (the machinery behind them loads on first use)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProviderRoute:
    prefix: str  # "/anthropic"
    provider: str  # the registry's name
    # where a client may put its virtual key besides `Authorization: Bearer` (as the provider's SDK
    # puts a key), and whether `?key=` is one (Gemini's)
    key_headers: tuple[str, ...] = ("x-api-key",)
    key_in_query: bool = False


PROVIDER_ROUTES = (
    ProviderRoute("/anthropic", "anthropic"),
    ProviderRoute("/openai", "openai"),
    ProviderRoute("/gemini", "gemini", ("x-goog-api-key",), key_in_query=True),
    ProviderRoute("/vertex_ai", "vertex_ai", ("x-goog-api-key",)),
    ProviderRoute("/vertex-ai", "vertex_ai", ("x-goog-api-key",)),
    ProviderRoute("/bedrock", "bedrock"),
    ProviderRoute("/cohere", "cohere"),
)


__all__ = ["PROVIDER_ROUTES", "ProviderRoute"]
