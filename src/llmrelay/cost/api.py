"""LiteLLM-named cost helpers over a Catalog: completion_cost, cost_per_token, register_model."""

from __future__ import annotations

from typing import Any

from llmrelay.cost.catalog import PICO_PER_USD, Catalog, ModelInfo
from llmrelay.cost.pricing import cost_micros, cost_picos
from llmrelay.types.errors import NotFoundError
from llmrelay.types.response import CompletionTokensDetails, PromptTokensDetails, Usage

_PRICE_FIELDS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    "output_cost_per_reasoning_token": "reasoning",
}


def _split(model: str) -> tuple[str | None, str]:
    head, sep, rest = model.partition("/")
    return (head, rest) if sep else (None, model)


def lookup(catalog: Catalog, model: str) -> ModelInfo:
    provider, name = _split(model)
    info = catalog.get(name, provider) if provider else None
    info = info or catalog.get(model)
    if info is None:
        raise NotFoundError(f"no price known for model {model!r}; register it with register_model()")
    return info


def usage_of(
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    cache_creation_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> Usage:
    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
        prompt_tokens_details=PromptTokensDetails(
            cached_tokens=cached_tokens, cache_creation_tokens=cache_creation_tokens
        ),
        completion_tokens_details=CompletionTokensDetails(reasoning_tokens=reasoning_tokens),
    )


def completion_cost(
    catalog: Catalog,
    completion_response: Any = None,
    *,
    model: str | None = None,
    usage: Usage | None = None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
) -> float:
    """USD cost of a response (its recorded cost when it has one), or of a model and token counts."""
    if completion_response is not None:
        hidden = getattr(completion_response, "_hidden_params", None) or {}
        if "cost_micros" in hidden and model is None:
            return float(hidden["cost_micros"]) / 1_000_000
        usage = usage or completion_response.usage
        model = model or hidden.get("model") or completion_response.model
    if model is None:
        raise ValueError("completion_cost needs a response or a model")
    if usage is None:
        usage = usage_of(prompt_tokens, completion_tokens)
    if not isinstance(usage, Usage):
        usage = Usage(
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=getattr(usage, "completion_tokens", 0),
            total_tokens=usage.total_tokens,
        )
    return cost_micros(usage, lookup(catalog, model)) / 1_000_000


def cost_per_token(
    catalog: Catalog, model: str, prompt_tokens: int = 0, completion_tokens: int = 0
) -> tuple[float, float]:
    """(prompt cost, completion cost) in USD, as LiteLLM's cost_per_token returns them."""
    info = lookup(catalog, model)
    prompt = cost_picos(usage_of(prompt_tokens, 0), info)
    completion = cost_picos(usage_of(0, completion_tokens), info)
    return prompt / PICO_PER_USD, completion / PICO_PER_USD


def _to_picos(usd_per_token: float) -> int:
    return round(usd_per_token * PICO_PER_USD)


def register_model(catalog: Catalog, models: dict[str, dict[str, Any]]) -> None:
    """Register custom prices in LiteLLM's format:
    {"my-model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                  "litellm_provider": "openai", "max_input_tokens": 8192}}."""
    for name, spec in models.items():
        provider = spec.get("litellm_provider") or _split(name)[0] or "custom"
        fields: dict[str, Any] = {
            field: _to_picos(spec[src]) for src, field in _PRICE_FIELDS.items() if spec.get(src) is not None
        }
        info = ModelInfo(
            provider=provider,
            mode=spec.get("mode", "chat"),
            max_input_tokens=spec.get("max_input_tokens"),
            max_output_tokens=spec.get("max_output_tokens") or spec.get("max_tokens"),
            **fields,
        )
        catalog.register(name, info)
        _, bare = _split(name)
        if bare != name:
            catalog.register(bare, info)
