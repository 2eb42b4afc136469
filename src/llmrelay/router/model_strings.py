"""Why a model string in a model_list cannot be served, said plainly: a LiteLLM provider llmrelay
does not serve, a provider with no model named after it, or a misspelt provider."""

from __future__ import annotations

import difflib

from llmrelay.providers.registry import ProviderRegistry

# LiteLLM's provider prefixes (its LlmProviders names) that llmrelay has no adapter for
LITELLM_ONLY_PROVIDERS = frozenset(
    [
        "auto_router",
        "azure_text",
        "aiohttp_openai",
        "anthropic_text",
        "assemblyai",
        "bytez",
        "chatgpt",
        "compactifai",
        "custom",
        "dotprompt",
        "fal_ai",
        "gigachat",
        "github_copilot",
        "humanloop",
        "infinity",
        "langfuse",
        "milvus",
        "nlp_cloud",
        "petals",
        "pg_vector",
        "predibase",
        "recraft",
        "runwayml",
        "sagemaker_nova",
        "topaz",
        "triton",
        "vllm",
    ]
)


def model_string_problem(model: str, registry: ProviderRegistry) -> str | None:
    """What is wrong with `model` when its first segment shows the intent, or None to let the
    general resolution decide (bare catalog names such as `gpt-4o` are fine)."""
    head, sep, rest = model.partition("/")
    known = registry.known()
    if head in registry and not rest:
        return f"expected `{head}/<model>`: the model string names the provider {head!r} but no model"
    if head in LITELLM_ONLY_PROVIDERS and sep:
        return (
            f"provider {head!r} (a LiteLLM provider) is not served by llmrelay; "
            f"served providers: {', '.join(known)}"
        )
    if sep and head not in registry:
        close = difflib.get_close_matches(head, known, n=1, cutoff=0.75)
        if close:
            return f"unknown provider {head!r} (did you mean `{close[0]}/{rest}`?)"
    return None
